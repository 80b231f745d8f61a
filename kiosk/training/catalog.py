"""What a learner can hear and answer: every course's sentences and quiz questions unit by unit, kept in memory
until a course file, a question file or one of the courses' texts changes."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app

from indexer.content.courses import COURSES_FOLDER, DEFAULT_KIND, DEFAULT_PASS_MARK
from indexer.content.quiz import QUIZ_FOLDER, Question, load_questions
from indexer.store import Store

from ..services import SpeechService
from ..web import services, settings
from .courses import course_sentences, course_views


@dataclass(frozen=True)
class UnitPlan:
    """One unit: its sentence keys in listening order, the ids of its quiz questions and, in a practical course,
    the skills a trainer signs off."""

    title: str
    sentences: tuple[str, ...]
    questions: tuple[str, ...]
    skills: tuple[str, ...] = ()


@dataclass(frozen=True)
class CoursePlan:
    """One course as the training records need it."""

    id: str
    title: str
    units: tuple[UnitPlan, ...]
    seconds: dict[str, float]  # sentence key → seconds (estimated at 300 characters a minute until rendered)
    position: dict[str, int] = field(default_factory=dict)  # sentence key → place in the course's listening order
    pass_mark: int = DEFAULT_PASS_MARK  # percent of the questions a learner must get right
    kind: str = DEFAULT_KIND  # practical: completed by a trainer's sign-offs, not by listening and quizzes

    @classmethod
    def of(
        cls,
        course_id: str,
        title: str,
        units: Iterable[UnitPlan],
        seconds: dict[str, float],
        pass_mark: int = DEFAULT_PASS_MARK,
        kind: str = DEFAULT_KIND,
    ) -> CoursePlan:
        """A plan with each sentence's place in the course worked out."""
        units = tuple(units)
        keys = [key for unit in units for key in unit.sentences]
        positions = {key: number for number, key in enumerate(keys)}
        return cls(course_id, title, units, seconds, positions, pass_mark, kind)

    @property
    def practical(self) -> bool:
        return self.kind == "practical"

    @property
    def questions(self) -> set[str]:
        """The ids of every quiz question of the course."""
        return {question for unit in self.units for question in unit.questions}


@dataclass(frozen=True)
class Catalog:
    """Every course by id (in course order) and every valid question by id, the 每日一题 ones included."""

    courses: dict[str, CoursePlan]
    questions: dict[str, Question]
    sources: frozenset[str] = frozenset()  # the texts (paths under a content root) it was built from

    def courses_asking(self, question_id: str) -> list[str]:
        """The courses whose quizzes include this question."""
        return [plan.id for plan in self.courses.values() if question_id in plan.questions]


def build_catalog(store: Store, speech: SpeechService, roots: list[Path]) -> Catalog:
    """The catalog from the content roots and the built documents (about 0.1 s for the bundled texts)."""
    views, _ = course_views(store, roots)
    questions, _ = load_questions(roots)
    courses, sources = {}, {question.source for question in questions}
    for view in views:
        sources |= {item.source for unit in view.course.units for item in unit.items}
        sentences = course_sentences(view, speech, store)
        units = [
            UnitPlan(
                unit.title,
                tuple(s.key for s in sentences if s.unit == number),
                tuple(question.id for question in unit.questions),
                written.skills,
            )
            for number, (unit, written) in enumerate(zip(view.units, view.course.units, strict=True))
        ]
        courses[view.course.id] = CoursePlan.of(
            view.course.id,
            view.course.title,
            units,
            {s.key: s.seconds for s in sentences},
            view.course.pass_mark,
            view.course.kind,
        )
    return Catalog(courses, {question.id: question for question in questions}, frozenset(sources))


def current_catalog() -> Catalog:
    """The courses and questions as they are now, for the request being served."""
    with services().store() as store:
        return current_app.extensions["learning"].get(store, services().speech, settings().roots())


class CatalogCache:
    """The catalog shared by all request threads, built again when what it was built from changed: the files of
    the roots' _courses/ and _quiz/ folders (by size, time and inode), and the indexed texts the courses and questions
    name (by their hash in the store, so a publish or a build is noticed)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._catalog: Catalog | None = None
        self._stamp: tuple | None = None

    def get(self, store: Store, speech: SpeechService, roots: list[Path]) -> Catalog:
        """The catalog, built again first if anything it was built from changed."""
        with self._lock:
            if self._catalog is None or self._stamp != _stamp(store, roots, self._catalog):
                catalog = build_catalog(store, speech, roots)
                self._catalog, self._stamp = catalog, _stamp(store, roots, catalog)
            return self._catalog


def _stamp(store: Store, roots: list[Path], catalog: Catalog) -> tuple:
    files = []
    for root in roots:
        for folder in (COURSES_FOLDER, QUIZ_FOLDER):
            for path in sorted((Path(root) / folder).rglob("*")):
                try:
                    stat = path.stat()
                except OSError:
                    continue
                # An editor's save replaces the file (a new inode), so a reorder of the same size in the same
                # clock tick is noticed too.
                files.append((str(path), stat.st_size, stat.st_mtime_ns, stat.st_ino))
    sources = sorted(catalog.sources)
    hashes = []
    for start in range(0, len(sources), 500):
        chunk = sources[start : start + 500]
        hashes += store.conn.execute(
            f"SELECT source, hash FROM files WHERE source IN ({','.join('?' * len(chunk))}) ORDER BY source", chunk
        ).fetchall()
    return tuple(files), tuple(tuple(row) for row in hashes)
