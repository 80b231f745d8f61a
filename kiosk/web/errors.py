"""One error shape for the whole app: `{"ok": false, "error": "…", "status": N}` on API paths, a page of the
error-page family elsewhere (the editor's look under /editor/, the kiosk's everywhere else), with one table of
messages. A view that knows better says so in Chinese (`abort(404, description="没有这门课。")`); Werkzeug's English
descriptions are never shown."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from indexer.errors import KioskError

# Paths whose clients are scripts (the pages' fetches, the phones' service worker, hubs syncing, monitoring): they
# get JSON. /audio/ is fetched by the players, which read its JSON while a sentence is being prepared.
API_PATHS = ("/api/", "/audio/", "/healthz", "/editor/api/", "/library/")
EDITOR_PATHS = "/editor/"
MESSAGES = {
    400: "请求有误。",
    401: "请先登录。",
    403: "没有权限这样做。",
    404: "没有找到这个页面或内容，它可能已被删除。",
    405: "不支持这种请求方式。",
    409: "与现有的内容冲突。",
    413: "上传的文件太大了。",
    415: "请以 JSON 格式发送（Content-Type: application/json）。",
    416: "请求的范围超出了文件的大小。",
    429: "太频繁了，请稍后再试。",
    500: "服务器出了点问题，请稍后再试。",
    503: "暂时无法提供这项服务，请稍后再试。",
}
UNSAVED = "服务器出了点问题，刚才的修改可能没有保存。请稍后再试。"


def is_api_path(path: str) -> bool:
    return path.startswith(API_PATHS)


def error_response(
    status: int, message: str | None = None, headers: Iterable[tuple[str, str]] = (), **details: object
) -> Response:
    """The error as this path's clients read it: JSON for scripts (with ``details`` for them to act on, such as
    ``preparing=True``), an error page for people."""
    message = message or MESSAGES.get(status, MESSAGES[500])
    if is_api_path(request.path):
        response = jsonify(ok=False, error=message, status=status, **details)
    else:
        template = "editor/error.html" if request.path.startswith(EDITOR_PATHS) else "error.html"
        response = current_app.make_response(render_template(template, status=status, message=message))
    response.status_code = status
    response.headers.extend(headers)
    return response


def register(app: Flask) -> None:
    """Route every error of every blueprint through `error_response`."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(KioskError, _kiosk_error)
    app.register_error_handler(Exception, _unexpected)


def _http_error(exc: HTTPException) -> Response:
    """A view's own Chinese message, else the table's; the error's own headers (Allow on 405, Content-Range on 416,
    Retry-After on 429) kept."""
    code = exc.code or 500
    message = exc.description if exc.description and not exc.description.isascii() else None
    headers = [(name, value) for name, value in exc.get_headers() if name.lower() != "content-type"]
    return error_response(code, message, headers)


def _kiosk_error(exc: KioskError) -> Response:
    """The index, a database or the voice cannot serve right now: the reason, which says what to do."""
    return error_response(503, str(exc))


def _unexpected(exc: Exception) -> Response:
    current_app.logger.exception("unexpected error")
    return error_response(500, UNSAVED if request.method not in ("GET", "HEAD") else None)
