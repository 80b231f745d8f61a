"""A hub's side: bring its copy of the centre's library up to date, or leave the old one serving.

Order matters for a power cut or a refusal at any step: check the signature, fetch what is missing (each file
checked against its hash before it is kept), only then switch ``current`` in one rename, then update the index
incrementally. Audio and vectors go straight into the hub's own content-addressed caches: what the centre voiced
and embedded is used as it is, and the hub renders only what the centre has not.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from http import HTTPStatus
from pathlib import Path

from indexer.atomic import write_atomic
from indexer.build import BuildReport, build_index
from indexer.datadir import DataDir
from indexer.errors import ConfigError, KioskError, disk_problem
from indexer.search.embedding import MODEL_ID
from indexer.search.vectors import VectorStore
from indexer.speech.audio_cache import AudioCache
from indexer.speech.engines import set_up_speech
from indexer.speech.narration import missing_audio
from indexer.speech.questions import missing_question_audio
from indexer.store import Store

from ..city import hub_report
from ..desk.exchange import ExchangeError, exchange
from ..hubs.keys import hub_key
from ..hubs.messages import post_signed
from ..settings import BUNDLED_CONTENT, Settings
from . import keys
from .fetch import Fetcher, FetchError, RateLimit
from .local import LocalLibrary
from .manifest import Manifest, ManifestError, Voiced, parse, parse_audio_list
from .snapshot import speech_identity

PARALLEL_DOWNLOADS = 4
LAST_SYNC = "last-sync.json"  # in library/: the outcome of the last attempt, for /healthz and kiosk doctor
VECTOR_LOCK_WAIT = 120.0
Progress = Callable[[int, int], None]


class SyncError(KioskError):
    """A sync that did not switch the library; the hub goes on serving the one it had."""


@dataclass
class SyncReport:
    serial: int = 0
    switched: bool = False  # False: the hub already had this snapshot
    files: int = 0  # downloaded
    bytes: int = 0  # on the wire
    audio: int = 0  # MP3s received
    vectors: int = 0  # passage vectors received
    audio_missing: int = 0  # sentences neither the centre nor the hub has voiced
    notes: list[str] = field(default_factory=list)
    index: BuildReport = field(default_factory=BuildReport)  # the hub's index, rebuilt once the library switched
    seconds: float = 0.0


def sync(
    settings: Settings,
    url: str,
    public_key: str,
    rate_limit: float | None = None,
    progress: Progress | None = None,
    hub: str = "",
    desk: bool = False,
) -> SyncReport:
    """Sync the hub's library with the centre at ``url``, then (as ``hub``) send its counts for the wall and, when
    ``desk``, exchange the front desk's requests; SyncError (with the reason) leaves the library as it was."""
    started = time.monotonic()
    data = DataDir.create(settings.data)
    if BUNDLED_CONTENT.resolve() in {Path(root).resolve() for root in settings.content}:
        raise SyncError(
            "本站的内容目录还是内置文章：内置文章随中心的文库同步来。请把本站自己的文章放在单独的目录，"
            "设置 KIOSK_CONTENT=那个目录，再同步"
        )
    deadline = started + settings.sync_minutes * 60
    try:
        with Fetcher(url, RateLimit(rate_limit), deadline) as fetcher:
            report = _sync(settings, data, fetcher, public_key, progress)
    except (SyncError, FetchError, ManifestError, keys.SignatureError, ConfigError) as exc:
        _remember(data, ok=False, reason=str(exc))
        raise SyncError(str(exc)) from None
    except OSError as exc:
        reason = f"写不进本站的数据目录（{disk_problem(exc)}），未同步；原来的文库照常使用"
        _remember(data, ok=False, reason=reason)
        raise SyncError(reason) from None
    if hub:
        report.notes += _send_counts(url, data, hub, deadline)
        if desk:
            report.notes += _exchange_desk(url, data, hub, public_key)
    report.seconds = time.monotonic() - started
    _remember(
        data, ok=True, serial=report.serial, files=report.files, bytes=report.bytes, audio_missing=report.audio_missing
    )
    return report


def last_sync(data: DataDir) -> dict | None:
    """The outcome of the last sync attempt, as /healthz shows it."""
    try:
        return json.loads((data.library / LAST_SYNC).read_bytes())
    except (OSError, ValueError):
        return None


def _sync(
    settings: Settings, data: DataDir, fetcher: Fetcher, public_key: str, progress: Progress | None
) -> SyncReport:
    library = LocalLibrary(data)
    signed, manifest = _verified_manifest(fetcher, public_key)
    current = library.current()
    if current and manifest.serial < current.serial:
        raise SyncError(f"中心给出的文库（编号 {manifest.serial}）比本站正在用的（{current.serial}）旧，未同步")
    report = SyncReport(serial=manifest.serial, switched=current is None or current.serial != manifest.serial)
    speech = _speech_settings(settings, data)
    same_voice = speech is not None and speech_identity(speech) == manifest.speech
    if not same_voice:
        report.notes.append(
            "本站的语音设置与中心不同（"
            + json.dumps(manifest.speech, ensure_ascii=False)
            + "），中心的音频用不上，本站会自己合成"
        )
    blobs = [blob for blob in {b.sha256: b for b in manifest.blobs()}.values() if not library.has(blob.sha256)]
    cache = AudioCache(data.audio)
    with ThreadPoolExecutor(PARALLEL_DOWNLOADS, thread_name_prefix="kiosk-sync") as pool:
        # Texts, audio lists and vector parts first; then the MP3s the audio lists name. Nothing is switched yet.
        _each(pool, [partial(_keep_blob, fetcher, library, blob) for blob in blobs], progress)
        report.files += len(blobs)
        if same_voice:
            voiced = _voiced_wanted(manifest, library, cache)
            _each(pool, [partial(_keep_audio, fetcher, library, cache, v) for v in voiced], progress)
            report.audio = len(voiced)
            report.files += len(voiced)
    if manifest.vector_model == MODEL_ID:
        report.vectors = _add_vectors(data, library, manifest)
    library.switch(manifest, signed)
    report.index = build_index(data, settings.roots())
    if speech is not None:
        report.audio_missing = _note_durations(data, speech, library, manifest, same_voice, settings.roots())
    library.prune()
    report.bytes = fetcher.received
    return report


def _verified_manifest(fetcher: Fetcher, public_key: str) -> tuple[bytes, Manifest]:
    try:
        envelope = json.loads(fetcher.get("/library/manifest"))
        signed, signature = envelope["manifest"].encode("utf-8"), envelope["signature"]
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):  # RecursionError: nested too deep
        raise ManifestError("中心返回的不是文库清单（地址指向的是中心的 kiosk serve 吗？），未同步") from None
    keys.verify(public_key, signed, signature)  # before a single field of it is believed
    return signed, parse(signed)


def _speech_settings(settings: Settings, data: DataDir):
    """This hub's audio-key settings, whether or not it may render; None without a usable voice."""
    try:
        return set_up_speech(settings.engine, settings.rate, data).settings
    except KioskError:
        return None


def _each(pool: ThreadPoolExecutor, jobs: list[Callable[[], None]], progress: Progress | None) -> None:
    """Run downloads a few at a time; the first failure stops the sync (the rest are cancelled)."""
    futures = [pool.submit(job) for job in jobs]
    try:
        for done, future in enumerate(futures, 1):
            future.result()
            if progress:
                progress(done, len(futures))
    finally:
        for future in futures:
            future.cancel()


def _keep_blob(fetcher: Fetcher, library: LocalLibrary, blob) -> None:
    checked = fetcher.download(blob.sha256, blob.size, library.partial(blob.sha256))
    library.keep(blob.sha256, checked)


def _voiced_wanted(manifest: Manifest, library: LocalLibrary, cache: AudioCache) -> list[Voiced]:
    """The centre's MP3s this hub has not got yet, from the audio lists already downloaded."""
    found: dict[str, Voiced] = {}
    for blob in manifest.audio_lists():
        if library.has(blob.sha256):
            for voiced in parse_audio_list(library.read(blob.sha256)):
                found.setdefault(voiced.key, voiced)
    return [v for v in found.values() if not cache.has(v.key)]


def _keep_audio(fetcher: Fetcher, library: LocalLibrary, cache: AudioCache, voiced: Voiced) -> None:
    partial = fetcher.download(voiced.sha256, voiced.size, library.partial(voiced.sha256))
    try:
        cache.write(voiced.key, partial.read_bytes())
    finally:
        partial.unlink(missing_ok=True)


def _add_vectors(data: DataDir, library: LocalLibrary, manifest: Manifest) -> int:
    """The centre's vectors for passages this hub has none for, as parts of its own vector store."""
    store = VectorStore(data)
    deadline = time.monotonic() + VECTOR_LOCK_WAIT
    while (handle := store.lock()) is None:  # a background embedding is writing parts: wait for it
        if time.monotonic() > deadline:
            raise SyncError("本站正在生成语义向量，两分钟内没有结束；稍后再同步")
        time.sleep(1.0)
    try:
        have = set(store.load().keys)
        added = 0
        for doc in manifest.documents:
            if doc.vectors:
                try:
                    added += store.add_packed(library.read(doc.vectors.sha256), have)
                except ValueError:
                    continue  # signed, yet not readable here (another numpy?): the hub embeds those passages itself
        return added
    finally:
        handle.close()


def _note_durations(
    data: DataDir, speech, library: LocalLibrary, manifest: Manifest, same_voice: bool, roots: list[Path]
) -> int:
    """Record what each sentence says and, from the audio lists, how long it is (listening progress is checked
    against durations); returns how many of the library's sentences the centre has not voiced yet."""
    store = Store(data.database)
    try:
        library_root = str(data.library_current)
        records = store.files().values()
        centre_docs = [record.doc_id for record in records if record.root == library_root]
        own_docs = [record.doc_id for record in records if record.root != library_root]
    finally:
        store.close()
    missing = missing_audio(data, speech, centre_docs)  # also remembers what each sentence says, so any key plays
    missing_audio(data, speech, own_docs)  # the hub's own texts' sentences, which only the hub voices
    missing += missing_question_audio(data, speech, roots)
    if same_voice:
        seconds = [
            (v.seconds, v.key) for blob in manifest.audio_lists() for v in parse_audio_list(library.read(blob.sha256))
        ]
        store = Store(data.database)
        try:
            store.set_durations(seconds)
        finally:
            store.close()
    return len(missing)


def _send_counts(url: str, data: DataDir, hub: str, deadline: float) -> list[str]:
    """The hub's anonymous daily counts for the city wall, signed with its own key; a centre that refuses them does
    not undo the sync."""
    try:
        with Fetcher(url, RateLimit(None), deadline) as fetcher:
            answer = post_signed(fetcher, hub_key(data.root), hub, "/api/city/report", hub_report(data.root, hub))
    except FetchError as exc:
        return [f"统计没有报给中心：{exc}"]
    if answer.status == HTTPStatus.OK:
        return []
    if answer.problem(hub):
        return [f"统计没有报给中心：{answer.problem(hub)}"]
    if answer.status == HTTPStatus.CONFLICT:  # the centre's own name: the default, until the hub names itself
        return [f"统计没有报给中心：「{hub}」是中心的名称，请在 kiosk.env 设置 KIOSK_HUB_NAME 为本站的名字"]
    return [f"统计没有报给中心（HTTP {answer.status}）；下次同步再报"]


def _exchange_desk(url: str, data: DataDir, hub: str, public_key: str) -> list[str]:
    """The desk's requests and their changes, both ways (kiosk/desk/exchange.py); a failure does not undo the sync."""
    try:
        done = exchange(data.root, url, hub, public_key)
    except ExchangeError as exc:
        return [str(exc)]
    return [f"中心没有收下一条登记记录：{reason}" for reason in done.refused]


def _remember(data: DataDir, **outcome) -> None:
    outcome["at"] = datetime.now(UTC).isoformat(timespec="seconds")
    with suppress(OSError):  # a full or read-only disk: the error itself already says so
        write_atomic(data.library / LAST_SYNC, json.dumps(outcome, ensure_ascii=False).encode("utf-8"))
