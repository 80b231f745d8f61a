"""The practical courses a round can be for, and the training areas (the course's units) each one covers."""

from __future__ import annotations

from dataclasses import dataclass

from ...web import services, settings
from ..courses import course_views


@dataclass(frozen=True)
class PracticalCourse:
    id: str
    title: str
    areas: tuple[str, ...]  # its units' titles: 登高作业, 电工操作, …


def practical_courses() -> dict[str, PracticalCourse]:
    """Every course of kind practical, in course order, by id."""
    with services().store() as store:
        views, _ = course_views(store, settings().roots())
    return {
        view.course.id: PracticalCourse(view.course.id, view.course.title, tuple(unit.title for unit in view.units))
        for view in views
        if view.course.kind == "practical"
    }


def course_name(courses: dict[str, PracticalCourse], course_id: str) -> str:
    """A round's course as pages show it: its title, or its id once the course file is gone."""
    found = courses.get(course_id)
    return found.title if found else course_id
