"""A per-session CSRF token: in a hidden field of every form and the X-CSRF-Token header of every script POST."""

from __future__ import annotations

import hmac
import secrets

from flask import abort, request, session

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SESSION_KEY = "editor_csrf"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def csrf_token() -> str:
    """This session's token, created on first use (templates call it for every form)."""
    token = session.get(SESSION_KEY)
    if not token:
        token = session[SESSION_KEY] = secrets.token_urlsafe(32)
    return token


def rotate() -> None:
    """A fresh token, e.g. after signing in, so a token seen before sign-in is worth nothing after it."""
    session[SESSION_KEY] = secrets.token_urlsafe(32)


def check_csrf() -> None:
    """Refuse a state-changing request whose token is missing or not this session's."""
    if request.method not in UNSAFE:
        return
    expected = session.get(SESSION_KEY, "")
    sent = request.headers.get(HEADER) or request.form.get(FIELD, "")
    if not expected or not sent or not hmac.compare_digest(expected.encode(), sent.encode()):
        abort(400, description="页面已过期或来源不明，没有保存。请刷新页面后再试一次。")
