"""The 双向选择 platform as the centre keeps it, under /editor/market/needs: estates' needs with their contacts, the
companies interested in each, and each need's status (在找物业, 已对接, 已结束) with a history line for every change.
Only centre staff and admins: the contacts are personal data."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for

from ..editor import bp
from ..editor.guard import market_staff
from ..web import now
from .access import LARGEST_ID, company_or_404, market_db
from .needs import STATUSES
from .staff import centre_only, moment

NOTE_MAX = 200
NO_NEED = "没有这条需求。"


@bp.get("/market/needs")
@market_staff
def market_needs():
    """Every need, open ones first, with its contact, interested companies and history."""
    centre_only()
    with market_db() as db:
        companies = {company.id: company for company in db.companies()}
        needs = db.needs()
        interest = {need.id: [companies[c] for c in db.interested(need.id)] for need in needs}
        history = {need.id: db.need_history(need.id) for need in needs}
    return render_template(
        "editor/market/needs.html",
        needs=needs,
        interest=interest,
        history=history,
        market=[c for c in companies.values() if c.in_market],
        statuses=STATUSES,
        moment=moment,
    )


@bp.post("/market/needs/<need_id>")
@market_staff
def market_need_update(need_id: str):
    """Mark a company interested in the need, or change its status with a note."""
    centre_only()
    if not need_id.isascii() or not need_id.isdigit() or int(need_id) > LARGEST_ID:
        abort(404, description=NO_NEED)
    with market_db() as db:
        need = db.need(int(need_id))
    if need is None:
        abort(404, description=NO_NEED)
    action = request.form.get("action", "")
    if action == "interest":
        company = company_or_404(request.form.get("company", ""))
        if not company.in_market:
            abort(400, description="只能为已入驻物业超市的企业登记意向。")
        with market_db() as db:
            added = db.mark_interest(need.id, company, g.editor.name, now())
        flash(f"已记下「{company.name}」有意向。" if added else "这家企业已经登记过意向了。", "ok")
    elif action == "status":
        status = request.form.get("status", "")
        if status not in STATUSES:
            abort(400, description="请选择需求的状态。")
        with market_db() as db:
            db.set_status(need.id, status, request.form.get("note", "").strip()[:NOTE_MAX], g.editor.name, now())
        flash(f"已改为「{STATUSES[status]}」。", "ok")
    else:
        abort(400, description="请选择要做的事：登记企业意向或修改状态。")
    return redirect(url_for("editor.market_needs") + f"#need-{need.id}")
