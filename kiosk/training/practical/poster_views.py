"""The A4 posters of a practical course's areas, under /editor/training/practical/<course>/posters: one sheet per
area with its title, the key safety points of its briefing and a QR that opens the briefing on a phone."""

from __future__ import annotations

from flask import render_template, url_for

from ...editor import bp
from ...editor.guard import trainers_only
from ...web import base_url, qr_svg, services, settings
from ..courses import find_course
from .posters import safety_points
from .signoff_views import practical_plan


@bp.get("/training/practical/<course_id>/posters")
@trainers_only
def practical_posters(course_id: str):
    """Every area's poster, one A4 page each: print them all at once and hang each in its area."""
    plan = practical_plan(course_id)
    with services().store() as store:
        view = find_course(store, settings().roots(), plan.id)
    base = base_url()  # the address phones reach this hub at, as the learning cards hold it
    posters = []
    for unit in view.units if view else []:
        doc = unit.parts[0].doc if unit.parts else None
        link = base + url_for("pages.document", doc_id=doc.id) if doc else ""
        posters.append(
            {
                "title": unit.title,
                "points": safety_points(doc) if doc else [],
                "link": link,
                "qr": qr_svg(link, sized=False) if link else "",
            }
        )
    return render_template("editor/practical_posters.html", plan=plan, posters=posters, hub=settings().hub_name)
