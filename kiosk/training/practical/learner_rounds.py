"""实训报名 on the learner's phone: the rounds still open with their seats left, signing up and cancelling until a
round starts, her own rounds marked 已签到 once her card was scanned at the door, and her standing in each area
signed off so far, with the skills to practise again. Like the rest of a learner's
pages: a signed-in learner's session, never on the shared touchscreen (which shows the rounds, but signs no one up)."""

from __future__ import annotations

from flask import Blueprint, jsonify, make_response, render_template

from ...web import error_response, json_body, now
from ..catalog import current_catalog
from ..learner.database import LearningDB
from ..learner.learners import Learner
from ..learner.session import csrf_token, current_learner, learning_db, on_kiosk, signed_in
from .round_courses import course_name, practical_courses
from .rounds import NoRound, RoundError, cancel_sign_up, learner_rounds, open_rounds, round_number, sign_up
from .signoffs import area_results, by_course, latest_of

bp = Blueprint("practical", __name__)
BODY_MAX_BYTES = 256  # the body carries nothing: the round is in the path, the learner in the session


@bp.get("/learn/practical")
def rounds_page():
    """The rounds open for sign-up, and the signed-in learner's own; on the touchscreen, only the rounds."""
    at = now()
    with learning_db() as db:
        learner = current_learner(db)
        mine = learner_rounds(db, learner.id) if learner else []
        coming = [one for one in open_rounds(db, at) if one.id not in {taken.id for taken, _ in mine}]
        results = _standing(db, learner.id) if learner else []
    response = make_response(
        render_template(
            "practical/rounds.html",
            learner=learner,
            csrf=csrf_token(learner) if learner else "",
            mine=mine,
            coming=coming,
            results=results,
            courses=practical_courses(),
            course_name=course_name,
            on_kiosk=on_kiosk(),
            now=at,
        )
    )
    response.cache_control.no_store = True  # her name and rounds: not kept in a shared phone's cache
    return response


def _standing(db: LearningDB, learner_id: str) -> list[dict]:
    """Each practical course she has sign-offs in: every area's skills at 合格, and the skills whose latest sign-off
    is 不合格 with the trainer's note, so she knows what to practise before the re-test."""
    signed = by_course(db, learner_id)
    standing = []
    for plan in current_catalog().courses.values():
        if not plan.practical or plan.id not in signed:
            continue
        latest = latest_of(plan, signed[plan.id])
        again = [
            (plan.units[unit].title, plan.units[unit].skills[skill], signoff.note)
            for (unit, skill), signoff in sorted(latest.items())
            if not signoff.passed
        ]
        standing.append({"title": plan.title, "areas": area_results(plan, latest), "again": again})
    return standing


def _signed_in(db: LearningDB) -> Learner:
    """The learner of this POST (a JSON body, her session's token in X-CSRF-Token); 401 without one."""
    json_body(BODY_MAX_BYTES)
    return signed_in(db, "报名实训")


@bp.post("/api/practical/rounds/<round_id>/signup")
def signup(round_id: str):
    """Sign the learner up for a round (again is no harm)."""
    with learning_db() as db:
        learner = _signed_in(db)
        added = sign_up(db, round_number(round_id), learner.id, now())
    return jsonify(ok=True, message="报名成功。请按时到场，带上学习卡。" if added else "您已经报名了这一轮。")


@bp.post("/api/practical/rounds/<round_id>/cancel")
def cancel(round_id: str):
    """Take the learner off a round's list, until it starts."""
    with learning_db() as db:
        learner = _signed_in(db)
        cancel_sign_up(db, round_number(round_id), learner.id, now())
    return jsonify(ok=True, message="已取消报名。")


@bp.errorhandler(RoundError)
def round_error(exc: RoundError):
    """No such round: 404; full, started, cancelled, or not hers: 409; with the reason."""
    return error_response(404 if isinstance(exc, NoRound) else 409, str(exc))
