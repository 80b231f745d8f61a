"""The practical courses a round can be for, and the training areas (the course's units) each one covers."""

from __future__ import annotations

from dataclasses import dataclass

from ..catalog import current_catalog


@dataclass(frozen=True)
class PracticalCourse:
    id: str
    title: str
    areas: tuple[str, ...]  # its units' titles: 登高作业, 电工操作, …


def practical_courses() -> dict[str, PracticalCourse]:
    """Every course of kind practical, in course order, by id (from the catalog the hub keeps warm)."""
    return {
        plan.id: PracticalCourse(plan.id, plan.title, tuple(unit.title for unit in plan.units))
        for plan in current_catalog().courses.values()
        if plan.practical
    }


def course_name(courses: dict[str, PracticalCourse], course_id: str) -> str:
    """A round's course as pages show it: its title, or its id once the course file is gone."""
    found = courses.get(course_id)
    return found.title if found else course_id
