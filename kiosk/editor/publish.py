"""Publishing: rebuild the index incrementally after a save, queue the changed texts' audio, and report progress."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from indexer.build import BuildReport, build_index
from indexer.content.documents import Document
from indexer.datadir import DataDir
from indexer.errors import KioskError
from indexer.search.vectors import VectorStore, embed_in_background
from indexer.store import Store

from ..services import PUBLISH, Services, SpeechService

log = logging.getLogger("kiosk.editor")
# Saving and building one at a time within this server; builds from other processes are refused by the index lock.
publish_lock = threading.RLock()
REVOICE_DOCUMENTS = 50  # after a pronunciation change; any further ones are re-rendered when someone listens


@dataclass
class Published:
    """What a publish did: the build report, the sentences queued for audio, and any problem to show."""

    report: BuildReport | None = None
    queued: int = 0
    problems: list[str] = field(default_factory=list)

    def skipped_reason(self, source: str) -> str | None:
        if self.report is None:
            return None
        return next((reason for skipped, reason in self.report.skipped if skipped == source), None)


def publish(services: Services, vectors: VectorFollower) -> Published:
    """Bring the index in line with the content roots, then queue audio and vectors for what changed."""
    result = Published()
    with publish_lock:
        try:
            result.report = build_index(services.data, services.settings.roots())
        except KioskError as exc:
            result.problems.append(f"发布没有完成：{exc}")
            return result
    if result.report.changed_docs or result.report.removed:
        vectors.follow()
    store = services.store()
    try:
        for doc_id in result.report.changed_docs:
            doc = store.document(doc_id)
            if doc is not None:
                result.queued += queue_audio(services.speech, doc, store)
    except KioskError as exc:
        result.problems.append(f"语音排队失败（文字已发布）：{exc}")
    finally:
        store.close()
    return result


def queue_audio(speech: SpeechService, doc: Document, store: Store) -> int:
    """Queue every sentence of a document that has no audio yet, from its start; returns how many."""
    lines = speech.lines(doc, store)
    missing = [line for line in lines if not speech.cache.has(line.key)]
    if not missing:
        return 0
    speech.queue([(line.key, line.spoken) for line in missing], priority=PUBLISH)
    return len(missing)


class VectorFollower:
    """After a publish, embed the new passages in the background when this data dir uses vectors; publishes
    that come while it runs are picked up by one more pass, never by a second embedding thread."""

    def __init__(self, data: DataDir):
        self.data = data
        self._running = threading.Lock()
        self._again = threading.Event()
        self.thread: threading.Thread | None = None

    def follow(self) -> None:
        if not VectorStore(self.data).parts():
            return  # a data dir searched by words only (built with --no-vectors, or without the model)
        self._again.set()
        if self._running.acquire(blocking=False):
            self.thread = threading.Thread(target=self._run, daemon=True, name="kiosk-editor-vectors")
            self.thread.start()

    def _run(self) -> None:
        try:
            while self._again.is_set():
                self._again.clear()
                worker = embed_in_background(self.data)
                if worker is None:
                    return
                worker.join()
        finally:
            self._running.release()
        if self._again.is_set():  # a publish between the last pass and the release
            self.follow()


def revoice(services: Services, term: str) -> tuple[int, int]:
    """Queue new audio for documents containing a term whose reading changed; (documents, sentences queued).
    Only their sentences with the term have new keys, so only those are rendered again."""
    store = services.store()
    try:
        doc_ids = store.documents_containing(term, REVOICE_DOCUMENTS)
        queued = sum(queue_audio(services.speech, doc, store) for doc in map(store.document, doc_ids) if doc)
    except KioskError as exc:
        log.warning("could not queue audio for %s: %s", term, exc)
        queued = 0
    finally:
        store.close()
    return len(doc_ids), queued


def audio_progress(speech: SpeechService, store: Store, doc_ids: list[str]) -> dict[str, tuple[int, int]]:
    """{doc id: (sentences in the audio cache, sentences)}; empty when there is no voice."""
    result = {}
    for doc_id in doc_ids:
        doc = store.document(doc_id)
        lines = speech.lines(doc, store) if doc is not None else []
        if lines:
            result[doc_id] = (sum(1 for line in lines if speech.cache.has(line.key)), len(lines))
    return result
