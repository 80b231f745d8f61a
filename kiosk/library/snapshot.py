"""The centre's side: the library as it is now, as a signed manifest and the files it names by hash.

A snapshot is remade only when something in it changed (texts, pronunciations, vectors, or audio the centre
finished voicing), checked at most every few seconds, so hubs polling the manifest cost a few stats. Hashes of
files are remembered by (size, mtime) and audio by key, so remaking a snapshot reads only what is new.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from indexer.atomic import write_atomic
from indexer.content.courses import COURSES_FOLDER
from indexer.content.loader import METADATA_FILE, discover
from indexer.content.quiz import QUIZ_FOLDER
from indexer.datadir import DataDir
from indexer.search.embedding import MODEL_ID
from indexer.search.vectors import VectorStore, pack, passage_text, text_digest, vector_key
from indexer.speech.audio_cache import AudioCache
from indexer.speech.engines import USER_PRONUNCIATIONS
from indexer.speech.engines.base import EngineSettings
from indexer.speech.narration import narrate
from indexer.speech.questions import question_lines
from indexer.store import Store

from . import keys
from .manifest import Blob, DocumentMedia, Manifest, TextFile, Voiced, audio_list, digest

log = logging.getLogger("kiosk")
RECHECK_SECONDS = 5.0
PUBLISHED = "published"  # in the centre's data dir: the last envelope and the files made for it


@dataclass(frozen=True)
class Published:
    """What the centre serves: the signed envelope, and where each file it names is."""

    envelope: bytes
    manifest: Manifest
    objects: dict[str, Path]


def speech_identity(settings: EngineSettings | None) -> dict:
    """What a hub must share with the centre for the centre's audio keys to be its own."""
    if settings is None:
        return {}
    return {"engine": settings.engine, "voice": settings.voice, "rate": settings.rate, "version": settings.version}


def library_files(roots: list[Path]) -> dict[str, Path]:
    """Every file of the library by its path as a hub will store it: texts, courses, questions, metadata;
    the first root's file wins, as in the content loader."""
    found = {file.source: file.path for file in discover(roots)}
    for root in roots:
        extras = [root / METADATA_FILE] if (root / METADATA_FILE).is_file() else []
        extras += sorted((root / COURSES_FOLDER).glob("*.yaml")) + sorted((root / QUIZ_FOLDER).rglob("*.md"))
        for path in extras:
            found.setdefault(path.relative_to(root).as_posix(), path)
    return found


class Publisher:
    """Keeps the centre's current snapshot; one per serving process."""

    def __init__(self, data: DataDir, roots, speech_settings, centre: str = ""):
        self.data = data
        self.roots = roots  # a callable: the roots can change while serving (a synced library of its own)
        self.speech_settings = speech_settings  # a callable too: pronunciations change the audio keys
        self.centre = centre or socket.gethostname()
        self.folder = data.root / PUBLISHED
        self._lock = threading.Lock()
        self._published: Published | None = None
        self._fingerprint: str | None = None
        self._checked = 0.0
        self._file_hashes: dict[str, tuple[int, int, str]] = {}
        self._audio_hashes: dict[str, tuple[int, str, float]] = {}  # key -> size, sha256, seconds
        self._lines: dict[tuple[str, str, str], list[str]] = {}  # (doc, text, dictionary) -> audio keys
        self._previous_made: set[str] = set()

    def current(self) -> Published | None:
        """The snapshot, remade first if the library changed; None when this kiosk has no key (not a centre)."""
        key = keys.signing_key(self.data.root, create=False)
        if key is None:
            return None
        with self._lock:
            if self._published is None or time.monotonic() - self._checked > RECHECK_SECONDS:
                self._checked = time.monotonic()
                fingerprint = self._fingerprint_now()
                if fingerprint != self._fingerprint or self._published is None:
                    self._published = self._make(key)
                    self._fingerprint = fingerprint
            return self._published

    def _fingerprint_now(self) -> str:
        """Changes when any file, the vectors, the pronunciations, the voice or the set of audio files does."""
        parts = []
        for source, path in sorted(library_files(self.roots()).items()):
            stat = path.stat()
            parts.append(f"{source}\0{stat.st_size}\0{stat.st_mtime_ns}")
        pronunciations = self.data.root / USER_PRONUNCIATIONS
        parts.append(str(pronunciations.stat().st_mtime_ns) if pronunciations.is_file() else "-")
        parts.append(repr(VectorStore(self.data).generation()))
        parts.append(json.dumps(speech_identity(self.speech_settings())))
        parts.append(str(sum(len(os.listdir(shard)) for shard in self.data.audio.glob("??"))))
        return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()

    def _make(self, key) -> Published:
        started = time.monotonic()
        objects: dict[str, Path] = {}
        made: dict[str, bytes] = {}
        texts = []
        for source, path in sorted(library_files(self.roots()).items()):
            sha, size = self._file_hash(path)
            texts.append(TextFile(source, sha, size))
            objects[sha] = path
        documents, spoken, missing = self._documents(objects, made)
        pronunciations = None
        user = self.data.root / USER_PRONUNCIATIONS
        if user.is_file():
            data = user.read_bytes()
            pronunciations = Blob(digest(data), len(data))
            made[pronunciations.sha256] = data
        previous = self._published.manifest.serial if self._published else self._last_serial()
        manifest = Manifest(
            serial=max(time.time_ns(), previous + 1),
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            centre=self.centre,
            speech=speech_identity(self.speech_settings()),
            vector_model=MODEL_ID,
            texts=texts,
            documents=documents,
            pronunciations=pronunciations,
            spoken=spoken,
            missing=missing,
        )
        if self._published and _same_library(self._published.manifest, manifest):
            return self._published  # a file touched, vector parts merged: hubs have nothing new to fetch
        signed = manifest.encode()
        envelope = json.dumps(
            {"manifest": signed.decode("utf-8"), "signature": keys.sign(key, signed)}, ensure_ascii=False
        ).encode("utf-8")
        objects.update(self._store_made(made))
        write_atomic(self.folder / "manifest.json", envelope)
        log.info(
            "文库快照：%d 个文件，%d 篇，缺语音 %d 句（题目 %d 句）、缺向量 %d 段（%.1f 秒）",
            len(texts),
            len(documents),
            missing["audio"],
            missing.get("spoken", 0),
            missing["vectors"],
            time.monotonic() - started,
        )
        return Published(envelope, manifest, objects)

    def _documents(
        self, objects: dict[str, Path], made: dict[str, bytes]
    ) -> tuple[list[DocumentMedia], Blob | None, dict]:
        """Each document's audio list and vector part, the questions' audio list, and how many sentences
        and passages have neither."""
        settings = self.speech_settings()
        cache = AudioCache(self.data.audio)
        vectors = VectorStore(self.data).load()
        store = Store(self.data.database)
        documents, missing = [], {"audio": 0, "vectors": 0}
        try:
            for source, record in sorted(store.files().items()):
                doc = store.document(record.doc_id)
                if doc is None:
                    continue
                audio = None
                if settings is not None:
                    voiced = self._voiced(doc, settings, cache, store, objects)
                    missing["audio"] += voiced.count(None)
                    audio = self._made(audio_list([v for v in voiced if v]), made)
                passage_keys = [
                    vector_key(text_digest(passage_text(doc.title, " ".join(p.headings), p.text)))
                    for p in doc.passages
                    if p.kind != "heading"
                ]
                rows = [vectors.keys[k] for k in passage_keys if k in vectors.keys]
                missing["vectors"] += len(passage_keys) - len(rows)
                part = None
                if rows:
                    present = [k for k in passage_keys if k in vectors.keys]
                    part = self._made(pack(MODEL_ID, present, vectors.matrix[rows], vectors.scales[rows]), made)
                documents.append(DocumentMedia(source, audio, part))
            spoken = None
            if settings is not None:
                keys_ = [line.key for line in question_lines(self.roots(), settings)]
                voiced = self._voiced_keys(keys_, cache, store, objects)
                missing["spoken"] = voiced.count(None)
                spoken = self._made(audio_list([v for v in voiced if v]), made)
        finally:
            store.close()
        return documents, spoken, missing

    def _voiced(self, doc, settings, cache: AudioCache, store: Store, objects: dict[str, Path]) -> list[Voiced | None]:
        """The document's sentences in reading order, each once: Voiced if the centre has its MP3, else None."""
        version = (
            doc.id,
            hashlib.sha1("\0".join(p.text for p in doc.passages).encode()).hexdigest(),
            settings.dictionary_digest,
        )
        keys_ = self._lines.get(version)
        if keys_ is None:
            keys_ = list(dict.fromkeys(line.key for line in narrate(doc, settings)))
            self._lines[version] = keys_
        return self._voiced_keys(keys_, cache, store, objects)

    def _voiced_keys(
        self, keys_: list[str], cache: AudioCache, store: Store, objects: dict[str, Path]
    ) -> list[Voiced | None]:
        """Voiced for each of these audio keys whose MP3 the centre has, else None."""
        durations = store.durations(keys_)
        result: list[Voiced | None] = []
        for key in keys_:
            path = cache.path(key)
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                result.append(None)
                continue
            known = self._audio_hashes.get(key)
            if known is None or known[0] != size:
                loaded = cache.load(key)  # walks the frames once: a broken file is never published
                if loaded is None:
                    result.append(None)
                    continue
                known = (size, digest(loaded[0]), loaded[1])
                self._audio_hashes[key] = known
            seconds = durations.get(key) or known[2]
            result.append(Voiced(key, known[1], size, round(float(seconds), 3)))
            objects[known[1]] = path
        return result

    def _file_hash(self, path: Path) -> tuple[str, int]:
        stat = path.stat()
        known = self._file_hashes.get(str(path))
        if known and known[:2] == (stat.st_size, stat.st_mtime_ns):
            return known[2], stat.st_size
        sha = digest(path.read_bytes())
        self._file_hashes[str(path)] = (stat.st_size, stat.st_mtime_ns, sha)
        return sha, stat.st_size

    @staticmethod
    def _made(data: bytes, made: dict[str, bytes]) -> Blob:
        blob = Blob(digest(data), len(data))
        made[blob.sha256] = data
        return blob

    def _store_made(self, made: dict[str, bytes]) -> dict[str, Path]:
        """Files made for this snapshot, kept beside the last one's (a hub may still be fetching those)."""
        objects = self.folder / "objects"
        objects.mkdir(parents=True, exist_ok=True)
        kept = set(made) | self._previous_made
        for sha, data in made.items():
            path = objects / sha
            if not path.is_file():
                write_atomic(path, data, sync_folder=False)
        for stale in objects.iterdir():
            if stale.name not in kept:
                stale.unlink(missing_ok=True)
        self._previous_made = set(made)
        return {sha: objects / sha for sha in made}

    def _last_serial(self) -> int:
        """The serial of the envelope on disk from before a restart, so serials keep growing."""
        try:
            envelope = json.loads((self.folder / "manifest.json").read_bytes())
            return int(json.loads(envelope["manifest"])["serial"])
        except (OSError, ValueError, KeyError, TypeError):
            return 0


def _same_library(old: Manifest, new: Manifest) -> bool:
    """Whether two snapshots list the same files, whatever their serials and times."""
    return replace(old, serial=0, created="") == replace(new, serial=0, created="")
