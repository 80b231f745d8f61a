"""Requests across hubs as an idempotent event log. Every history line is an event with a globally unique id and the
request as it was right after the change (database.py writes both in one transaction). A hub sends the centre its
events (exchange.py) and the centre applies those it has not seen (``receive``); the centre answers with the events
of that hub's requests after the hub's cursor, which the hub applies the same way (``take``). Each site checks
that the event comes from the site that holds the request (Rules.owns): a hub while the request is at the community,
the centre once it is above; the resident's rating of an answer comes from the hub, where the follow link is.

What travels: from a hub, the whole request, the resident's description, name and phone included (the township and
centre staff who take over a dispute must be able to call the resident); from the centre, only where the request is
and the answer (STATE) and the property company a dispute names (CORRECTED), never the resident's details back.
Neither ever reaches the wall. A site applies the company only from a correction's own line (``set_by``), made by
the site that held the request then, so no other line, sent with an older copy, can undo a correction."""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass
from typing import Any

from ..web import is_text
from .database import Attachment, Change, DeskDB, Event, Request
from .intake import SHORT_MAX, TEXT_MAX
from .states import ACTION_NAMES, KINDS, LEVELS, MOVES, RATINGS, STATUSES, Place, RefusedMove, moved
from .workflow import NO_COMPANY, SYSTEM

FORMAT = 2  # 2: the centre sends back the company a dispute names (a correction); a site of 1 is told to upgrade
BATCH = 100  # events a message carries each way
STATE = ("status", "level", "joint", "reopened", "handler", "answer", "rating", "arrived", "due", "answered")
# The company a dispute names goes back from the centre too: it is no detail of the resident (it names the firm, not
# who asked, and it came from the hub in the first place), and the hub needs the centre's correction: its staff page
# and export show the company, it may keep the 物业超市's file too, and a dispute returned to the community is held
# by the hub again, whose next correction must start from the right name.
CORRECTED = ("company",)
ANSWER_MAX = 2000
NOTE_MAX = 2100  # a rating's note is the rating, a colon and the resident's reason
MAX_ARTICLES = 5
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
NUMBER = re.compile(r"[0-9]{6}")


class EventError(ValueError):
    """A message or event that is not one; the message names what is wrong, in Chinese."""


@dataclass(frozen=True)
class Batch:
    """A hub's checked message: the centre's last event it has applied, and its events, oldest first."""

    cursor: int
    events: list[Event]


def checked_batch(body: dict[str, Any], full: bool = True) -> Batch:
    """The message a hub sends (``full``: requests with every field) or the centre's answer; EventError if not."""
    if type(body.get("format")) is not int or body["format"] != FORMAT:
        raise EventError(f"不认识这种消息格式（format 应当是 {FORMAT}）：请把站点升级到与中心相同的版本。")
    cursor, events = body.get("cursor"), body.get("events")
    if type(cursor) is not int or cursor < 0:
        raise EventError("cursor 应当是不小于 0 的整数。")
    if not isinstance(events, list) or len(events) > BATCH:
        raise EventError(f"events 应当是最多 {BATCH} 个事件的列表。")
    return Batch(cursor, [checked_event(event, full, number) for number, event in enumerate(events, 1)])


def checked_event(event: object, full: bool, number: int = 1) -> Event:
    """One event, every field checked; EventError naming the field."""
    where = f"第 {number} 个事件"
    if not isinstance(event, dict) or set(event) != {"id", "request", "change", "articles"}:
        raise EventError(f"{where}应当正好有 id、request、change、articles 四项。")
    if not isinstance(event["id"], str) or not UUID.fullmatch(event["id"]):
        raise EventError(f"{where}的 id 应当是小写的 UUID。")
    request = _fields(event["request"], _request_fields(full), f"{where}的 request")
    change = _fields(event["change"], CHANGE_FIELDS, f"{where}的 change")
    articles = event["articles"]
    if not isinstance(articles, list) or len(articles) > MAX_ARTICLES:
        raise EventError(f"{where}的 articles 应当是最多 {MAX_ARTICLES} 篇的列表。")
    attached = [Attachment(**_fields(article, ARTICLE_FIELDS, f"{where}的 articles")) for article in articles]
    return Event(event["id"], request, Change(**change), attached)


def _text(limit: int, empty: bool = True):
    return lambda value: is_text(value, limit) and (empty or value.strip() != "")


def _moment(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and 0 <= value < 1e11


def _flag(value: object) -> bool:
    return type(value) is int and value in (0, 1)


STATE_FIELDS = {
    "id": lambda value: isinstance(value, str) and UUID.fullmatch(value) is not None,
    "status": lambda value: value in STATUSES,
    "level": lambda value: value in LEVELS,
    "joint": _flag,
    "reopened": _flag,
    "handler": _text(SHORT_MAX),
    "answer": _text(ANSWER_MAX),
    "rating": lambda value: value == "" or value in RATINGS,
    "arrived": _moment,
    "due": lambda value: value is None or _moment(value),
    "answered": lambda value: value is None or _moment(value),
}
CORRECTED_FIELDS = {"company": _text(SHORT_MAX)}
NEW_FIELDS = {
    "number": lambda value: isinstance(value, str) and NUMBER.fullmatch(value) is not None,
    "kind": lambda value: value in KINDS,
    "community": _text(SHORT_MAX),
    "town": _text(SHORT_MAX),
    "category": _text(SHORT_MAX, empty=False),
    "text": _text(TEXT_MAX),
    "name": _text(SHORT_MAX),
    "phone": _text(SHORT_MAX),
    "consent": _flag,
    "created": _moment,
    "anonymised": _flag,
}
CHANGE_FIELDS = {
    "at": _moment,
    "actor": _text(SHORT_MAX, empty=False),
    "action": lambda value: value in ACTION_NAMES,
    "status": lambda value: value in STATUSES,
    "level": lambda value: value in LEVELS,
    "note": _text(NOTE_MAX),
}
ARTICLE_FIELDS = {"doc": _text(64, empty=False), "title": _text(200)}


def _request_fields(full: bool) -> dict:
    return {**STATE_FIELDS, **CORRECTED_FIELDS, **NEW_FIELDS} if full else {**STATE_FIELDS, **CORRECTED_FIELDS}


def _fields(value: object, rules: dict, where: str) -> dict:
    if not isinstance(value, dict) or set(value) != set(rules):
        raise EventError(f"{where}应当正好有这些项：{'、'.join(rules)}。")
    for name, check in rules.items():
        try:
            good = check(value[name])
        except TypeError:  # an unhashable value tested for membership
            good = False
        if not good:
            raise EventError(f"{where}的 {name} 不对。")
    return value


def wire(body: dict, full: bool) -> dict:
    """An event as stored, as it goes out: from a hub whole, from the centre with only the request's STATE and
    company."""
    if full:
        return body
    return {**body, "request": {name: body["request"][name] for name in ("id", *STATE, *CORRECTED)}}


def set_by(event: Event) -> dict[str, object]:
    """What an event sets on a request the site already has: where it is (STATE), and the company when the event is
    the line that corrects it."""
    names = (*STATE, *CORRECTED) if event.change.action == "company" else STATE
    return {name: event.request[name] for name in names}


# -- at the centre ------------------------------------------------------------------------------------------------


def receive(db: DeskDB, hub: str, events: list[Event]) -> tuple[list[str], list[dict]]:
    """Apply a hub's events the centre has not seen, in order: (ids taken, seen before or now) and the refused
    ones with the reason (the hub drops those too: sent again they would be refused again)."""
    taken, refused = [], []
    for event in events:
        with db.immediate():
            if db.seen(event.id):
                taken.append(event.id)
                continue
            try:
                _receive(db, hub, event)
            except RefusedMove as exc:
                refused.append({"id": event.id, "reason": str(exc)})
            else:
                taken.append(event.id)
    return taken, refused


def _receive(db: DeskDB, hub: str, event: Event) -> None:
    fields = event.request
    was = db.get(fields["id"])
    if was is None:
        if db.conn.execute("SELECT 1 FROM origins WHERE hub = ? AND number = ?", (hub, fields["number"])).fetchone():
            raise RefusedMove(f"站点「{hub}」的受理号 {fields['number']} 已经有另一条登记")
        new = Request(**{**fields, "token": secrets.token_urlsafe(18), "hub": hub})
        db.apply(event, hub, {}, new)
        return
    if was.hub != hub:
        raise RefusedMove(f"这条登记不是站点「{hub}」的")
    _check_move(was, event)
    db.apply(event, hub, set_by(event))


def _check_move(was: Request, event: Event) -> None:
    """RefusedMove unless the hub held the request (or the resident rated its answer) and the table allows the
    move it reports; a correction of the company (a dispute's only) moves nothing, and is the hub's to make only
    while it holds the request, as a move is."""
    change, fields = event.change, event.request
    place = Place(was.kind, was.status, was.level, bool(was.joint), bool(was.reopened))
    if change.action in ("rate", "reopen"):
        rating, _, reason = change.note.partition("：")
        after = moved("rate", place, "resident", rating, reason)
    elif was.level != "community":
        raise RefusedMove("这条登记已在中心办理，站点不能再改动它")
    elif change.action in MOVES:
        after = moved(change.action, place, "system" if change.actor == SYSTEM else "staff")
    elif change.action == "register":
        raise RefusedMove("这条登记中心已经收到过了")
    elif change.action == "company" and was.kind != "dispute":
        raise RefusedMove(NO_COMPANY)
    else:  # a line that does not move the request (its Q&A published)
        after = place
    if (after.status, after.level) != (fields["status"], fields["level"]):
        raise RefusedMove(f"「{ACTION_NAMES[change.action]}」不会让登记变成事件里说的样子")


def feed(db: DeskDB, hub: str, after: int) -> tuple[list[dict], int, bool]:
    """The events of ``hub``'s requests after its cursor (STATE only), the new cursor, and whether more wait."""
    found = db.feed(hub, after, BATCH + 1)
    more = len(found) > BATCH
    found = found[:BATCH]
    cursor = found[-1][0] if found else after
    return [wire(body, full=False) for _, body in found], cursor, more


# -- at a hub -------------------------------------------------------------------------------------------------------


def take(db: DeskDB, events: list[Event]) -> int:
    """Apply the centre's events this hub has not seen, for its own requests the centre holds; how many."""
    applied = 0
    for event in events:
        with db.immediate():
            was = db.get(event.request["id"])
            if db.seen(event.id) or was is None or was.hub or was.level == "community":
                continue  # seen, not this hub's, or the hub holds it: the centre cannot have moved it
            db.apply(event, "centre", set_by(event))
            applied += 1
    return applied
