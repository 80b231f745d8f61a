"""The trainer's sign-off sheet, under /editor/training/practical/: one learner's areas of a practical course, each
skill with big 合格 / 不合格 buttons for a tablet, a note, and who signed it when. Its routes join the editor's
blueprint, so the editor's guard admits trainers and admins only and checks the CSRF token of every POST."""

from __future__ import annotations

import logging

from flask import abort, flash, g, redirect, render_template, request, url_for

from ...editor import bp
from ...editor.guard import trainers_only
from ...web import now
from ..catalog import CoursePlan, current_catalog
from ..learner.progress import record_completions
from ..learner.session import learning_db
from ..trainer.tables import local_time
from ..trainer.views import learner_or_404
from .signoffs import (
    FAILED,
    NOTE_MAX_CHARS,
    PASSED,
    SignOffError,
    all_passed,
    area_results,
    latest,
    passed_skills,
    sign_off,
)

log = logging.getLogger("kiosk.training")


def practical_plan(course_id: str) -> CoursePlan:
    """The practical course of this id, or a 404 that says it is not one."""
    plan = current_catalog().courses.get(course_id)
    if plan is None:
        abort(404, description="没有这门课。")
    if not plan.practical:
        abort(404, description=f"「{plan.title}」是理论课，没有实训签字。")
    return plan


@bp.get("/training/practical/<course_id>/learners/<learner_id>")
@trainers_only
def practical_signoffs(course_id: str, learner_id: str):
    """The sign-off sheet of one learner in one practical course."""
    return _sheet(practical_plan(course_id), learner_id)


@bp.post("/training/practical/<course_id>/learners/<learner_id>")
@trainers_only
def practical_sign_off(course_id: str, learner_id: str):
    """Record one skill's 合格 or 不合格; the course is recorded as completed once every skill stands at 合格."""
    plan = practical_plan(course_id)
    unit, skill = request.form.get("unit", -1, type=int), request.form.get("skill", -1, type=int)
    result, note = request.form.get("result", ""), request.form.get("note", "")
    refused: str | None = None
    with learning_db() as db:
        learner = learner_or_404(db, learner_id)
        try:
            signed = sign_off(
                db, learner.id, plan, unit, skill, result, note, g.editor.name, now(), request.form.get("words")
            )
        except SignOffError as exc:
            refused = str(exc)
        else:
            completed = record_completions(db, learner.id, [plan], now())
    if refused is not None:
        return _sheet(plan, learner.id, error=refused, status=400)
    log.info(
        "%s 给学员 %s（%s）签字：%s 第%d区第%d项 %s",
        g.editor.name,
        learner.name,
        learner.id,
        plan.id,
        unit + 1,
        skill + 1,
        result,
    )
    flash(f"已签：{plan.units[unit].title} 第 {skill + 1} 项 {signed.result}。", "ok")
    if completed:
        flash(f"{learner.name} 的「{plan.title}」各区全部合格，可以打印结业证书了。", "ok")
    return redirect(url_for("editor.practical_signoffs", course_id=plan.id, learner_id=learner.id) + f"#area-{unit}")


def _sheet(plan: CoursePlan, learner_id: str, error: str | None = None, status: int = 200):
    with learning_db() as db:
        learner = learner_or_404(db, learner_id)
        signoffs = latest(db, learner.id, plan)
    areas = area_results(plan, signoffs)
    return render_template(
        "editor/practical_signoffs.html",
        plan=plan,
        learner=learner,
        areas=areas,
        signoffs=signoffs,
        complete=all_passed(plan, passed_skills(signoffs)),
        passed=PASSED,
        failed=FAILED,
        note_max=NOTE_MAX_CHARS,
        local_time=local_time,
        error=error,
        form=request.form if error else {},
    ), status
