"""Signing in and out, the guard on every editor page and API route, and the admin's list of accounts."""

from __future__ import annotations

import time
from functools import wraps

from flask import abort, flash, g, redirect, render_template, request, session, url_for

from ..web import Limit, error_response, is_api_path, retry_after, services
from . import bp
from .accounts import Accounts, SignInError
from .csrf import check_csrf, rotate

OPEN_ENDPOINTS = {"editor.sign_in"}
# Who may use what: editors (and admins) write and publish texts; trainers (and admins) see the learners and their
# records, which plain editors never do. A trainer is admitted only to the views marked @trainers_only and to
# signing out, so a new editing page is closed to trainers without anyone remembering to close it.
EDITING_ROLES = ("editor", "admin")
TRAINING_ROLES = ("trainer", "admin")
EVERY_ROLE = {"editor.sign_out"}
TRAINING_ENDPOINTS: set[str] = set()  # filled by @trainers_only
TRAINER_HOME = "editor.training_overview"
NOT_FOR_EDITORS = "学员名单和学习记录只有培训老师和管理员可以查看。"
NOT_FOR_TRAINERS = ("培训老师的账号只能查看学员和培训记录；"
                    "写文章、上传、发布、课程、读音词典、收听统计和批量导入请用编辑账号。")
SESSION_HOURS = 12  # a shared PC at the hub: a forgotten session ends by itself
# Several editors signing in on the hub's PC, each mistyping now and then, stay well within this; guessing
# passwords (across many names, which the per-name lock-out does not see) is slowed to two tries a minute.
SIGN_IN_LIMIT = Limit("signin", burst=10, per_minute=2)


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
        if is_api_path(request.path):
            return error_response(401, "请先登录")
        return redirect(url_for("editor.sign_in", next=request.full_path.rstrip("?")))
    g.editor = user
    refused = _refused(user, request.endpoint)
    if refused is not None:
        return refused
    check_csrf()
    return None


def _refused(user, endpoint: str | None):
    """The answer when this account's role may not use this view (None when it may): a trainer's start page is
    the training overview, anything else outside the training pages a 403 that says where to go instead."""
    if endpoint is None or endpoint in EVERY_ROLE:  # no such page: the 404 follows
        return None
    if endpoint in TRAINING_ENDPOINTS:
        return None if user.role in TRAINING_ROLES else error_response(403, NOT_FOR_EDITORS)
    if user.role in EDITING_ROLES:
        return None
    if endpoint == "editor.index" and request.method == "GET":
        return redirect(url_for(TRAINER_HOME))
    if is_api_path(request.path):
        return error_response(403, NOT_FOR_TRAINERS)
    return render_template("editor/training_message.html", title="没有这个权限", message=NOT_FOR_TRAINERS,
                           status=403), 403


def trainers_only(view):
    """For the training pages: learners' names and records are for trainers and admins, never plain editors."""
    TRAINING_ENDPOINTS.add(f"{bp.name}.{view.__name__}")

    @wraps(view)
    def wrapped(*args, **kwargs):
        if g.editor.role not in TRAINING_ROLES:  # the guard refused already; this holds if it ever does not
            abort(403, description=NOT_FOR_EDITORS)
        return view(*args, **kwargs)
    return wrapped


@bp.app_template_global()
def editor_may(area: str) -> bool:
    """For the menu: whether the signed-in account may use an area, "editing" or "training"."""
    user = g.get("editor")
    return user is not None and user.role in (EDITING_ROLES if area == "editing" else TRAINING_ROLES)


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
    """The sign-in form; five wrong passwords lock the name for 15 minutes, and one address may only try so often."""
    error = None
    name = ""
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        wait = retry_after(SIGN_IN_LIMIT)
        if wait:
            abort(429, description=f"登录尝试太频繁，请 {wait} 秒后再试。", retry_after=wait)
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
