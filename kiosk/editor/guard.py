"""Who may use what in the editor: the guard on every editor page and API route (a signed-in, still existing account
whose role admits it, and this session's CSRF token on every POST), and the marks for trainers' and admins' views."""

from __future__ import annotations

import time
from functools import wraps

from flask import abort, g, redirect, render_template, request, session, url_for

from ..desk.roles import DESK_ROLES, STAFF_ROLES
from ..market.roles import MARKET_ROLES, NOT_MARKET
from ..web import error_response, is_api_path, services
from . import bp
from .accounts import Accounts
from .csrf import check_csrf
from .session_keys import SessionKeys

OPEN_ENDPOINTS = {"editor.sign_in"}
# Who may use what: editors (and admins) write and publish texts; trainers (and admins) see the learners and their
# records, which plain editors never do. A trainer is admitted only to the views marked @trainers_only and to
# signing out, so a new editing page is closed to trainers without anyone remembering to close it.
EDITING_ROLES = ("editor", "admin")
TRAINING_ROLES = ("trainer", "admin")
EVERY_ROLE = {"editor.sign_out"}
TRAINING_ENDPOINTS: set[str] = set()  # filled by @trainers_only
# The front desk's staff (counsel, community, township, centre) are admitted only to the views marked @desk_staff,
# the same way: and to those, editors and trainers are not.
DESK_ENDPOINTS: set[str] = set()  # filled by @desk_staff
# The 物业超市's pages, the same way: the centre, 乡镇/街道 and community staff and admins (market/roles.py).
MARKET_ENDPOINTS: set[str] = set()  # filled by @market_staff
AREA_OF: dict[str, tuple[tuple[str, ...], str]] = {}  # each marked endpoint: the roles admitted, the refusal
HOMES = {"trainer": "editor.training_overview", **dict.fromkeys(DESK_ROLES, "editor.desk_queue")}
NOT_FOR_EDITORS = "学员名单和学习记录只有培训老师和管理员可以查看。"
NOT_FOR_TRAINERS = (
    "培训老师的账号只能查看学员和培训记录；写文章、上传、发布、课程、读音词典、收听统计和批量导入请用编辑账号。"
)
NOT_FOR_DESK = "服务台的账号只能处理咨询和调处；写文章、上传、发布和统计请用编辑账号。"
DESK_ONLY = "咨询和调处的登记只有服务台的工作人员（法律咨询、社区、乡镇/街道、中心）和管理员可以查看。"
SESSION_HOURS = 12  # a shared PC at the hub: a forgotten session ends by itself
SESSION_KEY = "editor_key"  # the account's key in session_keys.py: ended on the server, the cookie opens nothing


def accounts() -> Accounts:
    return Accounts(services().data.root)


def session_keys() -> SessionKeys:
    return SessionKeys(services().data.root)


@bp.before_request
def guard():
    """Every editor route needs a signed-in, still existing account whose sessions were not ended since; every POST
    needs this session's token."""
    if request.endpoint in OPEN_ENDPOINTS:
        check_csrf()
        return None
    name = session.get("editor_user")
    signed_in_at = session.get("editor_since", 0)
    user = None
    if name and time.time() - signed_in_at < SESSION_HOURS * 3600:
        with accounts() as store, session_keys() as keys:
            user = store.get(name) if keys.holds(name, session.get(SESSION_KEY)) else None
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
    if endpoint in AREA_OF:
        roles, refusal = AREA_OF[endpoint]
        return None if user.role in roles else error_response(403, refusal)
    if user.role in EDITING_ROLES:
        return None
    if endpoint == "editor.index" and request.method == "GET":
        return redirect(url_for(HOMES[user.role]))
    message = NOT_FOR_DESK if user.role in DESK_ROLES else NOT_FOR_TRAINERS
    if is_api_path(request.path):
        return error_response(403, message)
    return render_template("editor/training_message.html", title="没有这个权限", message=message, status=403), 403


def _admitting(endpoints: set[str], roles: tuple[str, ...], refusal: str):
    """The mark for one area's views: the guard admits only ``roles`` to them (and says ``refusal`` to the rest),
    and each view checks again, in case the guard ever does not."""

    def mark(view):
        endpoint = f"{bp.name}.{view.__name__}"
        endpoints.add(endpoint)
        AREA_OF[endpoint] = (roles, refusal)

        @wraps(view)
        def wrapped(*args, **kwargs):
            if g.editor.role not in roles:
                abort(403, description=refusal)
            return view(*args, **kwargs)

        return wrapped

    return mark


# The training pages: learners' names and records are for trainers and admins, never plain editors.
trainers_only = _admitting(TRAINING_ENDPOINTS, TRAINING_ROLES, NOT_FOR_EDITORS)
# The desk's staff pages: counsel, the three levels' staff and admins; what each sees is desk/roles.py's.
desk_staff = _admitting(DESK_ENDPOINTS, STAFF_ROLES, DESK_ONLY)
# The 物业超市's pages: what each role may do there is market/roles.py's.
market_staff = _admitting(MARKET_ENDPOINTS, MARKET_ROLES, NOT_MARKET)


AREAS = {"editing": EDITING_ROLES, "training": TRAINING_ROLES, "desk": STAFF_ROLES, "market": MARKET_ROLES}


@bp.app_template_global()
def editor_may(area: str) -> bool:
    """For the menu: whether the signed-in account may use an area, "editing", "training", "desk" or "market"."""
    user = g.get("editor")
    return user is not None and user.role in AREAS[area]


def admin_only(view):
    """For pages only an admin may use."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not g.editor.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
