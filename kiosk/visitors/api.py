"""The JSON API the pages use: search, shelves, documents with their audio, health, and the audio files."""

from __future__ import annotations

import math
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import suppress
from urllib.parse import quote

from flask import Blueprint, Response, abort, jsonify, request

from indexer.errors import SearchError, SpeechError
from indexer.speech.audio_cache import KEY

from ..services import Preparing
from ..web import Limit, error_response, hold_back, json_body, services
from .audio import audio_response
from .shelves import shelves
from .usage import Listen, Usage

bp = Blueprint("api", __name__)
PREPARING_RETRY_SECONDS = 1
PINYIN_CANDIDATES = 8
MAX_CANDIDATES = 20
USAGE_MAX_BYTES = 2048
USAGE_MAX_NUMBER = 10**9  # no count, position or second of one page view comes near
# a field missing or of no use; OverflowError: int() of 1e999, which JSON allows
USAGE_FIELD_ERRORS = (KeyError, TypeError, ValueError, OverflowError)
USAGE_LIMIT = Limit("usage", burst=30, per_minute=30)  # a phone sends a few a minute; a flood is cut to one every 2 s


@bp.get("/api/search")
def search():
    """Hits as in `kiosk search --json`, each with its document id."""
    query = request.args.get("q", "")
    limit = request.args.get("limit", 10, type=int) or 10
    result = services().searcher().search(query, limit=limit, collection=request.args.get("collection") or None)
    return jsonify(ok=True, **result.to_dict())


@bp.get("/api/pinyin")
def pinyin():
    """Words of this library for typed pinyin (full, initials or a mix), most likely first: the on-screen
    keyboard's candidate bar. Anything that is not pinyin, or matches nothing, gets an empty list."""
    limit = min(max(request.args.get("limit", PINYIN_CANDIDATES, type=int) or PINYIN_CANDIDATES, 1), MAX_CANDIDATES)
    found = services().keyboard_words.candidates(request.args.get("q", ""), limit)
    return jsonify(ok=True, candidates=[{"text": c.text, "pinyin": c.pinyin} for c in found])


@bp.get("/api/shelves")
def shelf_list():
    """Shelves with their volumes and documents, in reading order."""
    store = services().store()
    try:
        return jsonify(ok=True, shelves=shelves(store.catalog()))
    finally:
        store.close()


@bp.get("/api/docs/<doc_id>")
def document(doc_id: str):
    """A document with its passages and audio segments; starts rendering from ?from=<passage>."""
    store = services().store()
    try:
        doc = store.document(doc_id)
        if doc is None:
            abort(404)
        speech = services().speech
        lines = speech.lines(doc, store)
        durations = store.durations([line.key for line in lines])
        with suppress(SpeechError):  # text still works; the note below tells the page why there is no sound
            speech.prefetch(lines, request.args.get("from"))
        segments = [
            {
                "passage": line.passage,
                "index": line.index,
                "start": line.start,
                "end": line.end,
                "url": f"/audio/{line.key}.mp3",
                "duration": durations.get(line.key),
            }
            for line in lines
        ]
        return jsonify(ok=True, document=doc.to_dict(), segments=segments, speech_note=speech.problem)
    finally:
        store.close()


@bp.get("/audio/<key>.mp3")
def audio(key: str):
    """One sentence's MP3, rendered on demand if needed; Range requests get 206."""
    if not KEY.match(key):
        abort(404)
    try:
        data = services().speech.audio(key)
    except Preparing as preparing:
        response = error_response(503, str(preparing), [("Retry-After", str(PREPARING_RETRY_SECONDS))], preparing=True)
        response.cache_control.no_store = True
        return response
    if data is None:
        abort(404)
    return audio_response(key, data, request.environ)


@bp.get("/api/docs/<doc_id>/audio.mp3")
def document_audio(doc_id: str):
    """The whole document as one MP3 with ID3 tags, for listening in any player."""
    store = services().store()
    try:
        doc = store.document(doc_id)
        if doc is None:
            abort(404)
        try:
            data = services().speech.whole_document(doc, store)
        except FutureTimeout:
            raise SpeechError("语音合成太慢，请稍后再试") from None
    finally:
        store.close()
    response = Response(data, mimetype="audio/mpeg")
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(doc.title)}.mp3"
    return response.make_conditional(request, accept_ranges=True, complete_length=len(data))


@bp.post("/api/usage")
def usage():
    """Anonymous counts sent by the pages: a search the visitor settled on, or one page view's listening."""
    hold_back(USAGE_LIMIT, "发送得太频繁了")
    event = json_body(USAGE_MAX_BYTES, any_type=True)  # sendBeacon sends text/plain
    if event.get("kind") == "search":
        _count_search(event)
    elif event.get("kind") == "listen":
        _count_listen(event)
    else:
        abort(400)
    return "", 204


def _count_search(event: dict) -> None:
    try:
        query, hits, collection = str(event["q"]), int(event["hits"]), str(event.get("collection") or "")
    except USAGE_FIELD_ERRORS:
        abort(400)
    _check_numbers(hits)
    with Usage(services().data.root) as counts:
        counts.record_search(query, hits, collection)


def _count_listen(event: dict) -> None:
    try:
        doc, seconds, passage = str(event["doc"]), float(event["seconds"]), str(event["passage"])[:64]
        position, total = int(event["position"]), int(event["total"])
    except USAGE_FIELD_ERRORS:
        abort(400)
    _check_numbers(seconds, position, total)
    with Usage(services().data.root) as counts:
        store = services().store()
        try:
            entry = store.catalog_entry(doc)
        finally:
            store.close()
        if entry is None:
            abort(404)
        counts.record_listen(
            Listen(
                doc=doc, collection=entry.collection, seconds=seconds, passage=passage, position=position, total=total
            )
        )


def _check_numbers(*values: float) -> None:
    """400 for NaN, or a number too big for the database."""
    if not all(math.isfinite(value) and abs(value) <= USAGE_MAX_NUMBER for value in values):
        abort(400)


@bp.get("/healthz")
def health():
    """For the installer and monitoring: is there an index, how many texts, which voice, and what `kiosk doctor`
    would ask to fix among the essentials (checked at most once a minute)."""
    from ..library.sync import last_sync
    from ..operations.doctor import essentials

    svc = services()
    problems = [finding.line() for finding in essentials(svc.data) if not finding.ok]
    store = svc.store()
    try:
        documents = len(store.catalog())
    finally:
        store.close()
    try:
        searcher = svc.searcher()
    except SearchError:
        searcher = None
    semantic_note = searcher.semantic_problem() if searcher else None
    ok = searcher is not None and documents > 0
    body = {
        "ok": ok,
        "documents": documents,
        "index": searcher is not None,
        "engine": svc.speech.engine_name,
        "speech_note": svc.speech.note,
        "search": "hybrid" if searcher and not semantic_note else "lexical",
        "vectors": searcher.vector_count if searcher else 0,
        "search_note": semantic_note,
        "problems": problems,
        "library": last_sync(svc.data),
    }
    return jsonify(body), 200 if ok else 503
