"""The market as the request being served reaches it: its database, a company or a 404, and the hub's communities
(an estate whose 社区 is not on this hub's list is fine: the centre's file covers the whole city)."""

from __future__ import annotations

from flask import abort

from ..places import communities
from ..web import now, services, settings
from .companies import Company
from .database import MarketDB
from .evidence import card, latest
from .scorecard import Scorecard

GONE = "没有这家企业。"
LARGEST_ID = 2**63 - 1  # SQLite's integers: a larger id in a URL names no company


def market_db() -> MarketDB:
    return MarketDB(services().data.root)


def company_or_404(company_id: str) -> Company:
    """The company of an id in a URL (digits, within SQLite's integers), or a 404."""
    if not company_id.isascii() or not company_id.isdigit() or int(company_id) > LARGEST_ID:
        abort(404, description=GONE)
    with market_db() as db:
        found = db.get(int(company_id))
    if found is None:
        abort(404, description=GONE)
    return found


def listed_communities() -> set[str]:
    """The names of this hub's communities, to mark estates outside them."""
    return {community.name for community in communities(services().data.root)}


def scorecard_of(company: Company, quarter: str) -> Scorecard:
    return card(services().data.root, company, quarter, settings(), now())


def latest_of(company: Company) -> Scorecard:
    return latest(services().data.root, company, settings(), now())


def below_line(found: Scorecard) -> bool:
    """Whether the combined score has fallen below the admission line (KIOSK_MARKET_ADMISSION_LINE)."""
    return found.combined is not None and found.combined < settings().market_admission_line
