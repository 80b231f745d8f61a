"""The centre's routes: hubs POST their reports, the wall page and the JSON it refreshes from.

Reports are not authenticated: any machine on the hub's network may send one, as it may use the kiosk. What it can
do is bounded: a body of at most 2 MB checked field by field, a few reports a minute per address, and only the days
it names under the name it gives (never the centre's own).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, render_template

from indexer.content.courses import load_courses

from ..web import Limit, json_body, retry_after, services, settings
from .database import CityDB
from .validate import ReportError, checked
from .wall import OwnReport, wall_data

bp = Blueprint("city", __name__)
REPORT_MAX_BYTES = 2 * 1024 * 1024
REPORT_LIMIT = Limit("city-report", burst=6, per_minute=2)  # a hub syncs now and then, not in a loop
REFRESH_SECONDS = 60


@bp.record_once
def _setup(state) -> None:
    state.app.extensions.setdefault("city", OwnReport())


@bp.post("/api/city/report")
def report():
    """A hub's counts as hub_report() makes them; they replace what it sent before for the same days."""
    wait = retry_after(REPORT_LIMIT)
    if wait:
        abort(429, description=f"报告得太频繁了，请 {wait} 秒后再试。", retry_after=wait)
    try:
        found = checked(json_body(REPORT_MAX_BYTES))
    except ReportError as exc:
        abort(400, description=f"报告的格式不对：{exc}")
    if found.hub == settings().hub_name:
        abort(409, description=f"「{found.hub}」是中心自己的名称：请在这个站点设置 KIOSK_HUB_NAME，给它起自己的名字。")
    with CityDB(services().data.root) as db:
        db.file(found)
    return jsonify(ok=True, hub=found.hub, days=len(found.days))


@bp.get("/api/city/wall")
def wall_numbers():
    """Everything the wall shows, for its minutely refresh."""
    response = jsonify(ok=True, **_wall())
    response.cache_control.no_store = True
    return response


@bp.get("/wall")
def wall():
    """The 大屏 for the service hall: full screen, no touch needed, refreshing itself."""
    refresh = current_app.config.get("WALL_REFRESH_SECONDS", REFRESH_SECONDS)
    return render_template("city/wall.html", data={"ok": True, **_wall()}, refresh=refresh)


def _wall() -> dict:
    root = services().data.root
    current_app.extensions["city"].refresh(root, settings().hub_name)
    with services().store() as store:
        titles = {entry.id: entry.title for entry in store.catalog()}
    courses = {course.id: course.title for course in load_courses(list(settings().content))[0]}
    with CityDB(root) as db:
        return wall_data(db, settings().hub_name, titles, courses)
