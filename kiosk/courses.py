"""Courses as the kiosk shows them: the course files resolved against the built documents and the questions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from indexer.content.courses import Course, ResolvedUnit, load_courses, resolve
from indexer.content.quiz import Question, load_questions
from indexer.store import Store


@dataclass
class CourseView:
    """A course with its units resolved; problems name the course file and what could not be found."""

    course: Course
    units: list[ResolvedUnit]
    problems: list[str]

    @property
    def minutes(self) -> float:
        return sum(unit.minutes for unit in self.units)

    @property
    def questions(self) -> list[Question]:
        return [q for unit in self.units for q in unit.questions]

    def summary(self) -> dict:
        """One object per course, as `kiosk course list --json` prints it and the API returns it."""
        documents = [{"id": part.doc.id, "source": part.doc.source, "title": part.doc.title,
                      "section": part.item.heading or None} for unit in self.units for part in unit.parts]
        return {"id": self.course.id, "title": self.course.title, "summary": self.course.summary,
                "units": len(self.units), "documents": documents, "minutes": round(self.minutes),
                "questions": len(self.questions)}


def course_views(store: Store, roots: list[Path]) -> tuple[list[CourseView], list[str]]:
    """Every course of the content roots resolved against the store, and the problems of the course files."""
    courses, problems = load_courses(roots)
    questions, _ = load_questions(roots)  # bad question files are `kiosk quiz check`'s to report
    documents = {entry.source: store.document(entry.id) for entry in store.catalog()}
    views = []
    for course in courses:
        units, missing = resolve(course, documents, questions)
        views.append(CourseView(course, units, missing))
    return views, problems
