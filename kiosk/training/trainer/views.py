"""The trainer's pages: completions, listening time and quiz answers by 乡镇/街道, 社区 and period with their Excel
and CSV exports; learners (add, new PIN, new card, merge, remove), printable QR cards and completion certificates."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import astuple

from flask import abort, flash, g, redirect, render_template, request, url_for

from ...editor import bp
from ...editor.downloads import download
from ...editor.guard import TRAINING_ENDPOINTS, trainers_only
from ...places import PlaceError, communities, listed_community
from ...web import base_url, now, services, settings
from ...web.links import qr_svg
from ..catalog import Catalog, CoursePlan, current_catalog
from ..durations import duration_words
from ..learner import learners as learner_records
from ..learner.cards import card_path, list_learners, new_card
from ..learner.database import LearningDB
from ..learner.learners import Learner, LearnerError, SignInError
from ..learner.merge import merge, shared_sentences
from ..learner.progress import course_progress, load_records
from ..learner.session import learning_db
from ..practical import signoffs as practical
from ..practical.rounds import ALL_AREAS, attended_rounds
from ..practical.tables import attendance_table, practical_results_table, signoffs_table
from . import export, queries
from .answers import learner_answers
from .duplicates import likely_duplicates, likely_duplicates_of
from .periods import PERIODS, Period, period_from
from .tables import (
    Filters,
    Table,
    cell_text,
    completions_table,
    counts_table,
    course_title,
    learner_listening_table,
    local_time,
    questions_table,
    unit_listening_table,
)

NO_LEARNER = "没有这位学员，可能已经删除了。"
REPORTS = {"overview": "完成情况", "listening": "收听时长", "questions": "答题情况"}
CSV_TABLES = {
    "completions": "overview",
    "counts": "overview",
    "learners": "listening",
    "units": "listening",
    "questions": "questions",
    "practical": "overview",
    "signoffs": "overview",
    "attendance": "overview",
}
log = logging.getLogger("kiosk.training")  # trainers' changes to learners, beside the editor's log
FILE_NAME_UNSAFE = str.maketrans(dict.fromkeys('/\\:*?"<>|', "_"))  # what Windows refuses in a file name


@bp.app_template_filter("training_cell")
def training_cell(value, kind: str) -> str:
    """A cell as the page shows it: the same text the CSV holds."""
    return cell_text(kind, value)


@bp.app_template_filter("listening_words")
def listening_words(seconds: float) -> str:
    """A listening time in words: 1 小时 25 分钟, 40 分钟."""
    return duration_words(seconds)


@bp.after_request
def _no_store(response):
    """Learners' names and cards are not kept in the shared PC's browser cache."""
    if request.endpoint in TRAINING_ENDPOINTS:
        response.cache_control.no_store = True
    return response


def _today() -> dt.date:
    return dt.date.fromtimestamp(now())


def _period() -> Period:
    return period_from(request.args, _today())


def _filters(report: str = "learners") -> Filters:
    """The filters a page takes: 乡镇/街道 and 社区 everywhere but on the questions, a course on completions and
    questions."""
    args = request.args
    units = report != "questions"
    return Filters(
        args.get("town", "").strip() if units else "",
        args.get("community", "").strip() if units else "",
        args.get("course", "").strip() if report in ("overview", "questions") else "",
    )


def _choices(db: LearningDB, found: Catalog, filters: Filters) -> dict:
    """What the filters offer: every town, the communities of the chosen town (or all), every course."""
    units = learner_records.units(db)
    return {
        "towns": sorted({town for town, _ in units}),
        "communities": sorted({c for town, c in units if not filters.town or town == filters.town}),
        "courses": [(plan.id, plan.title) for plan in found.courses.values()],
        "periods": PERIODS,
    }


def _report_tables(report: str, db: LearningDB, found: Catalog, period: Period, filters: Filters) -> list[Table]:
    """The tables of one report page, as the page shows them and the exports write them."""
    since, until = period.bounds
    if report == "overview":
        return [
            completions_table(db, found, since, until, filters),
            counts_table(db, found, since, until, filters),
            practical_results_table(db, found, since, until, filters),
            signoffs_table(db, found, since, until, filters),
            attendance_table(db, found, since, until, filters),
        ]
    if report == "listening":
        return [learner_listening_table(db, since, until, filters), unit_listening_table(db, since, until, filters)]
    with services().store() as store:
        return [questions_table(db, found, since, until, filters.course, store)]


def _report_page(report: str, template: str, **extra):
    period, filters = _period(), _filters(report)
    found = current_catalog()
    with learning_db() as db:
        tables = _report_tables(report, db, found, period, filters)
        choices = _choices(db, found, filters)
    query = {**period.args(), **{k: v for k, v in vars(filters).items() if v}}
    return render_template(
        template,
        report=report,
        tables=tables,
        summary=_summary(report, tables),
        period=period,
        filters=filters,
        query=query,
        **choices,
        **extra,
    )


def _summary(report: str, tables: list[Table]) -> dict:
    """The few numbers above a report's tables."""
    rows = tables[0].rows
    if report == "overview":
        return {
            "completions": len(rows),
            "learners": len({row.meta["learner"] for row in rows}),
            "units": len({row.values[:2] for row in rows}),
        }
    if report == "listening":
        return {
            "learners": len(rows),
            "listeners": sum(not row.meta["quiet"] for row in rows),
            "seconds": sum(row.values[3] for row in rows),
        }
    attempts, wrong = sum(row.values[2] for row in rows), sum(row.values[3] for row in rows)
    return {
        "questions": len(rows),
        "attempts": attempts,
        "right_percent": round(100 * (attempts - wrong) / attempts, 1) if attempts else None,
    }


# -- the reports --------------------------------------------------------------------------------------------------


@bp.get("/training/")
@trainers_only
def training_overview():
    """Who completed which course in the period, by 乡镇/街道 and 社区, and how many per 社区."""
    practical_courses = [(plan.id, plan.title) for plan in current_catalog().courses.values() if plan.practical]
    return _report_page("overview", "editor/training_overview.html", practical_courses=practical_courses)


@bp.get("/training/listening")
@trainers_only
def training_listening():
    """Hours each learner and each 社区 listened in the period: who kept listening at home, and who did not."""
    return _report_page("listening", "editor/training_listening.html")


@bp.get("/training/questions")
@trainers_only
def training_questions():
    """Quiz answers per question, most often wrong first, with the passage it comes from: what to teach again."""
    return _report_page("questions", "editor/training_questions.html")


@bp.get("/training/export/<report>.xlsx")
@trainers_only
def training_xlsx(report: str):
    """A report page's tables as an Excel workbook, one sheet per table."""
    if report not in REPORTS:
        abort(404)
    period, filters = _period(), _filters(report)
    found = current_catalog()
    with learning_db() as db:
        tables = _report_tables(report, db, found, period, filters)
    return download(
        export.workbook(tables, base_url()), export.XLSX_TYPE, _file_name(REPORTS[report], period, filters, "xlsx")
    )


@bp.get("/training/export/<table>.csv")
@trainers_only
def training_csv(table: str):
    """One table of a report page as CSV for Excel."""
    if table not in CSV_TABLES:
        abort(404)
    report = CSV_TABLES[table]
    period, filters = _period(), _filters(report)
    found = current_catalog()
    with learning_db() as db:
        chosen = next(t for t in _report_tables(report, db, found, period, filters) if t.id == table)
    return download(export.csv_text(chosen), "text/csv", _file_name(chosen.title, period, filters, "csv"))


def _file_name(title: str, period: Period, filters: Filters, suffix: str) -> str:
    """E.g. 培训记录-完成名单-城关街道-2027-01-11至2027-01-17.xlsx."""
    parts = ["培训记录", title, *(part for part in (filters.town, filters.community) if part), period.span]
    return "-".join(parts).translate(FILE_NAME_UNSAFE) + f".{suffix}"


# -- learners -----------------------------------------------------------------------------------------------------


@bp.get("/training/learners")
@trainers_only
def training_learners():
    """Every learner, filtered by 乡镇/街道, 社区 and name, with a form to add one who has no phone."""
    return _learners_page()


def _learners_page(form: dict | None = None, error: str | None = None, status: int = 200):
    filters, query = _filters(), request.args.get("q", "").strip()
    found = current_catalog()
    with learning_db() as db:
        everyone = list_learners(db)
        people = [
            person for person in list_learners(db, filters.town, filters.community) if not query or query in person.name
        ]
        shown = {person.id for person in people}
        likely = [pair for pair in likely_duplicates(everyone) if {pair.first.id, pair.second.id} & shown]
        done = queries.completed_counts(db)
        choices = _choices(db, found, filters)
    return render_template(
        "editor/training_learners.html",
        places=communities(services().data.root),
        learners=people,
        likely=likely,
        done=done,
        filters=filters,
        q=query,
        form=form or {},
        error=error,
        local_time=local_time,
        **choices,
    ), status


@bp.post("/training/learners")
@trainers_only
def training_add_learner():
    """Add a learner by name, a 社区 of the hub's list and PIN, for someone who cannot sign up on a phone of their
    own."""
    form = {field: request.form.get(field, "") for field in ("name", "community", "pin")}
    try:
        name = learner_records.clean(form["name"], "name")
        town, community = astuple(listed_community(services().data.root, "", form["community"]))
        pin = learner_records.clean_pin(form["pin"])
    except (LearnerError, PlaceError) as exc:
        return _learners_page(form, str(exc), 400)
    with learning_db() as db:
        if queries.find_learner(db, name, town, community) is None:
            try:
                learner, _ = learner_records.sign_in(db, name, town, community, pin, now())
            except SignInError:  # signed up on a phone this very moment
                learner = None
        else:
            learner = None
    if learner is None:
        return _learners_page(
            form,
            f"已经有这位学员了：{name}（{town} {community}）。在下面的名单里点开，可以重置 PIN 或打印学习卡。",
            400,
        )
    flash(f"已添加学员「{learner.name}」（{learner.town} {learner.community}）。现在可以打印学习卡。", "ok")
    with learning_db() as db:
        namesakes = likely_duplicates_of(learner, list_learners(db))
    if namesakes:
        who = "、".join(f"{person.name}（{person.town} {person.community}）" for person in namesakes)
        flash(f"请核对：这位学员可能和 {who} 是同一个人。如果是，请在本页下方把那位合并过来。", "warn")
    return redirect(url_for("editor.training_learner", learner_id=learner.id))


def learner_or_404(db: LearningDB, learner_id: str) -> Learner:
    """The learner of a trainer's page; 404 for one never there or removed."""
    learner = learner_records.get(db, learner_id)
    if learner is None:
        abort(404, description=NO_LEARNER)
    return learner


@bp.get("/training/learners/<learner_id>")
@trainers_only
def training_learner(learner_id: str):
    """One learner: progress in every course, her answers (wrong ones first, with the passage to play), certificates
    of those completed, new PIN, new card, remove."""
    found = current_catalog()
    with learning_db() as db:
        learner = learner_or_404(db, learner_id)
        records = load_records(db, learner.id)
        seconds = queries.course_seconds(db, learner.id)
        signed = practical.by_course(db, learner.id)
        attended = attended_rounds(db, learner.id)
        everyone = list_learners(db)
        with services().store() as store:
            answers = learner_answers(db, found, learner.id, store)
    courses = []
    for plan in found.courses.values():
        progress = course_progress(plan, records)
        latest = practical.latest_of(plan, signed.get(plan.id, []))
        areas = practical.area_results(plan, latest) if plan.practical else []
        courses.append(
            {
                "id": plan.id,
                "title": plan.title,
                "practical": plan.practical,
                "areas": (sum(area.done for area in areas), len(areas)),
                "heard": progress["heard"],
                "total": progress["total"],
                "percent": round(100 * progress["heard"] / progress["total"]) if progress["total"] else 0,
                "completed": local_time(records.completed.get(plan.id)),
                "seconds": seconds.get((learner.id, plan.id), 0.0),
            }
        )
    for course, at in records.completed.items():  # completed once, the course since taken off the hub
        if course not in found.courses:
            courses.append(
                {
                    "id": course,
                    "title": course_title(found, course),
                    "heard": 0,
                    "total": 0,
                    "percent": 100,
                    "completed": local_time(at),
                    "seconds": seconds.get((learner.id, course), 0.0),
                }
            )
    return render_template(
        "editor/training_learner.html",
        learner=learner,
        courses=courses,
        answers=answers,
        attended=[
            {
                "course": course_title(found, r.course),
                "area": r.area or ALL_AREAS,
                "starts": local_time(r.starts),
                "place": r.place,
                "at": local_time(r.attended_at),
            }
            for r in attended
        ],
        created=local_time(learner.created),
        listened=learner.listened,
        likely=likely_duplicates_of(learner, everyone),
        others=[person for person in everyone if person.id != learner.id],
    )


@bp.post("/training/learners/<learner_id>/pin")
@trainers_only
def training_set_pin(learner_id: str):
    """A new PIN for a learner who forgot theirs; it also lifts a lock-out and signs their phones out."""
    with learning_db() as db:
        learner = learner_or_404(db, learner_id)
        try:
            learner_records.set_pin(db, learner.id, request.form.get("pin", ""))
        except LearnerError as exc:
            flash(f"没有改 PIN：{exc}", "error")
        else:
            flash(f"已为「{learner.name}」设置新的 PIN。已登录的手机要用新 PIN（或学习卡）重新登录。", "ok")
    return redirect(url_for("editor.training_learner", learner_id=learner.id))


@bp.post("/training/learners/<learner_id>/card")
@trainers_only
def training_new_card(learner_id: str):
    """重新发卡: a new card for a lost one; the old card stops working and phones signed in with it are signed out."""
    with learning_db() as db:
        learner = learner_or_404(db, learner_id)
        new_card(db, learner.id)
    flash(f"已为「{learner.name}」重新发卡：旧卡从现在起不能再登录。请打印下面这张新卡。", "ok")
    return redirect(url_for("editor.training_cards", learner=learner.id))


@bp.get("/training/learners/<learner_id>/remove")
@trainers_only
def training_remove_confirm(learner_id: str):
    """The confirmation step before a learner and every record of theirs are deleted."""
    with learning_db() as db:
        learner = learner_or_404(db, learner_id)
        counts = queries.record_counts(db, learner.id)
    return render_template("editor/training_remove.html", learner=learner, counts=counts)


@bp.post("/training/learners/<learner_id>/remove")
@trainers_only
def training_remove(learner_id: str):
    """Delete a learner with everything they heard, answered and completed (only from the confirmation page)."""
    if request.form.get("confirm") != learner_id:
        abort(400, description="删除学员要先在确认页上确认。")
    with learning_db() as db:
        learner = learner_or_404(db, learner_id)
        learner_records.remove(db, learner.id)
    flash(f"已删除学员「{learner.name}」（{learner.town} {learner.community}）和全部学习记录。", "ok")
    return redirect(url_for("editor.training_learners"))


@bp.get("/training/learners/<learner_id>/merge")
@trainers_only
def training_merge_confirm(learner_id: str):
    """The confirmation step before another learner (?other=…) is merged into this one: both records' counts."""
    with learning_db() as db:
        kept = learner_or_404(db, learner_id)
        merged = learner_or_404(db, request.args.get("other", ""))
        if merged.id == kept.id:
            abort(400, description="不能把学员合并到自己。")
        counts = {person.id: queries.record_counts(db, person.id) for person in (kept, merged)}
        shared = shared_sentences(db, kept.id, merged.id)
    return render_template(
        "editor/training_merge.html", kept=kept, merged=merged, counts=counts, shared=shared, local_time=local_time
    )


@bp.post("/training/learners/<learner_id>/merge")
@trainers_only
def training_merge(learner_id: str):
    """Merge another learner into this one (only from the confirmation page): records joined, the other removed."""
    other = request.form.get("other", "")
    if not other or request.form.get("confirm") != other:
        abort(400, description="合并学员要先在确认页上确认。")
    with learning_db() as db:
        kept = learner_or_404(db, learner_id)
        merged = learner_or_404(db, other)
        try:
            outcome = merge(db, kept.id, merged.id, current_catalog().courses.values(), now())
        except LearnerError as exc:
            abort(400, description=str(exc))
    log.info(
        "%s 把学员 %s（%s，%s %s）合并到 %s（%s）",
        g.editor.name,
        merged.name,
        merged.id,
        merged.town,
        merged.community,
        kept.name,
        kept.id,
    )
    flash(
        f"已把「{merged.name}」（{merged.town} {merged.community}）合并到「{kept.name}」：学习记录都在这里了，"
        f"两人都听过的 {outcome.shared_sentences} 句只算一次。那位的学习卡和已登录的手机从现在起作废。",
        "ok",
    )
    return redirect(url_for("editor.training_learner", learner_id=kept.id))


# -- cards and certificates ---------------------------------------------------------------------------------------


@bp.get("/training/cards")
@trainers_only
def training_cards():
    """Printable QR cards, ten to an A4 page (bank-card size): the chosen learners (?learner=…), else those of the
    filters."""
    chosen = list(dict.fromkeys(request.args.getlist("learner")))
    filters, query = _filters(), request.args.get("q", "").strip()
    with learning_db() as db:
        if chosen:
            people = [person for person in (learner_records.get(db, i) for i in chosen) if person is not None]
        elif request.args.get("selected"):  # the list's 打印选中的 with nothing ticked
            people = []
        else:
            people = [
                person
                for person in list_learners(db, filters.town, filters.community)
                if not query or query in person.name
            ]
    base = base_url()  # the address phones reach this hub at, as the kiosk's own QR codes hold it
    cards = [{"learner": person, "qr": qr_svg(base + card_path(person.card), sized=False)} for person in people]
    return render_template("editor/cards.html", cards=cards, hub=settings().hub_name, base=base)


@bp.get("/training/certificate/<learner_id>/<course_id>")
@trainers_only
def training_certificate(learner_id: str, course_id: str):
    """A printable completion certificate; refused, with how far the learner got, until the course is completed."""
    found = current_catalog()
    plan = found.courses.get(course_id)
    with learning_db() as db:
        learner = learner_or_404(db, learner_id)
        records = load_records(db, learner.id)
        seconds = queries.course_seconds(db, learner.id).get((learner.id, course_id), 0.0)
        signed = practical.latest(db, learner.id, plan) if plan is not None and plan.practical else {}
    if plan is not None and plan.practical:
        return _practical_certificate(learner, plan, signed)
    completed = records.completed.get(course_id)
    if completed is None:
        if plan is None:
            abort(404, description="没有这门课。")
        progress = course_progress(plan, records)
        answered = sum(unit["quiz"]["answered"] for unit in progress["units"])
        questions = sum(unit["quiz"]["total"] for unit in progress["units"])
        return render_template(
            "editor/training_message.html",
            title="还不能出证书",
            status=409,
            message=f"{learner.name} 还没有学完「{plan.title}」，学完才能打印结业证书。",
            detail=f"已听 {progress['heard']} / {progress['total']} 句，自测题已答 {answered} / {questions} 道。"
            "每个单元听完九成、答完该单元的自测题，这门课就算学完。",
            back=url_for("editor.training_learner", learner_id=learner.id),
        ), 409
    return render_template(
        "editor/certificate.html",
        learner=learner,
        course=course_title(found, course_id),
        units=len(plan.units) if plan else None,
        completed=local_time(completed),
        listening=duration_words(seconds),
        hub=settings().hub_name,
    )


def _practical_certificate(learner, plan: CoursePlan, signed: dict):
    """A practical course's certificate: refused, naming the areas not yet 合格 in every skill, until all are; then
    each area with 合格, the trainer who signed it last and the date, dated the day the last of them was signed."""
    if not practical.all_passed(plan, practical.passed_skills(signed)):
        missing = practical.missing_areas(plan, signed)
        return render_template(
            "editor/training_message.html",
            title="还不能出证书",
            status=409,
            message=f"{learner.name} 的「{plan.title}」还有实训区没有全部合格：{'、'.join(missing)}。"
            if missing
            else f"「{plan.title}」还没有要签字的技能，不能出实训结业证书。",
            detail="每个实训区的每项技能，培训师最近一次签字都是合格，才能打印实训结业证书。",
            back=url_for("editor.training_learner", learner_id=learner.id),
        ), 409
    areas = practical.area_results(plan, signed)
    return render_template(
        "editor/certificate.html",
        learner=learner,
        course=plan.title,
        units=len(plan.units),
        completed=local_time(max(area.last.at for area in areas if area.last)),
        areas=[(area, dt.date.fromtimestamp(area.last.at) if area.last else None) for area in areas],
        hub=settings().hub_name,
    )
