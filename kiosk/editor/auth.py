"""Signing in and out, the guard on every editor page and API route, and the admin's list of accounts."""

from __future__ import annotations

import time
from functools import wraps

from flask import abort, flash, g, redirect, render_template, request, session, url_for

from . import API_PREFIX, bp, error_response, services
from .accounts import Accounts, SignInError
from .csrf import check_csrf, rotate

OPEN_ENDPOINTS = {"editor.sign_in"}
SESSION_HOURS = 12  # a shared PC at the hub: a forgotten session ends by itself


def accounts() -> Accounts:
    return Accounts(services().data.root)


@bp.before_request
def guard():
    """Every editor route needs a signed-in, still existing account; every POST needs this session's token."""
    if request.endpoint in OPEN_ENDPOINTS:
        check_csrf()
        return None
    name = session.get("editor_user")
    signed_in_at = session.get("editor_since", 0)
    user = None
    if name and time.time() - signed_in_at < SESSION_HOURS * 3600:
        with accounts() as store:
            user = store.get(name)
    if user is None:
        session.pop("editor_user", None)
        if request.path.startswith(API_PREFIX):
            return error_response(401, "请先登录")
        return redirect(url_for("editor.sign_in", next=request.full_path.rstrip("?")))
    g.editor = user
    check_csrf()
    return None


def admin_only(view):
    """For pages only an admin may use."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not g.editor.is_admin:
            abort(403)
        return view(*args, **kwargs)
    return wrapped


@bp.route("/signin", methods=["GET", "POST"])
def sign_in():
    """The sign-in form; five wrong passwords lock the name for 15 minutes."""
    error = None
    name = ""
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        try:
            with accounts() as store:
                user = store.authenticate(name, request.form.get("password", ""))
        except SignInError as exc:
            error = str(exc)
        else:
            session.clear()
            session["editor_user"] = user.name
            session["editor_since"] = time.time()
            rotate()
            return redirect(_safe_next(request.args.get("next")))
    return render_template("editor/signin.html", error=error, name=name), 401 if error else 200


@bp.post("/signout")
def sign_out():
    """End the session."""
    session.clear()
    flash("已退出。", "ok")
    return redirect(url_for("editor.sign_in"))


@bp.get("/users")
@admin_only
def users():
    """Accounts and their lock-out state (accounts are created with `kiosk user add`)."""
    with accounts() as store:
        states = store.states()
    return render_template("editor/users.html", states=states)


@bp.post("/users/unlock")
@admin_only
def unlock():
    """Lift a lock-out before its 15 minutes are over."""
    name = request.form.get("name", "")
    with accounts() as store:
        store.unlock(name)
    flash(f"已为「{name}」解锁。", "ok")
    return redirect(url_for("editor.users"))


def _safe_next(target: str | None) -> str:
    """Only back into the editor: never to another site."""
    if target and target.startswith("/editor") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("editor.index")
