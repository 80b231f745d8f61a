"""The edit page's JSON routes: live preview, hear a paragraph before publishing, audio progress."""

from __future__ import annotations

from flask import jsonify, request

from indexer.content.importing import MAX_UPLOAD_BYTES
from indexer.errors import ContentError, SpeechError
from indexer.speech.audio_cache import segment_key
from indexer.speech.normalize import normalize_for_speech
from indexer.speech.segment import split_passage

from ..web import error_response, json_body, services
from . import bp
from .files import EditForm
from .publish import audio_progress

MAX_SPEAK_CHARS = 2000  # one paragraph or article; whole documents are heard on the kiosk after publishing
SPEAK_MAX_BYTES = 64 * 1024
HEAR_PRIORITY = 0.5  # the editor is waiting with the play button pressed


@bp.post("/api/preview")
def preview():
    """The passages the kiosk would show for these fields and body, parsed by the build's own parser."""
    form = EditForm.from_request(json_body(MAX_UPLOAD_BYTES))
    try:
        doc = form.document(form.source or None)
    except ContentError as exc:
        return error_response(400, str(exc))
    passages = [
        {"id": p.id, "kind": p.kind, "text": p.text, "headings": p.headings, "level": p.level, "article": p.article}
        for p in doc.passages
    ]
    return jsonify(ok=True, title=doc.title, collection=doc.collection, passages=passages)


@bp.post("/api/speak")
def speak():
    """Audio URLs for a paragraph, sentence by sentence, rendered through the kiosk's own pool and cache."""
    text = str(json_body(SPEAK_MAX_BYTES).get("text", ""))[:MAX_SPEAK_CHARS]
    speech = services().speech
    if speech.settings is None:
        return error_response(503, f"暂时不能朗读：{speech.problem or '没有可用的语音引擎'}")
    lines = []
    for segment in split_passage(text):
        spoken = normalize_for_speech(segment.text)
        if spoken.strip():
            lines.append((segment.text, spoken, segment_key(spoken, speech.settings)))
    if not lines:
        return error_response(400, "这一段没有可以朗读的文字")
    store = services().store()
    try:
        store.remember_speech([(key, spoken) for _, spoken, key in lines])  # so /audio/<key>.mp3 can render it
    finally:
        store.close()
    try:
        speech.queue([(key, spoken) for _, spoken, key in lines if not speech.cache.has(key)], priority=HEAR_PRIORITY)
    except SpeechError as exc:
        return error_response(503, f"暂时不能朗读：{exc}")
    return jsonify(
        ok=True,
        segments=[{"text": text_, "spoken": spoken, "url": f"/audio/{key}.mp3"} for text_, spoken, key in lines],
    )


@bp.get("/api/progress")
def progress():
    """{doc id: {cached, total}} for the list page, which polls it while audio is being made."""
    ids = request.args.getlist("id")[:200]
    store = services().store()
    try:
        counts = audio_progress(services().speech, store, ids)
    finally:
        store.close()
    return jsonify(ok=True, progress={doc_id: {"cached": c, "total": t} for doc_id, (c, t) in counts.items()})
