"""The admin's read-only list of the hubs the centre takes reports from (they are enrolled with `kiosk hub enrol`)."""

from __future__ import annotations

from datetime import datetime

from flask import render_template

from ..city.database import CityDB
from ..hubs.enrolment import enrolled
from ..web import services
from . import bp
from .guard import admin_only


@bp.get("/hubs")
@admin_only
def hubs():
    """Enrolled hubs with their public keys and when they were enrolled."""
    with CityDB(services().data.root) as db:
        found = enrolled(db)
    rows = [(hub.name, hub.key, datetime.fromtimestamp(hub.enrolled).strftime("%Y-%m-%d %H:%M")) for hub in found]
    return render_template("editor/hubs.html", hubs=rows)
