"""The learner's session: a long-lived signed cookie of its own (not the editor's), its CSRF token, the rule that
the kiosk's touchscreen never holds one, and the learning.db a request works on."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qs, urlsplit

from flask import abort, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response  # Flask's own and a redirect's

from ...web import services, settings
from . import learners
from .database import LearningDB
from .learners import Learner

COOKIE = "kiosk_learner"
SESSION_DAYS = 180  # phones keep it: a grid worker signs in once at a training session and listens for months
SALT = "kiosk-learner-session"
CSRF_HEADER = "X-CSRF-Token"
KIOSK_COOKIE = "kiosk"


def learning_db() -> LearningDB:
    """learning.db for one request (a context manager)."""
    return LearningDB(services().data.root)


def on_kiosk() -> bool:
    """Whether this request comes from the hub's touchscreen: the server runs in touchscreen mode, or the request
    or the page that sent it (its Referer; the touchscreen's links all carry ?kiosk=1) is in it, or a kiosk cookie."""
    if settings().kiosk_mode or request.args.get("kiosk") == "1":
        return True
    if request.cookies.get(KIOSK_COOKIE) == "1":
        return True
    return parse_qs(urlsplit(request.referrer or "").query).get("kiosk") == ["1"]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_secret_key(), salt=SALT)


def _secret_key() -> str:
    key = current_app.secret_key
    assert isinstance(key, str)  # editor.init_app sets it from the data dir (editor/secret.py) before any request
    return key


def current_learner(db: LearningDB) -> Learner | None:
    """The signed-in learner of this request; None without a valid cookie, for a removed learner, a session
    older than a new card or PIN, and always on the touchscreen."""
    value = request.cookies.get(COOKIE)
    if not value or on_kiosk():
        return None
    try:
        data = _serializer().loads(value, max_age=SESSION_DAYS * 86400)
    except BadSignature:  # also a session too old
        return None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        return None
    learner = learners.get(db, data["id"])
    if learner is None or learner.generation != data.get("g"):
        return None
    return learner


def start_session(response: Response, learner: Learner) -> None:
    """Sign this browser in as the learner (again: the 180 days start anew)."""
    response.set_cookie(
        COOKIE,
        _serializer().dumps({"id": learner.id, "g": learner.generation}),
        max_age=SESSION_DAYS * 86400,
        httponly=True,
        samesite="Lax",
        path="/",
    )


def end_session(response: Response, db: LearningDB, learner: Learner | None) -> None:
    """Sign this browser out, and the learner's sessions on the server too (a new generation, as a new card or PIN
    makes): a saved copy of the cookie, or another phone signed in as them, opens nothing afterwards."""
    if learner is not None:
        learners.end_sessions(db, learner.id)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="Lax")


def csrf_token(learner: Learner) -> str:
    """The token the pages send in X-CSRF-Token with every POST of a signed-in learner; derived from the session,
    so it needs no storage and lasts as long as the session (queued reports sent days later still carry it)."""
    message = f"learner-csrf\x00{learner.id}\x00{learner.generation}".encode()
    return hmac.new(_secret_key().encode(), message, hashlib.sha256).hexdigest()[:32]


def signed_in(db: LearningDB, why: str) -> Learner:
    """The learner of this POST, her session's token checked; 401, saying she must sign in to ``why``, without one."""
    learner = current_learner(db)
    if learner is None:
        abort(401, description=f"请先登录，才能{why}。")
    check_csrf(learner)
    return learner


def check_csrf(learner: Learner) -> None:
    """Refuse a signed-in learner's POST whose token is missing or not this session's."""
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent or not hmac.compare_digest(sent.encode(), csrf_token(learner).encode()):
        abort(400, description="页面已过期或来源不明，没有记下。请刷新页面后再试一次。")
