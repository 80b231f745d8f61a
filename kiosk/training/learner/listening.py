"""Listening credit: which reported sentences count toward a learner's course, bounded by a listening clock.

The phone reports the sentences it played; the hub cannot hear them being played, so it only credits what could
have been heard. A sentence counts only if it belongs to the reported course, and only once. Two clocks bound
the audio credited, each at the fastest playback speed plus a small allowance (for the first sentence itself,
rounding, and lengths that are estimates): in a course, the seconds since the first sentence of it credited to
the learner, so a learner who signed up long ago still cannot complete a course in one request; overall, the seconds
since sign-up, so several courses started together do not share one hour of listening. Sentences are credited in
course order until the budget is spent; the rest of the course's wait on the hub (the ``waiting`` table) and are
credited as the clocks allow, with the learner's next report or look at their progress. So a grid worker who heard
an hour offline and sends it all as the course's first report loses none of it: it is credited over the next half
hour, never sooner than it could have been heard. Sentences of another course are refused, and a report id seen
before is answered as the first time, crediting nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..catalog import CoursePlan
from .database import LearningDB

FASTEST_SPEED = 2.0  # the player's fastest playback rate
ALLOWANCE_SECONDS = 20.0


@dataclass(frozen=True)
class Credit:
    """What one report earned: sentences credited, refused (not in the course) and waiting for the clocks."""

    credited: int
    refused: int
    seconds: float = 0.0
    replayed: bool = False
    waiting: int = 0


def budget(started: float, listened: float, now: float) -> float:
    """Seconds of audio still creditable on one clock: the time since it started at the fastest speed, plus the
    allowance, minus what was credited on it already."""
    return FASTEST_SPEED * max(0.0, now - started) + ALLOWANCE_SECONDS - listened


def credit(
    db: LearningDB,
    learner_id: str,
    plan: CoursePlan,
    keys: Iterable[str],
    report: str,
    now: float,
    seconds: Mapping[str, float] | None = None,
) -> Credit:
    """Credit the newly heard sentences of one report, and those still waiting from earlier ones; ``seconds``
    gives known lengths that override the plan's estimates (rendered audio)."""
    reported = list(dict.fromkeys(keys))  # each key once, in the order sent
    in_course = [key for key in reported if key in plan.position]
    lengths = {key: (seconds or {}).get(key) or plan.seconds[key] for key in in_course}
    with db.immediate():
        row = db.conn.execute(
            "SELECT credited, refused FROM reports WHERE learner = ? AND id = ?", (learner_id, report)
        ).fetchone()
        if row is not None:
            return Credit(row["credited"], row["refused"], replayed=True)
        credited, waiting = _credit(db, learner_id, plan, lengths, now)
        refused = len(reported) - len(in_course)
        db.conn.execute(
            "INSERT INTO reports VALUES (?, ?, ?, ?, ?, ?)", (learner_id, report, plan.id, len(credited), refused, now)
        )
    return Credit(len(credited), refused, sum(credited.values()), waiting=waiting)


def settle(db: LearningDB, learner_id: str, plans: Mapping[str, CoursePlan], now: float) -> int:
    """Credit what the clocks now allow of the sentences waiting in every course; how many were credited."""
    with db.immediate():
        courses = [
            row[0] for row in db.conn.execute("SELECT DISTINCT course FROM waiting WHERE learner = ?", (learner_id,))
        ]
        return sum(len(_credit(db, learner_id, plans[c], {}, now)[0]) for c in courses if c in plans)


def _credit(
    db: LearningDB, learner_id: str, plan: CoursePlan, reported: Mapping[str, float], now: float
) -> tuple[dict[str, float], int]:
    """Inside a transaction: credit, in course order, the reported and the waiting sentences not yet credited
    until the budget is spent, and keep the rest waiting; the credited sentences with their lengths, and how
    many wait. LookupError for a learner who no longer exists."""
    clock = db.conn.execute("SELECT created, listened FROM learners WHERE id = ?", (learner_id,)).fetchone()
    if clock is None:
        raise LookupError(learner_id)
    lengths = {
        row["sentence"]: row["seconds"]
        for row in db.conn.execute(
            "SELECT sentence, seconds FROM waiting WHERE learner = ? AND course = ?", (learner_id, plan.id)
        )
        if row["sentence"] in plan.position  # a sentence since edited out of the course is dropped
    } | dict(reported)
    heard = _heard(db, learner_id, plan.id, list(lengths))
    started, listened = _course_clock(db, learner_id, plan.id)
    left = min(
        budget(clock["created"], clock["listened"], now),
        budget(now if started is None else started, listened, now),
    )
    credited: dict[str, float] = {}
    pending = sorted((key for key in lengths if key not in heard), key=plan.position.__getitem__)
    for key in pending:
        if lengths[key] > left:
            break
        left -= lengths[key]
        credited[key] = lengths[key]
    later = [key for key in pending if key not in credited]
    db.conn.executemany(
        "INSERT INTO heard VALUES (?, ?, ?, ?, ?)", [(learner_id, plan.id, key, s, now) for key, s in credited.items()]
    )
    db.conn.execute("UPDATE learners SET listened = listened + ? WHERE id = ?", (sum(credited.values()), learner_id))
    db.conn.execute("DELETE FROM waiting WHERE learner = ? AND course = ?", (learner_id, plan.id))
    db.conn.executemany(
        "INSERT INTO waiting VALUES (?, ?, ?, ?)", [(learner_id, plan.id, key, lengths[key]) for key in later]
    )
    return credited, len(later)


def _course_clock(db: LearningDB, learner_id: str, course: str) -> tuple[float | None, float]:
    """When the learner was first credited a sentence of this course (None before that) and the seconds
    credited in it since."""
    row = db.conn.execute(
        "SELECT MIN(at), COALESCE(SUM(seconds), 0) FROM heard WHERE learner = ? AND course = ?", (learner_id, course)
    ).fetchone()
    return row[0], row[1]


def _heard(db: LearningDB, learner_id: str, course: str, keys: list[str]) -> set[str]:
    """Which of these sentences the learner has already been credited for in this course."""
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        marks = ",".join("?" * len(chunk))
        found.update(
            row[0]
            for row in db.conn.execute(
                f"SELECT sentence FROM heard WHERE learner = ? AND course = ? AND sentence IN ({marks})",
                (learner_id, course, *chunk),
            )
        )
    return found
