"""The 物业超市's pages under /editor/market/ (routes on the editor's blueprint, behind its sign-in and CSRF guard):
the company file with each company's scorecard, history and admission decisions; adding and editing companies,
importing and exporting the file, and deciding admission (centre staff); the quarterly assessment form (the centre,
乡镇/街道 and communities)."""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, g, redirect, render_template, request, url_for

from ..desk.export import as_file
from ..editor import bp
from ..editor.downloads import download
from ..editor.guard import market_staff
from ..training.trainer.export import XLSX_TYPE
from ..web import now, services, settings
from .access import (
    NO_WORK,
    below_line,
    company_or_404,
    latest_of,
    listed_communities,
    market_db,
    scorecard_of,
    work_or_404,
)
from .companies import FIELDS, Company, CompanyError, checked
from .criteria import CRITERIA, TOTAL, scored
from .database import Assessment, Decision
from .goodwork import KINDS, LINE_MAX, TITLE_MAX, GoodWork, GoodWorkError, work_of
from .photos import MAX_BYTES, PhotoError, remove, store
from .quarters import QUARTER, previous, quarter_of, spoken
from .roles import NOT_CENTRE, may_edit
from .scorecard import SOURCE_NAMES
from .sheets import SheetError, export_table, import_file

UNIT_MAX = 30
REASON_MAX = 500
NOTE_MAX = 500
QUARTERS_SHOWN = 4
ACTION_NAMES = {
    "add": "建档",
    "edit": "修改",
    "import": "导入",
    "admit": "入驻",
    "remove": "移出",
    "assess": "考核",
    "work": "形象墙",
}


def centre_only() -> None:
    """A 403 for anyone but centre staff and admins (the file's keepers, and the only readers of contacts)."""
    if not may_edit(g.editor):
        abort(403, description=NOT_CENTRE)


@bp.get("/market/")
@market_staff
def market_list():
    """Every company: in the market or not, its latest combined score and whether it is below the admission line."""
    with market_db() as db:
        companies = db.companies()
    cards = {c.id: latest_of(c) for c in companies}
    return render_template(
        "editor/market/list.html",
        companies=companies,
        cards=cards,
        below={cid: below_line(found) for cid, found in cards.items()},
        edits=may_edit(g.editor),
        line=settings().market_admission_line,
        fields=FIELDS,
    )


@bp.route("/market/new", methods=["GET", "POST"])
@market_staff
def market_new():
    """Add a company to the file (centre staff)."""
    centre_only()
    return _company_form(Company(name="", registration=""))


@bp.get("/market/c/<company_id>")
@market_staff
def market_company(company_id: str):
    """One company: its file, its scorecard for a quarter (this one unless ?quarter=), the admission decisions,
    and (for the centre) its contacts, history and the forms to edit it and decide."""
    company = company_or_404(company_id)
    this = quarter_of(now())
    quarter = request.args.get("quarter", this)
    if not QUARTER.match(quarter):
        abort(400, description="季度的格式应当像 2026Q4。")
    found = scorecard_of(company, quarter)
    with market_db() as db:
        history, decisions, assessed, works = (
            db.history(company.id),
            db.decisions(company.id),
            db.assessments(company.id, quarter),
            db.works(company.id),
        )
    return render_template(
        "editor/market/company.html",
        company=company,
        card=found,
        below=below_line(found),
        line=settings().market_admission_line,
        quarter=quarter,
        quarter_name=spoken(quarter),
        quarters=previous(this, QUARTERS_SHOWN),
        history=history if may_edit(g.editor) else [],
        decisions=decisions,
        assessed=assessed,
        criteria=CRITERIA,
        listed=listed_communities(),
        edits=may_edit(g.editor),
        action_names=ACTION_NAMES,
        source_names=SOURCE_NAMES,
        works=works,
        **_work_choices(),
        moment=moment,
        today=dt.date.fromtimestamp(now()).isoformat(),
    )


@bp.route("/market/c/<company_id>/edit", methods=["GET", "POST"])
@market_staff
def market_edit(company_id: str):
    """Change a company's file (centre staff); its history says who changed what, and when."""
    centre_only()
    return _company_form(company_or_404(company_id))


def _company_form(company: Company):
    """The form to add or edit a company; a POST that passes the checks saves it and opens its page."""
    problem, values = None, company.texts()
    if request.method == "POST":
        values = {item.key: request.form.get(item.key, "") for item in FIELDS}
        try:
            edited = checked(values)
            with market_db() as db:
                holder = db.by_name(edited.name) or db.by_registration(edited.registration)
                if holder is not None and holder.id != company.id:
                    raise CompanyError(f"「{holder.name}」（备案号 {holder.registration}）已经在档案里了")
                stored, note = db.save(
                    Company(**{**edited.__dict__, "id": company.id}),
                    g.editor.name,
                    "edit" if company.id else "add",
                    now(),
                )
        except CompanyError as exc:
            problem = str(exc)
        else:
            flash("已保存。" if note else "没有改动。", "ok")
            return redirect(url_for("editor.market_company", company_id=stored.id))
    return render_template(
        "editor/market/edit.html", company=company, values=values, fields=FIELDS, problem=problem
    ), 400 if problem else 200


@bp.post("/market/c/<company_id>/decide")
@market_staff
def market_decide(company_id: str):
    """Admit the company to the market or remove it: the centre's decision, with its date and reason."""
    centre_only()
    company = company_or_404(company_id)
    admit = {"admit": True, "remove": False}.get(request.form.get("decision", ""))
    if admit is None:
        abort(400, description="请选择「入驻」或「移出」。")
    if admit == company.in_market:
        abort(409, description="这家企业已经在物业超市里了。" if admit else "这家企业现在不在物业超市里。")
    reason = request.form.get("reason", "").strip()[:REASON_MAX]
    if len(reason) < 2:
        abort(400, description="请写明理由（例如中心会议的决定和依据）。")
    try:
        decided = dt.date.fromisoformat(request.form.get("decided", "")[:10])
    except ValueError:
        abort(400, description="请填写决定的日期，例如 2026-12-07。")
    with market_db() as db:
        db.decide(company.id, Decision(admit, decided.isoformat(), reason, g.editor.name, now()))
    flash(f"已{'入驻物业超市' if admit else '移出物业超市'}。", "ok")
    return redirect(url_for("editor.market_company", company_id=company.id))


@bp.route("/market/c/<company_id>/assess", methods=["GET", "POST"])
@market_staff
def market_assess(company_id: str):
    """The quarterly assessment by the city's criteria: a community or 乡镇/街道 in its own name, the centre in
    the name of the department it types; a unit's second assessment of a quarter replaces its first."""
    company = company_or_404(company_id)
    quarter = quarter_of(now())
    problem, values = None, dict(request.form) if request.method == "POST" else {}
    if request.method == "POST":
        unit = g.editor.unit or request.form.get("unit", "").strip()
        note = request.form.get("note", "").strip()[:NOTE_MAX]
        try:
            if not unit or len(unit) > UNIT_MAX:
                raise ValueError(f"请写明考核单位（部门的名称，不超过 {UNIT_MAX} 个字）")
            points = scored(request.form)
        except ValueError as exc:
            problem = str(exc)
        else:
            total = sum(points.values())
            with market_db() as db:
                replaced = db.assess(company.id, quarter, Assessment(unit, g.editor.name, now(), points, total, note))
            flash(
                f"已{'更新' if replaced else '提交'}{unit}对「{company.name}」{spoken(quarter)}的考核：{total} 分。",
                "ok",
            )
            return redirect(url_for("editor.market_company", company_id=company.id))
    return render_template(
        "editor/market/assess.html",
        company=company,
        quarter_name=spoken(quarter),
        criteria=CRITERIA,
        total=TOTAL,
        values=values,
        unit=g.editor.unit,
        problem=problem,
    ), 400 if problem else 200


@bp.post("/market/c/<company_id>/work")
@market_staff
def market_add_work(company_id: str):
    """Add a good work for the 形象墙 (centre staff): the form's text and a photo, re-encoded before it is kept."""
    centre_only()
    company = company_or_404(company_id)
    work, photo = _work_form()
    if not photo:
        abort(400, description="请选择一张照片（JPEG、PNG 或 WebP）。")
    with market_db() as db:
        db.add_work(GoodWork(**{**work.__dict__, "photo": photo, "company": company.id}), g.editor.name, now())
    flash(f"已加到形象墙：{work.title}", "ok")
    return redirect(url_for("editor.market_company", company_id=company.id))


@bp.route("/market/c/<company_id>/work/<work_id>/edit", methods=["GET", "POST"])
@market_staff
def market_edit_work(company_id: str, work_id: str):
    """Change a good work's text, and its photo when a new one is chosen (the old file is deleted then)."""
    centre_only()
    company = company_or_404(company_id)
    was = work_or_404(company, work_id)
    if request.method == "GET":
        return render_template("editor/market/work.html", company=company, work=was, **_work_choices())
    work, photo = _work_form()
    with market_db() as db:
        db.edit_work(
            GoodWork(**{**work.__dict__, "photo": photo or was.photo, "company": company.id, "id": was.id}),
            g.editor.name,
            now(),
        )
    if photo:
        remove(services().data.root, was.photo)
    flash(f"已保存：{work.title}", "ok")
    return redirect(url_for("editor.market_company", company_id=company.id))


def _work_form() -> tuple[GoodWork, str]:
    """The good-work form's fields, checked, and its photo stored ("" when none was chosen); a 400 saying what is
    wrong otherwise. The text is checked first, so a form refused keeps no photo."""
    upload = request.files.get("photo")
    try:
        work = work_of(request.form)
        if upload is None or not upload.filename:
            return work, ""
        return work, store(services().data.root, upload.read(MAX_BYTES + 1))
    except (GoodWorkError, PhotoError) as exc:
        abort(400, description=str(exc))


def _work_choices() -> dict:
    return {"kinds": KINDS, "title_max": TITLE_MAX, "line_max": LINE_MAX, "photo_mb": MAX_BYTES // 1024 // 1024}


@bp.post("/market/c/<company_id>/work/<work_id>/remove")
@market_staff
def market_remove_work(company_id: str, work_id: str):
    """Take a good work off the 形象墙 (centre staff), and its photo with it."""
    centre_only()
    company = company_or_404(company_id)
    work = work_or_404(company, work_id)
    with market_db() as db:
        gone = db.remove_work(company.id, work.id, g.editor.name, now())
    if gone is None:  # removed by someone else a moment ago
        abort(404, description=NO_WORK)
    remove(services().data.root, gone.photo)
    flash(f"已从形象墙删除：{gone.title}", "ok")
    return redirect(url_for("editor.market_company", company_id=company.id))


@bp.post("/market/import")
@market_staff
def market_import():
    """Import an .xlsx or .csv of companies (centre staff): the page lists every row accepted and every row rejected
    with its row number and the reason."""
    centre_only()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        abort(400, description="请选择要导入的 .xlsx 或 .csv 文件。")
    try:
        with market_db() as db:
            report = import_file(db, upload.read(), upload.filename, g.editor.name, now())
    except SheetError as exc:
        abort(400, description=str(exc))
    return render_template("editor/market/imported.html", report=report, filename=upload.filename)


@bp.get("/market/export")
@market_staff
def market_export():
    """The file as .xlsx or .csv in the import's columns (centre staff: it holds the contacts)."""
    centre_only()
    kind = request.args.get("format", "xlsx")
    if kind not in ("xlsx", "csv"):
        abort(400, description="格式只能是 xlsx 或 csv。")
    with market_db() as db:
        companies = db.companies()
    scores = {c.id: latest_of(c).combined for c in companies}
    body = as_file(export_table(companies, scores), kind)
    return download(body, XLSX_TYPE if kind == "xlsx" else "text/csv", f"物业企业档案.{kind}")


def moment(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")
