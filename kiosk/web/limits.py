"""Per-client allowances for what a flood could abuse (usage beacons, sign-in attempts): a token bucket per address.

Kept in memory per app, for a bounded number of addresses: a flood from many addresses only makes the kiosk forget
the least recently seen ones, which then start again with a full bucket, as an honest newcomer would.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from flask import abort, current_app, request

TRACKED_CLIENTS = 4096
clock = time.monotonic  # tests move the clock instead of waiting


@dataclass(frozen=True)
class Limit:
    """``burst`` requests at once, then ``per_minute`` more a minute."""

    name: str
    burst: int
    per_minute: float


class Buckets:
    """The token buckets of one limit: address → (tokens left, when counted), least recently seen first."""

    def __init__(self, limit: Limit, clients: int = TRACKED_CLIENTS):
        self.limit = limit
        self.clients = clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, client: str) -> float:
        """0 when ``client`` may go ahead (a token is taken); otherwise the seconds until it may."""
        now = clock()
        rate = self.limit.per_minute / 60
        with self._lock:
            tokens, then = self._buckets.pop(client, (float(self.limit.burst), now))
            tokens = min(float(self.limit.burst), tokens + (now - then) * rate)
            if tokens >= 1:
                tokens, wait = tokens - 1, 0.0
            else:
                wait = (1 - tokens) / rate
            self._buckets[client] = (tokens, now)
            while len(self._buckets) > self.clients:
                self._buckets.popitem(last=False)
        return wait


def retry_after(limit: Limit) -> int:
    """0 when this request's client is within ``limit``; otherwise the whole seconds to wait, for Retry-After."""
    buckets = current_app.extensions.setdefault("client_limits", {})
    if limit.name not in buckets:
        buckets.setdefault(limit.name, Buckets(limit))
    return math.ceil(buckets[limit.name].take(request.remote_addr or ""))


def hold_back(limit: Limit, too_often: str) -> None:
    """End this request with a 429 when its client is over ``limit``: Retry-After, and the message
    "{too_often}，请 N 秒后再试。"."""
    wait = retry_after(limit)
    if wait:
        abort(429, description=f"{too_often}，请 {wait} 秒后再试。", retry_after=wait)
