"""Held-open connections against `kiosk serve`: 300 keep-alive phones plus 110 half-open connections from one
address dripping a header byte a second, while a visitor asks /healthz twice a second.

Each party has its own loopback source address (Linux answers all of 127/8), as phones and an attacker on the
hub's Wi-Fi would. The reference is the same /healthz on the same server before anything is held open; the run
prints the longest answer during the attack, its ratio to the quiet median, how many of the attacker's
connections the server closed (its per-address cap at once, the header deadline the rest) and whether every phone
still answers on the connection it kept. Target (issue #23): /healthz answers within 3 s throughout.

    .venv/bin/python bench/bench_connections.py [--phones 300] [--half-open 110] [--json results.json]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import select
import shutil
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kiosk.web.server import CONNECTIONS_PER_ADDRESS, HEADER_DEADLINE  # noqa: E402

ATTACKER = "127.0.0.66"
VISITOR = "127.0.0.99"
TARGET_SECONDS = 3.0
QUIET_REQUESTS = 20
DRIP = b"GET /healthz HTTP/1.1\r\nHost: kiosk\r\nX-Drip: " + b"a" * 200  # never ends with the blank line


def phone_address(number: int) -> str:
    return f"127.0.{1 + number // 200}.{1 + number % 200}"


def healthz(connection: http.client.HTTPConnection) -> int:
    connection.request("GET", "/healthz")
    response = connection.getresponse()
    response.read()
    return response.status


def visitor_asks(port: int) -> float:
    """Seconds for a fresh visitor's /healthz (a failure counts as the whole timeout)."""
    asked = time.monotonic()
    visitor = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(VISITOR, 0))
    try:
        healthz(visitor)
    except OSError:
        return 10.0
    finally:
        visitor.close()
    return time.monotonic() - asked


def closed_by_server(sock: socket.socket) -> bool:
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(1) == b""
    except OSError:
        return True


def attack(port: int, phones: int, half_open: int) -> dict:
    """The figures of one attack on the server at ``port`` (tests/test_connections.py runs it too, in-process)."""
    quiet = [visitor_asks(port) for _ in range(QUIET_REQUESTS)]
    kept: list[http.client.HTTPConnection] = []
    attackers: list[socket.socket] = []
    try:
        for number in range(phones):
            phone = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(phone_address(number), 0))
            healthz(phone)
            kept.append(phone)
        for _ in range(half_open):
            sock = socket.socket()
            sock.bind((ATTACKER, 0))
            sock.connect(("127.0.0.1", port))
            sock.send(DRIP[:1])
            attackers.append(sock)
        started, during, held_at_cap = time.monotonic(), [], half_open
        while (elapsed := time.monotonic() - started) < HEADER_DEADLINE + 4:
            byte = DRIP[1 + int(elapsed) : 2 + int(elapsed)]
            for sock in attackers:
                with contextlib.suppress(OSError):
                    sock.send(byte)
            during.append(visitor_asks(port))
            if elapsed < HEADER_DEADLINE - 2:
                held_at_cap = sum(not closed_by_server(sock) for sock in attackers)
            time.sleep(0.5)
        closed_in_the_end = sum(closed_by_server(sock) for sock in attackers)
        still_answering = 0
        for phone in kept:
            connection = phone.sock
            with contextlib.suppress(OSError, http.client.HTTPException):
                still_answering += healthz(phone) in (200, 503) and phone.sock is connection
    finally:
        for phone in kept:
            phone.close()
        for sock in attackers:
            sock.close()
    return {
        "quiet_median_s": statistics.median(quiet),
        "attack_longest_s": max(during),
        "attack_median_s": statistics.median(during),
        "ratio_longest_to_quiet": max(during) / statistics.median(quiet),
        "visitor_requests": len(during),
        "attacker_held_before_deadline": held_at_cap,
        "attacker_closed_in_the_end": closed_in_the_end,
        "phones_still_answering": still_answering,
        "phones": phones,
        "half_open": half_open,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=300)
    parser.add_argument("--half-open", type=int, default=110)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from bench.bench_load import BenchError, Context, build_data, kiosk_server, stop_everything  # Locust's extra

    workdir = Path(tempfile.mkdtemp(prefix="bench-connections-"))
    env = {k: v for k, v in os.environ.items() if k != "KIOSK_DATA"} | {"PYTHONUNBUFFERED": "1"}
    env["KIOSK_ENGINE"] = "pyttsx3"  # connections, not voices, are measured: the quickest voice to warm up
    ctx = Context(workdir=workdir, data=workdir / "data", env=env)
    try:
        build_data(ctx)
        with kiosk_server(ctx, "connections") as (_, url, _):
            figures = attack(int(url.rsplit(":", 1)[1]), args.phones, args.half_open)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        stop_everything()
        shutil.rmtree(workdir, ignore_errors=True)
    passed = figures["attack_longest_s"] <= TARGET_SECONDS and figures["phones_still_answering"] == args.phones
    print(
        f"{args.phones} keep-alive phones + {args.half_open} half-open connections from {ATTACKER}:\n"
        f"  /healthz quiet median {figures['quiet_median_s'] * 1e3:.1f} ms; during the attack median "
        f"{figures['attack_median_s'] * 1e3:.1f} ms, longest {figures['attack_longest_s'] * 1e3:.1f} ms "
        f"over {figures['visitor_requests']} requests = {figures['ratio_longest_to_quiet']:.1f}x quiet\n"
        f"  attacker's connections held before the header deadline: {figures['attacker_held_before_deadline']} "
        f"(per-address cap {CONNECTIONS_PER_ADDRESS}); closed by the end: {figures['attacker_closed_in_the_end']}"
        f"/{args.half_open}\n"
        f"  phones still answering on their kept connection: {figures['phones_still_answering']}/{args.phones}\n"
        f"  {'pass' if passed else 'FAIL'}  /healthz within {TARGET_SECONDS:.0f} s throughout, every phone served"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
