"""The practical results in the trainer's records, as tables the overview page shows and its Excel and CSV exports
write (kiosk.training.trainer.tables' Table): areas passed per learner and course, every sign-off, and who came to
which round."""

from __future__ import annotations

import sqlite3

from ..catalog import Catalog, CoursePlan
from ..learner.database import LearningDB
from ..trainer.tables import UNIT_COLUMNS, Column, Filters, Row, Table, course_title, local_time
from .rounds import ALL_AREAS
from .signoffs import SignOff, area_results, latest_of, skill_at

LEARNER_COURSE = (*UNIT_COLUMNS, Column("姓名", max_width=16), Column("课程", max_width=30))  # how each row starts
RESULT_COLUMNS = (
    *LEARNER_COURSE,
    Column("合格的实训区", "int"),
    Column("实训区数", "int"),
    Column("最近签字", "datetime"),
)
SIGNOFF_COLUMNS = (
    *LEARNER_COURSE,
    Column("实训区", max_width=16),
    Column("技能", max_width=50),
    Column("结果", max_width=8),
    Column("说明", max_width=60),
    Column("培训师", max_width=16),
    Column("签字时间", "datetime"),
)
ATTENDANCE_COLUMNS = (
    *LEARNER_COURSE,
    Column("实训区", max_width=16),
    Column("轮次时间", "datetime"),
    Column("地点", max_width=30),
    Column("扫卡签到", "datetime"),
)
NO_SIGNOFFS = "这段时间没有实训签字。"
NO_ROUNDS = "这段时间没有实训轮次。"


def _signoffs(db: LearningDB, until: float, filters: Filters):
    """Every sign-off before ``until`` of the filters' learners and course, oldest first, with the learner."""
    narrowed, parameters = filters.where("s.course")
    return db.conn.execute(
        "SELECT l.town, l.community, l.name, s.learner, s.course, s.unit, s.skill, s.result, s.note, s.trainer, s.at,"
        " s.area, s.words FROM signoffs s JOIN learners l ON l.id = s.learner"
        f" WHERE s.at < ?{narrowed} ORDER BY s.at, s.rowid",
        (until, *parameters),
    ).fetchall()


def practical_results_table(db: LearningDB, catalog: Catalog, since: float, until: float, filters: Filters) -> Table:
    """One row per learner and practical course signed off in the period: how many areas stood at 合格 in every
    skill at the period's end, of how many."""
    signed: dict[tuple[str, str], list[SignOff]] = {}
    people, recent = {}, {}
    for r in _signoffs(db, until, filters):
        key = (r["learner"], r["course"])
        signed.setdefault(key, []).append(
            SignOff(r["unit"], r["skill"], r["result"], r["note"], r["trainer"], r["at"], r["area"], r["words"])
        )
        people[key] = (r["town"], r["community"], r["name"])
        if r["at"] >= since:
            recent[key] = r["at"]
    rows = []
    for key in sorted(recent, key=lambda k: (*people[k], k[1])):
        plan = catalog.courses.get(key[1])
        areas = area_results(plan, latest_of(plan, signed[key])) if plan else []
        passed, total = sum(area.done for area in areas), len(areas)
        rows.append(
            Row(
                (*people[key], course_title(catalog, key[1]), passed, total, local_time(recent[key])),
                {"learner": key[0], "course": key[1]},
            )
        )
    return Table("practical", "实训成绩", RESULT_COLUMNS, rows, NO_SIGNOFFS)


def signoffs_table(db: LearningDB, catalog: Catalog, since: float, until: float, filters: Filters) -> Table:
    """Every sign-off in the period, re-tests included, by 乡镇/街道, 社区, name and time: the checklist on paper."""
    rows = []
    for r in _signoffs(db, until, filters):
        if r["at"] < since:
            continue
        area, skill = skill_words(catalog.courses.get(r["course"]), r)
        rows.append(
            Row(
                (
                    r["town"],
                    r["community"],
                    r["name"],
                    course_title(catalog, r["course"]),
                    area,
                    skill,
                    r["result"],
                    r["note"],
                    r["trainer"],
                    local_time(r["at"]),
                ),
                {"learner": r["learner"], "course": r["course"]},
            )
        )
    rows.sort(key=lambda row: row.values[:3])  # stable: each learner's sign-offs stay in time order
    return Table("signoffs", "实训签字记录", SIGNOFF_COLUMNS, rows, NO_SIGNOFFS)


def attendance_table(db: LearningDB, catalog: Catalog, since: float, until: float, filters: Filters) -> Table:
    """Everyone signed up for a round that started in the period, with when her card was scanned at the door
    (blank: she did not come); cancelled rounds are left out."""
    narrowed, parameters = filters.where("r.course")
    found = db.conn.execute(
        "SELECT l.town, l.community, l.name, s.learner, r.course, r.area, r.starts, r.place, s.attended_at"
        " FROM round_signups s JOIN rounds r ON r.id = s.round JOIN learners l ON l.id = s.learner"
        f" WHERE r.starts >= ? AND r.starts < ? AND NOT r.cancelled{narrowed}"
        " ORDER BY l.town, l.community, l.name, r.starts",
        (since, until, *parameters),
    )
    rows = [
        Row(
            (
                r["town"],
                r["community"],
                r["name"],
                course_title(catalog, r["course"]),
                r["area"] or ALL_AREAS,
                local_time(r["starts"]),
                r["place"],
                local_time(r["attended_at"]),
            ),
            {"learner": r["learner"], "course": r["course"]},
        )
        for r in found
    ]
    return Table("attendance", "实训签到", ATTENDANCE_COLUMNS, rows, NO_ROUNDS)


def skill_words(plan: CoursePlan | None, signed: sqlite3.Row) -> tuple[str, str]:
    """The area's title and the skill's words of a sign-off as signed; for one recorded before they were kept, by
    their places, or their numbers once the course file no longer has them."""
    if signed["words"]:
        return signed["area"], signed["words"]
    unit, skill = signed["unit"], signed["skill"]
    if plan is None or unit >= len(plan.units):
        return f"第 {unit + 1} 区", f"第 {skill + 1} 项"
    words = skill_at(plan, unit, skill)
    return plan.units[unit].title, words if words is not None else f"第 {skill + 1} 项"
