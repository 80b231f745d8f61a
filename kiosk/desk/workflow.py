"""Registering a request and moving it along: each step checked against the state machine (states.py), its
deadline worked out again (deadlines.py), and written with the history line that says who, when, what and why."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, replace

from ..places import Community
from .database import Attachment, Change, DeskDB, Request
from .deadlines import due
from .states import FIRST_LEVEL, MOVES, Place, RefusedMove, moved

NUMBER_DIGITS = 6
REASON_MAX = 100  # why a dispute's company was corrected: a line, not a report
NO_COMPANY = "只有纠纷调处的登记写物业公司，法律咨询不用更正"
RESIDENT = "居民"
SYSTEM = "系统"
NOT_HERE = {  # why a site may not move a request another site holds, by whether this site is a hub
    True: "这条登记已转到乡镇/街道或中心，由他们在中心办理；办理结果会同步回本站",
    False: "这条登记还在社区，由社区站点办理；它转上来以后才能在中心办理",
}


@dataclass(frozen=True)
class Rules:
    """The deadlines in force (working days to accept and to answer, for community, township and centre), and
    whether this site is a hub that hands what is above the community to its centre (KIOSK_LIBRARY_URL set)."""

    accept_days: tuple[int, ...]
    answer_days: tuple[int, ...]
    at_hub: bool = False

    @classmethod
    def of(cls, settings) -> Rules:
        return cls(settings.desk_accept_days, settings.desk_answer_days, bool(settings.library_url))

    def due(self, status: str, level: str, arrived: float) -> float | None:
        return due(status, level, arrived, self.accept_days, self.answer_days)

    def owns(self, request: Request) -> bool:
        """Whether this site is the one that moves the request now: a hub while it is at the community, the centre
        once it is above (and always for its own); the other site only shows it."""
        if self.at_hub:
            return request.level == "community"
        return not request.hub or request.level != "community"


@dataclass(frozen=True)
class Asked:
    """What a resident registers, checked by the caller (api.py)."""

    kind: str
    community: Community
    category: str
    text: str
    company: str = ""
    name: str = ""
    phone: str = ""
    consent: bool = False


def register(db: DeskDB, rules: Rules, asked: Asked, now: float, actor: str = RESIDENT) -> Request:
    """A new request at its first level (a dispute at the community, a legal question with counsel at the
    centre), with a fresh id, short number and follow secret; ``actor`` is who registered it (an editor turning
    an unanswered search into a question, else the resident)."""
    level = FIRST_LEVEL[asked.kind]
    request = Request(
        id=str(uuid.uuid4()),
        number=_free_number(db),
        token=secrets.token_urlsafe(18),
        kind=asked.kind,
        community=asked.community.name,
        town=asked.community.town,
        category=asked.category,
        text=asked.text,
        company=asked.company,
        name=asked.name,
        phone=asked.phone,
        consent=int(asked.consent),
        status="registered",
        level=level,
        joint=0,
        reopened=0,
        handler="",
        answer="",
        rating="",
        created=now,
        arrived=now,
        due=rules.due("registered", level, now),
        answered=None,
        anonymised=0,
    )
    db.add(request, Change(now, actor, "register", "registered", level, ""))
    return request


def _free_number(db: DeskDB) -> str:
    """Six random digits not yet given on this hub (a number that starts with 0 is fine: it is read digit by digit)."""
    while True:
        number = "".join(secrets.choice("0123456789") for _ in range(NUMBER_DIGITS))
        if not db.number_taken(number):
            return number


def act(
    db: DeskDB,
    rules: Rules,
    request: Request,
    action: str,
    actor: str,
    note: str,
    now: float,
    by: str = "staff",
    articles: tuple[Attachment, ...] = (),
) -> Request:
    """A staff member's (or the tick's) action on the request, with the articles an answer attaches; RefusedMove
    when the table does not allow it there, when it needs a reason or an answer and none was given, or when another
    site holds the request now. Returns the request as it is now."""
    note = note.strip()
    if not rules.owns(request):
        raise RefusedMove(NOT_HERE[rules.at_hub])
    if MOVES.get(action) and MOVES[action].needs_note and not note:
        raise RefusedMove("请写明答复内容" if action == "answer" else "请写明理由")
    place = moved(action, _place(request), by)
    values: dict[str, object] = {"status": place.status, "level": place.level, "joint": int(place.joint)}
    arrived = now if place.level != request.level else request.arrived
    values["arrived"] = arrived
    if action == "accept":
        values["handler"] = actor
    if place.level != request.level:
        values["handler"] = ""
    if action == "answer":
        values.update(answer=note, answered=now)
    values["due"] = rules.due(place.status, place.level, arrived)
    _write(db, request, Change(now, actor, action, place.status, place.level, note), values, articles)
    return replace(request, **values)  # type: ignore[arg-type]


def rate(db: DeskDB, rules: Rules, request: Request, rating: str, reason: str, now: float) -> Request:
    """The resident's rating of an answer: 不满意 with a reason reopens it once, at the level that answered."""
    reason = reason.strip()
    place = moved("rate", _place(request), "resident", rating, reason)
    values: dict[str, object] = {"status": place.status, "rating": rating, "reopened": int(place.reopened)}
    action = "rate"
    if place.status == "reopened":
        action = "reopen"
        values.update(arrived=now, handler="", answered=None, due=rules.due("reopened", place.level, now))
    note = f"{rating}：{reason}" if reason else rating
    _write(db, request, Change(now, RESIDENT, action, place.status, place.level, note), values)
    return replace(request, **values)  # type: ignore[arg-type]


def correct_company(
    db: DeskDB, rules: Rules, request: Request, company: str, reason: str, actor: str, now: float
) -> Request:
    """Staff's correction of the property company a dispute names (typed wrong, left out, or the wrong firm), so
    that the 物业超市's scorecard counts the dispute under the right one: a history line saying old → new and why,
    which moves nothing. ``company`` is checked by the caller (intake.checked_company); RefusedMove for a legal
    question, the same company again, a missing or long reason, or a request another site holds."""
    reason = reason.strip()
    if not rules.owns(request):
        raise RefusedMove(NOT_HERE[rules.at_hub])
    if request.kind != "dispute":
        raise RefusedMove(NO_COMPANY)
    if company == request.company:
        raise RefusedMove(f"物业公司没有改变，还是「{_company(company)}」")
    if not reason:
        raise RefusedMove("请写明更正的理由")
    if len(reason) > REASON_MAX:
        raise RefusedMove(f"理由太长了，请写在 {REASON_MAX} 个字以内")
    note = f"{_company(request.company)} → {_company(company)}：{reason}"
    _write(db, request, Change(now, actor, "company", request.status, request.level, note), {"company": company})
    return replace(request, company=company)


def _company(name: str) -> str:
    return name or "（未说明）"


def _write(
    db: DeskDB, request: Request, change: Change, values: dict[str, object], articles: tuple[Attachment, ...] = ()
) -> None:
    if not db.update(request, change, articles, **values):
        raise RefusedMove("这条记录刚刚被别人处理过，请刷新后再看")


def _place(request: Request) -> Place:
    return Place(request.kind, request.status, request.level, bool(request.joint), bool(request.reopened))
