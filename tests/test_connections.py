"""Held-open connections cannot stop the kiosk (issue #23): 300 keep-alive phones and 110 half-open connections
dripping a header byte a second from one address, on a real server over loopback. The attack is
bench/bench_connections.py's, which runs it against `kiosk serve`; here it runs against the app in-process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from bench.bench_connections import attack
from kiosk.web.server import CONNECTIONS_PER_ADDRESS
from tests.browser_fixtures import LiveServer

PHONES = 300
HALF_OPEN = 110
ANSWER_WITHIN = 3.0  # seconds


@pytest.fixture
def server(app: Flask) -> Iterator[LiveServer]:
    with LiveServer(app) as live:
        yield live


def test_the_cap_per_address_is_the_server_s_own(app: Flask) -> None:
    """A hub whose phones share one NAT address raises KIOSK_CONNECTIONS_PER_ADDRESS: its server holds that many."""
    with LiveServer(app, per_address=8) as live:
        figures = attack(int(live.server.effective_port), phones=10, half_open=12)
    assert figures["attacker_held_before_deadline"] == 8
    assert figures["phones_still_answering"] == 10


def test_half_open_connections_from_one_address_leave_the_kiosk_answering(server: LiveServer) -> None:
    figures = attack(int(server.server.effective_port), PHONES, HALF_OPEN)
    print(f"/healthz during the attack: longest {figures['attack_longest_s']:.3f} s")
    assert figures["attack_longest_s"] < ANSWER_WITHIN
    # The cap closed those over it at once, the deadline the rest, and no sooner.
    assert figures["attacker_held_before_deadline"] == CONNECTIONS_PER_ADDRESS
    assert figures["attacker_closed_in_the_end"] == HALF_OPEN
    assert figures["phones_still_answering"] == PHONES  # still open, still answering, on the same connection
