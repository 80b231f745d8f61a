"""Missing audio and vectors rendered on a Dask cluster (`kiosk build --cluster`): the PCs of a training room
overnight instead of the kiosk's two cores.

Workers only compute and return MP3 bytes and vectors; this process checks every result, whichever worker it came
from (a batch of a lost worker is redone on another), and writes it through the same audio cache and vector store
as a local build. Tasks are pure functions of their batch, so redoing one is harmless.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import TypeVar

import numpy as np

from indexer.datadir import DataDir
from indexer.errors import ConfigError, KioskError
from indexer.search.embedding import DIM, MODEL_ID
from indexer.speech.audio_cache import AudioCache, segment_key
from indexer.speech.engines import EngineChoice, engine_settings
from indexer.speech.mp3 import mp3_duration
from indexer.speech.narration import render
from indexer.speech.synthesis import Rendered, SynthesisReport, render_mp3, start_engine

CONNECT_SECONDS = 5  # a scheduler on the LAN answers at once; a wrong address should not keep anyone waiting
SENTENCES_PER_TASK = 8  # a few seconds of neural voice: what a lost worker costs per batch it held
IN_FLIGHT_PER_THREAD = 2  # batches out per worker thread: one working, one waiting, none idle between
DURATIONS_EVERY = 2000  # sentences voiced between writes of their durations to kiosk.db
INSTALL_HINT = "每台工作机都要装好同一版本的本项目：pip install '.[cluster]'（语义向量还要 '.[semantic]'）"

Result = TypeVar("Result")

_engine_lock = threading.Lock()  # a worker with several threads shares one engine, which speaks one sentence at a time


def connect(address: str):
    """A Dask client of the scheduler at ADDRESS, or a one-line error saying what to fix."""
    try:
        from distributed import Client
        from distributed.comm import resolve_address
    except ImportError:
        raise ConfigError("kiosk build --cluster 需要 Dask：pip install '.[cluster]'") from None
    try:
        resolve_address(address)  # a malformed address is refused here: a client half made of one hangs at exit
        return Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError(
            f"连不上集群调度器 {address}：{exc}；地址形如 tcp://192.168.1.10:8786，先在那台电脑上运行 dask scheduler"
        ) from None


def _results(client, task: Callable[..., Result], batches: list, *args) -> Iterator[tuple[int, Result]]:
    """(number, task(batch, *args)) of every batch as it finishes, with two batches per worker thread out at a
    time: a lost worker costs only those, the client holds only those, and workers joining later get work."""
    from distributed import as_completed

    pending = iter(enumerate(batches))
    numbers: dict[str, int] = {}  # batch number by its future's key
    running = as_completed(loop=client.loop)

    def top_up() -> None:
        limit = max(1, IN_FLIGHT_PER_THREAD * sum(client.nthreads().values()))
        for number, batch in itertools.islice(pending, max(0, limit - len(numbers))):
            future = client.submit(task, batch, *args, pure=True)
            numbers[future.key] = number
            running.add(future)

    top_up()
    for future in running:
        try:
            result = future.result()
        except Exception as exc:  # noqa: BLE001 - whatever a worker raised, the build says it in one line
            raise KioskError(f"集群任务失败：{type(exc).__name__}: {exc}；{INSTALL_HINT}") from None
        yield numbers.pop(future.key), result
        top_up()


def speak_batch(
    jobs: list[tuple[str, str]], choice: EngineChoice, readings: tuple
) -> list[tuple[str, bytes | None, str]]:
    """Cluster task: (key by the worker's own engine settings, MP3 or None, problem) per (key, spoken) job."""
    with _engine_lock:
        engine = _worker_engine(choice, readings)
        results: list[tuple[str, bytes | None, str]] = []
        for _, spoken in jobs:
            key = segment_key(spoken, engine.settings)
            try:
                results.append((key, render_mp3(engine, spoken), ""))
            except KioskError as exc:
                results.append((key, None, str(exc)))
            except Exception as exc:  # noqa: BLE001 - an engine bug fails the sentence, not the batch
                results.append((key, None, f"{type(exc).__name__}: {exc}"))
        return results


@lru_cache(maxsize=1)
def _worker_engine(choice: EngineChoice, readings: tuple):
    """The worker process's engine, started once per voice (the neural models take seconds to load) with the kiosk's
    readings; it prepares its models in the worker's own folder, never in the kiosk's data dir."""
    from distributed import get_worker

    return start_engine(dataclasses.replace(choice, data_root=get_worker().local_directory), dict(readings))


class ClusterSpeech:
    """What narration.render needs of a SynthesisPool, with the sentences voiced on the cluster."""

    def __init__(self, client, choice: EngineChoice, cache: AudioCache):
        self.client, self.choice, self.cache = client, choice, cache
        self.readings = tuple(sorted(engine_settings(choice).readings.items()))

    def run(
        self, jobs: list[tuple[str, str]], progress: Callable[[int, int], None] | None = None, priority: float = 1.0
    ) -> SynthesisReport:
        """Voice all jobs on the cluster, caching each checked MP3; failures are collected, not raised."""
        started = time.monotonic()
        report = SynthesisReport()
        batches = [jobs[i : i + SENTENCES_PER_TASK] for i in range(0, len(jobs), SENTENCES_PER_TASK)]
        done = 0
        for number, results in _results(self.client, speak_batch, batches, self.choice, self.readings):
            for (key, _), result in zip(batches[number], results, strict=True):
                self._keep(report, key, *result)
            done += len(batches[number])
            if progress:
                progress(done, len(jobs))
        report.seconds = time.monotonic() - started
        return report

    def _keep(self, report: SynthesisReport, key: str, worker_key: str, mp3: bytes | None, problem: str) -> None:
        """Cache a returned sentence only if the worker's voice gives it our key and the MP3 is whole."""
        duration = mp3_duration(mp3) if mp3 else None
        if worker_key != key:
            report.failed.append((key, f"工作机的语音引擎、声音或版本与本机不同；{INSTALL_HINT}"))
        elif problem:
            report.failed.append((key, problem))
        elif mp3 is None or duration is None:
            report.failed.append((key, "工作机送回的音频不完整"))
        else:
            self.cache.write(key, mp3)
            report.done.append(Rendered(key, duration, len(mp3)))


def render_audio(
    client,
    data: DataDir,
    choice: EngineChoice,
    jobs: list[tuple[str, str]],
    progress: Callable[[int, int], None] | None = None,
) -> SynthesisReport:
    """Voice (key, spoken) jobs on the cluster into the data dir's audio cache, recording durations as a local
    build does; in large rounds, so that workers rarely wait for the slowest batch of a round."""
    speech = ClusterSpeech(client, choice, AudioCache(data.audio))
    return render(data, speech, jobs, progress=progress, batch_size=DURATIONS_EVERY)


def embed_passages(texts: list[str]) -> tuple[str, np.ndarray]:
    """Cluster task: (model id, vectors) of a batch of passage texts, from the worker's own model."""
    model = _worker_embedder()
    return model.model_id, model.passages(texts)


@lru_cache(maxsize=1)
def _worker_embedder():
    """The worker process's model, loaded once, using the threads the worker was given."""
    from distributed import get_worker

    from indexer.search.embedding import Embedder

    return Embedder(threads=get_worker().state.nthreads)


class ClusterEmbedder:
    """Stands in for the Embedder in vectors.embed_missing: the same batches, embedded on the cluster."""

    model_id = MODEL_ID

    def __init__(self, client):
        self.client = client

    def batches(self, batches: list[list[str]]) -> Iterator[tuple[int, np.ndarray]]:
        """(number, vectors) of each batch as it comes back, checked to be this model's vectors of that batch."""
        for number, (model_id, vectors) in _results(self.client, embed_passages, batches):
            if (
                model_id != self.model_id
                or vectors.shape != (len(batches[number]), DIM)
                or not np.isfinite(vectors).all()
            ):
                raise KioskError(f"工作机送回的语义向量不对（模型 {model_id}，{vectors.shape}）；{INSTALL_HINT}")
            yield number, vectors
