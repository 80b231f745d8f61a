"""The desk's JSON API for scripts and the kiosk's pages: the communities and categories a resident picks from, and
registering a request (the contract in issue #22)."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify

from ..web import json_body
from .access import desk_db, follow_link, hub_communities, register_from
from .intake import IntakeError

bp = Blueprint("desk_api", __name__, url_prefix="/api/desk")
REQUEST_MAX_BYTES = 16 * 1024


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
