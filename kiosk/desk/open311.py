"""A small API in the spirit of Open311 GeoReport v2, so a 12345 hotline or the city's 数字政府 platform can read the
desk's categories, register a request and read its public status. The desk has communities, not coordinates: a
request names its community in ``address_string``. Status is public: never the description, name or phone."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from ..web import json_body
from .access import desk_db, register_from
from .database import Request
from .intake import IntakeError
from .public import moment
from .states import KIND_NAMES, LEVEL_NAMES, STATUS_NAMES

bp = Blueprint("open311", __name__, url_prefix="/api/desk/open311")
REQUEST_MAX_BYTES = 16 * 1024
CLOSED = {"answered", "rated"}


@bp.get("/services.json")
def services():
    """The categories as services; each takes disputes, and legal questions when ``attribute[kind]`` is consult."""
    with desk_db() as db:
        names = db.categories()
    return jsonify(
        [
            {
                "service_code": name,
                "service_name": name,
                "description": f"{KIND_NAMES['dispute']}或{KIND_NAMES['consult']}：{name}",
                "metadata": False,
                "type": "realtime",
                "keywords": "",
                "group": "物业",
            }
            for name in names
        ]
    )


@bp.post("/requests.json")
def create():
    """Register a request from GeoReport fields (form-encoded or JSON): service_code, description, address_string
    (the community), optional first_name/last_name, phone and attribute[kind]; answers [{service_request_id}]."""
    fields = json_body(REQUEST_MAX_BYTES) if request.is_json else request.form.to_dict()
    name = " ".join(part for part in (fields.get("first_name"), fields.get("last_name")) if isinstance(part, str))
    try:
        found = register_from(
            {
                "kind": fields.get("attribute[kind]") or "dispute",
                "community": fields.get("address_string", ""),
                "category": fields.get("service_code", ""),
                "text": fields.get("description", ""),
                "name": name.strip(),
                "phone": fields.get("phone") or "",
            }
        )
    except IntakeError as exc:
        abort(400, description=str(exc))
    return jsonify([{"service_request_id": found.id, "service_notice": f"受理号 {found.number}"}]), 201


@bp.get("/requests/<request_id>.json")
def status(request_id: str):
    """One request's public status, as a one-element list the way GeoReport answers."""
    with desk_db() as db:
        found = db.get(request_id)
    if found is None:
        abort(404, description="没有这个编号的登记。")
    return jsonify([_public(found)])


def _public(found: Request) -> dict:
    return {
        "service_request_id": found.id,
        "status": "closed" if found.status in CLOSED else "open",
        "status_notes": STATUS_NAMES[found.status],
        "service_name": found.category,
        "service_code": found.category,
        "agency_responsible": LEVEL_NAMES[found.level],
        "requested_datetime": moment(found.created),
        "expected_datetime": moment(found.due),
        "address": found.community,
    }
