"""Serving side of the listening kiosk: the Flask app factory and the `kiosk` command."""

from __future__ import annotations

import atexit
from typing import TYPE_CHECKING

from .settings import PROJECT_ROOT, Settings, from_environment

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings from the environment, overridden by ``test_config`` (``SETTINGS`` replaces them)."""
    # Imported here, not at the top: the `kiosk` command lives in this package, and `kiosk build` after an edit
    # should not pay for loading Flask and the serving side.
    from flask import Flask

    from .services import Services

    app = Flask(__name__, static_folder=str(PROJECT_ROOT / "static"), static_url_path="/static")
    config = dict(test_config or {})
    settings: Settings = config.pop("SETTINGS", None) or from_environment()
    app.config.update(SETTINGS=settings, JSON_AS_ASCII=False, MAX_CONTENT_LENGTH=20 * 1024 * 1024)
    app.config.update(config)
    app.json.ensure_ascii = False
    services = Services(settings)
    app.extensions["kiosk"] = services
    atexit.register(services.close)

    from .training import views as training
    from .visitors import api, offline, pages

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(training.bp)
    from .training.learner.views import bp as learning_bp
    app.register_blueprint(learning_bp)
    from .city.views import bp as city_bp
    app.register_blueprint(city_bp)
    from .editor import init_app as init_editor
    init_editor(app)
    app.register_blueprint(offline.bp)
    from .library.views import bp as library_bp
    app.register_blueprint(library_bp)
    app.before_request(services.follow_library)
    _register_errors(app)
    from .web.security import init_app as init_security
    init_security(app)
    from .visitors.audio import CachedAudio
    app.wsgi_app = CachedAudio(app.wsgi_app, services)  # cached sentences skip Flask's dispatch
    return app


def _register_errors(app: Flask) -> None:
    """One JSON error shape for the API and the audio route; a friendly page everywhere else."""
    from flask import jsonify, render_template, request
    from werkzeug.exceptions import HTTPException

    from indexer.errors import KioskError, SearchError

    def wants_json() -> bool:
        return request.path.startswith(("/api/", "/audio/", "/healthz"))

    def respond(status: int, message: str):
        if wants_json():
            return jsonify(ok=False, error=message, status=status), status
        return render_template("error.html", status=status, message=message), status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        messages = {404: "没有找到这个页面或内容，它可能已被删除。", 405: "不支持这种请求方式。",
                    413: "上传的文件太大了。", 400: "请求有误。", 416: "请求的范围超出了文件的大小。"}
        body, status = respond(exc.code or 500, messages.get(exc.code, exc.description or "出错了"))
        # The error's own headers stay with it: Allow on 405, Content-Range on 416, Retry-After on 429.
        return body, status, [(name, value) for name, value in exc.get_headers() if name.lower() != "content-type"]

    @app.errorhandler(SearchError)
    def search_error(exc: SearchError):
        return respond(503, str(exc))

    @app.errorhandler(KioskError)
    def kiosk_error(exc: KioskError):
        return respond(503, str(exc))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        app.logger.exception("unexpected error")
        return respond(500, "服务器出了点问题，请稍后再试。")
