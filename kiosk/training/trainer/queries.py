"""Queries of learning.db that the trainer's pages need beyond kiosk.training.learner.reports: listening per course, the
size of each unit, and what removing a learner would delete. Plain functions on a LearningDB, like reports."""

from __future__ import annotations

from ..learner.database import LearningDB


def course_seconds(db: LearningDB, learner: str | None = None) -> dict[tuple[str, str], float]:
    """Seconds credited per (learner, course), all time; for one learner or everyone."""
    rows = db.conn.execute(
        "SELECT learner, course, SUM(seconds) FROM heard WHERE (? IS NULL OR learner = ?) GROUP BY learner, course",
        (learner, learner),
    )
    return {(row[0], row[1]): row[2] for row in rows}


def unit_sizes(db: LearningDB) -> dict[tuple[str, str], int]:
    """How many learners each (乡镇/街道, 社区) has."""
    return {
        (row[0], row[1]): row[2]
        for row in db.conn.execute("SELECT town, community, COUNT(*) FROM learners GROUP BY town, community")
    }


def completed_counts(db: LearningDB) -> dict[str, int]:
    """How many courses each learner has completed (learners with none are left out)."""
    return {row[0]: row[1] for row in db.conn.execute("SELECT learner, COUNT(*) FROM completions GROUP BY learner")}


def find_learner(db: LearningDB, name: str, town: str, community: str) -> str | None:
    """The id of the learner of exactly this (cleaned) name, town and community, or None."""
    row = db.conn.execute(
        "SELECT id FROM learners WHERE name = ? AND town = ? AND community = ?", (name, town, community)
    ).fetchone()
    return row[0] if row else None


def record_counts(db: LearningDB, learner: str) -> dict[str, int]:
    """How many rows of each of the learner's tables removing them deletes (heard, reports, attempts, completions)."""
    return {
        table: db.conn.execute(f"SELECT COUNT(*) FROM {table} WHERE learner = ?", (learner,)).fetchone()[0]
        for table in db.LEARNER_TABLES
    }
