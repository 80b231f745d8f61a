"""Passage vectors in the data dir: int8, keyed by a hash of the embedded text and the model, written atomically.

Vectors live in parts (``vectors/<model>/part-000001.npz``), each written to ``.part`` and then
``os.replace``d into place, so a build killed at any moment loses at most the part it was writing and the next
build picks up where it stopped. A part that fails to load is deleted and its passages embedded again.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import logging
import os
import re
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np

from indexer.datadir import DataDir
from indexer.progress import ProgressLog
from indexer.store import Store

from . import embedding
from .embedding import DIM, MODEL_ID, BatchEmbedder

log = logging.getLogger("kiosk")
PART_NAME = re.compile(r"^part-(\d{6})\.npz$")
BATCH = 16  # passages per engine call
BACKGROUND_BATCH = 2  # in a serving process: a query waits at most for this many passages
PART_SIZE = 256  # vectors per part file: what a kill can lose
COMPACT_PARTS = 16  # more parts than this are merged into one at the end of a build
KEY_BYTES = 20
PARALLEL_ROWS = 32768  # from this many vectors on, the scan is split over two threads
_SCAN_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-vector-scan")
CHUNK_ROWS = 1024  # int8 rows converted to float32 at a time when scoring: stays in cache, the full matrix never is

Progress = Callable[[int, int], None]


def passage_text(title: str, headings: str, body: str) -> str:
    """What is embedded for a passage: its document's title, its headings and its text."""
    return "\n".join(part for part in (title, headings, body) if part)


def text_digest(text: str) -> str:
    """Digest of a passage's embedded text; the index keeps it per record, so a searcher finds each record's
    vector without reading every stored passage."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def vector_key(digest: str, model_id: str = MODEL_ID) -> bytes:
    """20-byte key of exactly what determines a vector: the model and the embedded text (by its digest)."""
    return hashlib.sha1(f"{model_id}\0{digest}".encode("ascii", "replace")).digest()


def vectors_dir(data: DataDir, model_id: str = MODEL_ID) -> Path:
    """The folder holding one model's vector parts."""
    return data.root / "vectors" / re.sub(r"[^A-Za-z0-9._-]+", "_", model_id)


def quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 rows and one float32 scale per row (row = int8 * scale)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    peak = np.abs(vectors).max(axis=1)
    scales = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    return np.clip(np.rint(vectors / scales[:, None]), -127, 127).astype(np.int8), scales


def pack(model_id: str, keys: list[bytes], matrix: np.ndarray, scales: np.ndarray) -> bytes:
    """The .npz bytes of a part; the same vectors always give the same bytes (a fixed date in the zip), so a
    library snapshot can name them by their hash."""
    raw_keys = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), KEY_BYTES)
    arrays = {"model": np.array(model_id), "keys": raw_keys, "vectors": matrix, "scales": scales}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            with archive.open(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), "w") as member:
                np.lib.format.write_array(member, array, allow_pickle=False)
    return out.getvalue()


def unpack(source, model_id: str) -> tuple[list[bytes], np.ndarray, np.ndarray]:
    """(keys, int8 rows, scales) of a part (a path or file object); ValueError unless whole and of this model."""
    try:
        with np.load(source, allow_pickle=False) as part:
            model = str(part["model"])
            raw_keys, matrix, scales = part["keys"], part["vectors"], part["scales"]
    except (OSError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ValueError(f"not a vector part ({exc})") from None
    if model != model_id:
        raise ValueError(f"vectors of another model ({model})")
    if (
        raw_keys.dtype != np.uint8
        or raw_keys.ndim != 2
        or raw_keys.shape[1] != KEY_BYTES
        or matrix.dtype != np.int8
        or matrix.shape != (len(raw_keys), DIM)
        or scales.dtype != np.float32
        or scales.shape != (len(raw_keys),)
    ):
        raise ValueError("wrong shapes")
    return [bytes(k) for k in raw_keys], matrix, scales


@dataclass
class VectorSet:
    """All vectors of one model held in memory: key → row of an int8 matrix."""

    keys: dict[bytes, int] = field(default_factory=dict)
    matrix: np.ndarray = field(default_factory=lambda: np.zeros((0, DIM), dtype=np.int8))
    scales: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    generation: tuple = ()
    dropped: list[str] = field(default_factory=list)  # parts that failed to load and were deleted

    def __len__(self) -> int:
        return len(self.keys)

    def similarities(self, query: np.ndarray) -> np.ndarray:
        """Cosine similarity of every row with an L2-normalised query vector (large sets scanned on two threads)."""
        out = np.empty(len(self.matrix), dtype=np.float32)
        query = np.asarray(query, dtype=np.float32)
        if len(self.matrix) < PARALLEL_ROWS:
            _scan(self.matrix, query, out)
        else:
            half = len(self.matrix) // 2 // CHUNK_ROWS * CHUNK_ROWS
            other = _SCAN_POOL.submit(_scan, self.matrix[half:], query, out[half:])
            _scan(self.matrix[:half], query, out[:half])
            other.result()
        return out * self.scales


def _scan(matrix: np.ndarray, query: np.ndarray, out: np.ndarray) -> None:
    """out = matrix @ query, converting int8 to float32 a cache-sized block at a time (numpy releases the GIL)."""
    buffer = np.empty((CHUNK_ROWS, DIM), dtype=np.float32)
    for start in range(0, len(matrix), CHUNK_ROWS):
        chunk = matrix[start : start + CHUNK_ROWS]
        block = buffer[: len(chunk)]
        np.copyto(block, chunk, casting="unsafe")
        np.dot(block, query, out=out[start : start + len(chunk)])


class VectorStore:
    """One model's vector parts in the data dir."""

    def __init__(self, data: DataDir, model_id: str = MODEL_ID):
        self.folder = vectors_dir(data, model_id)
        self.model_id = model_id

    def parts(self) -> list[Path]:
        """Finished part files, oldest first."""
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.iterdir() if PART_NAME.match(p.name))

    def generation(self) -> tuple:
        """Changes whenever a part is added, replaced or removed: tells a searcher to reload."""
        try:
            return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in self.parts())
        except FileNotFoundError:
            return ("changing",)  # a part went away between listing and stat: look again next time

    def load(self) -> VectorSet:
        """Every readable part merged; a part that fails verification is deleted, never used."""
        generation = self.generation()
        keys: dict[bytes, int] = {}
        matrices, scales, dropped = [], [], []
        rows = 0
        for path in self.parts():
            try:
                part_keys, part_matrix, part_scales = self._read(path)
            except FileNotFoundError:
                continue  # compacted away while we listed
            except Exception:  # noqa: BLE001 - any unreadable part is thrown away and rebuilt
                dropped.append(path.name)
                path.unlink(missing_ok=True)
                continue
            matrices.append(part_matrix)
            scales.append(part_scales)
            for i, key in enumerate(part_keys):
                keys[key] = rows + i  # a key present twice (a compaction killed midway) keeps its newest row
            rows += len(part_keys)
        matrix = np.concatenate(matrices) if matrices else np.zeros((0, DIM), dtype=np.int8)
        scale = np.concatenate(scales) if scales else np.zeros(0, dtype=np.float32)
        return VectorSet(keys, matrix, scale, generation, dropped)

    def _read(self, path: Path) -> tuple[list[bytes], np.ndarray, np.ndarray]:
        try:
            return unpack(path, self.model_id)
        except ValueError as exc:
            raise ValueError(f"{path.name}: {exc}") from None

    def write_part(self, keys: list[bytes], vectors: np.ndarray) -> Path:
        """Quantize and store vectors as a new part, atomically."""
        matrix, scales = quantize(vectors)
        return self._write(_next_part_number(self.parts()), keys, matrix, scales)

    def _write(self, number: int, keys: list[bytes], matrix: np.ndarray, scales: np.ndarray) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"part-{number:06d}.npz"
        temporary = target.with_name(target.name + ".part")
        with open(temporary, "wb") as handle:
            handle.write(pack(self.model_id, keys, matrix, scales))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        return target

    def add_packed(self, data: bytes, have: set[bytes]) -> int:
        """Store the vectors made elsewhere (a synced library's) whose keys are not in ``have`` as a new part,
        after checking them (ValueError if they are not this model's); adds their keys to ``have`` and returns
        how many were stored."""
        keys, matrix, scales = unpack(io.BytesIO(data), self.model_id)
        rows = [row for row, key in enumerate(keys) if key not in have]
        if not rows:
            return 0
        self._write(_next_part_number(self.parts()), [keys[row] for row in rows], matrix[rows], scales[rows])
        have.update(keys[row] for row in rows)
        return len(rows)

    def compact(self, wanted: set[bytes]) -> int:
        """Merge all parts into one holding only the wanted keys; returns how many vectors were dropped."""
        vectors = self.load()
        old = self.parts()
        keep = sorted((row, key) for key, row in vectors.keys.items() if key in wanted)
        rows = np.array([row for row, _ in keep], dtype=np.int64)
        self._write(_next_part_number(old), [key for _, key in keep], vectors.matrix[rows], vectors.scales[rows])
        for path in old:
            path.unlink(missing_ok=True)
        return len(vectors) - len(keep)

    def lock(self) -> TextIO | None:
        """An exclusive lock on the folder for one embedding build, or None when another build holds it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        handle = open(self.folder / "build.lock", "w")  # noqa: SIM115 - the open file is the lock, closed by the caller
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return None
        for stale in self.folder.glob("*.part"):
            stale.unlink(missing_ok=True)  # left by a killed build; only the lock holder writes parts
        return handle


def _next_part_number(parts: list[Path]) -> int:
    """One past the highest number of these parts."""
    numbers = [int(named.group(1)) for part in parts if (named := PART_NAME.match(part.name))]
    return max(numbers, default=0) + 1


@dataclass
class EmbedReport:
    """What an embedding run did."""

    embedded: int = 0
    reused: int = 0
    dropped_parts: list[str] = field(default_factory=list)
    removed: int = 0
    busy: bool = False  # another build was embedding
    seconds: float = 0.0


def catalog_passages(data: DataDir) -> Iterator[tuple[str, str]]:
    """(record id, embedded text) of every searchable passage in the document store, in shelf order."""
    store = Store(data.database)
    try:
        for doc_id in store.document_ids():
            doc = store.document(doc_id)
            if doc is None:
                continue
            for passage in doc.passages:
                if passage.kind != "heading":
                    yield f"{doc.id}:{passage.id}", passage_text(doc.title, " ".join(passage.headings), passage.text)
    finally:
        store.close()


def embed_missing(
    data: DataDir, embedder: BatchEmbedder, progress: Progress | None = None, batch: int | None = None
) -> EmbedReport:
    """Embed the passages that have no vector for their current text; old vectors are dropped at the end.
    The embedder may be a cluster's (indexer.cluster), whose batches come back in any order."""
    batch = batch or BATCH
    started = time.monotonic()
    report = EmbedReport()
    store = VectorStore(data, embedder.model_id)
    handle = store.lock()
    if handle is None:
        report.busy = True
        return report
    try:
        existing = store.load()
        report.dropped_parts = existing.dropped
        wanted: dict[bytes, str] = {}
        for _, text in catalog_passages(data):
            wanted.setdefault(vector_key(text_digest(text), embedder.model_id), text)
        missing = [(key, text) for key, text in wanted.items() if key not in existing.keys]
        report.reused = len(wanted) - len(missing)
        del existing
        pending_keys: list[bytes] = []
        pending: list[np.ndarray] = []
        chunks = [missing[start : start + batch] for start in range(0, len(missing), batch)]
        try:
            for number, vectors in embedder.batches([[text for _, text in chunk] for chunk in chunks]):
                chunk = chunks[number]
                pending.append(vectors)
                pending_keys.extend(key for key, _ in chunk)
                report.embedded += len(chunk)
                if len(pending_keys) >= PART_SIZE:
                    store.write_part(pending_keys, np.concatenate(pending))
                    pending_keys, pending = [], []
                if progress:
                    progress(report.embedded, len(missing))
        finally:
            if pending_keys:  # also on Ctrl-C: what was embedded is kept
                store.write_part(pending_keys, np.concatenate(pending))
        parts = store.parts()
        if len(parts) > COMPACT_PARTS or (parts and len(store.load()) > len(wanted)):
            report.removed = store.compact(set(wanted))
    finally:
        handle.close()
    report.seconds = time.monotonic() - started
    return report


def embed_in_background(data: DataDir) -> threading.Thread | None:
    """Embed missing vectors in a daemon thread of a serving process (after a publish or an import), logging
    progress; searches run by their words meanwhile and pick the vectors up as they land. None without the model."""
    model = embedding.embedder()
    if model is None:
        return None

    def run() -> None:
        try:
            report = embed_missing(data, model, progress=ProgressLog("语义向量", emit=log.info), batch=BACKGROUND_BATCH)
        except Exception:  # a background job reports, it never takes the server down
            log.exception("语义向量生成失败；下次 kiosk build 会补上")
            return
        if not report.busy:
            log.info("语义向量：新生成 %d，沿用 %d（%.1f 秒）", report.embedded, report.reused, report.seconds)

    thread = threading.Thread(target=run, daemon=True, name="kiosk-vectors")
    thread.start()
    return thread
