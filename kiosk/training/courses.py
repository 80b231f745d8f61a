"""Courses as the kiosk shows them: the course files resolved against the built documents and the questions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from indexer.content.courses import CHARS_PER_MINUTE, Course, ResolvedUnit, load_courses, resolve
from indexer.content.documents import Document
from indexer.content.quiz import Question, load_questions
from indexer.store import Store

from ..services import SpeechService


@dataclass(frozen=True)
class CourseSentence:
    """One sentence a learner hears in a course, with its length in seconds (known once rendered, else estimated)."""

    unit: int
    doc: str
    passage: str
    index: int
    key: str
    seconds: float
    text: str  # as written, for showing while it is read


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
        documents = [
            {
                "id": part.doc.id,
                "source": part.doc.source,
                "title": part.doc.title,
                "section": part.item.heading or None,
            }
            for unit in self.units
            for part in unit.parts
        ]
        return {
            "id": self.course.id,
            "title": self.course.title,
            "summary": self.course.summary,
            "kind": self.course.kind,
            "units": len(self.units),
            "documents": documents,
            "minutes": round(self.minutes),
            "questions": len(self.questions),
        }


def course_views(store: Store, roots: list[Path]) -> tuple[list[CourseView], list[str]]:
    """Every course of the content roots resolved against the store, and the problems of the course files."""
    courses, problems = load_courses(roots)
    questions, _ = load_questions(roots)  # bad question files are `kiosk quiz check`'s to report
    documents = course_documents(store, courses)
    views = []
    for course in courses:
        units, missing = resolve(course, documents, questions)
        views.append(CourseView(course, units, missing))
    return views, problems


def course_documents(store: Store, courses: Iterable[Course]) -> dict[str, Document]:
    """The built documents the courses name, by source, for resolve()."""
    wanted = {item.source for course in courses for unit in course.units for item in unit.items}
    found = {entry.source: store.document(entry.id) for entry in store.catalog() if entry.source in wanted}
    return {source: doc for source, doc in found.items() if doc is not None}  # None: removed by a build meanwhile


def find_course(store: Store, roots: list[Path], course_id: str) -> CourseView | None:
    return next((view for view in course_views(store, roots)[0] if view.course.id == course_id), None)


def course_sentences(view: CourseView, speech: SpeechService, store: Store) -> list[CourseSentence]:
    """Every sentence of the course in listening order, each once; empty when there is no voice."""
    sentences, seen = [], set()
    for number, unit in enumerate(view.units):
        for part in unit.parts:
            texts = {passage.id: passage.text for passage in part.passages}
            for line in speech.lines(part.doc, store):
                if line.passage in texts and line.key not in seen:
                    seen.add(line.key)
                    sentences.append((number, part.doc.id, line, texts[line.passage][line.start : line.end]))
    durations = store.durations([line.key for _, _, line, _ in sentences])
    return [
        CourseSentence(
            number,
            doc,
            line.passage,
            line.index,
            line.key,
            durations.get(line.key) or len(line.spoken) * 60 / CHARS_PER_MINUTE,
            text,
        )
        for number, doc, line, text in sentences
    ]
