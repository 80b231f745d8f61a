"""The learners' JSON API: sign-in (by name + PIN or by QR card), progress, heard sentences and quiz answers.

Every POST must be JSON (Content-Type: application/json, which a form on another site cannot send without the
browser asking first) and, from a signed-in learner, carry the session's token in X-CSRF-Token; request sizes
are bounded per route. Errors have the API's one shape {"ok": false, "error": "…", "status": N}.
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, jsonify, redirect, request

from ...places import PlaceError, listed_community
from ...web import Limit, error_response, hold_back, is_text, json_body, now, services, text_field
from ...web.requests import MAX_FIELD
from ..catalog import current_catalog
from . import learners, listening
from .attempts import Answer, record_attempts
from .cards import by_card
from .learners import LearnerError, SignInError
from .progress import course_progress, load_records, record_completions
from .session import (
    check_csrf,
    csrf_token,
    current_learner,
    end_session,
    learning_db,
    on_kiosk,
    signed_in,
    start_session,
)

bp = Blueprint("learning", __name__)
LEARN_PAGE = "/learn"
SIGNIN_MAX_BYTES = 1024
HEARD_MAX_BYTES = 256 * 1024
HEARD_MAX_KEYS = 5000  # the longest bundled course has 629 sentences
ATTEMPTS_MAX_BYTES = 64 * 1024
ATTEMPTS_MAX = 200
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")  # a phone's crypto.randomUUID(), or any id of that kind
MAX_ANSWER = 16
# Fifty phones of a training session each sign in once or twice; guessing PINs across many learners (which the
# per-learner lock-out does not see) is slowed to a few tries a minute per address.
SIGN_IN_LIMIT = Limit("learner-signin", burst=10, per_minute=6)
KIOSK_REFUSED = "这是大家共用的触摸屏，不能在这里登录。请用自己的手机扫码后登录学习。"


@bp.post("/api/learner/signin")
def sign_in():
    """Sign in by name, a 社区 of the hub's list (its 乡镇/街道 may be sent too) and PIN; a new combination creates
    the learner. Never on the touchscreen."""
    if on_kiosk():
        abort(403, description=KIOSK_REFUSED)
    body = json_body(SIGNIN_MAX_BYTES)
    hold_back(SIGN_IN_LIMIT, "登录尝试太频繁")
    name, community = text_field(body, "name"), text_field(body, "community")
    town = text_field(body, "town", default="")  # the list knows it; sent, it must be the 社区's own
    pin = text_field(body, "pin", 16)
    place = listed_community(services().data.root, town, community)  # never typed: chosen from the hub's list
    with learning_db() as db:
        learner, created = learners.sign_in(db, name, place.town, place.name, pin=pin, now=now())
    response = jsonify(ok=True, learner=learner.public(), created=created, csrf=csrf_token(learner))
    start_session(response, learner)
    return response


@bp.post("/api/learner/signout")
def sign_out():
    """End this learner's sessions, this phone's cookie and on the server (the body, if any, is not read)."""
    if request.mimetype != "application/json":
        abort(415)
    response = jsonify(ok=True)
    with learning_db() as db:
        learner = current_learner(db)
        if learner is not None:
            check_csrf(learner)
        end_session(response, db, learner)
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
    plans = current_catalog().courses
    with learning_db() as db:
        learner = current_learner(db)
        if learner and listening.settle(db, learner.id, plans, now()):  # sentences heard offline, now due
            record_completions(db, learner.id, plans.values(), now())
        records = load_records(db, learner.id if learner else None)
    body: dict[str, object] = {
        "ok": True,
        "learner": learner.public() if learner else None,
        "courses": {course: course_progress(plan, records) for course, plan in plans.items()},
    }
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
        learner = signed_in(db, "记下学习进度")
        plan = current_catalog().courses.get(course)
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
    return jsonify(
        ok=True,
        credited=credit.credited,
        refused=credit.refused,
        waiting=credit.waiting,
        progress=course_progress(plan, records),
    )


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
        answer = Answer(
            text_field(item, "id"),
            text_field(item, "question"),
            text_field(item, "course", default=""),
            text_field(item, "answer", MAX_ANSWER),
        )
        if not CLIENT_ID.match(answer.id):
            abort(400, description=f"第 {number} 条答题记录的 id 应当是手机生成的编号（UUID）。")
        answers.append(answer)
    found = current_catalog()
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
    return jsonify(
        ok=True,
        accepted=checked.accepted,
        duplicates=checked.duplicates,
        refused=checked.refused,
        results=checked.results,
    )


@bp.errorhandler(LearnerError)
def learner_error(exc: LearnerError):
    """What was typed cannot make a learner: 400 with the reason."""
    return error_response(400, str(exc))


@bp.errorhandler(PlaceError)
def place_error(exc: PlaceError):
    """A 社区 not on the hub's list: 400 with the reason."""
    return error_response(400, str(exc))


@bp.errorhandler(SignInError)
def sign_in_error(exc: SignInError):
    """Wrong PIN or locked: 401 with the reason."""
    return error_response(401, str(exc))
