"""Deadlines in working days, Monday to Friday at the hub's local time. Public holidays and the weekends worked in
their place (调休) are not known: a deadline that falls in the Spring Festival week still counts those days."""

from __future__ import annotations

import datetime as dt

from .states import HANDLED, LEVELS, WAITING


def add_working_days(start: float, days: int) -> float:
    """The time ``days`` working days after ``start``, at the same time of day (a request registered on Friday at
    10:00 with two days to go is due on Tuesday at 10:00; one registered on Saturday too)."""
    moment = dt.datetime.fromtimestamp(start)
    counted = 0
    while counted < days:
        moment += dt.timedelta(days=1)
        if moment.weekday() < 5:
            counted += 1
    return moment.timestamp()


def due(status: str, level: str, arrived: float, accept_days: tuple[int, ...], answer_days: tuple[int, ...]):
    """When the level that holds the request must have accepted it (while it waits) or answered it (while it is
    handled), counted from when it reached that level; None once answered."""
    days = accept_days if status in WAITING else answer_days if status in HANDLED else None
    if days is None:
        return None
    return add_working_days(arrived, days[LEVELS.index(level)])


def parse_moment(text: str) -> float:
    """An ISO date-time (local time unless it names its offset) as a timestamp; ValueError naming the format."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"时间「{text}」的格式不对，应当像 2026-12-07T09:00") from None
    return moment.timestamp()
