"""Quarters as the scorecards name them (2026Q4): the quarter of a moment at the hub's local time, and its span."""

from __future__ import annotations

import datetime as dt
import re

QUARTER = re.compile(r"^(20\d\d)Q([1-4])$")


def quarter_of(timestamp: float) -> str:
    """The quarter a moment falls in, as 2026Q4."""
    moment = dt.datetime.fromtimestamp(timestamp)
    return f"{moment.year}Q{(moment.month - 1) // 3 + 1}"


def span(quarter: str) -> tuple[float, float]:
    """The first moment of a quarter and of the next; ValueError naming the format for another text."""
    found = QUARTER.match(quarter)
    if not found:
        raise ValueError(f"季度「{quarter[:20]}」的格式不对，应当像 2026Q4")
    year, number = int(found.group(1)), int(found.group(2))
    start = dt.datetime(year, 3 * number - 2, 1)
    following = dt.datetime(year + (number == 4), 1 if number == 4 else 3 * number + 1, 1)
    return start.timestamp(), following.timestamp()


def previous(quarter: str, count: int) -> list[str]:
    """``quarter`` and the ``count - 1`` before it, newest first (for the scorecard's history)."""
    found = QUARTER.match(quarter)
    assert found, quarter
    year, number = int(found.group(1)), int(found.group(2))
    quarters = []
    for _ in range(count):
        quarters.append(f"{year}Q{number}")
        year, number = (year - 1, 4) if number == 1 else (year, number - 1)
    return quarters


def spoken(quarter: str) -> str:
    """2026Q4 as people say it: 2026年第四季度."""
    return f"{quarter[:4]}年第{'一二三四'[int(quarter[-1]) - 1]}季度"
