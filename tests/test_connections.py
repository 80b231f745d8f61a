"""Held-open connections cannot stop the kiosk (issue #23): 300 keep-alive phones and 110 half-open connections
dripping a header byte a second from one address, on a real server over loopback. Each party has its own loopback
source address (Linux answers all of 127/8), as phones and an attacker on the hub's Wi-Fi would."""

from __future__ import annotations

import contextlib
import http.client
import select
import socket
import time
from collections.abc import Iterator

import pytest
from flask import Flask

from kiosk.web.server import CONNECTIONS_PER_ADDRESS, HEADER_DEADLINE
from tests.browser_fixtures import LiveServer

PHONES = 300
HALF_OPEN = 110
ATTACKER = "127.0.0.66"
VISITOR = "127.0.0.99"  # who asks /healthz during the attack
ANSWER_WITHIN = 3.0  # seconds
DRIP = b"GET /healthz HTTP/1.1\r\nHost: kiosk\r\nX-Drip: " + b"a" * 200  # never ends with the blank line


def phone_address(number: int) -> str:
    """A distinct loopback address for each phone, away from the attacker's and the visitor's."""
    return f"127.0.{1 + number // 200}.{1 + number % 200}"


@pytest.fixture
def server(app: Flask) -> Iterator[LiveServer]:
    with LiveServer(app) as live:
        yield live


def ask_healthz(connection: http.client.HTTPConnection) -> int:
    """One request on the connection, its answer read whole so the connection can carry another."""
    connection.request("GET", "/healthz")
    response = connection.getresponse()
    response.read()
    return response.status


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server has closed this connection (it has read nothing back, so anything readable is the end)."""
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(1) == b""
    except OSError:  # reset
        return True


def test_half_open_connections_from_one_address_leave_the_kiosk_answering(server: LiveServer) -> None:
    port = int(server.server.effective_port)
    phones: list[http.client.HTTPConnection] = []
    attackers: list[socket.socket] = []
    try:
        for number in range(PHONES):
            phone = http.client.HTTPConnection("127.0.0.1", port, timeout=5, source_address=(phone_address(number), 0))
            assert ask_healthz(phone) in (200, 503)  # answered, whatever the test data's health
            phones.append(phone)

        for _ in range(HALF_OPEN):
            sock = socket.socket()
            sock.bind((ATTACKER, 0))
            sock.connect(("127.0.0.1", port))
            sock.send(DRIP[:1])
            attackers.append(sock)

        started = time.monotonic()
        latencies = []
        open_before_deadline = HALF_OPEN
        while time.monotonic() - started < HEADER_DEADLINE + 4:
            byte = DRIP[1 + int(time.monotonic() - started) : 2 + int(time.monotonic() - started)]
            for sock in attackers:
                with contextlib.suppress(OSError):  # closed by the server
                    sock.send(byte)
            asked = time.monotonic()
            visitor = http.client.HTTPConnection("127.0.0.1", port, timeout=ANSWER_WITHIN, source_address=(VISITOR, 0))
            ask_healthz(visitor)
            visitor.close()
            latencies.append(time.monotonic() - asked)
            if time.monotonic() - started < HEADER_DEADLINE - 2:
                open_before_deadline = sum(not closed_by_server(sock) for sock in attackers)
            time.sleep(max(0.0, 1 - (time.monotonic() - asked)))

        print(f"/healthz during the attack: longest {max(latencies):.3f} s over {len(latencies)} requests")
        assert max(latencies) < ANSWER_WITHIN
        # The cap closed those over it at once, the deadline the rest, and no sooner.
        assert open_before_deadline == CONNECTIONS_PER_ADDRESS
        assert all(closed_by_server(sock) for sock in attackers)

        for phone in phones[::50]:  # still open, still answering, on the same connection
            kept = phone.sock
            assert ask_healthz(phone) in (200, 503)
            assert phone.sock is kept
    finally:
        for phone in phones:
            phone.close()
        for sock in attackers:
            sock.close()
