"""An owners' committee registers its estate's need, at the kiosk or on a phone: a form, a few per address (the
kiosk's touchscreen is one address, so the allowance fits a morning of committees, not a script), and a page that
thanks it without repeating the contact."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from ..places import communities
from ..web import Limit, hold_back, now, services
from .access import listed_communities, market_db
from .needs import WANTS, NeedError, need_from
from .public import bp

NEED_LIMIT = Limit("market-need", burst=5, per_minute=1 / 10)


@bp.get("/need")
def need_form():
    """The form, or (after a need was sent) the thanks."""
    return _form(sent=bool(request.args.get("sent")))


def _form(sent: bool = False, problem: str = ""):
    """The form, filled again with what was typed when ``problem`` says what to put right."""
    grouped: dict[str, list[str]] = {}
    for community in communities(services().data.root):
        grouped.setdefault(community.town, []).append(community.name)
    return render_template(
        "market/need.html",
        wants=WANTS,
        towns=grouped,
        sent=sent,
        problem=problem,
        fields=request.form if problem else {},
        picked=request.form.getlist("wants") if problem else [],
    )


@bp.post("/need")
def need_register():
    """Store the need for the centre, or (400) the form again, with what was typed and the wrong field named."""
    hold_back(NEED_LIMIT, "这里登记得太频繁了")
    try:
        need = need_from(request.form, request.form.getlist("wants"), listed_communities(), now())
    except NeedError as error:
        return _form(problem=str(error)), 400
    with market_db() as db:
        db.add_need(need)
    return redirect(url_for("market.need_form", sent=1, kiosk=request.args.get("kiosk")), 303)
