"""Pages for visitors and listeners: home, shelves, documents with the player, search. All readable without
JavaScript."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, abort, render_template, request
from markupsafe import Markup, escape
from segno import helpers as segno_helpers

from indexer.errors import SearchError
from indexer.speech.segment import split_passage

from ..web import base_url, qr_file, qr_svg, services, settings
from .shelves import shelves
from .usage import Usage, days_back

bp = Blueprint("pages", __name__)
TOPIC_CHIPS = (
    "物业费",
    "业主大会",
    "业委会",
    "维修资金",
    "电梯",
    "停车位",
    "装修",
    "漏水",
    "噪音",
    "养狗",
    "高空抛物",
    "党费",
    "三会一课",
    "居委会",
)
STATUS_CLASS = {"现行": "valid", "已修订": "revised", "已废止": "repealed"}


@bp.app_context_processor
def common() -> dict:
    found = settings()
    return {
        "kiosk_mode": found.kiosk_mode or request.args.get("kiosk") == "1",
        "idle_minutes": found.idle_minutes,
        "listening_idle_minutes": found.listening_idle_minutes,
        "status_class": STATUS_CLASS,
        "topics": TOPIC_CHIPS,
    }


@bp.get("/")
def home():
    """Big tiles for the shelves; continue-listening is filled in by the browser."""
    store = services().store()
    try:
        catalog = store.catalog()
    finally:
        store.close()
    return render_template("home.html", shelves=shelves(catalog), wifi=_wifi_qr(), popular=_popular(catalog))


POPULAR_SHOWN = 5


def _popular(catalog) -> list:
    """This week's most played documents that are still on the shelves."""
    titles = {entry.id: entry for entry in catalog}
    with Usage(services().data.root) as usage:
        rows = usage.most_listened(days_back(7), limit=POPULAR_SHOWN * 2)
    return [titles[row["doc"]] for row in rows if row["doc"] in titles][:POPULAR_SHOWN]


@bp.get("/shelf/<name>")
def shelf(name: str):
    """A shelf's documents, grouped by volume."""
    store = services().store()
    try:
        found = next((s for s in shelves(store.catalog()) if s["name"] == name), None)
    finally:
        store.close()
    if found is None:
        abort(404)
    return render_template("shelf.html", shelf=found)


@bp.get("/doc/<doc_id>")
def document(doc_id: str):
    """The full text with a table of contents, sentence by sentence for the player, and a QR for phones."""
    doc = _document_or_404(doc_id)
    passage = request.args.get("p", "")
    stale = bool(passage) and passage not in {p.id for p in doc.passages}
    link = _phone_link(doc, passage)
    return render_template(
        "document.html", doc=doc, sentences=_sentences, stale=stale, start=passage, qr=qr_svg(link), link=link
    )


@bp.get("/doc/<doc_id>/qr.svg")
def handoff_qr(doc_id: str):
    """A QR code of this document at a sentence (?p=&i=), for the kiosk's 用手机接着听 button."""
    doc = _document_or_404(doc_id)
    link = _phone_link(doc, request.args.get("p", ""), request.args.get("i", type=int), play=True)
    response = Response(qr_file(link), mimetype="image/svg+xml")
    response.headers["X-Link"] = link  # the address the code holds, for tests and debugging
    return response


def _document_or_404(doc_id: str):
    doc = services().document(doc_id)
    if doc is None:
        abort(404)
    return doc


def _phone_link(doc, passage: str, index: int | None = None, play: bool = False) -> str:
    """This document's address for a phone on the hub's Wi-Fi, at a passage (and sentence) when it exists."""
    params: dict[str, str | int] = {}
    if passage in {p.id for p in doc.passages}:
        params["p"] = passage
        if index:
            params["i"] = max(0, index)
    if play:
        params["play"] = 1
    return f"{base_url()}/doc/{doc.id}" + (f"?{urlencode(params)}" if params else "")


@bp.get("/search")
def search():
    """Search results as a page, so search works even without JavaScript."""
    query = request.args.get("q", "").strip()
    collection = request.args.get("collection") or None
    result, problem = None, None
    if query:
        try:
            result = services().searcher().search(query, limit=20, collection=collection)
        except SearchError as exc:
            problem = str(exc)
        else:
            with Usage(services().data.root) as usage:
                usage.record_search(query, len(result.hits), collection or "")
    return render_template("search.html", query=query, result=result, problem=problem)


def _sentences(passage) -> Markup:
    """The passage text with each spoken sentence wrapped for highlighting and tap-to-play."""
    parts, position = [], 0
    for index, segment in enumerate(split_passage(passage.text)):
        parts.append(escape(passage.text[position : segment.start]))
        parts.append(
            Markup('<span class="s" data-p="{}" data-i="{}">{}</span>').format(passage.id, index, segment.text)
        )
        position = segment.end
    parts.append(escape(passage.text[position:]))
    return Markup("").join(parts).replace("\n", Markup("<br>"))


def _wifi_qr() -> Markup | None:
    found = settings()
    if not found.wifi_ssid:
        return None
    qr = segno_helpers.make_wifi(
        ssid=found.wifi_ssid, password=found.wifi_password or None, security="WPA" if found.wifi_password else None
    )
    return Markup(qr.svg_inline(scale=4))
