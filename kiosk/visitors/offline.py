"""The service worker for phones, served from the site root so it may control every page (scope "/")."""

from __future__ import annotations

from flask import Blueprint, send_from_directory

from ..settings import STATIC_FOLDER

bp = Blueprint("offline", __name__)


@bp.get("/sw.js")
def service_worker():
    """static/sw.js at the root; never cached by the browser, so a new version is picked up on the next visit."""
    response = send_from_directory(STATIC_FOLDER, "sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/"
    response.cache_control.no_cache = True
    return response
