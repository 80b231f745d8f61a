"""Serving side of the listening kiosk: the Flask app factory and the `kiosk` command."""

from __future__ import annotations

import atexit
from typing import TYPE_CHECKING

from .settings import STATIC_FOLDER, Settings, from_environment

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings from the environment, overridden by ``test_config`` (``SETTINGS`` replaces them)."""
    # Imported here, not at the top: the `kiosk` command lives in this package, and `kiosk build` after an edit
    # should not pay for loading Flask and the serving side.
    from flask import Flask
    from flask.json.provider import DefaultJSONProvider

    from . import editor
    from .city.views import bp as city
    from .desk import api as desk_api
    from .desk import open311, residents, staff  # noqa: F401  (staff: its routes join the editor's, under /editor/desk/)
    from .library.views import bp as library
    from .market import compare, matching, register  # noqa: F401  (their routes join market's and the editor's)
    from .market import public as market
    from .market import staff as market_staff  # noqa: F401  (its routes join the editor's, under /editor/market/)
    from .market import wall as market_wall  # noqa: F401  (its routes join the market's, under /market/)
    from .places.views import bp as places
    from .services import Services
    from .training import trainer  # noqa: F401  (its routes join the editor's blueprint, under /editor/training/)
    from .training.catalog import CatalogCache
    from .training.learner.views import bp as learner
    from .training.practical import poster_views, round_views, signoff_views  # noqa: F401  (join the editor's)
    from .training.practical.learner_rounds import bp as practical
    from .training.views import bp as training
    from .visitors import api, offline, pages
    from .visitors.audio import CachedAudio
    from .web import errors, security

    app = Flask(__name__, static_folder=str(STATIC_FOLDER), static_url_path="/static")
    config = dict(test_config or {})
    settings: Settings = config.pop("SETTINGS", None) or from_environment()
    app.config.update(SETTINGS=settings, MAX_CONTENT_LENGTH=20 * 1024 * 1024)
    app.config.update(config)
    app.json = DefaultJSONProvider(app)  # Flask's default provider, typed as the one that has ensure_ascii
    app.json.ensure_ascii = False  # Chinese as it is, not \uXXXX
    services = Services(settings)
    app.extensions["kiosk"] = services
    app.extensions["learning"] = CatalogCache()  # courses and questions, kept until one of them changes
    atexit.register(services.close)

    for blueprint in (
        pages.bp,
        api.bp,
        training,
        learner,
        places,
        city,
        offline.bp,
        library,
        residents.bp,
        desk_api.bp,
        open311.bp,
        market.bp,
        practical,
    ):
        app.register_blueprint(blueprint)
    editor.init_app(app)
    app.before_request(services.follow_library)
    errors.register(app)
    security.init_app(app)
    # cached sentences skip Flask's dispatch; Flask documents this way to add middleware but types wsgi_app a method
    app.wsgi_app = CachedAudio(app.wsgi_app, services)  # type: ignore[method-assign]
    return app
