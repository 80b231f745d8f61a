"""Courses: ordered units of documents or document sections, kept as YAML files in a content root's _courses/.

    title: 物业管理篇
    summary: 一句话，课程页最先读。
    order: 3                     (position in the course list; then by id)
    pass_mark: 60                (optional: percent of the quiz's questions a learner must get right; default 60)
    kind: practical              (optional: theory, listened to and quizzed, the default; or practical, taught in the
                                  training areas, where each unit is a spoken briefing before the hands-on work)
    units:
      - title: 业主和业主组织
        items:
          - 有声物业/物业管理篇/业主的权利和义务.md              (a whole document, by its path)
          - 有声物业/物业管理培训总纲/六个分册的学习地图.md#二、按岗位推荐的收听顺序   (one section, by its heading)
        skills:                    (practical courses only: what a trainer signs off in this area, one short line each)
          - 检查并正确佩戴安全帽

A course's id is its file name without .yaml. Each unit ends with a short quiz of the questions (content/_quiz/)
whose 出处 is one of the unit's documents.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from indexer.errors import ContentError

from .documents import Document, Passage
from .loader import decode
from .quiz import Question

COURSES_FOLDER = "_courses"
COURSE_FIELDS = {"title", "summary", "order", "pass_mark", "kind", "units"}
# A practical course (实训) is briefed by ear in the training areas and its skills are signed off by a trainer.
COURSE_KINDS = {"theory": "理论课", "practical": "实训课"}
DEFAULT_KIND = "theory"
# 60 of 100 is the usual 及格 line; guessing gets about a third of the three-option questions right, half of 对/错.
DEFAULT_PASS_MARK = 60
UNIT_FIELDS = {"title", "items", "skills"}
SKILL_MAX_CHARS = 80  # one line on the trainer's sign-off sheet and the certificate
# The neural voice at rate 1.0 read 1,200 characters of a bundled text (punctuation included) in 235 s: 306 a minute.
CHARS_PER_MINUTE = 300


@dataclass(frozen=True)
class CourseItem:
    """A document, or one section of it (the passages under a heading)."""

    source: str
    heading: str = ""

    @property
    def label(self) -> str:
        return f"{self.source}#{self.heading}" if self.heading else self.source


@dataclass(frozen=True)
class Unit:
    title: str
    items: tuple[CourseItem, ...]
    skills: tuple[str, ...] = ()  # a practical course's checklist for this area, in the order it is signed off


@dataclass(frozen=True)
class Course:
    id: str
    title: str
    summary: str
    units: tuple[Unit, ...]
    file: str
    order: int = 0
    pass_mark: int = DEFAULT_PASS_MARK  # percent of the quiz's questions to get right for completion
    kind: str = DEFAULT_KIND  # a key of COURSE_KINDS


@dataclass
class Part:
    """An item resolved against the built documents: what a learner hears, in order."""

    item: CourseItem
    doc: Document
    passages: list[Passage]

    @property
    def chars(self) -> int:
        return sum(len(p.text) for p in self.passages)


@dataclass
class ResolvedUnit:
    title: str
    parts: list[Part] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)

    @property
    def minutes(self) -> float:
        return sum(part.chars for part in self.parts) / CHARS_PER_MINUTE


def parse_course(text: str, course_id: str, file: str) -> Course:
    """A course from its YAML; ContentError naming what is wrong and where."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ContentError(f"{file}{f' 第{mark.line + 1}行' if mark else ''}：格式有误") from None
    if not isinstance(data, dict):
        raise ContentError(f"{file}：应当以 title、summary、units 开头")
    unknown = sorted(set(map(str, data)) - COURSE_FIELDS)
    if unknown:
        raise ContentError(f"{file}：不认识的字段 {'、'.join(unknown)}")
    if not str(data.get("title") or "").strip():
        raise ContentError(f"{file}：缺少 title")
    order = data.get("order", 0)
    if not isinstance(order, int) or isinstance(order, bool):
        raise ContentError(f"{file}：order 应当是整数")
    pass_mark = data.get("pass_mark", DEFAULT_PASS_MARK)
    if not isinstance(pass_mark, int) or isinstance(pass_mark, bool) or not 0 <= pass_mark <= 100:
        raise ContentError(f"{file}：pass_mark 应当是 0 到 100 的整数（答对题目的百分比）")
    kind = data.get("kind", DEFAULT_KIND)
    if not isinstance(kind, str) or kind not in COURSE_KINDS:
        raise ContentError(f"{file}：kind 只能是 theory（理论课，默认）或 practical（实训课），这里是「{kind}」")
    units = data.get("units")
    if not isinstance(units, list) or not units:
        raise ContentError(f"{file}：units 应当是至少一个单元的列表")
    parsed = []
    for number, unit in enumerate(units, 1):
        if not isinstance(unit, dict) or set(map(str, unit)) - UNIT_FIELDS:
            raise ContentError(f"{file}：第 {number} 个单元应当只有 title、items 和 skills")
        items = unit.get("items")
        if not str(unit.get("title") or "").strip() or not isinstance(items, list) or not items:
            raise ContentError(f"{file}：第 {number} 个单元要有 title 和至少一篇 items")
        if not all(isinstance(item, str) and item.strip() for item in items):
            raise ContentError(f"{file}：第 {number} 个单元的 items 应当是文章路径，一行一篇")
        skills = parse_skills(unit.get("skills"), kind, f"{file}：第 {number} 个单元")
        parsed.append(Unit(str(unit["title"]).strip(), tuple(parse_item(item) for item in items), skills))
    return Course(
        course_id,
        str(data["title"]).strip(),
        str(data.get("summary") or "").strip(),
        tuple(parsed),
        file,
        order,
        pass_mark,
        kind,
    )


def parse_skills(skills, kind: str, where: str) -> tuple[str, ...]:
    """A unit's skills list: only a practical course has one, each skill one non-empty line of at most 80
    characters; ContentError naming ``where`` (the file and unit) otherwise."""
    if skills is None:
        return ()
    if kind != "practical":
        raise ContentError(f"{where}：只有实训课（kind: practical）的单元才有 skills")
    if not isinstance(skills, list):
        raise ContentError(f"{where}：skills 应当是技能的列表，一行一项")
    cleaned = []
    for number, skill in enumerate(skills, 1):
        if not isinstance(skill, str | int | float) or isinstance(skill, bool) or not str(skill).strip():
            raise ContentError(f"{where}：第 {number} 项技能是空的")
        text = str(skill).strip()
        if "\n" in text or len(text) > SKILL_MAX_CHARS:
            raise ContentError(f"{where}：第 {number} 项技能应当是一行、最多 {SKILL_MAX_CHARS} 个字")
        cleaned.append(text)
    return tuple(cleaned)


def parse_item(text: str) -> CourseItem:
    """An item as written in a course file: a document's path, or path#heading for one section."""
    source, _, heading = text.strip().partition("#")
    return CourseItem(source.strip(), heading.strip())


def load_courses(roots: Iterable[Path]) -> tuple[list[Course], list[str]]:
    """Every course under the roots' _courses/ folders, in course order, and the problems of those that failed."""
    courses, problems, seen = [], [], set()
    for root in roots:
        for path in sorted((Path(root) / COURSES_FOLDER).glob("*.yaml")):
            try:
                text = decode(path.read_bytes())
            except (OSError, ContentError) as exc:
                problems.append(f"{path}：无法读取（{getattr(exc, 'strerror', None) or exc}）")
                continue
            try:
                course = parse_course(text, path.stem, str(path))
            except ContentError as exc:
                problems.append(str(exc))
                continue
            if course.id in seen:
                problems.append(f"{path}：课程 {course.id} 已在前面的内容目录里定义过")
                continue
            seen.add(course.id)
            courses.append(course)
    return sorted(courses, key=lambda c: (c.order, c.id)), problems


def resolve(
    course: Course, documents: Mapping[str, Document], questions: Iterable[Question] = ()
) -> tuple[list[ResolvedUnit], list[str]]:
    """The course's units with their documents' passages and their quizzes; problems for items not found."""
    by_source: dict[str, list[Question]] = {}
    for question in questions:
        by_source.setdefault(question.source, []).append(question)
    units, problems = [], []
    for unit in course.units:
        resolved = ResolvedUnit(unit.title)
        for item in unit.items:
            doc = documents.get(item.source)
            if doc is None:
                problems.append(f"{course.file}：找不到文章 {item.source}")
                continue
            passages = [
                p
                for p in doc.passages
                if not item.heading or item.heading in p.headings or (p.kind == "heading" and p.text == item.heading)
            ]
            if not passages:
                problems.append(f"{course.file}：{item.source} 里没有小标题「{item.heading}」")
                continue
            resolved.parts.append(Part(item, doc, passages))
        asked = set()
        for part in resolved.parts:  # a section's quiz asks only what that section says
            for question in by_source.get(part.doc.source, []):
                if question.id not in asked and (
                    not part.item.heading or any(question.quote in p.text for p in part.passages)
                ):
                    asked.add(question.id)
                    resolved.questions.append(question)
        units.append(resolved)
    return units, problems
