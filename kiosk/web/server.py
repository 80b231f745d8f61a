"""The kiosk's waitress server: its own error answers carry the security headers, and no address can hoard its
connections (a cap per address, and a deadline for a request's headers), so held-open sockets cannot stop the kiosk
for everyone."""

from __future__ import annotations

import resource
import time

from waitress import server as waitress_server
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.task import ErrorTask

from .security import HEADERS


class _ErrorTask(ErrorTask):
    """An answer waitress makes itself, before the app sees the request (a malformed request line, headers too
    large): with the same headers."""

    def execute(self):
        self.response_headers.extend(HEADERS.items())
        super().execute()


# A training session brings up to 300 phones, each keeping a few keep-alive connections (a browser opens up to 6 to
# one host); waitress's default of 100 in all is what 105 held-open sockets used up in issue #23.
CONNECTION_LIMIT = 1000
# One phone, or a few behind one router's address, never needs this many at once; more from one address are closed
# as they come (the newest first), so one address cannot take the others' share of CONNECTION_LIMIT. A hub whose
# phones all reach the kiosk through one NAT address raises it (KIOSK_CONNECTIONS_PER_ADDRESS).
CONNECTIONS_PER_ADDRESS = 64
# From a request's first byte until its headers are complete: a phone sends them in one packet, a drip of a byte at
# a time (which resets waitress's idle timeout each time) is closed after this. Idle keep-alive connections between
# requests keep waitress's channel_timeout.
HEADER_DEADLINE = 10.0  # seconds


class _Channel(HTTPChannel):
    """A connection with the security headers on waitress's own answers, closed at once when its address already
    has its cap of connections, and closed when a request's headers take longer than HEADER_DEADLINE."""

    error_task_class = _ErrorTask

    def __init__(self, server, sock, addr, adj, map=None):
        super().__init__(server, sock, addr, adj, map=map)
        self._timed_request: HTTPRequestParser | None = None  # the request whose headers are on the clock
        self._headers_since = 0.0  # since when
        if isinstance(addr, tuple) and self._connections_from(addr[0]) > server.per_address:
            self.will_close = True  # writable() now, and handle_write closes it without reading a byte

    def _connections_from(self, host: str) -> int:
        """Open connections from this address, this one included (a Unix socket's peers have no address)."""
        return sum(
            1
            for channel in self._map.values()
            if isinstance(channel, _Channel) and isinstance(channel.addr, tuple) and channel.addr[0] == host
        )

    def received(self, data):
        result = super().received(data)
        if self.request is not self._timed_request:  # a new request began in this data (or the last one ended)
            self._timed_request = self.request
            self._headers_since = time.monotonic()
        return result

    def readable(self):
        request = self.request
        if (
            request is self._timed_request
            and request is not None
            and not self.requests  # as waitress's own idle timeout: never under a running task
            and not request.headers_finished
            and time.monotonic() - self._headers_since > HEADER_DEADLINE
        ):
            self.will_close = True  # the loop asks readable() before writable(), which then closes the channel
        return super().readable()


def create_server(app, per_address: int = CONNECTIONS_PER_ADDRESS, **options):
    """waitress's server for the app (options as waitress.create_server takes them), whose own error answers
    carry the security headers too, and whose connections are capped, ``per_address`` from any one address, and
    timed until their headers."""
    options = {"connection_limit": max(CONNECTION_LIMIT, per_address), "asyncore_use_poll": True, **options}
    _allow_open_files(options["connection_limit"] + 200)
    server = waitress_server.create_server(app, **options)
    if not isinstance(server, waitress_server.BaseWSGIServer):
        raise ValueError("the kiosk listens on one host and port (waitress made a server for several)")
    server.channel_class = _Channel
    server.per_address = per_address
    return server


def _allow_open_files(wanted: int) -> None:
    """Raise this process's soft limit of open files towards ``wanted`` (as far as the hard limit lets): the usual
    soft limit of 1024 is too few for CONNECTION_LIMIT sockets beside the kiosk's own files. poll() rather than
    select() (asyncore_use_poll) is what lets waitress watch sockets numbered past 1024 at all."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        if target > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
