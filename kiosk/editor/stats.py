"""What to write next: the kiosk's anonymous counts as charts, tables and CSV files for the editors."""

from __future__ import annotations

from flask import abort, render_template, request

from ..visitors.shelves import shelf_names
from ..visitors.usage import Usage, days_back, today
from ..web import services
from . import bp
from .downloads import download, excel_csv

PERIODS = {7: "最近 7 天", 30: "最近 30 天", 90: "最近 90 天", 365: "最近一年"}
CSV_TABLES = {
    "searches": ("搜索", ["日期", "书架", "搜索词", "结果数", "次数"]),
    "listens": ("收听", ["日期", "书架", "文章", "标题", "播放次数", "收听分钟", "听完次数"]),
    "stops": ("停止位置", ["日期", "文章", "标题", "段落", "位置（十分之几）", "次数"]),
}


def _period() -> int:
    days = request.args.get("days", 30, type=int)
    return days if days in PERIODS else 30


@bp.get("/stats")
def stats():
    """Searches that found nothing, most-listened texts and where listeners stop, by day and by shelf."""
    days, shelf = _period(), request.args.get("shelf", "")
    since = days_back(days)
    store = services().store()
    try:
        catalog = {entry.id: entry for entry in store.catalog()}
    finally:
        store.close()
    with Usage(services().data.root) as usage:
        searches, unanswered_total = usage.search_totals(since)
        unanswered = usage.unanswered(since, shelf)
        popular = usage.most_listened(since, shelf, limit=15)
        daily = usage.by_day(since, shelf)
        shelves = usage.by_shelf(since)
        chosen = request.args.get("doc") or (popular[0]["doc"] if popular else "")
        tenths = usage.stop_tenths(chosen, since) if chosen else [0] * 10
        stop_passages = usage.stop_passages(chosen, since) if chosen else []
    places = _passage_names(chosen) if chosen else {}

    def title(doc_id: str) -> str:
        return catalog[doc_id].title if doc_id in catalog else f"（已删除：{doc_id}）"

    chart_data = {
        "daily": {
            "labels": [row["day"][5:] for row in daily],
            "plays": [row["plays"] for row in daily],
            "minutes": [round(row["minutes"], 1) for row in daily],
        },
        "shelves": {
            "labels": [row["collection"] or "（未分类）" for row in shelves],
            "plays": [row["plays"] for row in shelves],
        },
        "stops": {"labels": [f"{n * 10}–{n * 10 + 10}%" for n in range(10)], "counts": tenths},
    }
    return render_template(
        "editor/stats.html",
        days=days,
        periods=PERIODS,
        shelf=shelf,
        shelves=shelf_names(e.collection for e in catalog.values()),
        searches=searches,
        unanswered_total=unanswered_total,
        unanswered=unanswered,
        popular=popular,
        title=title,
        chart_data=chart_data,
        plays=sum(row["plays"] for row in daily),
        minutes=sum(row["minutes"] for row in daily),
        chosen=chosen,
        chosen_title=title(chosen) if chosen else "",
        stop_passages=stop_passages,
        places=places,
        tenths=tenths,
    )


def _passage_names(doc_id: str) -> dict[str, str]:
    """A short name for each passage of a document: its section, then its article or first words."""
    doc = services().document(doc_id)
    if doc is None:
        return {}
    return {p.id: " · ".join([*p.headings[-1:], p.article or _first_words(p.text)]) for p in doc.passages}


def _first_words(text: str, chars: int = 24) -> str:
    return text if len(text) <= chars else text[:chars] + "…"


@bp.get("/stats/<table>.csv")
def stats_csv(table: str):
    """One table's daily rows for the period, as CSV that Excel opens with the Chinese intact."""
    if table not in CSV_TABLES:
        abort(404)
    name, header = CSV_TABLES[table]
    days = _period()
    store = services().store()
    try:
        titles = {entry.id: entry.title for entry in store.catalog()}
    finally:
        store.close()
    rows = []
    with Usage(services().data.root) as usage:
        for row in usage.rows(table, days_back(days)):
            row = list(row)
            if table == "listens":
                row.insert(3, titles.get(row[2], ""))
            elif table == "stops":
                row.insert(2, titles.get(row[1], ""))
            rows.append(row)
    return download(excel_csv(header, rows), "text/csv", f"随听随学-{name}-{days_back(days)}至{today()}.csv")
