"""The content editor under /editor/: sign-in, write or upload texts, hear them, publish, history, pronunciations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Blueprint, Flask, current_app

from .csrf import csrf_token
from .publish import VectorFollower
from .secret import load_secret_key

if TYPE_CHECKING:  # the importer module needs the blueprint defined below
    from .bulk_import import Importer

bp = Blueprint("editor", __name__, url_prefix="/editor")
EDITOR_COOKIE = "kiosk_editor"


@dataclass(frozen=True)
class EditorParts:
    """The editor's long-lived parts, made once with the app and handed to the code that uses them."""

    vectors: VectorFollower
    importer: Importer


def init_app(app: Flask) -> None:
    """Register the editor: secret key from the data dir, session cookie settings, the blueprint."""
    from . import api, auth, bulk_import, course_pages, guard, hubs, pages, stats  # noqa: F401  (attach the routes)

    services = app.extensions["kiosk"]
    app.secret_key = load_secret_key(services.data.root)
    # Flask's config already holds its own defaults (a cookie named "session", no SameSite), so these are set, not
    # defaulted: the editor's cookie has a name of its own and is never sent along with another site's form post.
    app.config.update(SESSION_COOKIE_NAME=EDITOR_COOKIE, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_HTTPONLY=True)
    vectors = VectorFollower(services.data)
    app.extensions["editor"] = EditorParts(vectors, bulk_import.Importer(services, vectors))
    if "editor" not in app.blueprints:
        app.register_blueprint(bp)


@bp.app_template_global()
def editor_csrf_token() -> str:
    """For the hidden field of every editor form."""
    return csrf_token()


def parts() -> EditorParts:
    return current_app.extensions["editor"]
