"""Locust users for bench/bench_load.py: phones that open a document and listen to it sentence by sentence, phones
that search, and the cached-audio reference (the same MP3s from the app and from a static file server).

Not meant to be run by hand: bench_load.py starts the servers, writes the plan (documents, queries, pacing, where the
audio cache is) and runs ``locust -f bench/load_scenarios.py --headless --bench-plan PLAN --bench-out OUT CLASS...``.
Every request is timed here and written raw to OUT, so the percentiles are exact rather than Locust's rounded ones.

A phone does what static/js/player.js does in a browser: GET /doc/<id>, GET /api/docs/<id>?from=, then each segment's
/audio/<key>.mp3 in order with ``Range: bytes=0-`` (as an audio element asks), waiting the sentence's duration
between sentences. A 503 with ``Retry-After`` or ``{"preparing": true}`` means the sentence is still being rendered:
the phone waits and asks again, and the request counts as "preparing", not as a failure. Any other non-2xx answer or a
connection error is a failure; like the player, the phone retries that sentence after 1.5 s, five times at most.
"""

from __future__ import annotations

import io
import itertools
import json
import random
import time
from pathlib import Path
from urllib.parse import quote

import gevent
from locust import FastHttpUser, between, constant, constant_throughput, events, task
from mutagen import MutagenError
from mutagen.mp3 import MPEGInfo

BITRATE_KBPS = 32  # indexer.speech.mp3.BITRATE_KBPS; a fallback for a duration mutagen cannot read
PLAYER_RETRY_SECONDS = 1.5  # static/js/sentence-player.js retryDelay: a failing hub is asked again after 1.5 s
PLAYER_RETRIES = 5
DEFAULT_RETRY_AFTER = 1.0

PLAN: dict = {}
RECORDS: list[dict] = []  # one per finished request
PHONES: list[dict] = []  # one per phone that started listening
IN_FLIGHT: dict[int, dict] = {}  # requests started and not finished: what is left at the end was cut off by the stop
_tokens = itertools.count()
_clock = {"t0": time.monotonic()}


@events.init_command_line_parser.add_listener
def _arguments(parser) -> None:
    parser.add_argument("--bench-plan", default="", help="plan JSON written by bench_load.py")
    parser.add_argument("--bench-out", default="", help="where to write the raw timings")


@events.init.add_listener
def _load_plan(environment, **_) -> None:
    """Read the plan and size the user classes before Locust spawns them."""
    options = environment.parsed_options
    if not options or not options.bench_plan:
        return
    PLAN.update(json.loads(Path(options.bench_plan).read_text(encoding="utf-8")))
    for cls, count in (
        (TrainingPhone, "phones"),
        (BusyPhone, "phones"),
        (TrainingSearcher, "searchers"),
        (BusySearcher, "searchers"),
        (ReferenceListener, "phones"),
    ):
        cls.fixed_count = int(PLAN.get(count, 0))
    BusySearcher.wait_time = constant_throughput(PLAN.get("searches_per_second_each", 1.0))


@events.test_start.add_listener
def _start_clock(**_) -> None:
    _clock["t0"] = time.monotonic()


@events.quitting.add_listener
def _write_results(environment, **_) -> None:
    """Everything measured, raw, for bench_load.py to summarise."""
    options = environment.parsed_options
    if not options or not options.bench_out:
        return
    now = time.monotonic()
    unfinished = [dict(r, waited_ms=(now - r.pop("_started")) * 1e3) for r in IN_FLIGHT.values()]
    out = {"records": RECORDS, "phones": PHONES, "unfinished": unfinished, "seconds": now - _clock["t0"]}
    Path(options.bench_out).write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")


def _now() -> float:
    """Seconds since the test started."""
    return time.monotonic() - _clock["t0"]


def _retry_after(response) -> float:
    """The server's Retry-After in seconds (delta form), or a short default."""
    try:
        return min(30.0, max(0.1, float(response.headers.get("Retry-After") or DEFAULT_RETRY_AFTER)))
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER


def _preparing(response) -> bool:
    """A 503 that says the sentence is still being rendered (the upcoming behaviour of /audio/<key>.mp3)."""
    if response.status_code != 503:
        return False
    if response.headers.get("Retry-After"):
        return True
    try:
        return bool(response.json().get("preparing"))
    except (ValueError, AttributeError, TypeError):
        return False


def fetch(user: FastHttpUser, endpoint: str, url: str, detail: str = "", headers: dict | None = None):
    """One timed GET: (outcome, response) with outcome "ok" (2xx), "preparing" (503 + Retry-After) or "failed"."""
    token = next(_tokens)
    IN_FLIGHT[token] = {"endpoint": endpoint, "detail": detail, "at": _now(), "_started": time.monotonic()}
    started = time.perf_counter()
    with user.client.get(url, name=endpoint, headers=headers, catch_response=True) as response:
        ms = (time.perf_counter() - started) * 1e3
        status = response.status_code or 0  # 0: connection error or timeout
        if 200 <= status < 300:
            outcome = "ok"
            response.success()
        elif _preparing(response):
            outcome = "preparing"
            response.success()  # expected: the phone waits Retry-After and asks again
        else:
            outcome = "failed"
            response.failure(f"HTTP {status}" if status else f"connection: {response.error}")
        size = len(response.content or b"") if outcome == "ok" else 0
    del IN_FLIGHT[token]  # not reached when the stop kills the user mid-request: it stays "unfinished"
    RECORDS.append(
        {
            "endpoint": endpoint,
            "detail": detail,
            "outcome": outcome,
            "status": status,
            "ms": ms,
            "at": _now() - ms / 1e3,
            "bytes": size,
        }
    )
    return outcome, response


def sentence_seconds(segment: dict, body: bytes) -> float:
    """How long the sentence plays: the segment's duration if the server knew it, else the MP3's own length."""
    if segment.get("duration"):
        return float(segment["duration"])
    try:
        return MPEGInfo(io.BytesIO(body)).length  # the stream's own header; ID3 tags are skipped
    except MutagenError:  # not an MP3 mutagen can read: the byte length is close enough at constant bitrate
        return len(body) * 8 / (BITRATE_KBPS * 1000)


def cached_now(url: str) -> bool:
    """Whether the sentence's MP3 is in the server's audio cache as the request goes out."""
    key = url.rsplit("/", 1)[-1].removesuffix(".mp3")
    return (Path(PLAN["audio_dir"]) / key[:2] / f"{key}.mp3").is_file()


class Phone(FastHttpUser):
    """Opens its document, then plays it from the start sentence by sentence until the run ends."""

    abstract = True
    wait_time = constant(1)  # only after the session ended (document finished or the player gave up)
    network_timeout = 90.0  # today the audio route may hold a request 30 s, and waitress may queue it before that
    connection_timeout = 30.0
    _numbers = itertools.count()

    def on_start(self) -> None:
        self.number = next(Phone._numbers)
        self.assignment = PLAN["phone_docs"][self.number % len(PLAN["phone_docs"])]
        self.finished = False

    @task
    def listen(self) -> None:
        if self.finished:
            return
        self.finished = True
        gevent.sleep(PLAN.get("quiet_seconds", 0) + random.uniform(0, PLAN["arrival_seconds"]))
        doc = self.assignment["doc"]
        phone = {
            "phone": self.number,
            "doc": doc,
            "cached": self.assignment["cached"],
            "started": _now(),
            "first_sound": None,
            "sentences": 0,
            "preparing": 0,
            "failures": 0,
            "gave_up": None,
        }
        PHONES.append(phone)
        started = time.monotonic()
        if fetch(self, "page", f"/doc/{doc}")[0] != "ok":
            phone["failures"] += 1  # the page did not open: this listener never gets to the player
            phone["gave_up"] = "page"
            return
        outcome, response = fetch(self, "document API", f"/api/docs/{doc}?from=")
        if outcome != "ok":
            phone["failures"] += 1
            phone["gave_up"] = "document API"
            return
        for segment in response.json()["segments"]:
            body = self.play(segment, phone)
            if body is None:
                phone["gave_up"] = "audio"
                return
            if phone["first_sound"] is None:
                phone["first_sound"] = time.monotonic() - started
            phone["sentences"] += 1
            gevent.sleep(sentence_seconds(segment, body))

    def play(self, segment: dict, phone: dict) -> bytes | None:
        """One sentence's MP3, waiting out "preparing" answers and retrying errors like the player does."""
        errors = 0
        while True:
            detail = "cached" if cached_now(segment["url"]) else "on demand"
            outcome, response = fetch(self, "audio", segment["url"], detail, headers={"Range": "bytes=0-"})
            if outcome == "ok":
                return response.content
            if outcome == "preparing":
                phone["preparing"] += 1
                gevent.sleep(_retry_after(response))
                continue
            phone["failures"] += 1
            errors += 1
            if errors > PLAYER_RETRIES:
                return None
            gevent.sleep(PLAYER_RETRY_SECONDS)


class TrainingPhone(Phone):
    """A trainee: every one of them opens the same document."""


class BusyPhone(Phone):
    """A visitor on a busy day: each in a document of their own (some documents shared once all are taken)."""


class Searcher(FastHttpUser):
    """Searches the way the search box does: GET /api/search?q=…"""

    abstract = True
    network_timeout = 90.0
    connection_timeout = 30.0

    @task
    def search(self) -> None:
        fetch(self, "search", "/api/search?q=" + quote(random.choice(PLAN["queries"])))


class TrainingSearcher(Searcher):
    """One of the few phones searching while the class listens: often before the class opens the text (the
    reference) and while it does (the moment searches are most likely to queue behind it), every few seconds after."""

    def wait_time(self) -> float:
        if _now() < PLAN.get("quiet_seconds", 0) + PLAN.get("burst_window_seconds", 0):
            return random.uniform(0.2, 0.6)
        return random.uniform(2, 5)


class BusySearcher(Searcher):
    """Together with the others, PLAN's searches per second (the pacing is set from the plan)."""

    wait_time = constant_throughput(1.0)


class ReferenceListener(FastHttpUser):
    """Fetches a cached MP3 from the app and the same file from the static server, in random order."""

    wait_time = between(0.2, 0.8)
    network_timeout = 90.0
    connection_timeout = 30.0

    @task
    def pair(self) -> None:
        key = random.choice(PLAN["reference_keys"])
        targets = [
            ("reference app", f"{PLAN['app_url']}/audio/{key}.mp3"),
            ("reference static", f"{PLAN['static_url']}/{key[:2]}/{key}.mp3"),
        ]
        random.shuffle(targets)
        for endpoint, url in targets:
            fetch(self, endpoint, url, headers={"Range": "bytes=0-"})
