"""The desk's staff pages under /editor/desk/ (routes on the editor's blueprint, behind its sign-in and CSRF guard):
the queue (overdue first, due dates shown), one request with its history and only the actions its handler may
take, correcting a dispute's property company, the counsel's library search for the answer, the monthly export,
and the editors' list of categories."""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, g, redirect, render_template, request, url_for

from indexer.errors import ContentError, SearchError

from ..editor import bp, parts
from ..editor.downloads import download
from ..editor.guard import desk_staff
from ..places import Community
from ..training.trainer.export import XLSX_TYPE
from ..web import now, services
from .access import companies_by_community, desk_db, rules
from .database import Attachment, Change, Request
from .export import as_file, month_span, monthly_table
from .intake import TEXT_MAX, IntakeError, checked_company
from .public import moment
from .qa import anonymised, publish_qa
from .roles import may_handle, may_see
from .states import (
    ACTION_NAMES,
    KIND_NAMES,
    LEVEL_NAMES,
    LEVELS,
    MOVES,
    STATUS_NAMES,
    STATUSES,
    Place,
    RefusedMove,
    actions,
)
from .workflow import NOT_HERE, REASON_MAX, Asked, act, correct_company, register

FROM_SEARCH = "（搜索没找到，编辑转来）"
MAX_ATTACHED = 5
MAX_HITS = 8
CATEGORY_MAX = 20
CATEGORIES_MAX = 30


@bp.get("/desk/")
@desk_staff
def desk_queue():
    """The requests this account sees, overdue first, then by due date; filters by status and level."""
    status = request.args.get("status") or None
    level = request.args.get("level") or None
    if (status and status not in STATUSES) or (level and level not in LEVELS):
        abort(400, description="没有这种状态或级别。")
    with desk_db() as db:
        found = [r for r in db.all(status, level) if may_see(g.editor, r)]
    return render_template(
        "editor/desk/queue.html",
        requests=found,
        now=now(),
        status=status or "",
        level=level or "",
        statuses=STATUS_NAMES,
        levels=LEVEL_NAMES,
        kinds=KIND_NAMES,
        moment=moment,
        this_month=dt.datetime.fromtimestamp(now()).strftime("%Y-%m"),
    )


@bp.get("/desk/r/<request_id>")
@desk_staff
def desk_request(request_id: str):
    """One request: what was asked, its history, and (for its handler) the resident's contacts and the actions."""
    found = _visible(request_id)
    handles = may_handle(g.editor, found)
    with desk_db() as db:
        history, attached = db.history(found.id), db.attachments(found.id)
    query = request.args.get("q", "").strip()[:100]
    hits, problem = [], None
    if handles and query:
        try:
            found_hits = services().searcher().search(query, limit=20).hits
            hits = list({hit.doc: hit for hit in reversed(found_hits)}.values())[::-1][:MAX_HITS]  # one per article
        except SearchError as exc:
            problem = str(exc)
    place = Place(found.kind, found.status, found.level, bool(found.joint), bool(found.reopened))
    correctable = may_correct(g.editor, found)
    return render_template(
        "editor/desk/request.html",
        item=found,
        handles=handles,
        history=history,
        attached=attached,
        actions=actions(place) if handles and rules().owns(found) else [],
        elsewhere="" if rules().owns(found) else NOT_HERE[rules().at_hub],
        moves=MOVES,
        action_names=ACTION_NAMES,
        statuses=STATUS_NAMES,
        levels=LEVEL_NAMES,
        kinds=KIND_NAMES,
        moment=moment,
        query=query,
        hits=hits,
        problem=problem,
        overdue=found.due is not None and found.due < now(),
        publishable=may_publish(g.editor, found),
        correctable=correctable,
        companies=companies_by_community().get(found.community, []) if correctable else [],
        reason_max=REASON_MAX,
        anonymised=anonymised,
    )


@bp.post("/desk/r/<request_id>")
@desk_staff
def desk_act(request_id: str):
    """Take one action on a request this account handles; answers may attach articles found in the library."""
    found = _handled(request_id)
    action = request.form.get("action", "")
    if action not in MOVES or "staff" not in MOVES[action].by:
        abort(400, description="没有这种操作。")
    note = request.form.get("note", "")[:2000]
    articles = _articles(request.form.getlist("attach")) if action == "answer" else []
    try:
        with desk_db() as db:
            act(db, rules(), found, action, g.editor.name, note, now(), articles=tuple(articles))
    except RefusedMove as exc:
        flash(str(exc), "error")
    else:
        flash(f"已{ACTION_NAMES[action]}。", "ok")
    return redirect(url_for("editor.desk_request", request_id=found.id))


@bp.post("/desk/r/<request_id>/company")
@desk_staff
def desk_company(request_id: str):
    """Correct the property company a dispute names, with a reason, so the 物业超市 counts it for the right company."""
    found = _handled(request_id)
    try:
        company = checked_company(request.form.get("company", ""))
        with desk_db() as db:
            correct_company(db, rules(), found, company, request.form.get("reason", ""), g.editor.name, now())
    except (IntakeError, RefusedMove) as exc:
        flash(str(exc), "error")
    else:
        flash(f"已{ACTION_NAMES['company']}。", "ok")
    return redirect(url_for("editor.desk_request", request_id=found.id))


def may_correct(user, found: Request) -> bool:
    """A dispute's company is corrected by whoever acts on it where it is now, at the site that holds it."""
    return found.kind == "dispute" and may_handle(user, found) and rules().owns(found)


def _articles(doc_ids: list[str]) -> list[Attachment]:
    """The library's documents among ``doc_ids`` with their titles (unknown ids are dropped)."""
    found = []
    for doc_id in doc_ids[:MAX_ATTACHED]:
        doc = services().document(doc_id)
        if doc is not None:
            found.append(Attachment(doc.id, doc.title))
    return found


def _visible(request_id: str) -> Request:
    """The request if this account may see it; a 404 otherwise, so ids of other units' requests tell nothing."""
    with desk_db() as db:
        found = db.get(request_id)
    if found is None or not may_see(g.editor, found):
        abort(404, description="没有这条登记，或者它不归您查看。")
    return found


def _handled(request_id: str) -> Request:
    """The request if this account acts on it where it is now; 403 if it only sees it, 404 as _visible."""
    found = _visible(request_id)
    if not may_handle(g.editor, found):
        abort(403, description=f"这条登记现在在{LEVEL_NAMES[found.level]}，由那一级的工作人员办理。")
    return found


@bp.post("/desk/r/<request_id>/publish")
@desk_staff
def desk_publish(request_id: str):
    """Counsel publishes an answered question, with the resident's consent and anonymised, as a library Q&A."""
    found = _visible(request_id)
    if not may_publish(g.editor, found):
        abort(403, description="只有居民同意公开、已经答复的法律咨询，才能由法律咨询的工作人员发布。")
    with desk_db() as db:
        articles = db.attachments(found.id)
    try:
        source, result = publish_qa(
            services(),
            parts().vectors,
            request.form.get("question", "")[:TEXT_MAX],
            request.form.get("answer", "")[:2000],
            found.category,
            articles,
            g.editor.name,
        )
    except ContentError as exc:
        flash(str(exc), "error")
        return redirect(url_for("editor.desk_request", request_id=found.id))
    with desk_db() as db:
        db.note(found.id, Change(now(), g.editor.name, "publish", found.status, found.level, source))
    for problem in result.problems:
        flash(f"已保存，但{problem}", "error")
    flash(f"已发布到文库：{source}", "ok")
    return redirect(url_for("editor.desk_request", request_id=found.id))


def may_publish(user, found: Request) -> bool:
    """An answered legal question whose resident agreed, by the counsel (or an admin) who handles it."""
    return (
        found.kind == "consult"
        and bool(found.consent)
        and found.status in ("answered", "rated")
        and may_handle(user, found)
    )


@bp.post("/desk/ask")
def desk_ask():
    """From the statistics page: a search that found nothing becomes a question for counsel, who may answer it
    and publish the answer as a Q&A (the search was anonymous: the question has no community and no one to tell)."""
    query = request.form.get("q", "").strip()
    if not 2 <= len(query) <= 100:
        abort(400, description="请给出 2 到 100 个字的搜索词。")
    with desk_db() as db:
        categories = db.categories()
        category = "其他" if "其他" in categories else categories[0]
        asked = Asked("consult", Community("", FROM_SEARCH), category, f"文库里没有找到：{query}")
        made = register(db, rules(), asked, now(), actor=g.editor.name)
    flash(f"已转给法律咨询，受理号 {made.number}。", "ok")
    return redirect(url_for("editor.stats"))


@bp.get("/desk/export")
@desk_staff
def desk_export():
    """A month's requests this account sees as .xlsx or .csv; names and phones only for an admin who asks."""
    month = request.args.get("month", "")
    kind = request.args.get("format", "xlsx")
    contacts = request.args.get("contacts") == "1"
    try:
        since, until = month_span(month)
    except ValueError:
        abort(400, description="月份的格式应当像 2026-12。")
    if kind not in ("xlsx", "csv"):
        abort(400, description="格式只能是 xlsx 或 csv。")
    if contacts and not g.editor.is_admin:
        abort(403, description="带姓名和电话的导出只有管理员可以下载。")
    with desk_db() as db:
        found = [r for r in db.all(since=since) if r.created < until and may_see(g.editor, r)]
    body = as_file(monthly_table(found, month, contacts), kind)
    mimetype = XLSX_TYPE if kind == "xlsx" else "text/csv"
    return download(body, mimetype, f"咨询和调处-{month}{'-含联系方式' if contacts else ''}.{kind}")


@bp.route("/desk/categories", methods=["GET", "POST"])
def desk_categories():
    """The categories residents pick from, one a line, for editors to change (requests keep theirs)."""
    with desk_db() as db:
        if request.method == "POST":
            names = list(dict.fromkeys(line.strip() for line in request.form.get("names", "").splitlines()))
            names = [name for name in names if name]
            if not names or len(names) > CATEGORIES_MAX or any(len(name) > CATEGORY_MAX for name in names):
                abort(400, description=f"请写 1 到 {CATEGORIES_MAX} 个类别，每行一个，每个不超过 {CATEGORY_MAX} 个字。")
            db.set_categories(names)
            flash("类别已保存。", "ok")
            return redirect(url_for("editor.desk_categories"))
        return render_template("editor/desk/categories.html", names=db.categories())
