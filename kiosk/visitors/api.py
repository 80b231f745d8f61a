"""The JSON API the pages use: search, shelves, documents with their audio, health, and the audio files."""

from __future__ import annotations

import math
from concurrent.futures import TimeoutError as FutureTimeout
from urllib.parse import quote

from flask import Blueprint, Response, abort, jsonify, request

from indexer.errors import SearchError, SpeechError
from indexer.speech.audio_cache import KEY

from .audio import audio_response
from ..services import Preparing
from ..web import Limit, error_response, json_body, retry_after, services
from .shelves import shelves
from .usage import Listen, Usage

bp = Blueprint("api", __name__)
PREPARING_RETRY_SECONDS = 1
USAGE_MAX_BYTES = 2048
USAGE_MAX_NUMBER = 10**9  # no count, position or second of one page view comes near
USAGE_LIMIT = Limit("usage", burst=30, per_minute=30)  # a phone sends a few a minute; a flood is cut to one every 2 s


@bp.get("/api/search")
def search():
    """Hits as in `kiosk search --json`, each with its document id."""
    query = request.args.get("q", "")
    limit = request.args.get("limit", 10, type=int) or 10
    result = services().searcher().search(query, limit=limit, collection=request.args.get("collection") or None)
    return jsonify(ok=True, **result.to_dict())


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
        try:
            speech.prefetch(lines, request.args.get("from"))
        except SpeechError:
            pass  # text still works; the note below tells the page why there is no sound
        segments = [{"passage": l.passage, "index": l.index, "start": l.start, "end": l.end,
                     "url": f"/audio/{l.key}.mp3", "duration": durations.get(l.key)} for l in lines]
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
    wait = retry_after(USAGE_LIMIT)
    if wait:
        abort(429, description=f"发送得太频繁了，请 {wait} 秒后再试。", retry_after=wait)
    event = json_body(USAGE_MAX_BYTES, any_type=True)  # sendBeacon sends text/plain
    if event.get("kind") not in ("search", "listen"):
        abort(400)
    try:
        if event["kind"] == "search":
            record = dict(query=str(event["q"]), hits=int(event["hits"]), collection=str(event.get("collection") or ""))
        else:
            record = dict(doc=str(event["doc"]), seconds=float(event["seconds"]), passage=str(event["passage"])[:64],
                          position=int(event["position"]), total=int(event["total"]))
    except (KeyError, TypeError, ValueError, OverflowError):  # OverflowError: int() of 1e999, which JSON allows
        abort(400)
    if not all(math.isfinite(value) and abs(value) <= USAGE_MAX_NUMBER
               for value in record.values() if isinstance(value, (int, float))):
        abort(400)  # NaN, or a number too big for the database
    with Usage(services().data.root) as counts:
        if event["kind"] == "search":
            counts.record_search(**record)
        else:
            store = services().store()
            try:
                entry = store.catalog_entry(record["doc"])
            finally:
                store.close()
            if entry is None:
                abort(404)
            counts.record_listen(Listen(collection=entry.collection, **record))
    return "", 204


@bp.get("/healthz")
def health():
    """For the installer and monitoring: is there an index, how many texts, which voice, and what `kiosk doctor`
    would ask to fix among the essentials (checked at most once a minute)."""
    from ..operations.doctor import essentials
    from ..library.sync import last_sync

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
    body = dict(ok=ok, documents=documents, index=searcher is not None, engine=svc.speech.engine_name,
                speech_note=svc.speech.note, search="hybrid" if searcher and not semantic_note else "lexical",
                vectors=searcher.vector_count if searcher else 0, search_note=semantic_note, problems=problems,
                library=last_sync(svc.data))
    return jsonify(body), 200 if ok else 503
