"""The learners' JSON API: sign-in (by name + PIN or by QR card), progress, heard sentences and quiz answers.

Every POST must be JSON (Content-Type: application/json, which a form on another site cannot send without the
browser asking first) and, from a signed-in learner, carry the session's token in X-CSRF-Token; request sizes
are bounded per route. Errors have the API's one shape {"ok": false, "error": "…", "status": N}.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request
from werkzeug.exceptions import HTTPException

from ...web.limits import Limit, retry_after
from . import learners, listening
from .attempts import Answer, record_attempts
from .cards import by_card
from ..catalog import Catalog, CatalogCache
from .database import LearningDB
from .learners import LearnerError, SignInError
from .progress import course_progress, load_records, record_completions
from .session import check_csrf, csrf_token, current_learner, end_session, on_kiosk, start_session

bp = Blueprint("learning", __name__)
LEARN_PAGE = "/learn"
SIGNIN_MAX_BYTES = 1024
HEARD_MAX_BYTES = 256 * 1024
HEARD_MAX_KEYS = 5000  # the longest bundled course has 629 sentences
ATTEMPTS_MAX_BYTES = 64 * 1024
ATTEMPTS_MAX = 200
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")  # a phone's crypto.randomUUID(), or any id of that kind
MAX_FIELD = 64
MAX_ANSWER = 16
# Fifty phones of a training session each sign in once or twice; guessing PINs across many learners (which the
# per-learner lock-out does not see) is slowed to a few tries a minute per address.
SIGN_IN_LIMIT = Limit("learner-signin", burst=10, per_minute=6)
KIOSK_REFUSED = "这是大家共用的触摸屏，不能在这里登录。请用自己的手机扫码后登录学习。"
MESSAGES = {400: "请求有误。", 401: "请先登录。", 403: "不能这样做。", 404: "没有找到。", 405: "不支持这种请求方式。",
            413: "发送的内容太多了。", 415: "请以 JSON 格式发送（Content-Type: application/json）。",
            429: "太频繁了，请稍后再试。"}


@bp.record_once
def _setup(state) -> None:
    state.app.extensions.setdefault("learning", CatalogCache())


def services():
    return current_app.extensions["kiosk"]


def now() -> float:
    """The hub's clock; tests give the app another one (config LEARNING_CLOCK) instead of sleeping."""
    return current_app.config.get("LEARNING_CLOCK", time.time)()


@contextmanager
def learning_db() -> Iterator[LearningDB]:
    """learning.db for one request."""
    with LearningDB(services().data.root) as db:
        yield db


def catalog() -> Catalog:
    """The courses and questions as they are now (kept in memory until one changes)."""
    with services().store() as store:
        return current_app.extensions["learning"].get(store, services().speech,
                                                      current_app.config["SETTINGS"].roots())


def json_body(limit: int) -> dict:
    """The request's JSON object, refusing another content type, a body over ``limit`` bytes, or bad JSON."""
    if request.mimetype != "application/json":
        abort(415)
    if (request.content_length or 0) > limit:
        abort(413)
    request.max_content_length = limit  # also bounds a body sent without a length (chunked)
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # arrays nested a thousand deep: Python's parser gives up, which is no server error
        body = None
    if not isinstance(body, dict):
        abort(400, description="请求的格式不对：应当是一个 JSON 对象。")
    return body


def text_field(body: dict, name: str, limit: int = MAX_FIELD, default: str | None = None) -> str:
    """A string field of the body, at most ``limit`` characters; 400 naming the field otherwise."""
    value = body.get(name, default)
    if not is_text(value, limit):
        abort(400, description=f"请求的格式不对：{name} 应当是不超过 {limit} 个字的文字。")
    return value


def is_text(value: object, limit: int) -> bool:
    """A string of at most ``limit`` characters that UTF-8 can hold (JSON allows lone surrogates like \\ud800,
    which neither SQLite nor the PIN check could take)."""
    if not isinstance(value, str) or len(value) > limit:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def signed_in(db: LearningDB) -> learners.Learner:
    """The learner of this POST, its token checked; 401 without one."""
    learner = current_learner(db)
    if learner is None:
        abort(401, description="请先登录，才能记下学习进度。")
    check_csrf(learner)
    return learner


@bp.post("/api/learner/signin")
def sign_in():
    """Sign in by name, 乡镇/街道, 社区 and PIN; a new combination creates the learner. Never on the touchscreen."""
    if on_kiosk():
        abort(403, description=KIOSK_REFUSED)
    body = json_body(SIGNIN_MAX_BYTES)
    wait = retry_after(SIGN_IN_LIMIT)
    if wait:
        abort(429, description=f"登录尝试太频繁，请 {wait} 秒后再试。", retry_after=wait)
    with learning_db() as db:
        learner, created = learners.sign_in(db, *(text_field(body, name) for name in ("name", "town", "community")),
                                            pin=text_field(body, "pin", 16), now=now())
    response = jsonify(ok=True, learner=learner.public(), created=created, csrf=csrf_token(learner))
    start_session(response, learner)
    return response


@bp.post("/api/learner/signout")
def sign_out():
    """End this phone's learner session (the body, if any, is not read)."""
    if request.mimetype != "application/json":
        abort(415)
    with learning_db() as db:
        learner = current_learner(db)
        if learner is not None:
            check_csrf(learner)
    response = jsonify(ok=True)
    end_session(response)
    return response


@bp.get("/learn/card/<token>")
def card(token: str):
    """A personal QR card: signs its learner in on this phone and opens the learning page."""
    if on_kiosk():
        abort(403, description=KIOSK_REFUSED)
    with learning_db() as db:
        learner = by_card(db, token)
    if learner is None:
        abort(404, description="这张学习卡无效或已经作废，请向培训老师要一张新卡。")
    response = redirect(LEARN_PAGE, 302)
    response.cache_control.no_store = True
    start_session(response, learner)
    return response


@bp.get("/api/learner")
def me():
    """Who is signed in (or null) and their progress in every course."""
    plans = catalog().courses
    with learning_db() as db:
        learner = current_learner(db)
        records = load_records(db, learner.id if learner else None)
    body = {"ok": True, "learner": learner.public() if learner else None,
            "courses": {course: course_progress(plan, records) for course, plan in plans.items()}}
    if learner:
        body["csrf"] = csrf_token(learner)
    response = jsonify(body)
    response.cache_control.no_store = True
    if learner:
        start_session(response, learner)  # a phone in use stays signed in
    return response


@bp.post("/api/learner/heard")
def heard():
    """Sentences of a course the phone played; credits the new ones the listening clock allows."""
    body = json_body(HEARD_MAX_BYTES)
    course, report = text_field(body, "course"), text_field(body, "report")
    keys = body.get("keys")
    if not CLIENT_ID.match(report):
        abort(400, description="请求的格式不对：report 应当是这次报告的编号（UUID）。")
    if not isinstance(keys, list) or len(keys) > HEARD_MAX_KEYS or not all(is_text(key, MAX_FIELD) for key in keys):
        abort(400, description=f"请求的格式不对：keys 应当是最多 {HEARD_MAX_KEYS} 个句子编号的列表。")
    with learning_db() as db:
        learner = signed_in(db)
        plan = catalog().courses.get(course)
        if plan is None:
            abort(404, description="没有这门课。")
        with services().store() as store:
            known = store.durations([key for key in dict.fromkeys(keys) if key in plan.position])
        at = now()
        try:
            credit = listening.credit(db, learner.id, plan, keys, report, at, known)
        except LookupError:  # removed while this request ran
            abort(401, description="请先登录，才能记下学习进度。")
        records = load_records(db, learner.id)
        record_completions(db, learner.id, [plan], at, records)
    return jsonify(ok=True, credited=credit.credited, refused=credit.refused, progress=course_progress(plan, records))


@bp.post("/api/learner/attempts")
def attempts():
    """Quiz answers, checked here; a learner's are stored once each, a visitor's (每日一题) only checked."""
    body = json_body(ATTEMPTS_MAX_BYTES)
    items = body.get("attempts")
    if not isinstance(items, list) or len(items) > ATTEMPTS_MAX:
        abort(400, description=f"请求的格式不对：attempts 应当是最多 {ATTEMPTS_MAX} 条答题记录的列表。")
    answers = []
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            abort(400, description=f"第 {number} 条答题记录的格式不对。")
        answer = Answer(text_field(item, "id"), text_field(item, "question"), text_field(item, "course", default=""),
                        text_field(item, "answer", MAX_ANSWER))
        if not CLIENT_ID.match(answer.id):
            abort(400, description=f"第 {number} 条答题记录的 id 应当是手机生成的编号（UUID）。")
        answers.append(answer)
    found = catalog()
    with learning_db() as db:
        learner = current_learner(db)
        if learner is not None:
            check_csrf(learner)
        at = now()
        checked = record_attempts(db, learner.id if learner else None, answers, found, at)
        if learner is not None and checked.questions:
            courses = {course for question in checked.questions for course in found.courses_asking(question)}
            courses |= {answer.course for answer in answers if answer.course in found.courses}
            record_completions(db, learner.id, [found.courses[course] for course in sorted(courses)], at)
    return jsonify(ok=True, accepted=checked.accepted, duplicates=checked.duplicates, refused=checked.refused,
                   results=checked.results)


@bp.errorhandler(LearnerError)
def learner_error(exc: LearnerError):
    """What was typed cannot make a learner: 400 with the reason."""
    return error(400, str(exc))


@bp.errorhandler(SignInError)
def sign_in_error(exc: SignInError):
    """Wrong PIN or locked: 401 with the reason."""
    return error(401, str(exc))


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    """Our own Chinese message when a view gave one, else the status's; the error's headers (Retry-After) kept."""
    code = exc.code or 500
    message = exc.description if exc.description and not exc.description.isascii() else MESSAGES.get(code, "出错了")
    body, status = error(code, message)
    return body, status, [(name, value) for name, value in exc.get_headers() if name.lower() != "content-type"]


def error(status: int, message: str):
    """The API's one error shape under /api/, the friendly error page for the card link."""
    if request.path.startswith("/api/"):
        return jsonify(ok=False, error=message, status=status), status
    return render_template("error.html", status=status, message=message), status
