"""The 形象墙 (/market/wall): the corridor screen's full-screen page that turns through the good work of the
companies in the market, a photo, the company's name, a title and two lines each, refreshing its list itself. It
shows what the centre wrote for the wall and nothing else of a company: never its contacts."""

from __future__ import annotations

from flask import abort, current_app, jsonify, render_template, send_file, url_for

from ..web import services
from .access import market_db
from .photos import PHOTO_ID, path_of
from .public import bp

ROTATE_SECONDS = 12  # long enough to read a title and two lines from three metres
REFRESH_SECONDS = 300
PHOTO_MAX_AGE = 365 * 86400  # a photo's id is new for every upload: its file never changes


@bp.get("/wall")
def wall():
    """Full screen, no touch needed: it turns to the next good work by itself and fetches the list again now and
    then (the tests shorten both through the app's config)."""
    return render_template(
        "market/wall.html",
        data=_wall_data(),
        rotate=current_app.config.get("MARKET_WALL_ROTATE_SECONDS", ROTATE_SECONDS),
        refresh=current_app.config.get("MARKET_WALL_REFRESH_SECONDS", REFRESH_SECONDS),
    )


@bp.get("/wall/data")
def wall_data():
    response = jsonify(_wall_data())
    response.cache_control.no_store = True
    return response


@bp.get("/photos/<photo_id>.jpg")
def photo(photo_id: str):
    """A good work's photo, as photos.py re-encoded it."""
    path = path_of(services().data.root, photo_id) if PHOTO_ID.match(photo_id) else None
    if path is None or not path.is_file():
        abort(404, description="没有这张照片。")
    response = send_file(path, mimetype="image/jpeg", conditional=True, max_age=PHOTO_MAX_AGE)
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


def _wall_data() -> dict:
    """Each good work of the companies in the market, newest first: only the fields the wall shows."""
    with market_db() as db:
        found = db.wall_works()
    return {
        "ok": True,
        "works": [
            {
                "id": work.id,
                "company": name,
                "kind": work.kind,
                "title": work.title,
                "lines": [line for line in (work.line1, work.line2) if line],
                "date": _spoken_date(work.day),
                "photo": url_for("market.photo", photo_id=work.photo),
            }
            for work, name in found
        ],
    }


def _spoken_date(day: str) -> str:
    year, month, date = (int(part) for part in day.split("-"))
    return f"{year}年{month}月{date}日"
