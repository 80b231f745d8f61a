"""The market as residents see it: the companies, each with its voiced introduction, estates, party organisation
and this quarter's scorecard (never its contacts), and a resident's rating from a phone: one per phone per company
per quarter, a few per address, and never from the hub's shared touchscreen."""

from __future__ import annotations

import hashlib
import re
import secrets

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for

from ..desk.public import voiced
from ..training.learner.session import on_kiosk
from ..web import Limit, base_url, hold_back, now, qr_svg, services, settings
from .access import below_line, company_or_404, latest_of, listed_communities, market_db
from .quarters import quarter_of, spoken

bp = Blueprint("market", __name__, url_prefix="/market")
PHONE_COOKIE = (
    "kiosk_phone"  # a random id this phone keeps: the only thing that tells one phone's rating from another's
)
PHONE_ID = re.compile(r"^[A-Za-z0-9_-]{24}$")
PHONE_DAYS = 730
# One household's phones behind one address rate a few companies; a script sweeping ratings is slowed to one an hour.
RATE_LIMIT = Limit("market-rate", burst=6, per_minute=1 / 60)
STARS = (1, 2, 3, 4, 5)
ON_KIOSK = "服务大厅的触摸屏是大家共用的，不能在这里评价：请用自己的手机扫码评价。"


@bp.get("/")
def companies():
    """The companies in the market, with their latest combined score."""
    with market_db() as db:
        found = [company for company in db.companies() if company.in_market]
    return render_template("market/list.html", companies=found, cards={c.id: latest_of(c) for c in found})


@bp.get("/c/<company_id>")
def company(company_id: str):
    """A company's page: the introduction read aloud, estates, party organisation, this quarter's scorecard, and
    the rating form on a phone (on the touchscreen, a QR code that opens this page on one)."""
    found = company_or_404(company_id)
    card = latest_of(found)
    quarter = quarter_of(now())
    kiosk = on_kiosk()
    phone = _phone_id()
    rated = None
    if phone and not kiosk:
        with market_db() as db:
            rated = db.rating_by(found.id, quarter, _hashed(phone))
    with services().store() as store:
        audio = voiced(found.intro, services().speech, store)
    link = f"{base_url()}{url_for('market.company', company_id=found.id)}"
    page = render_template(
        "market/company.html",
        company=found,
        card=card,
        card_quarter=spoken(card.quarter),
        quarter_name=spoken(quarter),
        below=below_line(card),
        line=settings().market_admission_line,
        listed=listed_communities(),
        audio=audio,
        on_kiosk=kiosk,
        rated=rated,
        stars=STARS,
        link=link,
        qr=qr_svg(link) if kiosk else "",
    )
    response = make_response(page)
    if not kiosk and not phone:
        response.set_cookie(
            PHONE_COOKIE, secrets.token_urlsafe(18), max_age=PHONE_DAYS * 86400, httponly=True, samesite="Lax"
        )
    return response


@bp.post("/c/<company_id>/rate")
def rate(company_id: str):
    """A resident's stars for the company this quarter, from a phone that opened its page first."""
    found = company_or_404(company_id)
    if on_kiosk():
        abort(403, description=ON_KIOSK)
    hold_back(RATE_LIMIT, "这个网络评价得太频繁了")
    phone = _phone_id()
    if phone is None:
        abort(400, description="请先用手机打开企业的页面再评价（浏览器需要允许 Cookie）。")
    stars = request.form.get("stars", "")
    if stars not in {str(n) for n in STARS}:
        abort(400, description="请选 1 到 5 颗星。")
    quarter = quarter_of(now())
    with market_db() as db:
        if not db.rate(found.id, quarter, _hashed(phone), int(stars), now()):
            abort(409, description=f"这部手机{spoken(quarter)}已经评价过「{found.name}」了，下个季度可以再评。")
    return redirect(url_for("market.company", company_id=found.id), 303)


def _phone_id() -> str | None:
    value = request.cookies.get(PHONE_COOKIE, "")
    return value if PHONE_ID.match(value) else None


def _hashed(phone: str) -> str:
    """What market.db keeps of a phone's id: not the cookie itself, so the file cannot be used to pose as it."""
    return hashlib.sha256(phone.encode("ascii")).hexdigest()
