"""The desk's JSON API for scripts and the kiosk's pages: the communities and categories a resident picks from,
registering a request (the contract in issue #22), and at the centre the hubs' exchange of events (events.py)."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify

from ..hubs.messages import sign_answer, signed_json
from ..web import Limit, hold_back, json_body
from .access import desk_db, follow_link, hub_communities, register_from
from .events import FORMAT, EventError, checked_batch, feed, receive
from .intake import IntakeError

bp = Blueprint("desk_api", __name__, url_prefix="/api/desk")
REQUEST_MAX_BYTES = 16 * 1024
HUB_EVENTS_MAX_BYTES = 2 * 1024 * 1024  # a hundred events of a few kilobytes each
# A hub exchanges every few minutes, a message or a few each time (more after a long time without the centre).
HUB_EVENTS_LIMIT = Limit("desk-hub-events", burst=60, per_minute=20)


@bp.get("/communities")
def communities():
    """The communities a resident may pick, each with its 乡镇/街道."""
    return jsonify(ok=True, communities=[{"name": c.name, "town": c.town} for c in hub_communities()])


@bp.get("/categories")
def categories():
    """The categories editors keep, in their order."""
    with desk_db() as db:
        return jsonify(ok=True, categories=db.categories())


@bp.post("/requests")
def create():
    """Register a legal question or a dispute: 201 with its id, its short number and the resident's follow link."""
    try:
        request = register_from(json_body(REQUEST_MAX_BYTES))
    except IntakeError as exc:
        abort(400, description=str(exc))
    return jsonify(ok=True, id=request.id, number=request.number, follow=follow_link(request)), 201


@bp.post("/hub/events")
def hub_events():
    """An enrolled hub's signed events: those not seen are applied (each once, by its id), and the answer carries
    the events of that hub's requests after its cursor, so the hub, which always calls, hears what was done here."""
    hold_back(HUB_EVENTS_LIMIT, "发送得太频繁了")
    message, body = signed_json(HUB_EVENTS_MAX_BYTES)
    try:
        batch = checked_batch(body)
    except EventError as exc:
        abort(400, description=f"消息的格式不对：{exc}")
    with desk_db() as db:
        taken, rejected = receive(db, message.hub, batch.events)
        events, cursor, more = feed(db, message.hub, batch.cursor)
    answer = jsonify(ok=True, format=FORMAT, taken=taken, rejected=rejected, events=events, cursor=cursor, more=more)
    return sign_answer(answer, message)
