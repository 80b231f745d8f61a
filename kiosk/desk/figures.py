"""The desk's figures for the centre's wall (大屏): this month's requests by level and by 乡镇/街道, counted from the
centre's desk.db (its own requests and those the hubs sent). Counts, categories and place names only: no names,
phones or descriptions ever leave this module."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter

from .database import DeskDB, Request
from .states import LEVEL_NAMES, LEVELS, OPEN

TOP_CATEGORIES = 3
TOWNS = 4  # rows that fit the wall; the rest are left out (the month's export has them all)
SATISFIED = ("满意", "基本满意")
DAY = 86400


def desk_figures(db: DeskDB, now: float) -> dict:
    """This month's figures: a row per level and per 乡镇/街道, the top categories and the month's totals."""
    moment = dt.datetime.fromtimestamp(now)
    since = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()
    found = db.all(since=since)
    towns = Counter(request.town for request in found if request.town)
    return {
        "month": f"{moment.month}月",
        "total": _row(found, now),
        "levels": [{"level": level, "name": LEVEL_NAMES[level], **_row(_at(found, level), now)} for level in LEVELS],
        "towns": [
            {"town": town, **_row([r for r in found if r.town == town], now)} for town, _ in towns.most_common(TOWNS)
        ],
        "categories": [
            {"category": category, "count": count}
            for category, count in Counter(r.category for r in found).most_common(TOP_CATEGORIES)
        ],
    }


def _at(found: list[Request], level: str) -> list[Request]:
    return [request for request in found if request.level == level]


def _row(found: list[Request], now: float) -> dict:
    """registered, answered, overdue, the median days to an answer and the share rated 满意 or 基本满意 (%)."""
    answered = [request for request in found if request.answered is not None]
    rated = [request for request in found if request.rating]
    days = [(request.answered - request.created) / DAY for request in answered if request.answered is not None]
    return {
        "registered": len(found),
        "answered": len(answered),
        "overdue": sum(r.status in OPEN and r.due is not None and r.due < now for r in found),
        "median_days": round(statistics.median(days), 1) if days else None,
        "satisfied": round(100 * sum(r.rating in SATISFIED for r in rated) / len(rated)) if rated else None,
    }
