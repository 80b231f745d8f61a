"""A learner's progress through the courses, and when a course counts as completed.

A course is complete when, in every unit, the learner has heard at least 90% of the unit's sentences and has
answered each of the unit's quiz questions at least once (an answer given anywhere counts, the 每日一题 included),
and has got right at least the course's pass mark (a share of all its questions, 60% unless its file says
otherwise) on their best answers: a question once answered right stays right, so guessing everything is not
enough but trying again is. A course without questions needs listening only. A course with no sentences at all
(no voice on this hub) cannot be completed. Completion is recorded the first time it is reached and kept after
that, even if the course later grows.

A practical course (实训) is complete instead when a trainer has signed off every skill of every area and each
one's latest sign-off is 合格 (kiosk.training.practical.signoffs); listening to its briefings is not counted.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..catalog import CoursePlan, UnitPlan
from ..practical.signoffs import SignOff, all_passed, by_course, latest_of, passed_skills
from .database import LearningDB

COMPLETE_PERCENT = 90


@dataclass
class Records:
    """What one learner did: sentences heard per course and their seconds, the latest answer per question, the
    questions ever answered right, the practical skills whose latest sign-off is 合格, completion times."""

    heard: dict[str, set[str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # course → seconds credited
    latest_right: dict[str, bool] = field(default_factory=dict)
    ever_right: set[str] = field(default_factory=set)
    signoffs: dict[str, list[SignOff]] = field(default_factory=dict)  # course → every sign-off, oldest first
    completed: dict[str, float] = field(default_factory=dict)


def load_records(db: LearningDB, learner_id: str | None, course: str | None = None) -> Records:
    """A learner's records (all courses, or one); empty for an anonymous visitor."""
    records = Records()
    if learner_id is None:
        return records
    for row in db.conn.execute(
        "SELECT course, sentence, seconds FROM heard WHERE learner = ? AND (? IS NULL OR course = ?)",
        (learner_id, course, course),
    ):
        records.heard.setdefault(row[0], set()).add(row[1])
        records.seconds[row[0]] = records.seconds.get(row[0], 0.0) + row[2]
    for row in db.conn.execute(
        "SELECT question, right FROM attempts WHERE learner = ? ORDER BY at, rowid", (learner_id,)
    ):
        records.latest_right[row[0]] = bool(row[1])
        if row[1]:
            records.ever_right.add(row[0])
    records.signoffs = by_course(db, learner_id, course)
    for row in db.conn.execute("SELECT course, at FROM completions WHERE learner = ?", (learner_id,)):
        records.completed[row[0]] = row[1]
    return records


def iso_time(at: float) -> str:
    """A stored time as the API gives it: local time with its offset, e.g. 2026-12-02T10:15:00+08:00."""
    return dt.datetime.fromtimestamp(at).astimezone().isoformat(timespec="seconds")


def course_progress(plan: CoursePlan, records: Records) -> dict:
    """One course's progress: distinct sentences heard of the total and their seconds, unit by unit with its quiz
    and whether the unit is done, and when the course was completed (None if not yet)."""
    heard = records.heard.get(plan.id, set())
    units = []
    for unit in plan.units:
        answered = [q for q in unit.questions if q in records.latest_right]
        units.append(
            {
                "heard": sum(key in heard for key in unit.sentences),
                "total": len(unit.sentences),
                "done": unit_done(unit, heard, records),
                "quiz": {
                    "answered": len(answered),
                    "right": sum(records.latest_right[q] for q in answered),
                    "total": len(unit.questions),
                },
            }
        )
    completed = records.completed.get(plan.id)
    return {
        "heard": sum(u["heard"] for u in units),
        "total": sum(u["total"] for u in units),
        "seconds": round(records.seconds.get(plan.id, 0.0)),
        "units": units,
        "completed": iso_time(completed) if completed is not None else None,
        "pass": {  # the pass mark, and how many questions are right on the best answers against how many it needs
            "mark": plan.pass_mark,
            "right": len(plan.questions & records.ever_right),
            "needed": needed_right(plan),
        },
    }


def needed_right(plan: CoursePlan) -> int:
    """How many of the course's questions must be answered right to reach its pass mark."""
    return math.ceil(plan.pass_mark * len(plan.questions) / 100)


def is_complete(plan: CoursePlan, records: Records) -> bool:
    """Whether the course's rule (see the module's docstring) is met now."""
    if plan.practical:
        return all_passed(plan, passed_skills(latest_of(plan, records.signoffs.get(plan.id, []))))
    heard = records.heard.get(plan.id, set())
    if not any(unit.sentences for unit in plan.units):
        return False
    return len(plan.questions & records.ever_right) >= needed_right(plan) and all(
        unit_done(unit, heard, records) for unit in plan.units
    )


def unit_done(unit: UnitPlan, heard: set[str], records: Records) -> bool:
    """Whether a unit is done: 90% of its sentences heard and each of its questions answered."""
    return 100 * sum(key in heard for key in unit.sentences) >= COMPLETE_PERCENT * len(unit.sentences) and all(
        q in records.latest_right for q in unit.questions
    )


def record_completions(
    db: LearningDB, learner_id: str, plans: Iterable[CoursePlan], now: float, records: Records | None = None
) -> list[str]:
    """Record every one of these courses the learner has just completed; their ids."""
    records = records or load_records(db, learner_id)
    done = newly_completed(plans, records)
    if done:
        with db.conn:
            db.conn.executemany(
                "INSERT OR IGNORE INTO completions VALUES (?, ?, ?)", [(learner_id, course, now) for course in done]
            )
        records.completed.update(dict.fromkeys(done, now))
    return done


def newly_completed(plans: Iterable[CoursePlan], records: Records) -> list[str]:
    """The ids of the courses whose rule is met by these records and that are not yet recorded as completed."""
    return [plan.id for plan in plans if plan.id not in records.completed and is_complete(plan, records)]
