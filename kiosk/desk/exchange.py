"""A hub's side of requests across hubs: send the centre the events in its outbox as signed hub messages and apply
the centre's answer, until both sides have nothing left. The hub always calls (it needs no open port); when the
centre cannot be reached the outbox stays as it is and goes with the next exchange, which `kiosk desk sync`,
`kiosk sync` and the server's desk pass (escalation.Ticker) each start."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path

from indexer.errors import ConfigError, KioskError

from ..hubs.keys import hub_key
from ..hubs.messages import ForgedAnswer, post_signed
from ..library.fetch import Fetcher, FetchError, RateLimit
from .database import DeskDB
from .events import BATCH, FORMAT, EventError, checked_batch, take

PATH = "/api/desk/hub/events"
ANSWER_MOST = 4 * 1024 * 1024  # a hundred events, each at most a few kilobytes
ROUNDS = 50  # messages one exchange sends at most: five thousand events each way
SECONDS = 120.0


class ExchangeError(KioskError):
    """The exchange stopped: the centre was not reached or refused; what was not taken stays in the outbox."""


@dataclass
class Exchanged:
    """What one exchange did."""

    sent: int = 0  # events the centre took
    received: int = 0  # the centre's events applied here
    refused: list[str] = field(default_factory=list)  # the centre's reasons for events it would not take
    waiting: int = 0  # events still in the outbox


def exchange(data_root: Path, url: str, hub: str, centre_key: str, seconds: float = SECONDS) -> Exchanged:
    """Send the outbox to the centre at ``url`` as the hub ``hub`` and apply what comes back, once the centre's
    key (``centre_key``, the library's public key) has shown the answer is the centre's; ExchangeError (nothing
    lost: the outbox is only emptied of what the centre took) if the centre is not reached, refuses, or its
    answer is not signed by it."""
    if not centre_key:
        raise ExchangeError("本站没有中心的公钥（KIOSK_LIBRARY_KEY）：不能确认回答来自中心，登记先留在本站")
    done = Exchanged()
    key = hub_key(data_root)
    with DeskDB(data_root) as db, Fetcher(url, RateLimit(None), time.monotonic() + seconds) as fetcher:
        for _ in range(ROUNDS):
            outbox = db.outbox(BATCH)
            message = {"format": FORMAT, "cursor": db.cursor(), "events": outbox}
            try:
                answer = post_signed(fetcher, key, hub, PATH, message, ANSWER_MOST, centre_key)
            except FetchError as exc:
                raise ExchangeError(f"登记没有送到中心：{exc}；下次再送，不会丢") from None
            except (ForgedAnswer, ConfigError) as exc:
                raise ExchangeError(f"{exc}；登记留在本站，下次再送") from None
            if answer.status != HTTPStatus.OK:
                problem = answer.problem(hub) or str(answer.body.get("error") or f"HTTP {answer.status}")
                raise ExchangeError(f"中心没有收下本站的登记：{problem}")
            taken, more = _answered(db, answer.body, done)
            done.sent += len(taken)
            if not more and len(outbox) < BATCH:
                break
        done.waiting = db.waiting()
    return done


def _answered(db: DeskDB, body: dict, done: Exchanged) -> tuple[list[str], bool]:
    """Mark what the centre took or refused as sent, apply its events and move the cursor; (taken, more)."""
    taken, refused, more = body.get("taken"), body.get("rejected"), body.get("more")
    try:
        if not isinstance(taken, list) or not isinstance(refused, list) or type(more) is not bool:
            raise EventError("taken、rejected、more 不对")
        parts = {name: body.get(name) for name in ("format", "cursor", "events")}
        answer = checked_batch(parts, full=False)
        refused = [item for item in refused if isinstance(item, dict)]
    except EventError as exc:
        raise ExchangeError(f"中心的回答看不懂（{exc}）：请把本站升级到与中心相同的版本") from None
    db.mark_sent([str(event_id) for event_id in taken] + [str(item.get("id")) for item in refused])
    done.refused += [str(item.get("reason", "")) for item in refused]
    done.received += take(db, answer.events)
    db.set_cursor(answer.cursor)
    return [str(event_id) for event_id in taken], more
