"""The desk as the request being served reaches it: its database, the deadlines in force, the resident's link, and
registering with the per-address allowance every route that registers shares."""

from __future__ import annotations

from typing import Any

from ..market.database import MARKET_DB, MarketDB
from ..places import Community, communities
from ..web import Limit, base_url, hold_back, now, services, settings
from .database import DeskDB, Request
from .intake import checked
from .workflow import Rules, register

# A kiosk is one address for everyone who stands at it: a busy morning registers a handful an hour, a script
# filling the desk with junk is slowed to two a minute.
REGISTER_LIMIT = Limit("desk-register", burst=10, per_minute=2)


def desk_db() -> DeskDB:
    return DeskDB(services().data.root)


def rules() -> Rules:
    return Rules.of(settings())


def hub_communities() -> list[Community]:
    return communities(services().data.root)


def companies_by_community() -> dict[str, list[str]]:
    """The property companies of each community as 物业超市 registered them, when this server keeps its file (never
    made here): a resident taps the name, and staff correct to it, instead of typing it, so a dispute counts on that
    company's scorecard."""
    root = services().data.root
    if not (root / MARKET_DB).is_file():
        return {}
    with MarketDB(root) as db:
        return db.serving()


def follow_link(request: Request) -> str:
    """The resident's secret link, on this hub's address for phones (never the Host header a client sent)."""
    return f"{base_url()}/desk/f/{request.token}"


def register_from(fields: dict[str, Any]) -> Request:
    """Register what a resident sent: 429 past the allowance; IntakeError naming the field that is not right."""
    hold_back(REGISTER_LIMIT, "登记得太频繁了")
    with desk_db() as db:
        asked = checked(fields, services().data.root, db.categories())
        return register(db, rules(), asked, now())
