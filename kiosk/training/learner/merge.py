"""Merging two learners who are one person (幸福里 and 幸福里社区, typed before the hub had its list of 社区): the one
merged away gives the kept one everything it heard, answered and completed, then is removed with its card and
sessions. One write transaction: the two are never seen half merged, and nothing is counted twice."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..catalog import CoursePlan
from .database import LearningDB
from .learners import LearnerError
from .progress import load_records, newly_completed


@dataclass(frozen=True)
class Merged:
    """What a merge did: sentences that both had heard (counted once), courses the union newly completed."""

    shared_sentences: int
    completed: list[str]


def shared_sentences(db: LearningDB, first: str, second: str) -> int:
    """How many sentences both learners were credited for in the same course: the ones a merge counts once."""
    return db.conn.execute(
        "SELECT COUNT(*) FROM heard AS a JOIN heard AS b ON b.course = a.course AND b.sentence = a.sentence"
        " WHERE a.learner = ? AND b.learner = ?",
        (first, second),
    ).fetchone()[0]


def merge(db: LearningDB, kept: str, merged: str, plans: Iterable[CoursePlan], now: float) -> Merged:
    """Move everything of learner ``merged`` to learner ``kept`` and remove ``merged``: sentences heard as a union
    (a sentence both heard keeps its earlier time), sentences still waiting for the listening clock, listening
    reports, every quiz answer and trainer's sign-off, completions (the earlier
    time where both completed a course), practical rounds signed up for (one seat where both were, attended if
    either was scanned in), the listening clock recounted from the union and started at the earlier
    sign-up; then the courses of ``plans`` that the union completes are recorded as completed now. The merged
    learner's card and sessions end with it. LearnerError for a learner unknown, or the same one twice."""
    if kept == merged:
        raise LearnerError("不能把学员合并到自己")
    with db.immediate():
        found = db.conn.execute("SELECT COUNT(*) FROM learners WHERE id IN (?, ?)", (kept, merged)).fetchone()[0]
        if found != 2:
            raise LearnerError("没有这位学员，可能已经删除或合并了")
        shared = shared_sentences(db, kept, merged)
        db.conn.execute(
            "INSERT INTO heard (learner, course, sentence, seconds, at)"
            " SELECT ?, course, sentence, seconds, at FROM heard WHERE learner = ?"
            " ON CONFLICT (learner, course, sentence) DO UPDATE SET at = MIN(at, excluded.at)",
            (kept, merged),
        )
        db.conn.execute(  # still waiting for the listening clock: unless the kept learner has it already
            "INSERT OR IGNORE INTO waiting SELECT ?, course, sentence, seconds FROM waiting AS w WHERE learner = ?"
            " AND NOT EXISTS (SELECT 1 FROM heard WHERE learner = ? AND course = w.course AND sentence = w.sentence)",
            (kept, merged, kept),
        )
        db.conn.execute(
            "INSERT OR IGNORE INTO reports SELECT ?, id, course, credited, refused, at FROM reports WHERE learner = ?",
            (kept, merged),
        )
        db.conn.execute("UPDATE attempts SET learner = ? WHERE learner = ?", (kept, merged))
        db.conn.execute("UPDATE signoffs SET learner = ? WHERE learner = ?", (kept, merged))  # the latest counts
        db.conn.execute(
            "INSERT INTO completions (learner, course, at) SELECT ?, course, at FROM completions WHERE learner = ?"
            " ON CONFLICT (learner, course) DO UPDATE SET at = MIN(at, excluded.at)",
            (kept, merged),
        )
        db.conn.execute(  # a round both signed up for keeps one seat, and the earlier scan at its door
            "INSERT INTO round_signups SELECT round, ?, signed_at, attended_at, scanned_by FROM round_signups"
            " WHERE learner = ? ON CONFLICT (round, learner) DO UPDATE"
            " SET signed_at = MIN(signed_at, excluded.signed_at),"
            " scanned_by = CASE WHEN attended_at IS NULL OR excluded.attended_at < attended_at"
            " THEN excluded.scanned_by ELSE scanned_by END,"
            " attended_at = COALESCE(MIN(attended_at, excluded.attended_at), attended_at, excluded.attended_at)",
            (kept, merged),
        )
        db.conn.execute(
            "UPDATE learners SET listened = (SELECT COALESCE(SUM(seconds), 0) FROM heard WHERE learner = ?),"
            " created = (SELECT MIN(created) FROM learners WHERE id IN (?, ?)) WHERE id = ?",
            (kept, kept, merged, kept),
        )
        for table in db.LEARNER_TABLES:
            db.conn.execute(f"DELETE FROM {table} WHERE learner = ?", (merged,))
        db.conn.execute("DELETE FROM learners WHERE id = ?", (merged,))
        done = newly_completed(plans, load_records(db, kept))
        db.conn.executemany("INSERT INTO completions VALUES (?, ?, ?)", [(kept, course, now) for course in done])
    return Merged(shared, done)
