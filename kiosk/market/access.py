"""The market as the request being served reaches it: its database, a company or a 404, and the hub's communities
(an estate whose 社区 is not on this hub's list is fine: the centre's file covers the whole city)."""

from __future__ import annotations

from flask import abort

from ..places import communities
from ..web import now, services, settings
from .companies import Company
from .database import MarketDB
from .evidence import card, latest
from .goodwork import GoodWork
from .scorecard import Scorecard

GONE = "没有这家企业。"
NO_WORK = "形象墙上没有这一条。"
LARGEST_ID = 2**63 - 1  # SQLite's integers: a larger id in a URL names no company


def market_db() -> MarketDB:
    return MarketDB(services().data.root)


def company_or_404(company_id: str) -> Company:
    """The company of an id in a URL (digits, within SQLite's integers), or a 404."""
    with market_db() as db:
        found = db.get(_row_id(company_id, GONE))
    if found is None:
        abort(404, description=GONE)
    return found


def work_or_404(company: Company, work_id: str) -> GoodWork:
    """The company's good work of an id in a URL, or a 404."""
    with market_db() as db:
        found = db.work(company.id, _row_id(work_id, NO_WORK))
    if found is None:
        abort(404, description=NO_WORK)
    return found


def _row_id(text: str, gone: str) -> int:
    """A row's id as a URL gives it: digits within SQLite's integers, else a 404 saying ``gone``."""
    if not text.isascii() or not text.isdigit() or int(text) > LARGEST_ID:
        abort(404, description=gone)
    return int(text)


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
