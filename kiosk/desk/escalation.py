"""The escalation pass (the tick): a request its level has not accepted or answered in time goes up a level by
itself and says so in its history; requests past the retention period lose what identifies the resident. Run by
`kiosk desk tick` and, every few minutes, by the server itself, which on a hub then exchanges the desk's events
with the centre (exchange.py)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .database import DeskDB, Request
from .exchange import ExchangeError, exchange
from .states import LEVEL_NAMES, LEVELS, WAITING, Place, RefusedMove, allowed
from .workflow import SYSTEM, Rules, act

log = logging.getLogger("kiosk.desk")
TICK_MINUTES = 5.0
BACKOFF_MINUTES = 60.0  # the longest a hub waits between tries while the centre cannot be reached
DAY = 86400


@dataclass(frozen=True)
class Tick:
    """What one pass did."""

    escalated: int
    overdue_at_top: int  # overdue at the centre, which has no level above: its queue shows them first
    anonymised: int


def tick(db: DeskDB, rules: Rules, now: float, retention_days: int) -> Tick:
    """Escalate every overdue request that has a level above, and anonymise those past retention."""
    escalated = stuck = 0
    for request in db.overdue(now):
        if not rules.owns(request):
            continue  # the other site's tick escalates it
        place = Place(request.kind, request.status, request.level, bool(request.joint), bool(request.reopened))
        if not allowed("escalate", place, "system"):
            stuck += 1
            continue
        try:
            act(db, rules, request, "escalate", SYSTEM, _why(request), now, by="system")
        except RefusedMove:  # a staff member moved it in the meantime: their change stands
            continue
        escalated += 1
    anonymised = db.anonymise(now - retention_days * DAY, now, SYSTEM)
    return Tick(escalated, stuck, anonymised)


def _why(request: Request) -> str:
    """The history's reason, for the resident and the next level to read."""
    assert request.due is not None
    deadline = dt.datetime.fromtimestamp(request.due).strftime("%Y-%m-%d %H:%M")
    missed = "受理" if request.status in WAITING else "答复"
    above = LEVEL_NAMES[LEVELS[LEVELS.index(request.level) + 1]]
    return f"{LEVEL_NAMES[request.level]}超过{missed}期限（{deadline}）仍未{missed}，自动转交{above}"


class Ticker:
    """The server's own tick, every TICK_MINUTES in a daemon thread, and on a hub the exchange with the centre; a
    failed pass is logged and the next one tries again, a failed exchange after twice as long each time (up to
    BACKOFF_MINUTES), so a centre that is down is not called every five minutes all night."""

    def __init__(self, data_root: Path, settings, minutes: float = TICK_MINUTES):
        self.data_root = data_root
        self.settings = settings
        self.seconds = minutes * 60
        self.failures = 0
        self.next_exchange = 0.0  # time.monotonic() of the next try
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="kiosk-desk-tick")

    def start(self) -> Ticker:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.once(time.time())
            if self.settings.library_url and time.monotonic() >= self.next_exchange:
                self.exchange()
            self._stop.wait(self.seconds)

    def once(self, now: float) -> Tick | None:
        try:
            with DeskDB(self.data_root) as db:
                done = tick(db, Rules.of(self.settings), now, self.settings.desk_retention_days)
        except Exception:  # a background pass reports, it never takes the server down
            log.exception("服务台：自动转交失败，下一轮再试")
            return None
        if done.escalated or done.anonymised:
            log.info("服务台：自动转交 %d 件，匿名化 %d 件", done.escalated, done.anonymised)
        return done

    def exchange(self) -> bool:
        """Send the desk's events to the centre and apply its answer; on failure wait longer before the next try."""
        try:
            done = exchange(
                self.data_root, self.settings.library_url, self.settings.hub_name, self.settings.library_key or ""
            )
        except ExchangeError as exc:
            self.failures += 1
            wait = min(self.seconds * 2**self.failures, BACKOFF_MINUTES * 60)
            self.next_exchange = time.monotonic() + wait
            log.warning("服务台：%s（%d 分钟后再试）", exc, round(wait / 60))
            return False
        except Exception:
            log.exception("服务台：与中心交换登记失败，下一轮再试")
            return False
        self.failures, self.next_exchange = 0, 0.0
        if done.sent or done.received:
            log.info("服务台：送到中心 %d 条，从中心收到 %d 条", done.sent, done.received)
        for reason in done.refused:
            log.warning("服务台：中心没有收下一条记录：%s", reason)
        return True
