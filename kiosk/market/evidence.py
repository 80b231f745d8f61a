"""Gathering a company's scorecard for a quarter: its disputes from the desk's file (desk.db, when this server runs
the desk), its assessments and ratings from market.db, and the weights in force."""

from __future__ import annotations

from pathlib import Path

from ..desk.database import DESK_DB, DeskDB
from ..desk.workflow import SYSTEM, Rules
from .companies import Company
from .database import MarketDB
from .quarters import previous, quarter_of, span
from .scorecard import Dispute, Scorecard, assessments_source, desk_source, dispute_of, residents_source, scorecard

SHORTEST_NAME = 4  # a resident's 「青松物业」 names 青松物业服务有限公司; 「物业」 names no one


def named(typed: str, company: Company, names: list[str]) -> bool:
    """Whether the company a resident typed in a dispute is this one: its full name, or the start of its name (at
    least four characters) that starts no other company's name."""
    typed = typed.strip()
    if typed == company.name:
        return True
    if len(typed) < SHORTEST_NAME or not company.name.startswith(typed):
        return False
    return sum(name.startswith(typed) for name in names) == 1


def disputes(data_root: Path, company: Company, names: list[str], quarter: str, rules: Rules, now: float):
    """The disputes registered in the quarter that name the company ([] when there is no desk file)."""
    if not (Path(data_root) / DESK_DB).is_file():
        return []
    start, end = span(quarter)
    found: list[Dispute] = []
    with DeskDB(data_root) as db:
        for request in db.all(since=start):
            if request.kind != "dispute" or request.created >= end or not named(request.company, company, names):
                continue
            escalated = any(c.actor == SYSTEM and c.action == "escalate" for c in db.history(request.id))
            found.append(dispute_of(request, escalated, rules, now))
    return found


def card(data_root: Path, company: Company, quarter: str, settings, now: float) -> Scorecard:
    """The company's scorecard for the quarter, each source shown and the combined score."""
    with MarketDB(data_root) as db:
        names = [other.name for other in db.companies()]
        assessed, stars = db.assessments(company.id, quarter), db.ratings(company.id, quarter)
    sources = (
        desk_source(disputes(data_root, company, names, quarter, Rules.of(settings), now), len(company.estates)),
        assessments_source(assessed),
        residents_source(stars),
    )
    return scorecard(quarter, sources, weights(settings))


def weights(settings) -> dict[str, int]:
    """The weights the centre set (KIOSK_MARKET_WEIGHTS), by source."""
    desk, assessments, residents = settings.market_weights
    return {"desk": desk, "assessments": assessments, "residents": residents}


def latest(data_root: Path, company: Company, settings, now: float) -> Scorecard:
    """The scorecard of this quarter, or of the last one when this one has no evidence yet (early in a quarter)."""
    this, last = previous(quarter_of(now), 2)
    found = card(data_root, company, this, settings, now)
    return found if found.combined is not None else card(data_root, company, last, settings, now)
