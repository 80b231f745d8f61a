"""The centre serves its library from the kiosk's own web server: the signed manifest and files by hash."""

from __future__ import annotations

import threading

from flask import Blueprint, Response, abort, current_app, request, send_file

from ..web import error_response, services
from .manifest import SHA256, digest
from .snapshot import Publisher

bp = Blueprint("library", __name__)
_lock = threading.Lock()


def publisher() -> Publisher:
    """One per app, made on first use: a kiosk that never serves its library never builds a snapshot."""
    with _lock:
        found = current_app.extensions.get("library")
        if found is None:
            kiosk = services()
            found = Publisher(kiosk.data, kiosk.settings.roots, lambda: kiosk.speech.settings)
            current_app.extensions["library"] = found
        return found


@bp.get("/library/manifest")
def manifest():
    """The signed manifest (JSON: manifest as a string, and its Ed25519 signature)."""
    published = publisher().current()
    if published is None:
        return error_response(404, "这台不是中心站点：没有文库密钥（在中心运行 kiosk library-key 生成）")
    response = Response(published.envelope, mimetype="application/json")
    response.cache_control.no_store = True
    return response


@bp.get("/library/objects/<sha>")
def library_object(sha: str):
    """A file the manifest names, Range requests answered (a hub resumes an interrupted download)."""
    published = publisher().current() if SHA256.match(sha) else None
    path = published.objects.get(sha) if published else None
    if path is None or not path.is_file():
        abort(404)
    if path.stat().st_size < 1024 * 1024 and digest(path.read_bytes()) != sha:
        abort(404)  # a text edited since this snapshot: the hub asks for the new manifest
    response = send_file(path, mimetype="application/octet-stream", conditional=True, etag=sha, max_age=0)
    if request.method == "GET":
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
