"""Personal QR cards: a random token per learner that signs them in without a PIN, for the trainer to print."""

from __future__ import annotations

from .database import LearningDB
from .learners import COLUMNS, Learner, LearnerError, from_row, new_card_token

CARD_PATH = "/learn/card/"


def card_path(token: str) -> str:
    """The path a card's QR code holds (the trainer's page puts the hub's address in front)."""
    return f"{CARD_PATH}{token}"


def by_card(db: LearningDB, token: str) -> Learner | None:
    """The learner whose current card this is; None for an unknown or revoked card."""
    if not token:
        return None
    row = db.conn.execute(f"SELECT {COLUMNS} FROM learners WHERE card = ?", (token,)).fetchone()
    return from_row(row) if row else None


def list_learners(db: LearningDB, town: str = "", community: str = "") -> list[Learner]:
    """Learners with their card tokens, by 乡镇/街道, 社区 and name; optionally of one town or community."""
    rows = db.conn.execute(
        f"SELECT {COLUMNS} FROM learners WHERE (? = '' OR town = ?) AND (? = '' OR community = ?) "
        "ORDER BY town, community, name",
        (town, town, community, community),
    )
    return [from_row(row) for row in rows]


def new_card(db: LearningDB, learner_id: str) -> str:
    """A new card token for a learner; the old card stops working, and so do sessions opened before (a lost
    card's finder is signed out too; the owner signs in again with the new card or the PIN)."""
    token = new_card_token()
    with db.conn:
        changed = db.conn.execute(
            "UPDATE learners SET card = ?, generation = generation + 1 WHERE id = ?", (token, learner_id)
        ).rowcount
    if not changed:
        raise LearnerError("没有这位学员")
    return token
