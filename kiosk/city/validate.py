"""The centre side's check of a hub's report: every field's type, range and length, the number of rows, and each
row's day among the days the report covers; what passes is ready to file as it is."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..hubs.names import HUB_CHARS
from ..training.learner.learners import FIELD_CHARS
from ..visitors.usage import KEEP_DAYS, MAX_QUERY_CHARS, clean_query, days_back
from ..web.requests import is_text
from .report import FORMAT, MAX_COMPLETIONS, MAX_DAYS, PER_DAY, TITLE_CHARS

ID_CHARS = 64  # document ids (12 hex digits today) and course ids (a course file's name)
# The most one hub may report for one day. A busy hub sees some hundreds of plays and searches a day and a few
# thousand minutes of listening; a course is completed by at most a class of learners of one 社区 a day. The bounds
# are a hundred times that and more, so no real day reaches them, while a made-up 999999 is refused.
MAX_PLAYS = 50_000  # plays of all texts, or of one text
MAX_MINUTES = 100_000  # minutes listened in all, or to one text: some seventy days of listening in one day
MAX_SEARCHES = 50_000  # searches, unanswered ones, or times one search was asked
MAX_LEARNERS = 1_000  # learners of one 乡镇/街道 and 社区 completing one course
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class ReportError(ValueError):
    """A report the centre cannot file; the message names the field and what it should be."""


@dataclass(frozen=True)
class Field:
    """One field of a row: its check, and what it should be in words."""

    check: Callable[[object], bool]
    should_be: str


def _count(most: int) -> Field:
    """A whole number from 0 to ``most`` (not a bool, not 1.5)."""
    return Field(lambda value: type(value) is int and 0 <= value <= most, f"0 到 {most} 的整数")


def _amount(most: int) -> Field:
    """A finite number from 0 to ``most``."""
    return Field(
        lambda value: (type(value) is int or type(value) is float) and math.isfinite(value) and 0 <= value <= most,
        f"0 到 {most} 的数",
    )


def _date(value: object) -> bool:
    if not isinstance(value, str) or not DAY.fullmatch(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:  # 2026-02-30
        return False
    return True


def _text(limit: int, empty: bool = False) -> Field:
    return Field(lambda value: is_text(value, limit) and (empty or value.strip() != ""), f"不超过 {limit} 个字的文字")


PLAYS, MINUTES, SEARCHES = _count(MAX_PLAYS), _amount(MAX_MINUTES), _count(MAX_SEARCHES)
DATE = Field(_date, "YYYY-MM-DD 形式的日期")
# Each table: its most rows, its fields in column order, and the fields that make a row's key.
TABLES = {
    "days": (
        MAX_DAYS,
        {"day": DATE, "plays": PLAYS, "minutes": MINUTES, "searches": SEARCHES, "unanswered": SEARCHES},
        ("day",),
    ),
    "texts": (
        MAX_DAYS * PER_DAY,
        {
            "day": DATE,
            "doc": _text(ID_CHARS),
            "title": _text(TITLE_CHARS, empty=True),
            "plays": PLAYS,
            "minutes": MINUTES,
        },
        ("day", "doc"),
    ),
    "questions": (
        MAX_DAYS * PER_DAY,
        {"day": DATE, "query": _text(MAX_QUERY_CHARS), "times": SEARCHES},
        ("day", "query"),
    ),
    "completions": (
        MAX_COMPLETIONS,
        {
            "day": DATE,
            "town": _text(FIELD_CHARS["town"]),
            "community": _text(FIELD_CHARS["community"]),
            "course": _text(ID_CHARS),
            "learners": _count(MAX_LEARNERS),
        },
        ("day", "town", "community", "course"),
    ),
}


@dataclass(frozen=True)
class Report:
    """A checked report: the hub's name and each table's rows as tuples in TABLES' column order."""

    hub: str
    rows: dict[str, list[tuple]]

    @property
    def days(self) -> list[str]:
        return [row[0] for row in self.rows["days"]]


def checked(body: dict) -> Report:
    """The report in ``body`` (as hub_report makes it), or ReportError saying what is wrong."""
    if type(body.get("format")) is not int or body["format"] != FORMAT:  # not true, not 1.0
        raise ReportError(f"不认识这种报告格式（format 应当是 {FORMAT}）：请把这个站点升级到与中心相同的版本。")
    if set(body) != {"format", "hub", *TABLES}:
        raise ReportError(f"报告应当正好有这些项：format、hub、{'、'.join(TABLES)}。")
    hub = body["hub"]
    if not is_text(hub, HUB_CHARS) or not hub or hub != hub.strip() or not hub.isprintable():
        raise ReportError(f"hub 应当是站点的名称：一行不超过 {HUB_CHARS} 个字的文字。")
    rows = {name: _rows(body, name) for name in TABLES}
    days = [row[0] for row in rows["days"]]
    if not days:
        raise ReportError("days 至少要有一天。")
    oldest, newest = days_back(KEEP_DAYS), (dt.date.today() + dt.timedelta(days=1)).isoformat()
    for day in days:
        if not oldest <= day <= newest:
            raise ReportError(f"日期 {day} 不在最近 {KEEP_DAYS} 天内：请检查这个站点电脑的时钟。")
    for day, _plays, _minutes, searches, unanswered in rows["days"]:
        if unanswered > searches:
            raise ReportError(f"{day} 没找到的搜索（unanswered）比搜索（searches）还多。")
    for name, table in rows.items():
        if any(row[0] not in days for row in table):
            raise ReportError(f"{name} 里有一行的日期不在 days 里。")
    return Report(hub, rows)


def _rows(body: dict, name: str) -> list[tuple]:
    """One table's rows as tuples, each field checked, keys distinct."""
    most, fields, key = TABLES[name]
    table = body[name]
    if not isinstance(table, list) or len(table) > most:
        raise ReportError(f"{name} 应当是最多 {most} 行的列表。")
    rows, keys = [], set()
    for number, row in enumerate(table, 1):
        if not isinstance(row, dict) or set(row) != set(fields):
            raise ReportError(f"{name} 第 {number} 行应当正好有这些项：{'、'.join(fields)}。")
        for field, rule in fields.items():
            if not rule.check(row[field]):
                raise ReportError(f"{name} 第 {number} 行的 {field} 应当是{rule.should_be}。")
        if name == "questions":
            row = {**row, "query": clean_query(row["query"])}  # digit runs masked here too, whatever the hub did
        values = tuple(row[field] for field in fields)
        identity = tuple(row[field] for field in key)
        if identity in keys:
            raise ReportError(f"{name} 第 {number} 行与前面的一行重复了。")
        keys.add(identity)
        rows.append(values)
    return rows
