"""Signing in and out, and the admin's list of accounts and their lock-outs."""

from __future__ import annotations

import time

from flask import flash, g, redirect, render_template, request, session, url_for

from ..web import Limit, hold_back
from . import bp
from .accounts import SignInError
from .csrf import rotate
from .guard import SESSION_KEY, accounts, admin_only, session_keys

# Several editors signing in on the hub's PC, each mistyping now and then, stay well within this; guessing
# passwords (across many names, which the per-name lock-out does not see) is slowed to two tries a minute.
SIGN_IN_LIMIT = Limit("signin", burst=10, per_minute=2)


@bp.route("/signin", methods=["GET", "POST"])
def sign_in():
    """The sign-in form; five wrong passwords lock the name for 15 minutes, and one address may only try so often."""
    error = None
    name = ""
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        hold_back(SIGN_IN_LIMIT, "登录尝试太频繁")
        try:
            with accounts() as store:
                user = store.authenticate(name, request.form.get("password", ""))
        except SignInError as exc:
            error = str(exc)
        else:
            session.clear()
            with session_keys() as keys:
                session[SESSION_KEY] = keys.key_for(user.name)
            session["editor_user"] = user.name
            session["editor_since"] = time.time()
            rotate()
            return redirect(_safe_next(request.args.get("next")))
    return render_template("editor/signin.html", error=error, name=name), 401 if error else 200


@bp.post("/signout")
def sign_out():
    """End the account's sessions, on the server too: a saved copy of the cookie opens nothing afterwards."""
    with session_keys() as keys:
        keys.end_all(g.editor.name)
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
