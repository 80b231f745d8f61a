"""Choosing a company: the market's companies side by side, two or three at a time, each with its voiced
introduction, each source's score and the combined one, its estates and its qualification; the list to pick from
narrowed to what an estate needs (a qualification, a 乡镇/街道 or 社区 where the company already manages estates)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, render_template, request

from ..desk.public import voiced
from ..places import communities
from ..web import services
from .access import latest_of, market_db
from .companies import Company
from .public import bp
from .scorecard import Scorecard

MOST = 3  # three columns are as many as a 1080-wide screen reads from a step away
NOT_IN_MARKET = "只能对比已入驻物业超市的企业。"
TOO_MANY = f"最多同时对比 {MOST} 家企业，请少选几家。"


@dataclass(frozen=True)
class Filters:
    """What an estate needs, as picked on the page ("" when not picked)."""

    qualification: str = ""
    town: str = ""
    community: str = ""

    def admit(self, company: Company, towns: dict[str, str]) -> bool:
        """Whether the company fits: its qualification, and an estate in the 社区 (or in a 社区 of the 乡镇/街道)."""
        if self.qualification and company.qualification != self.qualification:
            return False
        places = {estate.community for estate in company.estates}
        if self.community and self.community not in places:
            return False
        return not self.town or any(towns.get(place) == self.town for place in places)


@dataclass(frozen=True)
class Column:
    company: Company
    card: Scorecard
    audio: list[str]


@bp.get("/compare")
def compare():
    """The companies to pick from, filtered, and the two or three picked side by side."""
    with market_db() as db:
        market = {company.id: company for company in db.companies() if company.in_market}
    towns = {community.name: community.town for community in communities(services().data.root)}
    filters = Filters(*(request.args.get(key, "").strip()[:40] for key in ("qualification", "town", "community")))
    picked = _picked(market)
    with services().store() as store:
        columns = [Column(c, latest_of(c), voiced(c.intro, services().speech, store)) for c in picked]
    return render_template(
        "market/compare.html",
        filters=filters,
        choices=[c for c in market.values() if c.id in {p.id for p in picked} or filters.admit(c, towns)],
        columns=columns,
        picked={c.id for c in picked},
        qualifications=sorted({c.qualification for c in market.values() if c.qualification}),
        places=_places(market.values(), towns),
    )


def _picked(market: dict[int, Company]) -> list[Company]:
    """The companies picked (the `c` parameters), in the order given; only those in the market, at most three."""
    ids = list(dict.fromkeys(request.args.getlist("c")))
    if len(ids) > MOST:
        abort(400, description=TOO_MANY)
    if not all(value.isascii() and value.isdigit() and int(value) in market for value in ids):
        abort(400, description=NOT_IN_MARKET)
    return [market[int(value)] for value in ids]


def _places(companies, towns: dict[str, str]) -> dict[str, list[str]]:
    """The 社区 where the market's companies manage estates, under their 乡镇/街道 (其他 for those not on the hub's
    list), for the filter."""
    grouped: dict[str, set[str]] = {}
    for company in companies:
        for estate in company.estates:
            grouped.setdefault(towns.get(estate.community, "其他"), set()).add(estate.community)
    return {town: sorted(names) for town, names in sorted(grouped.items())}
