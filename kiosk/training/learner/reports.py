"""Plain queries for the trainer's pages: who completed which course, who listened how long, which questions
are answered wrongly most often; by 乡镇/街道 and 社区 and over a period.

A period is [since, until) in seconds on the hub's clock; day_bounds() turns dates into one. Rows are sqlite3.Row
(read them by column name), times as stored (progress.iso_time formats them).
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from .database import LearningDB

FOREVER = 1e13  # far beyond any clock reading, for an open end


def day_bounds(first: dt.date | None = None, last: dt.date | None = None) -> tuple[float, float]:
    """The period from the start of ``first`` to the end of ``last`` (local days; either may be open)."""
    since = dt.datetime.combine(first, dt.time.min).timestamp() if first else 0.0
    until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min).timestamp() if last else FOREVER
    return since, until


def completions(
    db: LearningDB, since: float = 0.0, until: float = FOREVER, town: str = "", community: str = ""
) -> list[sqlite3.Row]:
    """Every course completed in the period, one row per learner and course (town, community, name, learner,
    course, at), by town, community, name and time: the list for the street office."""
    return db.conn.execute(
        "SELECT l.town, l.community, l.name, l.id AS learner, c.course, c.at FROM completions c "
        "JOIN learners l ON l.id = c.learner WHERE c.at >= ? AND c.at < ? AND (? = '' OR l.town = ?) "
        "AND (? = '' OR l.community = ?) ORDER BY l.town, l.community, l.name, c.at",
        (since, until, town, town, community, community),
    ).fetchall()


def completion_counts(db: LearningDB, since: float = 0.0, until: float = FOREVER) -> list[sqlite3.Row]:
    """How many learners of each town and community completed each course in the period (town, community,
    course, learners)."""
    return db.conn.execute(
        "SELECT l.town, l.community, c.course, COUNT(*) AS learners FROM completions c "
        "JOIN learners l ON l.id = c.learner WHERE c.at >= ? AND c.at < ? "
        "GROUP BY l.town, l.community, c.course ORDER BY l.town, l.community, c.course",
        (since, until),
    ).fetchall()


def listening_by_learner(
    db: LearningDB, since: float = 0.0, until: float = FOREVER, town: str = "", community: str = ""
) -> list[sqlite3.Row]:
    """Seconds credited to each learner in the period (town, community, name, learner, seconds, sentences, last),
    learners who heard nothing in it included with 0 seconds: who kept listening at home, and who did not."""
    return db.conn.execute(
        "SELECT l.town, l.community, l.name, l.id AS learner, COALESCE(SUM(h.seconds), 0) AS seconds, "
        "COUNT(h.sentence) AS sentences, MAX(h.at) AS last FROM learners l "
        "LEFT JOIN heard h ON h.learner = l.id AND h.at >= ? AND h.at < ? "
        "WHERE (? = '' OR l.town = ?) AND (? = '' OR l.community = ?) "
        "GROUP BY l.id ORDER BY l.town, l.community, l.name",
        (since, until, town, town, community, community),
    ).fetchall()


def listening_by_unit(db: LearningDB, since: float = 0.0, until: float = FOREVER) -> list[sqlite3.Row]:
    """Seconds credited per town and community in the period, and how many of its learners listened at all (town,
    community, learners, listeners, seconds, sentences)."""
    return db.conn.execute(
        "SELECT l.town, l.community, COUNT(DISTINCT l.id) AS learners, COUNT(DISTINCT h.learner) AS listeners, "
        "COALESCE(SUM(h.seconds), 0) AS seconds, COUNT(h.sentence) AS sentences FROM learners l "
        "LEFT JOIN heard h ON h.learner = l.id AND h.at >= ? AND h.at < ? "
        "GROUP BY l.town, l.community ORDER BY l.town, l.community",
        (since, until),
    ).fetchall()


def question_stats(db: LearningDB, since: float = 0.0, until: float = FOREVER, course: str = "") -> list[sqlite3.Row]:
    """Per question answered in the period (optionally in one course): attempts, right, wrong, right_percent and
    the most common wrong answer; most often answered wrongly first."""
    return db.conn.execute(
        "SELECT a.question, COUNT(*) AS attempts, SUM(a.right) AS right, COUNT(*) - SUM(a.right) AS wrong, "
        "ROUND(100.0 * SUM(a.right) / COUNT(*), 1) AS right_percent, "
        "(SELECT b.answer FROM attempts b WHERE b.question = a.question AND b.right = 0 AND b.at >= ? AND b.at < ? "
        " AND (? = '' OR b.course = ?) GROUP BY b.answer ORDER BY COUNT(*) DESC, b.answer LIMIT 1) AS common_wrong "
        "FROM attempts a WHERE a.at >= ? AND a.at < ? AND (? = '' OR a.course = ?) "
        "GROUP BY a.question ORDER BY wrong DESC, right_percent, a.question",
        (since, until, course, course, since, until, course, course),
    ).fetchall()
