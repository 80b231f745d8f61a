"""Learners: who they are (name + 乡镇/街道 + 社区), their PIN, and the lock-out after repeated wrong PINs."""

from __future__ import annotations

import re
import secrets
import sqlite3
import unicodedata
from dataclasses import dataclass

from werkzeug.security import check_password_hash, generate_password_hash

from indexer.errors import KioskError

from ...lockout import LOCK_SECONDS, MAX_FAILURES, after_failure, minutes_locked
from .database import LearningDB

PIN = re.compile(r"^[0-9]{4,8}$")
FIELD_CHARS = {"name": 20, "town": 30, "community": 30}
FIELD_NAMES = {"name": "姓名", "town": "乡镇/街道", "community": "社区"}
COLUMNS = "id, name, town, community, card, created, listened, generation"


class LearnerError(KioskError):
    """What was typed cannot make a learner (an empty name, a PIN that is not 4 to 8 digits); says why in Chinese."""


class SignInError(KioskError):
    """Sign-in refused: the PIN does not match, or this learner is locked for a while."""


@dataclass(frozen=True)
class Learner:
    """A learner as the API and the trainer's pages see them; ``listened`` is the listening clock in seconds."""

    id: str
    name: str
    town: str
    community: str
    card: str
    created: float
    listened: float
    generation: int

    def public(self) -> dict:
        """What the learner's own phone is told about them."""
        return {"name": self.name, "town": self.town, "community": self.community}


def clean(value: object, field: str) -> str:
    """A name as stored: full-width letters and digits folded (NFKC), spaces trimmed and folded; LearnerError
    when it is empty, too long, or holds control characters."""
    text = " ".join(unicodedata.normalize("NFKC", str(value or "")).split())
    if not text:
        raise LearnerError(f"请填写{FIELD_NAMES[field]}")
    if len(text) > FIELD_CHARS[field]:
        raise LearnerError(f"{FIELD_NAMES[field]}最多 {FIELD_CHARS[field]} 个字")
    if any(unicodedata.category(char).startswith("C") for char in text):
        raise LearnerError(f"{FIELD_NAMES[field]}里有不能用的字符")
    return text


def clean_pin(pin: object) -> str:
    """The PIN with full-width digits folded; LearnerError unless it is 4 to 8 digits."""
    text = unicodedata.normalize("NFKC", str(pin or "")).strip()
    if not PIN.match(text):
        raise LearnerError("PIN 要 4 到 8 位数字")
    return text


def new_card_token() -> str:
    """A card token: random, URL-safe, 128 bits."""
    return secrets.token_urlsafe(16)


def sign_in(db: LearningDB, name: str, town: str, community: str, pin: str, now: float) -> tuple[Learner, bool]:
    """The learner of this name, town and community and whether they were just created: a new combination
    creates them with this PIN, an existing one needs its PIN. Five wrong PINs lock the learner for 15 minutes;
    the answer to a wrong PIN never says more than that it did not match.

    Everything typed is checked before the learner is looked up, so a malformed PIN gets the same 400 whether or
    not the learner exists (and costs an existing one no try): only a PIN that could be someone's is compared."""
    name, town, community = clean(name, "name"), clean(town, "town"), clean(community, "community")
    pin = clean_pin(pin)
    row = _row(db, name, town, community)
    if row is None:
        learner = Learner(secrets.token_hex(6), name, town, community, new_card_token(), now, 0.0, 0)
        try:
            with db.conn:
                db.conn.execute(
                    "INSERT INTO learners (id, name, town, community, pin_hash, card, created) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (learner.id, name, town, community, generate_password_hash(pin), learner.card, now),
                )
            return learner, True
        except sqlite3.IntegrityError:  # the same person signing up from two phones at once: the first one wins
            row = _row(db, name, town, community)
            if row is None:
                raise
    _refuse_if_locked(row, now)  # a locked learner costs no hash work
    # Hashing outside the write transaction: fifty phones signing in together do not queue behind each other's hash.
    right = check_password_hash(row["pin_hash"], pin)
    # The lock check and the count it decides in one write transaction on the row as it is now: a burst of wrong
    # PINs counts every one, and a right PIN that arrives once the learner is locked is refused.
    with db.immediate():
        state = db.conn.execute("SELECT failures, locked_until FROM learners WHERE id = ?", (row["id"],)).fetchone()
        _refuse_if_locked(state, now)
        if right:
            db.conn.execute("UPDATE learners SET failures = 0, locked_until = 0 WHERE id = ?", (row["id"],))
            return from_row(row), False
        failures, locked_until = after_failure(state["failures"], state["locked_until"], now)
        db.conn.execute(
            "UPDATE learners SET failures = ?, locked_until = ? WHERE id = ?", (failures, locked_until, row["id"])
        )
    if locked_until:
        raise SignInError(f"PIN 不对。已连续输错 {MAX_FAILURES} 次，{LOCK_SECONDS // 60} 分钟内不能再登录。")
    raise SignInError(f"PIN 不对（还可以再试 {MAX_FAILURES - failures} 次）。忘了 PIN 请找培训老师。")


def _refuse_if_locked(state: sqlite3.Row, now: float) -> None:
    """SignInError while the learner's lock-out lasts."""
    minutes = minutes_locked(state["locked_until"], now)
    if minutes:
        raise SignInError(f"连续输错 {MAX_FAILURES} 次 PIN，已暂时锁定。请 {minutes} 分钟后再试，或请培训老师帮忙。")


def get(db: LearningDB, learner_id: str) -> Learner | None:
    """The learner of this id, or None."""
    row = db.conn.execute(f"SELECT {COLUMNS} FROM learners WHERE id = ?", (learner_id,)).fetchone()
    return from_row(row) if row else None


def set_pin(db: LearningDB, learner_id: str, pin: str) -> None:
    """A new PIN for a learner who forgot theirs (a trainer's job); lifts a lock-out and ends their sessions."""
    pin = clean_pin(pin)
    with db.conn:
        changed = db.conn.execute(
            "UPDATE learners SET pin_hash = ?, failures = 0, locked_until = 0, generation = generation + 1 "
            "WHERE id = ?",
            (generate_password_hash(pin), learner_id),
        ).rowcount
    if not changed:
        raise LearnerError("没有这位学员")


def end_sessions(db: LearningDB, learner_id: str) -> None:
    """Sign the learner out on every phone: a session cookie holds the generation it was issued under."""
    with db.conn:
        db.conn.execute("UPDATE learners SET generation = generation + 1 WHERE id = ?", (learner_id,))


def remove(db: LearningDB, learner_id: str) -> bool:
    """Delete a learner and every record of theirs (heard, reports, attempts, completions); False if unknown."""
    with db.immediate():
        for table in db.LEARNER_TABLES:
            db.conn.execute(f"DELETE FROM {table} WHERE learner = ?", (learner_id,))
        return db.conn.execute("DELETE FROM learners WHERE id = ?", (learner_id,)).rowcount > 0


def units(db: LearningDB) -> list[tuple[str, str]]:
    """Every (乡镇/街道, 社区) that has learners, in order."""
    return [
        (row[0], row[1])
        for row in db.conn.execute("SELECT DISTINCT town, community FROM learners ORDER BY town, community")
    ]


def community_size(db: LearningDB, community: str) -> int:
    """How many learners belong to this 社区 (of any 乡镇/街道)."""
    return db.conn.execute("SELECT COUNT(*) FROM learners WHERE community = ?", (community,)).fetchone()[0]


def move_community(db: LearningDB, community: str, town: str, new_name: str) -> int:
    """Move every learner of a 社区 to (town, new_name), as renaming or moving it on the hub's list does; how many
    moved. LearnerError, moving none, when someone of the same name is there already: those two are to be merged."""
    with db.immediate():
        clashes = [
            row[0]
            for row in db.conn.execute(
                "SELECT old.name FROM learners AS old JOIN learners AS new ON new.name = old.name"
                " WHERE old.community = ? AND new.town = ? AND new.community = ? AND new.id != old.id"
                " UNION SELECT name FROM learners WHERE community = ? GROUP BY name HAVING COUNT(*) > 1",
                (community, town, new_name, community),
            )
        ]
        if clashes:
            raise LearnerError(
                f"{town} {new_name}已经有同名的学员：{'、'.join(clashes)}。请先在学员页把他们合并，再试一次。"
            )
        return db.conn.execute(
            "UPDATE learners SET town = ?, community = ? WHERE community = ?", (town, new_name, community)
        ).rowcount


def _row(db: LearningDB, name: str, town: str, community: str) -> sqlite3.Row | None:
    return db.conn.execute(
        f"SELECT {COLUMNS}, pin_hash, failures, locked_until FROM learners"
        " WHERE name = ? AND town = ? AND community = ?",
        (name, town, community),
    ).fetchone()


def from_row(row: sqlite3.Row) -> Learner:
    """A learner from a row holding COLUMNS."""
    return Learner(
        row["id"],
        row["name"],
        row["town"],
        row["community"],
        row["card"],
        row["created"],
        row["listened"],
        row["generation"],
    )
