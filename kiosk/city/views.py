"""The centre's routes: hubs POST their reports, the wall page and the JSON it refreshes from.

A report is a hub's signed message (kiosk/hubs/messages.py): only an enrolled hub sends one, only under its own
name, and each is taken once. What even an enrolled hub can do is bounded: a body of at most 2 MB checked field by
field against counts far above any hub's, a few reports a minute per address, and only the days it names.
"""

from __future__ import annotations

import time
from dataclasses import replace

from flask import Blueprint, abort, current_app, jsonify, render_template

from indexer.content.courses import load_courses

from ..desk.database import DeskDB
from ..desk.figures import desk_figures
from ..hubs.messages import signed_json
from ..hubs.names import normal_form
from ..web import Limit, hold_back, services, settings
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
    """An enrolled hub's counts as hub_report() makes them, signed by that hub; they replace what it sent before for
    the same days (so a period sent again never counts twice)."""
    hold_back(REPORT_LIMIT, "报告得太频繁了")
    message, body = signed_json(REPORT_MAX_BYTES)
    try:
        found = checked(body)
    except ReportError as exc:
        abort(400, description=f"报告的格式不对：{exc}")
    if normal_form(found.hub) != message.hub:
        abort(403, description=f"报告里的站点「{found.hub}」不是签名的站点「{message.hub}」：站点只能报自己的数字。")
    found = replace(found, hub=message.hub)
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
        found = wall_data(db, settings().hub_name, titles, courses)
    with DeskDB(root) as desk:
        found["desk"] = desk_figures(desk, time.time())
    return found
