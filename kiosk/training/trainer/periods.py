"""The period a trainer's page covers: this week, last week, this month, last month, chosen dates, or all time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from ..learner.reports import day_bounds

PERIODS = {
    "this_week": "本周",
    "last_week": "上周",
    "this_month": "本月",
    "last_month": "上月",
    "range": "自选日期",
    "all": "全部",
}
DEFAULT = "this_week"


@dataclass(frozen=True)
class Period:
    """Whole local days from ``first`` to ``last``; either end may be open (None)."""

    key: str
    first: dt.date | None
    last: dt.date | None

    @property
    def label(self) -> str:
        return PERIODS[self.key]

    @property
    def span(self) -> str:
        """The days in words, e.g. 2027-01-11 至 2027-01-17; also the date part of export file names."""
        if self.first and self.last:
            return f"{self.first.isoformat()}至{self.last.isoformat()}"
        if self.first:
            return f"{self.first.isoformat()}起"
        if self.last:
            return f"截至{self.last.isoformat()}"
        return "全部时间"

    @property
    def bounds(self) -> tuple[float, float]:
        """[since, until) on the hub's clock, as the report queries take it."""
        return day_bounds(self.first, self.last)

    def args(self) -> dict[str, str]:
        """The query arguments that choose this period again (for links and export buttons)."""
        args = {"period": self.key}
        if self.key == "range":
            args.update(
                {"from": self.first.isoformat() if self.first else "", "to": self.last.isoformat() if self.last else ""}
            )
        return args


def period_from(args: Mapping[str, str], today: dt.date) -> Period:
    """The period a request asks for (?period=…, with ?from=&to= for chosen dates); this week when it names none.
    Weeks start on Monday."""
    key = args.get("period") or DEFAULT
    if key not in PERIODS:
        key = DEFAULT
    monday = today - dt.timedelta(days=today.weekday())
    month = today.replace(day=1)
    if key == "this_week":
        return Period(key, monday, monday + dt.timedelta(days=6))
    if key == "last_week":
        return Period(key, monday - dt.timedelta(days=7), monday - dt.timedelta(days=1))
    if key == "this_month":
        return Period(key, month, _month_end(month))
    if key == "last_month":
        previous = (month - dt.timedelta(days=1)).replace(day=1)
        return Period(key, previous, _month_end(previous))
    if key == "range":
        first, last = _date(args.get("from")), _date(args.get("to"))
        if first and last and first > last:
            first, last = last, first
        return Period(key, first, last)
    return Period("all", None, None)


def _month_end(first: dt.date) -> dt.date:
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return following - dt.timedelta(days=1)


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError:
        return None
