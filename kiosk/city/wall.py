"""What the wall shows, from the centre's file of reports: city totals, each hub's today and last 14 days, the most
heard texts, the searches that found nothing and the courses completed per 乡镇/街道 and 社区."""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections import defaultdict
from pathlib import Path

from ..visitors.usage import today
from .database import CityDB
from .report import hub_report, period_days
from .validate import checked

WALL_DAYS = 14
HUB_ROWS = 5  # what fits the wall at a size read from three metres; more hubs share the last row
LISTED = 4
OWN_REPORT_SECONDS = 60
WEEKDAYS = "一二三四五六日"
GONE_TITLE = "（已删除的文章）"


class OwnReport:
    """The centre's own counts, filed like any hub's report, at most once a minute (whenever the wall asks)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._filed = -math.inf

    def refresh(self, data_root: Path, hub: str) -> None:
        with self._lock:
            if time.monotonic() - self._filed < OWN_REPORT_SECONDS:
                return
            report = checked(hub_report(data_root, hub, WALL_DAYS))
            with CityDB(data_root) as db:
                db.file(report)
            self._filed = time.monotonic()


def wall_data(db: CityDB, centre: str, titles: dict[str, str], courses: dict[str, str]) -> dict:
    """The wall's numbers as /api/city/wall returns them; ``titles`` and ``courses`` are the centre's own names for
    document and course ids, used before a hub's."""
    day, period = today(), period_days(WALL_DAYS)
    since = period[0]
    plays: defaultdict[str, dict[str, int]] = defaultdict(dict)  # hub → day → plays
    for row in db.daily_plays(since, centre):
        plays[row["hub"]][row["day"]] = row["plays"]
    hubs = [
        {
            "name": row["hub"],
            "centre": row["hub"] == centre,
            "reported": _when(row["reported"], day),
            "today": {
                "plays": row["plays_today"],
                "minutes": round(row["minutes_today"]),
                "searches": row["searches_today"],
            },
            "period": {"plays": row["plays"], "minutes": round(row["minutes"]), "searches": row["searches"]},
            "daily": [plays[row["hub"]].get(d, 0) for d in period],
        }
        for row in db.hubs(since, day, centre)
    ]
    totals = {
        part: {key: sum(hub[part][key] for hub in hubs) for key in ("plays", "minutes", "searches")}
        for part in ("today", "period")
    }
    totals["period"]["completed"] = db.completed(since, centre)
    now = dt.datetime.now()
    return {
        "now": now.strftime("%H:%M"),
        "date": f"{now.month}月{now.day}日 星期{WEEKDAYS[now.weekday()]}",
        "totals": totals,
        "hubs": _fold(hubs),
        "texts": [
            {
                "title": titles.get(row["doc"]) or row["title"] or GONE_TITLE,
                "plays": row["plays"],
                "minutes": round(row["minutes"]),
            }
            for row in db.texts(since, centre, LISTED)
        ],
        "questions": [{"query": row["query"], "times": row["times"]} for row in db.questions(since, centre, LISTED)],
        "completions": [
            {**dict(row), "course": courses.get(row["course"], row["course"])}
            for row in db.completions(since, centre, LISTED - 1)
        ],
    }


def _when(reported: float, day: str) -> str:
    """The day a hub last reported when that was not today (its numbers may be behind), else ""."""
    at = dt.datetime.fromtimestamp(reported)
    return "" if at.date().isoformat() == day else f"{at.month}月{at.day}日"


def _fold(hubs: list[dict]) -> list[dict]:
    """The hubs as rows of the wall: past HUB_ROWS, the least listened share one row 「其余 N 个站点」."""
    if len(hubs) <= HUB_ROWS:
        return hubs
    shown, rest = hubs[: HUB_ROWS - 1], hubs[HUB_ROWS - 1 :]
    folded = {part: {key: sum(hub[part][key] for hub in rest) for key in rest[0][part]} for part in ("today", "period")}
    return [
        *shown,
        {
            "name": f"其余 {len(rest)} 个站点",
            "centre": False,
            "reported": "",
            **folded,
            "daily": [sum(values) for values in zip(*(hub["daily"] for hub in rest), strict=True)],
        },
    ]
