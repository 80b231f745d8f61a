"""Worker processes that turn sentences into cached MP3s, restarted when they crash or hang.

Workers are spawned, not forked: both pyttsx3's espeak binding and the neural runtime deadlock in a
child forked after the parent used them. Each worker loads its engine once and encodes in-process.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from pathlib import Path

from indexer.errors import KioskError, SpeechError

from .audio_cache import AudioCache, CacheWriteError
from .engines import Engine, EngineChoice, make_engine
from .mp3 import encode_mp3, mp3_duration

START_TIMEOUT = 180.0  # loading the neural models on a busy 2-core machine
SEGMENT_TIMEOUT = 60.0
DISK_RETRY_SECONDS = 30.0  # after the cache's disk refused a sentence, queued ones fail at once for this long
WARM_UP_TEXT = "你好。"


@dataclass(frozen=True)
class Rendered:
    """A sentence now in the cache."""

    key: str
    duration: float
    size: int


@dataclass
class SynthesisReport:
    done: list[Rendered] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0


def start_engine(choice: EngineChoice, pronunciations: dict | None = None) -> Engine:
    """The chosen engine, warmed up: loads dictionaries and sizes the models before a listener waits."""
    engine = make_engine(choice, pronunciations)
    engine.synthesize(WARM_UP_TEXT)
    return engine


def render_mp3(engine: Engine, text: str) -> bytes:
    """One sentence as MP3: what a local speech worker and a cluster task (indexer.cluster) both do per sentence."""
    samples = engine.synthesize(text)
    if len(samples) == 0:
        raise SpeechError("引擎没有生成任何声音")
    return encode_mp3(samples, engine.sample_rate)


def _worker_main(conn, choice: EngineChoice, cache_root: str, niceness: int) -> None:
    """Worker loop: (key, text) in, ("ok", key, duration, size) or ("error", key, reason) out."""
    if niceness:
        os.nice(niceness)
    try:
        engine = start_engine(choice)
    except KioskError as exc:
        conn.send(("failed", str(exc)))
        return
    cache = AudioCache(Path(cache_root))
    conn.send(("ready", engine.settings))
    while True:
        try:
            job = conn.recv()
        except (EOFError, KeyboardInterrupt):
            break
        if job is None:
            break
        key, text = job
        try:
            data = render_mp3(engine, text)
            cache.write(key, data)
            conn.send(("ok", key, mp3_duration(data) or 0.0, len(data)))
        except CacheWriteError as exc:
            conn.send(("disk", key, str(exc)))
        except KioskError as exc:
            conn.send(("error", key, str(exc)))
        except Exception as exc:  # noqa: BLE001 - an engine bug must not take the worker down with it
            conn.send(("error", key, f"{type(exc).__name__}: {exc}"))
    engine.close()


class WorkerDied(SpeechError):
    """The worker process vanished mid-sentence (killed, crashed): the sentence itself may be fine."""


@dataclass(frozen=True)
class _Running:
    """A started worker process and the pipe to it."""

    process: SpawnProcess
    conn: Connection


class _Worker:
    """One worker process and the pipe to it; restarted from scratch on crash or timeout."""

    def __init__(self, choice: EngineChoice, cache_root: Path, niceness: int):
        self.choice, self.cache_root, self.niceness = choice, cache_root, niceness
        self.running: _Running | None = None
        self.lock = threading.Lock()  # the dispatcher renders while close() may stop it

    def start(self) -> _Running:
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(
            target=_worker_main,
            args=(child, self.choice, str(self.cache_root), self.niceness),
            daemon=True,
            name="kiosk-speech",
        )
        process.start()
        child.close()
        self.running = running = _Running(process, parent)
        try:
            if not parent.poll(START_TIMEOUT):
                raise SpeechError("语音进程启动超时")
            message = parent.recv()
        except (EOFError, OSError):
            self.stop()
            raise SpeechError("语音进程启动后立即退出") from None
        except SpeechError:
            self.stop()
            raise
        if message[0] != "ready":
            self.stop()
            raise SpeechError(message[1])
        return running

    def render(self, key: str, text: str, timeout: float) -> Rendered:
        with self.lock:
            return self._render(key, text, timeout)

    def _render(self, key: str, text: str, timeout: float) -> Rendered:
        running = self.running
        if running is None or not running.process.is_alive():
            running = self.start()
        try:
            running.conn.send((key, text))
            if not running.conn.poll(timeout):
                self.stop()
                raise SpeechError(f"合成超时（超过 {timeout:.0f} 秒），语音进程已重启")
            status, *rest = running.conn.recv()
        except (EOFError, BrokenPipeError, ConnectionResetError):
            self.stop()
            raise WorkerDied("语音进程意外退出，已重启") from None
        if status == "ok":
            return Rendered(*rest)
        raise (CacheWriteError if status == "disk" else SpeechError)(rest[1])

    def stop(self) -> None:
        running = self.running
        if running is not None:
            process = running.process
            if process.is_alive():
                with contextlib.suppress(OSError, ValueError):
                    running.conn.send(None)
                process.join(timeout=2)
            if process.is_alive():
                process.kill()
                process.join()
        self.running = None


class SynthesisPool:
    """A priority queue of sentences served by N workers; lower priority numbers are spoken first.

    A serving process gives its workers a niceness, so that on a busy machine the request threads (searches, pages)
    get the CPU before speech does."""

    def __init__(
        self,
        choice: EngineChoice,
        cache: AudioCache,
        workers: int = 1,
        timeout: float = SEGMENT_TIMEOUT,
        niceness: int = 0,
    ):
        self.cache = cache
        self.timeout = timeout
        self._queue: queue.PriorityQueue = queue.PriorityQueue()
        self._pending: dict[str, Future] = {}
        self._lock = threading.Lock()
        self._order = itertools.count()
        self._closed = False
        self._disk_refused: tuple[float, str] | None = None  # (until, why): not worth voicing meanwhile
        self._workers = [_Worker(choice, cache.root, niceness) for _ in range(max(1, workers))]
        self._threads = [
            threading.Thread(target=self._serve, args=(w,), daemon=True, name="kiosk-speech-dispatch")
            for w in self._workers
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, key: str, text: str, priority: float = 0.0) -> Future:
        """A future for the key's audio; a key already queued gets its priority raised, not queued twice."""
        with self._lock:
            if self._closed:
                raise SpeechError("语音服务已关闭")
            future = self._pending.get(key)
            if future is None:
                future = Future()
                self._pending[key] = future
            self._queue.put((priority, next(self._order), key, text))
        return future

    def run(
        self, jobs: list[tuple[str, str]], progress: Callable[[int, int], None] | None = None, priority: float = 1.0
    ) -> SynthesisReport:
        """Render all jobs in order from ``priority`` on, reporting progress; failures are collected, not raised."""
        started = time.monotonic()
        report = SynthesisReport()
        futures = [(key, self.submit(key, text, priority=priority + i)) for i, (key, text) in enumerate(jobs)]
        for done, (key, future) in enumerate(futures, 1):
            try:
                report.done.append(future.result())
            except SpeechError as exc:
                report.failed.append((key, str(exc)))
            if progress:
                progress(done, len(futures))
        report.seconds = time.monotonic() - started
        return report

    def worker_pids(self) -> list[int]:
        """Process ids of the running workers, for health checks and tests."""
        started = [w.running for w in self._workers]  # each read once: a dispatcher may stop its worker meanwhile
        processes = [r.process for r in started if r is not None]
        return [p.pid for p in processes if p.pid is not None and p.is_alive()]

    def close(self) -> None:
        """Stop now: queued sentences fail with a message (nobody waits forever), workers finish their current one."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            pending, self._pending = list(self._pending.values()), {}
        for future in pending:
            if not future.done():
                future.set_exception(SpeechError("语音服务已关闭"))
        for _ in self._threads:
            self._queue.put((float("-inf"), next(self._order), None, None))
        for thread in self._threads:
            thread.join(timeout=SEGMENT_TIMEOUT)
        for worker in self._workers:
            with worker.lock:
                worker.stop()

    def _serve(self, worker: _Worker) -> None:
        try:
            with worker.lock:
                worker.start()  # load the engine now, so the first sentence does not wait for it
        except SpeechError:
            pass  # reported with the first job, which retries the start
        while True:
            _, _, key, text = self._queue.get()
            if key is None:
                return
            with self._lock:
                future = self._pending.get(key)
            if future is None or future.done():
                continue  # already rendered through a higher-priority entry, or the pool is closing
            try:
                cached = self.cache.load(key)
                if cached:
                    result = Rendered(key, cached[1], len(cached[0]))
                else:
                    refused = self._disk_refused
                    if refused and time.monotonic() < refused[0]:
                        raise CacheWriteError(refused[1])  # failing at once beats voicing a sentence to throw away
                    result = self._render(worker, key, text)
            except Exception as exc:  # noqa: BLE001 - whatever goes wrong, the waiter gets an answer
                error = exc if isinstance(exc, SpeechError) else SpeechError(f"{type(exc).__name__}: {exc}")
                if isinstance(exc, CacheWriteError):
                    self._disk_refused = (time.monotonic() + DISK_RETRY_SECONDS, str(exc))
                _resolve(future, error=error)
            else:
                _resolve(future, result=result)
            with self._lock:
                self._pending.pop(key, None)

    def _render(self, worker: _Worker, key: str, text: str) -> Rendered:
        """Render once more on a fresh worker if the first one died under it; a hang is not retried."""
        try:
            return worker.render(key, text, self.timeout)
        except WorkerDied:
            return worker.render(key, text, self.timeout)


def _resolve(future: Future, result: Rendered | None = None, error: Exception | None = None) -> None:
    """Set a future's outcome unless close() already failed it."""
    try:
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
    except InvalidStateError:
        pass
