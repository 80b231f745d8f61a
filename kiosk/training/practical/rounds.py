"""Rounds (轮次) of a practical course: a trainer sets the day, the hours, the place and the seats; learners sign up
on their phones until it starts; the trainer scans each learner's card at the door. Stored in learning.db, so a
merge of two learners moves their sign-ups along with the rest of their records."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from enum import Enum

from indexer.errors import KioskError

from ..learner.cards import CARD_PATH, by_card
from ..learner.database import LearningDB
from ..learner.learners import Learner

ALL_AREAS = "全部实训区"
MAX_SEATS = 200
DAYS_AHEAD = 366  # a round further off is a typo (2207 for 2027), not a plan
MAX_PLACE = 60
MAX_NOTE = 300
SCAN_HOURS = 2  # cards are scanned from two hours before a round until two hours after it: a scan on another day
# (the scanner tried out the week before) is refused, not counted as attendance
MAX_SCAN = 300  # a card's URL is under 100 characters; a scanner that runs on is cut off here, not stored
LARGEST_ID = 2**63 - 1  # SQLite's integers: a larger id in a URL names no round
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")  # learners.new_card_token(): 22 URL-safe characters
NO_ROUND = "没有这个轮次，可能已经删除了。"
COLUMNS = "id, course, area, starts, ends, place, seats, note, created_by, cancelled"


class RoundError(KioskError):
    """A round cannot be made, changed or signed up for as asked; says why in Chinese."""


class NoRound(RoundError):
    """No round has this id."""


@dataclass(frozen=True)
class RoundForm:
    """What a trainer typed for a round, checked (times are the hub's clock, seconds since the epoch)."""

    course: str
    area: str  # one of the course's units, or "" for all of them
    starts: float
    ends: float
    place: str
    seats: int
    note: str


@dataclass(frozen=True)
class Round:
    """One round as stored, with how many have signed up and been scanned in."""

    id: int
    course: str
    area: str
    starts: float
    ends: float
    place: str
    seats: int
    note: str
    created_by: str
    cancelled: bool
    signed_up: int = 0
    attended: int = 0

    @property
    def area_name(self) -> str:
        return self.area or ALL_AREAS

    @property
    def seats_left(self) -> int:
        return max(self.seats - self.signed_up, 0)

    def started(self, at: float) -> bool:
        return at >= self.starts

    def scan_refusal(self, at: float) -> str:
        """Why a card cannot be scanned in at this time (empty while it can): too long before or after the round."""
        if at < self.starts - SCAN_HOURS * 3600:
            starts = dt.datetime.fromtimestamp(self.starts)
            when = f"{starts.month} 月 {starts.day} 日 {starts:%H:%M}"
            return f"这一轮 {when} 开始，开始前 {SCAN_HOURS} 小时起才能扫卡签到。"
        if at > self.ends + SCAN_HOURS * 3600:
            return f"这一轮已经结束 {SCAN_HOURS} 小时以上，不能再扫卡签到。"
        return ""


@dataclass(frozen=True)
class SignUp:
    """A learner on a round's list; ``attended_at`` once her card was scanned."""

    learner: str
    name: str
    town: str
    community: str
    signed_at: float
    attended_at: float | None
    scanned_by: str


class Scan(Enum):
    """What one scan at the door came to."""

    PRESENT = "present"  # signed up, now marked present
    ALREADY = "already"  # scanned before: nothing changes
    WALKED_IN = "walked_in"  # not signed up, added and marked present (the trainer chose 加入并签到)
    NOT_SIGNED_UP = "not_signed_up"  # a valid card, but not on this round's list
    UNKNOWN_CARD = "unknown_card"  # no learner holds this card (never issued, or replaced by a new one)
    NOT_A_CARD = "not_a_card"  # what the scanner typed is no card's QR at all


@dataclass(frozen=True)
class ScanResult:
    outcome: Scan
    learner: Learner | None = None
    attended_at: float | None = None
    token: str = ""  # the card, for a walk-in's 加入并签到


@dataclass(frozen=True)
class AttendedRound:
    """A round a learner was scanned in at, for the trainer's records and exports."""

    round: int
    course: str
    area: str
    starts: float
    ends: float
    place: str
    attended_at: float


def round_number(text: str) -> int:
    """A round's id as a URL gives it: NoRound unless it is digits within SQLite's integers."""
    if not text.isascii() or not text.isdigit() or len(text) > 19 or int(text) > LARGEST_ID:
        raise NoRound(NO_ROUND)
    return int(text)


def _round(row) -> Round:
    """A round from a row of _COUNTED."""
    number, course, area, starts, ends, place, seats, note, created_by, cancelled, signed_up, attended = row
    return Round(
        number, course, area, starts, ends, place, seats, note, created_by, bool(cancelled), signed_up, attended
    )


def clean_text(value: str, limit: int, what: str) -> str:
    """One line of text as stored, spaces folded (full-width punctuation kept, as the trainer typed it); RoundError
    past ``limit`` or with control or direction marks."""
    text = " ".join(value.split())
    if len(text) > limit:
        raise RoundError(f"{what}太长了，最多 {limit} 个字。")
    if any(unicodedata.category(char)[0] == "C" for char in text):
        raise RoundError(f"{what}里有不能显示的字符，请重新输入。")
    return text


def check_form(form: RoundForm, at: float, before: Round | None = None) -> RoundForm:
    """``form`` with its texts cleaned, or RoundError saying the first thing wrong. A new round, or a changed
    start, may not begin in the past; a round keeps at least the seats already taken."""
    place = clean_text(form.place, MAX_PLACE, "地点")
    if not place:
        raise RoundError("请填写地点，例如：实训基地二楼 焊接区。")
    if form.ends <= form.starts:
        raise RoundError("结束时间要晚于开始时间。")
    if form.starts < at and (before is None or form.starts != before.starts):
        raise RoundError("开始时间已经过去了，请选以后的日期和时间。")
    if form.starts > at + DAYS_AHEAD * 86400:
        raise RoundError("日期太远了：只能排一年以内的轮次，请检查年份。")
    if not 1 <= form.seats <= MAX_SEATS:
        raise RoundError(f"座位数要在 1 到 {MAX_SEATS} 之间。")
    if before is not None and form.seats < before.signed_up:
        raise RoundError(f"已经有 {before.signed_up} 人报名，座位数不能少于 {before.signed_up}。")
    note = clean_text(form.note, MAX_NOTE, "备注")
    return RoundForm(form.course, form.area, form.starts, form.ends, place, form.seats, note)


def parse_times(day: str, start: str, end: str) -> tuple[float, float]:
    """A form's date (2027-03-08) and start and end times (09:00, 11:30) on that day, as the hub's clock."""
    try:
        date = dt.date.fromisoformat(day.strip())
        begins, finishes = dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())
        return dt.datetime.combine(date, begins).timestamp(), dt.datetime.combine(date, finishes).timestamp()
    except (ValueError, OverflowError, OSError):  # OverflowError, OSError: a year the clock cannot hold (0001, 9999)
        raise RoundError("请填写日期（例如 2027-03-08）和开始、结束时间（例如 09:00）。") from None


_COUNTS = (  # a round's columns, then how many signed up and how many were scanned in
    f"SELECT {', '.join(f'r.{column}' for column in COLUMNS.split(', '))},"
    " (SELECT COUNT(*) FROM round_signups WHERE round = r.id),"
    " (SELECT COUNT(attended_at) FROM round_signups WHERE round = r.id)"
)
_COUNTED = f"{_COUNTS} FROM rounds AS r"


def add_round(db: LearningDB, form: RoundForm, by: str, at: float) -> int:
    """A new round from a checked form; its id."""
    with db.conn:
        cursor = db.conn.execute(
            "INSERT INTO rounds (course, area, starts, ends, place, seats, note, created_by, created)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (form.course, form.area, form.starts, form.ends, form.place, form.seats, form.note, by, at),
        )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def change_round(db: LearningDB, round_id: int, form: RoundForm, at: float) -> None:
    """Change a round to a form, checked again inside the write so seats taken meanwhile are counted."""
    with db.immediate():
        before = get_round(db, round_id)
        if before is None:
            raise NoRound(NO_ROUND)
        form = check_form(form, at, before)
        db.conn.execute(
            "UPDATE rounds SET course = ?, area = ?, starts = ?, ends = ?, place = ?, seats = ?, note = ? WHERE id = ?",
            (form.course, form.area, form.starts, form.ends, form.place, form.seats, form.note, round_id),
        )


def cancel_round(db: LearningDB, round_id: int) -> None:
    """Call a round off: it stays listed as 已取消 with its sign-ups, and nobody can sign up or be scanned in."""
    with db.conn:
        if not db.conn.execute("UPDATE rounds SET cancelled = 1 WHERE id = ?", (round_id,)).rowcount:
            raise NoRound(NO_ROUND)


def get_round(db: LearningDB, round_id: int) -> Round | None:
    row = db.conn.execute(f"{_COUNTED} WHERE r.id = ?", (round_id,)).fetchone()
    return _round(row) if row else None


def list_rounds(db: LearningDB) -> list[Round]:
    """Every round by start time."""
    return [_round(row) for row in db.conn.execute(f"{_COUNTED} ORDER BY r.starts, r.id")]


def open_rounds(db: LearningDB, at: float) -> list[Round]:
    """Rounds a learner may still sign up for: not cancelled, not started yet, soonest first."""
    rows = db.conn.execute(f"{_COUNTED} WHERE r.cancelled = 0 AND r.starts > ? ORDER BY r.starts, r.id", (at,))
    return [_round(row) for row in rows]


def signups(db: LearningDB, round_id: int) -> list[SignUp]:
    """A round's list, by 乡镇/街道, 社区 and name."""
    rows = db.conn.execute(
        "SELECT s.learner, l.name, l.town, l.community, s.signed_at, s.attended_at, s.scanned_by"
        " FROM round_signups AS s JOIN learners AS l ON l.id = s.learner WHERE s.round = ?"
        " ORDER BY l.town, l.community, l.name",
        (round_id,),
    )
    return [SignUp(*row) for row in rows]


def learner_rounds(db: LearningDB, learner_id: str) -> list[tuple[Round, float | None]]:
    """Every round a learner signed up for, soonest first, with when she was scanned in (None before)."""
    rows = db.conn.execute(
        f"{_COUNTS}, mine.attended_at FROM rounds AS r JOIN round_signups AS mine ON mine.round = r.id"
        " WHERE mine.learner = ? ORDER BY r.starts, r.id",
        (learner_id,),
    )
    return [(_round(row[:-1]), row[-1]) for row in rows]


def my_rounds(db: LearningDB, learner_id: str) -> dict[int, float | None]:
    """The rounds a learner signed up for: round id → when she was scanned in (None before)."""
    rows = db.conn.execute("SELECT round, attended_at FROM round_signups WHERE learner = ?", (learner_id,))
    return dict(rows.fetchall())


def _open_for_signing(db: LearningDB, round_id: int, at: float, at_the_door: bool = False) -> Round:
    """The round, or RoundError when it is unknown, cancelled, (unless at the door) started, or full."""
    found = get_round(db, round_id)
    if found is None:
        raise NoRound(NO_ROUND)
    if found.cancelled:
        raise RoundError("这个轮次已经取消了。")
    if found.started(at) and not at_the_door:
        raise RoundError("这个轮次已经开始了，不能再报名。请找培训老师。")
    if not found.seats_left:
        raise RoundError("这个轮次已经满了，请选别的轮次。")
    return found


def sign_up(db: LearningDB, round_id: int, learner_id: str, at: float) -> bool:
    """Put a learner on a round's list; False when she was on it already. The check of seats left and the sign-up
    are one write transaction: two phones after the last seat, one gets it and the other hears it is full."""
    with db.immediate():
        if db.conn.execute(
            "SELECT 1 FROM round_signups WHERE round = ? AND learner = ?", (round_id, learner_id)
        ).fetchone():
            return False
        _open_for_signing(db, round_id, at)
        db.conn.execute(
            "INSERT INTO round_signups (round, learner, signed_at) VALUES (?, ?, ?)", (round_id, learner_id, at)
        )
    return True


def cancel_sign_up(db: LearningDB, round_id: int, learner_id: str, at: float) -> None:
    """Take a learner off a round's list, which she may do until it starts."""
    with db.immediate():
        found, mine = get_round(db, round_id), my_rounds(db, learner_id)
        if found is None or round_id not in mine:
            raise RoundError("您没有报名这个轮次。")
        if found.started(at) or mine[round_id] is not None:
            raise RoundError("这个轮次已经开始了，不能再取消报名。请找培训老师。")
        db.conn.execute("DELETE FROM round_signups WHERE round = ? AND learner = ?", (round_id, learner_id))


def card_token(scanned: str) -> str | None:
    """The card token in what a scanner typed: the card's whole URL (http://hub/learn/card/TOKEN) or the token
    alone; None for anything else."""
    text = scanned.strip()
    if CARD_PATH in text:
        text = text.split(CARD_PATH, 1)[1].split("?", 1)[0].split("#", 1)[0].rstrip("/")
    return text if TOKEN.match(text) else None


def check_in(db: LearningDB, round_id: int, scanned: str, by: str, at: float, walk_in: bool = False) -> ScanResult:
    """Mark the learner whose card was scanned present at a round. A learner not on the list is only reported,
    unless ``walk_in``: then she is added (if a seat is left) and marked present in the same write. RoundError
    for a round unknown or cancelled, outside its scanning hours, and for a walk-in when it is full."""
    token = card_token(scanned[:MAX_SCAN])
    if token is None:
        return ScanResult(Scan.NOT_A_CARD)
    with db.immediate():
        found = get_round(db, round_id)
        if found is None:
            raise NoRound(NO_ROUND)
        if found.cancelled:
            raise RoundError("这个轮次已经取消了，不能签到。")
        if refusal := found.scan_refusal(at):
            raise RoundError(refusal)
        learner = by_card(db, token)
        if learner is None:
            return ScanResult(Scan.UNKNOWN_CARD)
        mine = my_rounds(db, learner.id)
        if round_id not in mine:
            if not walk_in:
                return ScanResult(Scan.NOT_SIGNED_UP, learner, token=token)
            _open_for_signing(db, round_id, at, at_the_door=True)
            db.conn.execute("INSERT INTO round_signups VALUES (?, ?, ?, ?, ?)", (round_id, learner.id, at, at, by))
            return ScanResult(Scan.WALKED_IN, learner, at)
        if mine[round_id] is not None:
            return ScanResult(Scan.ALREADY, learner, mine[round_id])
        db.conn.execute(
            "UPDATE round_signups SET attended_at = ?, scanned_by = ? WHERE round = ? AND learner = ?",
            (at, by, round_id, learner.id),
        )
        return ScanResult(Scan.PRESENT, learner, at)


def attended_rounds(db: LearningDB, learner_id: str) -> list[AttendedRound]:
    """The rounds a learner was scanned in at, earliest first: what her practical record shows of attendance."""
    rows = db.conn.execute(
        "SELECT r.id, r.course, r.area, r.starts, r.ends, r.place, s.attended_at FROM round_signups AS s"
        " JOIN rounds AS r ON r.id = s.round WHERE s.learner = ? AND s.attended_at IS NOT NULL ORDER BY r.starts, r.id",
        (learner_id,),
    )
    return [AttendedRound(*row) for row in rows]
