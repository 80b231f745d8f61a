"""A course as the editor's form holds it: its fields, units of picked texts, the buttons that change them, its YAML.

The form is posted whole by every button (add, move up or down, remove), so it works the same without JavaScript;
editor-course.js only saves the page reload."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from indexer.content.courses import (
    COURSE_KINDS,
    COURSES_FOLDER,
    DEFAULT_KIND,
    DEFAULT_PASS_MARK,
    Course,
    Unit,
    parse_item,
)
from indexer.content.loader import is_within
from indexer.errors import ContentError

from .files import PART

COURSE_SUFFIX = ".yaml"
ITEM_OPS = {"up", "down", "remove"}
UNIT_OPS = {"unit-up", "unit-down", "unit-remove"}
OPPOSITE = {"up": "down", "down": "up", "unit-up": "unit-down", "unit-down": "unit-up"}


def course_source(course_id: str) -> str:
    """The name a course file's versions are kept under in the history, beside the texts' paths."""
    return f"{COURSES_FOLDER}/{course_id}{COURSE_SUFFIX}"


def course_id_of(source: str) -> str | None:
    """The course id of a history name made by course_source(), None for a text's path."""
    prefix = f"{COURSES_FOLDER}/"
    if source.startswith(prefix) and source.endswith(COURSE_SUFFIX):
        return source[len(prefix) : -len(COURSE_SUFFIX)]
    return None


def course_path(root: Path, course_id: str) -> Path:
    """The file of a course under root's _courses/; an id that is not one plain file name is refused."""
    root = root.resolve()
    path = root / COURSES_FOLDER / f"{course_id}{COURSE_SUFFIX}"
    if (
        not PART.match(course_id)
        or course_id != course_id.strip()
        or course_id.startswith((".", "_"))
        or not is_within(path, root)
    ):
        raise ContentError(f"课程文件名不可用：「{course_id}」")
    return path


@dataclass
class UnitForm:
    title: str = ""
    items: list[str] = field(default_factory=list)  # as written in the file: path, or path#heading
    skills: list[str] = field(default_factory=list)  # a practical course's checklist, one skill a line in the form


@dataclass
class CourseForm:
    """The course form's fields; ``id`` is empty until a new course is first saved (it is then made from the title)."""

    id: str = ""
    title: str = ""
    summary: str = ""
    order: str = ""
    pass_mark: str = ""  # empty: the default pass mark, and no pass_mark line in the file
    units: list[UnitForm] = field(default_factory=list)
    base: str = ""  # hash of the file as it was opened, to notice someone else's save in between
    query: str = ""  # the library search box
    to: int = 0  # the unit that 加入 adds to
    kind: str = DEFAULT_KIND  # theory or practical; kept, so saving a practical course keeps it practical

    @classmethod
    def from_course(cls, course: Course, base: str) -> CourseForm:
        """The form for a course as the loader read it; 加入 adds to its last unit."""
        units = [UnitForm(unit.title, [item.label for item in unit.items], list(unit.skills)) for unit in course.units]
        return cls(
            course.id,
            course.title,
            course.summary,
            str(course.order) if course.order else "",
            str(course.pass_mark) if course.pass_mark != DEFAULT_PASS_MARK else "",
            units,
            base,
            to=len(units) - 1,
            kind=course.kind,
        )

    @classmethod
    def from_request(cls, values) -> CourseForm:
        """The fields as the form posts them: unit-N-title, its unit-N-item rows in page order and its unit-N-skills
        box, one skill a line."""

        def get(name: str) -> str:
            return str(values.get(name) or "").strip()

        units, number = [], 0
        while f"unit-{number}-title" in values:
            items = [parse_item(item).label for item in values.getlist(f"unit-{number}-item") if item.strip()]
            skills = [line.strip() for line in str(values.get(f"unit-{number}-skills") or "").splitlines()]
            units.append(UnitForm(get(f"unit-{number}-title"), items, [skill for skill in skills if skill]))
            number += 1
        to = values.get("to", type=int, default=len(units) - 1)
        return cls(
            get("id"),
            get("title"),
            get("summary"),
            get("order"),
            get("pass_mark"),
            units,
            get("base"),
            get("q"),
            max(0, min(to, len(units) - 1)),
            get("kind") or DEFAULT_KIND,
        )

    def apply(self, op: str) -> str:
        """Do what a button asks (add:ITEM, up/down/remove:UNIT:ROW, unit-add, unit-up/down/remove:UNIT); returns
        the name of the button or box to focus next, so a keyboard user stays where they were."""
        name, _, argument = op.partition(":")
        if name == "add":
            argument = parse_item(argument).label if argument.strip() else ""
            op = f"add:{argument}"
            if not self.units:
                self.units.append(UnitForm("第一单元"))
            if argument and not self.contains(argument):
                self.units[self.to].items.append(argument)
            return op
        if name == "unit-add":
            self.units.append(UnitForm())
            self.to = len(self.units) - 1
            return f"unit-{self.to}-title"
        numbers = [int(n) for n in argument.split(":") if n.isdecimal()]
        if name in UNIT_OPS and len(numbers) == 1 and numbers[0] < len(self.units):
            return self._unit_op(name, numbers[0])
        if name in ITEM_OPS and len(numbers) == 2 and numbers[0] < len(self.units):
            unit, row = numbers
            if row < len(self.units[unit].items):
                return self._item_op(name, unit, row)
        return ""

    def _unit_op(self, name: str, number: int) -> str:
        if name == "unit-remove":
            del self.units[number]
            self.to = max(0, min(self.to, len(self.units) - 1))
            return f"unit-{min(number, len(self.units) - 1)}-title" if self.units else "unit-add"
        moved = _move(self.units, number, -1 if name == "unit-up" else 1)
        return _focus_after_move(name, f"{moved}", moved, len(self.units))

    def _item_op(self, name: str, unit: int, row: int) -> str:
        items = self.units[unit].items
        if name == "remove":
            del items[row]
            return f"remove:{unit}:{min(row, len(items) - 1)}" if items else f"unit-{unit}-title"
        moved = _move(items, row, -1 if name == "up" else 1)
        return _focus_after_move(name, f"{unit}:{moved}", moved, len(items))

    def contains(self, item: str) -> bool:
        return any(item in unit.items for unit in self.units)

    def course(self, file: str = "") -> Course:
        """The course as the form holds it now, empty units included, for showing what it resolves to."""
        units = tuple(
            Unit(unit.title, tuple(parse_item(item) for item in unit.items), tuple(unit.skills)) for unit in self.units
        )
        order = int(self.order) if self.order.isdecimal() else 0
        pass_mark = int(self.pass_mark) if self.pass_mark.isdecimal() else DEFAULT_PASS_MARK
        kind = self.kind if self.kind in COURSE_KINDS else DEFAULT_KIND
        return Course(self.id, self.title, self.summary, units, file, order, pass_mark, kind)

    def check(self) -> None:
        """What an editor must fill in before the loader is asked; ContentError naming the box or unit."""
        if not self.title:
            raise ContentError("请填写课程名称")
        if self.order and not self.order.isdecimal():
            raise ContentError("排序请填数字，例如 3")
        if self.pass_mark and not (self.pass_mark.isdecimal() and int(self.pass_mark) <= 100):
            raise ContentError("及格线请填 0 到 100 的数字（答对题目的百分比），例如 60")
        if self.kind not in COURSE_KINDS:
            raise ContentError(f"课程类型只能是{'或'.join(COURSE_KINDS.values())}")
        if not self.units:
            raise ContentError("课程里还没有单元：请点「加一个单元」，再从文章库里加文章")
        for number, unit in enumerate(self.units, 1):
            if not unit.title:
                raise ContentError(f"第 {number} 单元还没有名称")
            if not unit.items:
                raise ContentError(f"第 {number} 单元「{unit.title}」里还没有文章：请从文章库里加一篇，或删掉这个单元")
            if unit.skills and self.kind != "practical":
                raise ContentError(
                    f"第 {number} 单元「{unit.title}」写了要签字的技能，只有实训课才有："
                    "请把课程类型改回实训课，或清空技能"
                )

    def yaml_text(self) -> str:
        """The course file, in the fields and order the bundled course files use."""
        data: dict = {"title": self.title}
        if self.summary:
            data["summary"] = self.summary
        if self.order:
            data["order"] = int(self.order)
        if self.pass_mark:
            data["pass_mark"] = int(self.pass_mark)
        if self.kind != DEFAULT_KIND:
            data["kind"] = self.kind
        data["units"] = [
            {"title": unit.title, "items": list(unit.items), **({"skills": list(unit.skills)} if unit.skills else {})}
            for unit in self.units
        ]
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


def _move(rows: list, index: int, step: int) -> int:
    """Swap a row with its neighbour (nothing at either end); returns where it is now."""
    target = index + step
    if 0 <= target < len(rows):
        rows[index], rows[target] = rows[target], rows[index]
        return target
    return index


def _focus_after_move(pressed: str, where: str, index: int, count: int) -> str:
    """The pressed button again at the row's new place; the opposite one once the row reached the end, where the
    pressed one is disabled."""
    at_end = index == 0 if pressed.endswith("up") else index == count - 1
    if not at_end:
        return f"{pressed}:{where}"
    return f"{OPPOSITE[pressed]}:{where}" if count > 1 else ""
