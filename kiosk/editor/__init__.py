"""The content editor under /editor/: sign-in, write or upload texts, hear them, publish, history, pronunciations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Blueprint, Flask, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from indexer.errors import KioskError

from .csrf import csrf_token
from .publish import VectorFollower
from .secret import load_secret_key

if TYPE_CHECKING:  # the importer module needs the blueprint defined below
    from .bulk_import import Importer

bp = Blueprint("editor", __name__, url_prefix="/editor")


@dataclass(frozen=True)
class EditorParts:
    """The editor's long-lived parts, made once with the app and handed to the code that uses them."""

    vectors: VectorFollower
    importer: Importer


API_PREFIX = "/editor/api/"
MESSAGES = {400: "请求有误。", 401: "请先登录。", 403: "您的账号没有这个权限。", 404: "没有找到这篇文章或这个页面。",
            405: "不支持这种请求方式。", 413: "上传的文件太大了，最大 10 MB。"}


def init_app(app: Flask) -> None:
    """Register the editor: secret key from the data dir, session cookie settings, the blueprint."""
    from ..training import trainer  # noqa: F401  (attach the trainer's routes)
    from . import api, auth, bulk_import, course_pages, pages, stats  # noqa: F401  (attach the routes)

    services = app.extensions["kiosk"]
    app.secret_key = load_secret_key(services.data.root)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("SESSION_COOKIE_NAME", "kiosk_editor")
    vectors = VectorFollower(services.data)
    app.extensions["editor"] = EditorParts(vectors, bulk_import.Importer(services, vectors))
    if "editor" not in app.blueprints:
        app.register_blueprint(bp)


@bp.app_template_global()
def editor_csrf_token() -> str:
    """For the hidden field of every editor form."""
    return csrf_token()


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    """The API's one JSON error shape under /editor/api/, an editor page elsewhere."""
    code = exc.code or 500
    message = exc.description if exc.description and not exc.description.isascii() else MESSAGES.get(code, "出错了")
    return error_response(code, message)


@bp.errorhandler(KioskError)
def kiosk_error(exc: KioskError):
    return error_response(503, str(exc))


@bp.errorhandler(Exception)
def unexpected(exc: Exception):
    current_app.logger.exception("unexpected error in the editor")
    return error_response(500, "服务器出了点问题，您的修改可能没有保存。请稍后再试。")


def error_response(status: int, message: str):
    if request.path.startswith(API_PREFIX):
        return jsonify(ok=False, error=message, status=status), status
    return render_template("editor/error.html", status=status, message=message), status


def services():
    return current_app.extensions["kiosk"]


def parts() -> EditorParts:
    return current_app.extensions["editor"]
