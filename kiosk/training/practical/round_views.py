"""The trainer's pages for rounds, under /editor/training/practical/: the rounds, a round's form, its printable list,
and the attendance page at the door, where a scanner types each learner's card and the page says who came. They
join the editor's blueprint, so its guard (sign-in, the trainer role, CSRF) stands in front of every one."""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, g, redirect, render_template, request, url_for

from ...editor import bp
from ...editor.guard import trainers_only
from ...web import now
from ..learner.session import learning_db
from .round_courses import PracticalCourse, course_name, practical_courses
from .rounds import (
    ALL_AREAS,
    MAX_SEATS,
    NO_ROUND,
    Round,
    RoundError,
    RoundForm,
    Scan,
    ScanResult,
    add_round,
    cancel_round,
    change_round,
    check_form,
    check_in,
    get_round,
    list_rounds,
    parse_times,
    round_number,
    signups,
)

FIELDS = ("course", "area", "day", "start", "end", "place", "seats", "note")
SCAN_STATUS = {
    Scan.PRESENT: 200,
    Scan.ALREADY: 200,
    Scan.WALKED_IN: 200,
    Scan.NOT_SIGNED_UP: 409,
    Scan.UNKNOWN_CARD: 404,
    Scan.NOT_A_CARD: 400,
}


@bp.app_template_filter("round_time")
def round_time(at: float) -> str:
    """A round's time as the pages show it: 3月8日（周一）09:00."""
    moment = dt.datetime.fromtimestamp(at)
    return f"{moment.month}月{moment.day}日（周{'一二三四五六日'[moment.weekday()]}）{moment:%H:%M}"


@bp.app_template_filter("clock_time")
def clock_time(at: float) -> str:
    """The hour and minute of a time: 11:30."""
    return f"{dt.datetime.fromtimestamp(at):%H:%M}"


def _round_or_404(round_id: str) -> Round:
    """The round of an id in a URL, or a 404."""
    try:
        number = round_number(round_id)
    except RoundError as exc:
        abort(404, description=str(exc))
    with learning_db() as db:
        found = get_round(db, number)
    if found is None:
        abort(404, description=NO_ROUND)
    return found


@bp.get("/training/practical/")
@trainers_only
def practical_rounds():
    """Every round: those still to come (and under way) first, soonest first; past and cancelled ones below."""
    at = now()
    with learning_db() as db:
        rounds = list_rounds(db)
    coming = [one for one in rounds if one.ends > at and not one.cancelled]
    past = sorted((one for one in rounds if one not in coming), key=lambda one: -one.starts)
    return render_template(
        "editor/practical/rounds.html",
        coming=coming,
        past=past,
        courses=practical_courses(),
        now=at,
        course_name=course_name,
    )


def _form_values(before: Round | None = None) -> dict[str, str]:
    """The form's fields: as sent, else the round's, else a new round's (the first practical course, all areas)."""
    if request.method == "POST":
        return {name: request.form.get(name, "") for name in FIELDS}
    if before is None:
        return {"seats": "20", "area": ""}
    starts = dt.datetime.fromtimestamp(before.starts)
    return {
        "course": before.course,
        "area": before.area,
        "day": starts.date().isoformat(),
        "start": f"{starts:%H:%M}",
        "end": clock_time(before.ends),
        "place": before.place,
        "seats": str(before.seats),
        "note": before.note,
    }


def _read_form(values: dict[str, str], courses: dict[str, PracticalCourse]) -> RoundForm:
    """A RoundForm from the fields, or RoundError for a course or area not offered, bad times or a bad number."""
    course = courses.get(values["course"])
    if course is None:
        raise RoundError("请选一门实训课程。")
    if values["area"] and values["area"] not in course.areas:
        raise RoundError(f"「{course.title}」没有这个实训区，请重新选。")
    starts, ends = parse_times(values["day"], values["start"], values["end"])
    try:
        seats = int(values["seats"].strip())
    except ValueError:
        raise RoundError(f"座位数请填 1 到 {MAX_SEATS} 之间的整数。") from None
    return RoundForm(course.id, values["area"], starts, ends, values["place"], seats, values["note"])


def _form_page(before: Round | None, values: dict[str, str], courses, error: str = "", status: int = 200):
    page = render_template(
        "editor/practical/round_form.html",
        before=before,
        form=values,
        courses=courses,
        all_areas=ALL_AREAS,
        max_seats=MAX_SEATS,
        error=error,
    )
    return page, status


@bp.route("/training/practical/new", methods=["GET", "POST"])
@trainers_only
def practical_new_round():
    """A new round: course and area, day, hours, place, seats and a note; a mistake keeps what was typed."""
    courses, values = practical_courses(), _form_values()
    if request.method == "GET":
        return _form_page(None, values, courses)
    try:
        form = check_form(_read_form(values, courses), now())
        with learning_db() as db:
            round_id = add_round(db, form, g.editor.name, now())
    except RoundError as exc:
        return _form_page(None, values, courses, str(exc), 400)
    flash("已添加这一轮实训，学员现在可以在手机上报名。", "ok")
    return redirect(url_for("editor.practical_round", round_id=round_id))


@bp.route("/training/practical/<round_id>/edit", methods=["GET", "POST"])
@trainers_only
def practical_edit_round(round_id: str):
    """Change a round; the seats may not go below those already taken."""
    before, courses = _round_or_404(round_id), practical_courses()
    values = _form_values(before)
    if request.method == "GET":
        return _form_page(before, values, courses)
    try:
        with learning_db() as db:
            change_round(db, before.id, _read_form(values, courses), now())
    except RoundError as exc:
        return _form_page(before, values, courses, str(exc), 400)
    flash("已保存这一轮的修改。已报名的学员在手机上会看到新的时间和地点。", "ok")
    return redirect(url_for("editor.practical_round", round_id=before.id))


@bp.post("/training/practical/<round_id>/cancel")
@trainers_only
def practical_cancel_round(round_id: str):
    """Call a round off; it stays listed as 已取消, with who had signed up."""
    with learning_db() as db:
        cancel_round(db, _round_or_404(round_id).id)
    flash("这一轮已取消。请通知已报名的学员。", "ok")
    return redirect(url_for("editor.practical_rounds"))


@bp.get("/training/practical/<round_id>")
@trainers_only
def practical_round(round_id: str):
    """A round's list of who signed up and who was scanned in, to print for the door or the file."""
    found = _round_or_404(round_id)
    with learning_db() as db:
        people = signups(db, found.id)
    courses = practical_courses()
    return render_template(
        "editor/practical/round.html", round=found, people=people, course=course_name(courses, found.course)
    )


@bp.get("/training/practical/<round_id>/attendance")
@trainers_only
def practical_attendance(round_id: str):
    """The page at the door: a box a card scanner types into, and who has been scanned in so far; on another day,
    why scanning is not open yet (or any more)."""
    found = _round_or_404(round_id)
    return _attendance_page(found, error=found.scan_refusal(now()))


@bp.post("/training/practical/<round_id>/attendance")
@trainers_only
def practical_scan(round_id: str):
    """One scan (or 加入并签到 for a learner not signed up): marks her present and answers with the page, her name
    large; the page's script swaps the answer in, so the box keeps its place and the camera keeps running."""
    found = _round_or_404(round_id)
    code, walk_in = request.form.get("code", ""), bool(request.form.get("walk_in"))
    try:
        with learning_db() as db:
            result = check_in(db, found.id, code, g.editor.name, now(), walk_in=walk_in)
    except RoundError as exc:
        return _attendance_page(found, error=str(exc), status=409)
    return _attendance_page(_round_or_404(round_id), result=result, status=SCAN_STATUS[result.outcome])


def _attendance_page(found: Round, result: ScanResult | None = None, error: str = "", status: int = 200):
    """The attendance page with the last scan's answer (or why it could not be taken) and who is present, latest
    first."""
    with learning_db() as db:
        present = [person for person in signups(db, found.id) if person.attended_at is not None]
    present.sort(key=lambda person: person.attended_at or 0, reverse=True)
    page = render_template(
        "editor/practical/attendance.html",
        round=found,
        course=course_name(practical_courses(), found.course),
        present=present,
        result=result,
        error=error,
        Scan=Scan,
    )
    return page, status
