"""The hub side: the last days' anonymous counts as one JSON-able report for the centre's wall.

Only what the editors' statistics already keep goes out, and less: daily totals, the most-heard texts by title, the
searches that found nothing (as the statistics page lists them, digit runs already masked), and how many learners of
each 乡镇/街道 and 社区 completed each course. No names, no learners, no answered search words.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from indexer.datadir import DataDir
from indexer.store import Store

from ..training.learner import reports
from ..training.learner.database import LEARNING_DB, LearningDB
from ..visitors.usage import USAGE_DB, Usage, days_back

FORMAT = 1
MAX_DAYS = 31
PER_DAY = 20  # texts and unanswered searches kept per day: the wall shows the city's top few
MAX_COMPLETIONS = 500
TITLE_CHARS = 100


def hub_report(data_root: Path, hub: str, days: int = 14) -> dict:
    """This hub's counts for the last ``days`` days (1 to 31, today included), to POST to /api/city/report.

    ``{"format": 1, "hub": "幸福社区",
       "days": [{"day": "2026-12-01", "plays": 12, "minutes": 30.5, "searches": 9, "unanswered": 2}, …],
       "texts": [{"day", "doc", "title", "plays", "minutes"}, …],
       "questions": [{"day", "query", "times"}, …],
       "completions": [{"day", "town", "community", "course", "learners"}, …]}``

    ``days`` holds every day of the period, quiet ones as zeros: the centre replaces this hub's counts for exactly
    those days, so sending a period again never counts twice. ``texts`` and ``questions`` are each day's top 20 by
    plays and times; ``title`` is "" for a text deleted since; ``course`` is the course's id (its file name). The
    usage and learning databases are only read, and a missing one counts as nothing heard (it is not created).
    """
    period = period_days(min(max(1, int(days)), MAX_DAYS))
    totals = {day: {"day": day, "plays": 0, "minutes": 0.0, "searches": 0, "unanswered": 0} for day in period}
    report: dict[str, Any] = {
        "format": FORMAT,
        "hub": hub,
        "days": list(totals.values()),
        "texts": [],
        "questions": [],
        "completions": _completions(Path(data_root), period),
    }
    if not (Path(data_root) / USAGE_DB).is_file():
        return report
    with Usage(data_root) as usage:
        for row in usage.by_day(period[0]):
            if row["day"] in totals:  # not a day after today, left by a clock that was once ahead
                totals[row["day"]].update(plays=row["plays"], minutes=round(row["minutes"], 1))
        listens = usage.rows("listens", period[0])
        searches = usage.rows("searches", period[0])
    titles = _titles(DataDir(Path(data_root)))
    texts: defaultdict[str, list[dict]] = defaultdict(list)
    for day, _shelf, doc, plays, minutes, _finished in listens:
        texts[day].append(
            {"day": day, "doc": doc, "title": titles.get(doc, "")[:TITLE_CHARS], "plays": plays, "minutes": minutes}
        )
    unanswered: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for day, _shelf, query, hits, times in searches:
        if day not in totals:
            continue
        totals[day]["searches"] += times
        if hits == 0:
            totals[day]["unanswered"] += times
            unanswered[day][query] += times
    for day in period:
        report["texts"] += sorted(texts[day], key=lambda t: (-t["plays"], -t["minutes"]))[:PER_DAY]
        report["questions"] += [
            {"day": day, "query": query, "times": times} for query, times in unanswered[day].most_common(PER_DAY)
        ]
    return report


def period_days(days: int) -> list[str]:
    """The last ``days`` days as ISO dates, today last."""
    first = dt.date.fromisoformat(days_back(days))
    return [(first + dt.timedelta(days=n)).isoformat() for n in range(days)]


def _titles(data: DataDir) -> dict[str, str]:
    """Document id → title on this hub; empty before its first build."""
    if not data.database.is_file():
        return {}
    with Store(data.database) as store:
        return {entry.id: entry.title for entry in store.catalog()}


def _completions(data_root: Path, period: list[str]) -> list[dict]:
    """Learners who completed each course, per day and 乡镇/街道 and 社区: counts only, never who."""
    if not (data_root / LEARNING_DB).is_file():
        return []
    rows = []
    with LearningDB(data_root) as db:
        for day in period:
            date = dt.date.fromisoformat(day)
            counts = reports.completion_counts(db, *reports.day_bounds(date, date))
            rows += [
                {
                    "day": day,
                    "town": row["town"],
                    "community": row["community"],
                    "course": row["course"],
                    "learners": row["learners"],
                }
                for row in counts
            ]
    return sorted(rows, key=lambda row: -row["learners"])[:MAX_COMPLETIONS]
