"""The list of 社区 as JSON, for everyone: the phones' sign-in and the kiosk's own pages choose from it."""

from __future__ import annotations

from flask import Blueprint, jsonify

from ..web import services
from .communities import communities

bp = Blueprint("places", __name__)


@bp.get("/api/communities")
def community_list():
    """Every 社区 of the hub with its 乡镇/街道, by 乡镇/街道 then in list order."""
    return jsonify(ok=True, communities=[place.public() for place in communities(services().data.root)])
