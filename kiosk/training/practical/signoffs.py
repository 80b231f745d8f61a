"""Sign-offs: a trainer marks each skill of a practical course's areas 合格 or 不合格 (with a note saying why), in
learning.db's signoffs table. Every sign-off is kept, so a re-test after 不合格 adds a row and the latest one counts;
a practical course is complete when every skill's latest sign-off is 合格. Each row keeps the area's title and the
skill's words as signed, so a sign-off follows its skill when an editor reorders or inserts skills, and counts for
nothing once its skill is reworded or removed: the trainer signs the new wording again."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from ..catalog import CoursePlan
from ..learner.database import LearningDB

PASSED, FAILED = "合格", "不合格"
RESULTS = (PASSED, FAILED)
NOTE_MAX_CHARS = 200


class SignOffError(ValueError):
    """A sign-off that cannot be recorded; the message says why, in words for the trainer."""


@dataclass(frozen=True)
class SignOff:
    """One skill's sign-off: the unit (area) and skill by their places in the course file and by their words as
    signed, and who signed when."""

    unit: int
    skill: int
    result: str
    note: str
    trainer: str
    at: float
    area: str = ""  # empty in sign-offs recorded before the words were kept: those go by place alone
    words: str = ""

    @property
    def passed(self) -> bool:
        return self.result == PASSED


@dataclass(frozen=True)
class AreaResult:
    """One area of a practical course for one learner: how many of its skills stand at 合格, and the last sign-off."""

    unit: int
    title: str
    passed: int
    total: int
    last: SignOff | None  # the area's most recent sign-off: who signed it and when

    @property
    def done(self) -> bool:
        return self.passed == self.total


def sign_off(
    db: LearningDB,
    learner_id: str,
    plan: CoursePlan,
    unit: int,
    skill: int,
    result: str,
    note: str,
    trainer: str,
    now: float,
    words: str | None = None,
) -> SignOff:
    """Record a trainer's 合格 or 不合格 for one skill; SignOffError for a theory course, a unit or skill the course
    does not have (or whose words are no longer the ``words`` the trainer saw), another result, or a note missing
    (不合格 needs one) or longer than 200 characters."""
    if not plan.practical:
        raise SignOffError(f"「{plan.title}」是理论课，没有要签字的技能。")
    shown = skill_at(plan, unit, skill)
    if shown is None or words not in (None, shown):
        raise SignOffError(f"「{plan.title}」里没有这一项技能，可能课程刚改过：请刷新页面再签。")
    if result not in RESULTS:
        raise SignOffError("结果只能是合格或不合格。")
    note = " ".join(note.split())
    if result == FAILED and not note:
        raise SignOffError("不合格要写上说明：哪里没做到，下次练什么。")
    if len(note) > NOTE_MAX_CHARS:
        raise SignOffError(f"说明最多 {NOTE_MAX_CHARS} 个字，现在有 {len(note)} 个。")
    signed = SignOff(unit, skill, result, note, trainer, now, plan.units[unit].title, shown)
    with db.conn:
        db.conn.execute(
            "INSERT INTO signoffs (learner, course, unit, skill, result, note, trainer, at, area, words)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (learner_id, plan.id, unit, skill, result, note, trainer, now, signed.area, signed.words),
        )
    return signed


def skill_at(plan: CoursePlan, unit: int, skill: int) -> str | None:
    """The words of the skill at a place in the course file (area ``unit``, skill ``skill``); None when there is
    no such place."""
    if 0 <= unit < len(plan.units) and 0 <= skill < len(plan.units[unit].skills):
        return plan.units[unit].skills[skill]
    return None


def by_course(db: LearningDB, learner_id: str, course: str | None = None) -> dict[str, list[SignOff]]:
    """Every sign-off of a learner, oldest first, course by course (all courses, or one)."""
    found: dict[str, list[SignOff]] = {}
    for row in db.conn.execute(
        "SELECT course, unit, skill, result, note, trainer, at, area, words FROM signoffs"
        " WHERE learner = ? AND (? IS NULL OR course = ?) ORDER BY at, rowid",
        (learner_id, course, course),
    ):
        found.setdefault(row[0], []).append(SignOff(*row[1:]))
    return found


def latest(db: LearningDB, learner_id: str, plan: CoursePlan) -> dict[tuple[int, int], SignOff]:
    """The latest sign-off of each (unit, skill) of a course for a learner: the ones that count."""
    return latest_of(plan, by_course(db, learner_id, plan.id).get(plan.id, []))


def latest_of(plan: CoursePlan, signoffs: Iterable[SignOff]) -> dict[tuple[int, int], SignOff]:
    """The latest of sign-offs given oldest first for each (unit, skill) where the course file has its skill now,
    each carrying that place."""
    found: dict[tuple[int, int], SignOff] = {}
    for signoff in signoffs:
        place = placed(plan, signoff)
        if place is not None:
            found[place] = replace(signoff, unit=place[0], skill=place[1])
    return found


def placed(plan: CoursePlan, signoff: SignOff) -> tuple[int, int] | None:
    """Where the skill a sign-off was given for stands in the course now: the places with its words, preferring its
    area's title, then its old place; None once reworded or removed. Sign-offs from before the words were kept go
    by place."""
    old = (signoff.unit, signoff.skill)
    if not signoff.words:
        return old if skill_at(plan, *old) is not None else None
    places = [
        (unit.title != signoff.area, (number, skill) != old, number, skill)
        for number, unit in enumerate(plan.units)
        for skill, words in enumerate(unit.skills)
        if words == signoff.words
    ]
    return min(places)[2:] if places else None


def passed_skills(signoffs: dict[tuple[int, int], SignOff]) -> set[tuple[int, int]]:
    """The (unit, skill) whose latest sign-off is 合格."""
    return {key for key, signoff in signoffs.items() if signoff.passed}


def skills_of(plan: CoursePlan) -> set[tuple[int, int]]:
    """Every (unit, skill) of a course's checklists."""
    return {(number, skill) for number, unit in enumerate(plan.units) for skill in range(len(unit.skills))}


def all_passed(plan: CoursePlan, passed: set[tuple[int, int]]) -> bool:
    """Whether a practical course is complete: it has skills, and every one's latest sign-off is 合格."""
    skills = skills_of(plan)
    return bool(skills) and skills <= passed


def area_results(plan: CoursePlan, signoffs: dict[tuple[int, int], SignOff]) -> list[AreaResult]:
    """Each area of a practical course with its skills at 合格 and its last sign-off, in course order."""
    areas = []
    for number, unit in enumerate(plan.units):
        signed = [signoffs[(number, skill)] for skill in range(len(unit.skills)) if (number, skill) in signoffs]
        areas.append(
            AreaResult(
                number,
                unit.title,
                sum(signoff.passed for signoff in signed),
                len(unit.skills),
                max(signed, key=lambda signoff: signoff.at, default=None),
            )
        )
    return areas


def missing_areas(plan: CoursePlan, signoffs: dict[tuple[int, int], SignOff]) -> list[str]:
    """The titles of the areas not yet 合格 in every skill: what a certificate still waits for."""
    return [area.title for area in area_results(plan, signoffs) if not area.done]
