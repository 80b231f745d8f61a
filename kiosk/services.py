"""Long-lived parts of the running app: the warm searcher and the speech service, opened on first use."""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from indexer.content.documents import Document
from indexer.datadir import DataDir
from indexer.errors import ConfigError, KioskError, SpeechError
from indexer.progress import ProgressLog
from indexer.search.searcher import Searcher
from indexer.speech.audio_cache import AudioCache
from indexer.speech.engines import EngineChoice, set_up_speech
from indexer.speech.engines.base import EngineSettings
from indexer.speech.narration import (
    Line,
    missing_audio,
    narrate,
    narrate_text,
    record_durations,
    render,
    tagged_mp3,
)
from indexer.speech.questions import missing_library_audio
from indexer.speech.synthesis import SynthesisPool
from indexer.store import Store

from .settings import Settings
from .visitors.pinyin import KeyboardWords

log = logging.getLogger("kiosk")
PREFETCH_SENTENCES = 40  # rendered ahead of the listener, in reading order
# A listener's request waits this long for its sentence, then is told it is being prepared and asks again, so
# that waiting listeners never hold all request threads (a search must not queue behind speech).
AUDIO_WAIT = 1.0
AUDIO_WAITERS = 16  # of `kiosk serve`'s 48 request threads; the next listener hears "preparing" at once
DOWNLOAD_TIMEOUT = 120.0
WORKER_NICENESS = 10  # speech yields the CPU to request threads
# Lower is sooner: a sentence someone is waiting for; a whole-document download; read-ahead, nearest sentence
# first across all listeners (the newest listener first among equals), so no one's next sentence waits behind
# another's fortieth; an editor's publish; and last, the background build of everything still missing.
ON_DEMAND, DOWNLOAD = -2e12, -1e12
PUBLISH, BACKGROUND = 1e12, 1e13
BACKGROUND_BATCH = 50
NARRATED_DOCUMENTS = 256  # sentence lists kept in memory, most recently opened first
PREPARING = "正在准备这一句的声音，请稍等"
NOT_RENDERING = "本站设置为不合成语音（KIOSK_RENDER=0），只播放中心已合成的句子"
LIBRARY_CHECK_SECONDS = 2.0


def default_workers() -> int:
    """One speech process per core but one: on the hub's two cores, one voices while the other serves."""
    return max(1, (os.cpu_count() or 1) - 1)


def read_ahead_priority(distance: int, generation: int) -> float:
    return distance * 1e9 - generation


class Preparing(SpeechError):
    """The sentence is queued and not rendered yet: the client should ask again shortly."""


class Services:
    """Shared by all request threads of one app."""

    def __init__(self, settings: Settings):
        self.settings = settings
        try:
            self.data = DataDir.create(settings.data)
        except ConfigError as refused:  # a disk remounted read-only: serve what is there, say why nothing changes
            self.data = DataDir.as_it_is(settings.data)  # /healthz and kiosk doctor name the problem
            log.warning("%s；只提供已有的检索库和音频，编辑和合成新语音暂时不可用", refused)
        self._lock = threading.Lock()
        self._searcher: Searcher | None = None
        self.speech = SpeechService(self.data, settings)
        self.keyboard_words = KeyboardWords(self.data)
        self._library_checked = time.monotonic()
        self._library_seen = self._library_link()

    def follow_library(self) -> None:
        """After kiosk sync (another process) switched the synced library, speak with its pronunciations: the
        centre's audio keys include them. A stat every two seconds at most."""
        now = time.monotonic()
        if now - self._library_checked < LIBRARY_CHECK_SECONDS:
            return
        self._library_checked = now
        switched = self._library_link()
        if switched != self._library_seen:
            if self._library_seen is not None or switched is not None:
                self.reload_speech()
            self._library_seen = switched

    def _library_link(self) -> str | None:
        """The snapshot the synced library's current link names; None before the first sync."""
        try:
            return os.readlink(self.data.library_current)
        except OSError:
            return None

    def reload_speech(self) -> None:
        """A new speech service so new pronunciations apply at once; the old one's workers are stopped."""
        old = self.speech
        self.speech = SpeechService(self.data, self.settings)
        old.close()

    def store(self) -> Store:
        """A connection for one request (SQLite connections are cheap and not shared)."""
        return Store(self.data.database)

    def document(self, doc_id: str) -> Document | None:
        """One document from the store, or None for an unknown id."""
        store = self.store()
        try:
            return store.document(doc_id)
        finally:
            store.close()

    def searcher(self) -> Searcher:
        with self._lock:
            if self._searcher is None:
                self._searcher = Searcher(self.data)
            return self._searcher

    def close(self) -> None:
        """Stop speech workers and release the index (safe to call twice: tests and atexit both do)."""
        self.speech.close()
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None


class SpeechService:
    """Audio for the web app: cached files at once, missing ones rendered on demand and ahead of the listener."""

    def __init__(self, data: DataDir, settings: Settings):
        self.data = data
        self.cache = AudioCache(data.audio)
        self.workers = settings.speech_workers or default_workers()
        self.renders = settings.render
        self.roots = settings.roots  # where the questions are, for voicing them in the background
        self._pool: SynthesisPool | None = None
        self._narrated: OrderedDict[tuple[str, bytes], list[Line]] = OrderedDict()
        self._narrating: dict[tuple[str, bytes], Future[list[Line]]] = {}  # being narrated by the first who asked
        self._lock = threading.Lock()
        self._generation = itertools.count(1)
        self._recording: weakref.WeakSet[Future] = weakref.WeakSet()  # queued futures that record their duration
        self._waiting = threading.BoundedSemaphore(AUDIO_WAITERS)  # request threads waiting for a render
        self.problem: str | None = None
        self.note: str | None = None
        self.choice: EngineChoice | None = None
        self.settings: EngineSettings | None = None
        try:
            setup = set_up_speech(settings.engine, settings.rate, data)
        except KioskError as exc:
            self.problem = self.note = str(exc)
            log.warning("语音不可用，只提供文字：%s", exc)
            return
        if setup.note:
            log.warning(setup.note)
        self.note, self.choice, self.settings = setup.note, setup.choice, setup.settings

    @property
    def engine_name(self) -> str | None:
        return self.choice.name if self.choice else None

    def pool(self) -> SynthesisPool:
        if self.choice is None:
            raise SpeechError(self.problem or "语音不可用")
        if not self.renders:
            raise SpeechError(NOT_RENDERING)
        with self._lock:
            if self._pool is None:
                self._pool = SynthesisPool(self.choice, self.cache, workers=self.workers, niceness=WORKER_NICENESS)
            return self._pool

    def warm_up(self) -> None:
        """Start the speech workers in the background so the first listener does not wait for them."""
        if self.choice is not None and self.renders:
            threading.Thread(target=self.pool, daemon=True, name="kiosk-speech-warm-up").start()

    def lines(self, doc: Document, store: Store) -> list[Line]:
        """The document's sentences, remembered so any of their keys can be rendered later; narrated once per
        text version, so fifty phones opening one long law at the same second do not normalize it fifty times
        (the others wait for the first, instead of taking the GIL from every search in the meantime)."""
        if self.settings is None:
            return []
        version = (doc.id, hashlib.sha1("\x00".join(p.text for p in doc.passages).encode("utf-8")).digest())
        with self._lock:
            lines = self._narrated.get(version)
            if lines is not None:
                self._narrated.move_to_end(version)
                return lines
            pending = self._narrating.get(version)
            first = pending is None
            if pending is None:
                pending = self._narrating[version] = Future()
        if not first:
            return pending.result()
        try:
            lines = narrate(doc, self.settings)
            store.remember_speech([(line.key, line.spoken) for line in lines])
        except BaseException as failed:
            with self._lock:
                del self._narrating[version]
            pending.set_exception(failed)
            raise
        with self._lock:
            self._narrated[version] = lines
            del self._narrating[version]
            while len(self._narrated) > NARRATED_DOCUMENTS:
                self._narrated.popitem(last=False)
        pending.set_result(lines)
        return lines

    def say(self, text: str, store: Store) -> list[Line]:
        """The sentences of a text that is not a document (a question, its options), remembered so that
        /audio/<key>.mp3 voices them like a document's sentences."""
        if self.settings is None:
            return []
        lines = narrate_text(text, self.settings)
        store.remember_speech([(line.key, line.spoken) for line in lines])
        return lines

    def prefetch(self, lines: list[Line], from_passage: str | None) -> None:
        """Queue the sentences from the listener's starting point onward, nearest first."""
        if self.choice is None or not self.renders or not lines:
            return
        start = next((i for i, line in enumerate(lines) if line.passage == from_passage), 0)
        generation = next(self._generation)
        for distance, line in enumerate(lines[start : start + PREFETCH_SENTENCES]):
            if not self.cache.has(line.key):
                self.queue([(line.key, line.spoken)], priority=read_ahead_priority(distance, generation))

    def queue(self, sentences: Sequence[tuple[str, str]], priority: float) -> list[Future]:
        """Queue (key, spoken) sentences in order from ``priority`` on (lower is sooner: ON_DEMAND … BACKGROUND),
        recording each one's duration when it is rendered, for offsets and downloads; SpeechError when this kiosk
        voices nothing. Listeners, downloads, the editor and publishing all ask for audio here."""
        pool = self.pool()
        futures = []
        for place, (key, spoken) in enumerate(sentences):
            future = pool.submit(key, spoken, priority=priority + place)
            if future not in self._recording:  # asked again while still queued: one callback is enough
                self._recording.add(future)
                future.add_done_callback(self._record_duration)
            futures.append(future)
        return futures

    def _record_duration(self, future: Future) -> None:
        if not future.cancelled() and future.exception() is None:
            record_durations(self.data, [future.result()])

    def audio(self, key: str) -> bytes | None:
        """The MP3 for a key, rendered first if that takes at most AUDIO_WAIT seconds (else raises Preparing);
        None for a key no document speaks. Listeners waiting for the same sentence share one render, and at most
        AUDIO_WAITERS request threads wait at all, so a search never queues behind a class's first sentences."""
        data = self.cache.read(key)
        if data is not None:
            return data  # the common case touches no database
        with Store(self.data.database) as store:
            spoken = store.spoken_text(key)
        if spoken is None or not self.renders:
            return None
        rendered = self.queue([(key, spoken)], priority=ON_DEMAND)[0]
        if not self._waiting.acquire(blocking=False):  # a class asking at once: keep threads for searches and pages
            raise Preparing(PREPARING)
        try:
            rendered.result(timeout=AUDIO_WAIT)
        except FutureTimeout:
            raise Preparing(PREPARING) from None
        finally:
            self._waiting.release()
        return self.cache.read(key)

    def whole_document(self, doc: Document, store: Store) -> bytes:
        """The document as one tagged MP3, rendering whatever sentences are still missing first."""
        lines = self.lines(doc, store)
        if not lines:
            raise SpeechError(self.problem or "这篇没有可以朗读的内容")
        futures = self.queue([(line.key, line.spoken) for line in lines if not self.cache.has(line.key)], DOWNLOAD)
        rendered = [future.result(timeout=DOWNLOAD_TIMEOUT) for future in futures]
        record_durations(self.data, rendered)  # the callbacks may not have run yet
        parts = [self.cache.read(line.key) for line in lines]
        cached = [part for part in parts if part is not None]
        if len(cached) < len(parts):
            raise SpeechError("部分句子的音频还没有准备好，请稍后再试")
        return tagged_mp3(doc, cached)

    def render_missing_in_background(self, openings_only: bool = False) -> threading.Thread | None:
        """Render every sentence still missing (or only every text's opening sentences), after all listeners' and
        editors' work, logging progress; this is how a first run serves at once and fills its audio cache while it
        serves, and how any text's first sound is ready before someone opens it."""
        if self.settings is None or not self.renders:
            return None
        thread = threading.Thread(
            target=self._render_missing,
            args=(self.settings, openings_only),
            daemon=True,
            name="kiosk-speech-background",
        )
        thread.start()
        return thread

    def _render_missing(self, settings: EngineSettings, openings_only: bool) -> None:
        what = "每篇开头" if openings_only else "缺少"
        try:
            if openings_only:
                jobs = missing_audio(self.data, settings, openings_only=True)
            else:
                jobs = missing_library_audio(self.data, settings, self.roots())
            if not jobs:
                return
            log.info("语音：后台合成%s的 %d 句，收听和编辑优先", what, len(jobs))
            report = render(
                self.data,
                self.pool(),
                jobs,
                progress=ProgressLog(f"后台合成{what}的语音", emit=log.info),
                priority=BACKGROUND,
                batch_size=BACKGROUND_BATCH,
            )
            log.info("语音：后台合成%s的 %d 句完成，失败 %d 句", what, len(report.done), len(report.failed))
        except SpeechError as exc:  # closed while rendering, or no voice: listeners still get on-demand audio
            log.info("语音：后台合成停止：%s", exc)
        except Exception:  # a background job reports, it never takes the server down
            log.exception("语音：后台合成失败；收听时仍会按需合成")

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
