"""The desk's own SQLite file, <data dir>/desk.db: requests, their history, the articles attached to answers, and
the categories editors keep.

A request's id is a random UUID, so that requests from many hubs meet at the centre without two sharing an id; its
short number is only for saying aloud and typing at a kiosk, unique on the hub that gave it."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from indexer.database import Database

DESK_DB = "desk.db"


@dataclass(frozen=True)
class Request:
    """One request as stored: what the resident said, where it is, and who may be told what."""

    id: str
    number: str
    token: str  # the secret of the resident's follow link
    kind: str
    community: str
    town: str
    category: str
    text: str
    company: str  # the property company a dispute is about
    name: str
    phone: str
    consent: int  # the resident agreed that an anonymised question and answer may be published
    status: str
    level: str
    joint: int
    reopened: int
    handler: str  # who accepted it at its level
    answer: str
    rating: str
    created: float
    arrived: float  # when it reached its level (or was reopened there): deadlines count from here
    due: float | None
    answered: float | None
    anonymised: int
    hub: str = ""  # at the centre: the enrolled hub it was registered at ("" for the centre's own)

    @classmethod
    def of(cls, row: sqlite3.Row) -> Request:
        return cls(**{name: row[name] for name in COLUMNS})


COLUMNS = tuple(item.name for item in fields(Request))
STORED = tuple(name for name in COLUMNS if name != "hub")  # the columns of the requests table
# Requests as the dataclass reads them: a hub's request at the centre with the hub's name and the hub's number.
SELECT = (
    f"SELECT {', '.join(f'r.{name}' for name in STORED if name != 'number')}, "
    "COALESCE(o.number, r.number) AS number, COALESCE(o.hub, '') AS hub "
    "FROM requests r LEFT JOIN origins o ON o.request = r.id"
)


@dataclass(frozen=True)
class Change:
    """One line of a request's history: who did what, when, and why."""

    at: float
    actor: str  # an account's name, "居民" or "系统"
    action: str
    status: str
    level: str
    note: str


@dataclass(frozen=True)
class Attachment:
    """An article of the library a counsel attached to an answer."""

    doc: str
    title: str


@dataclass(frozen=True)
class Event:
    """One line of history as hubs and the centre exchange it (events.py): a globally unique id, the request as it
    was right after the change, the change, and the articles attached to it by then."""

    id: str
    request: dict
    change: Change
    articles: list[Attachment]

    def body(self) -> dict:
        return {
            "id": self.id,
            "request": self.request,
            "change": asdict(self.change),
            "articles": [asdict(article) for article in self.articles],
        }


class DeskDB(Database):
    """Requests and their history; every change is one transaction that updates the request and adds its line, and
    the event that carries it to the hub or centre that shares the request."""

    MIGRATIONS: tuple[str, ...] = (
        """
    CREATE TABLE IF NOT EXISTS requests (
        id TEXT PRIMARY KEY, number TEXT NOT NULL UNIQUE, token TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL, community TEXT NOT NULL, town TEXT NOT NULL, category TEXT NOT NULL,
        text TEXT NOT NULL, company TEXT NOT NULL DEFAULT '', name TEXT NOT NULL DEFAULT '',
        phone TEXT NOT NULL DEFAULT '', consent INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL, level TEXT NOT NULL, joint INTEGER NOT NULL DEFAULT 0,
        reopened INTEGER NOT NULL DEFAULT 0, handler TEXT NOT NULL DEFAULT '', answer TEXT NOT NULL DEFAULT '',
        rating TEXT NOT NULL DEFAULT '', created REAL NOT NULL, arrived REAL NOT NULL, due REAL,
        answered REAL, anonymised INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS requests_by_due ON requests (due);
    CREATE TABLE IF NOT EXISTS history (
        id INTEGER PRIMARY KEY AUTOINCREMENT, request TEXT NOT NULL REFERENCES requests (id),
        at REAL NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, status TEXT NOT NULL, level TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX IF NOT EXISTS history_by_request ON history (request, id);
    CREATE TABLE IF NOT EXISTS attachments (
        request TEXT NOT NULL REFERENCES requests (id), doc TEXT NOT NULL, title TEXT NOT NULL,
        PRIMARY KEY (request, doc)
    );
    CREATE TABLE IF NOT EXISTS categories (name TEXT PRIMARY KEY, position INTEGER NOT NULL);
    INSERT OR IGNORE INTO categories VALUES ('物业费', 0), ('维修资金', 1), ('漏水', 2), ('噪音', 3), ('停车', 4),
        ('装修', 5), ('电梯', 6), ('业委会', 7), ('其他', 8);
    """,
        # Requests across hubs (events.py): at the centre, which hub a request came from and the number that hub
        # gave it (requests.number, unique in the file, holds "hub/number" for those); and the event log (every
        # history line, with the request as it was then) that hubs and the centre exchange.
        """
    CREATE TABLE origins (
        request TEXT PRIMARY KEY REFERENCES requests (id), hub TEXT NOT NULL, number TEXT NOT NULL,
        UNIQUE (hub, number)
    );
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, request TEXT NOT NULL,
        origin TEXT NOT NULL DEFAULT '', body TEXT NOT NULL, sent INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX events_to_send ON events (origin, sent, seq);
    CREATE INDEX events_by_request ON events (request, seq);
    CREATE TABLE exchange (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    """,
    )
    REPAIR = "请用备份恢复：kiosk restore 备份文件（服务台的登记和办理记录只在这个文件里）"

    def __init__(self, data_root: Path):
        super().__init__(Path(data_root) / DESK_DB)

    def add(self, request: Request, change: Change) -> None:
        """Store a new request with the first line of its history."""
        with self.immediate():
            self._insert(request)
            self._log(request.id, change)

    def _insert(self, request: Request) -> None:
        """A new row; a hub's request (at the centre) with its origin, under a number no other hub's can take."""
        values = {name: getattr(request, name) for name in STORED}
        if request.hub:
            values["number"] = f"{request.hub}/{request.number}"
        self.conn.execute(
            f"INSERT INTO requests ({', '.join(STORED)}) VALUES ({', '.join('?' * len(STORED))})",
            tuple(values.values()),
        )
        if request.hub:
            self.conn.execute("INSERT INTO origins VALUES (?, ?, ?)", (request.id, request.hub, request.number))

    def number_taken(self, number: str) -> bool:
        """Whether this site already gave ``number`` (a hub's numbers at the centre are kept as "hub/number")."""
        return self.conn.execute("SELECT 1 FROM requests WHERE number = ?", (number,)).fetchone() is not None

    def get(self, request_id: str) -> Request | None:
        return self._one("r.id", request_id)

    def by_token(self, token: str) -> Request | None:
        return self._one("r.token", token) if token else None

    def by_number(self, number: str) -> Request | None:
        """This site's own request with that number: a number is said at the kiosk where it was given."""
        return self._one("r.number", number) if number else None

    def _one(self, column: str, value: str) -> Request | None:
        row = self.conn.execute(f"{SELECT} WHERE {column} = ?", (value,)).fetchone()
        return Request.of(row) if row else None

    def all(self, status: str | None = None, level: str | None = None, since: float | None = None) -> list[Request]:
        """Requests, optionally of one status, at one level or registered since a time; those due soonest first,
        then the newest."""
        sql, params = f"{SELECT} WHERE 1", []
        for clause, value in (("r.status = ?", status), ("r.level = ?", level), ("r.created >= ?", since)):
            if value is not None:
                sql += f" AND {clause}"
                params.append(value)
        sql += " ORDER BY r.due IS NULL, r.due, r.created DESC"
        return [Request.of(row) for row in self.conn.execute(sql, params)]

    def update(self, was: Request, change: Change, articles: Iterable[Attachment] = (), **values: object) -> bool:
        """Set some columns of a request, attach ``articles`` and add the history line that says why, in one
        transaction; False (and nothing written) when the request moved, or its company was corrected, since ``was``
        was read: two staff, or a staff member and the tick, acting at once make one change, not two (and a
        correction's "old → new" names the company it really replaced)."""
        assert values and set(values) <= set(COLUMNS)
        with self.immediate():
            cursor = self.conn.execute(
                f"UPDATE requests SET {', '.join(f'{name} = ?' for name in values)} "
                "WHERE id = ? AND status = ? AND level = ? AND company = ?",
                (*values.values(), was.id, was.status, was.level, was.company),
            )
            if cursor.rowcount != 1:
                return False
            self._attach(was.id, articles)
            self._log(was.id, change)
        return True

    def note(self, request_id: str, change: Change) -> None:
        """A history line for something that does not move the request (its Q&A published)."""
        with self.immediate():
            self._log(request_id, change)

    def overdue(self, now: float) -> list[Request]:
        """Requests whose deadline at their level has passed, the longest overdue first."""
        rows = self.conn.execute(f"{SELECT} WHERE r.due IS NOT NULL AND r.due <= ? ORDER BY r.due", (now,))
        return [Request.of(row) for row in rows]

    def anonymise(self, before: float, at: float, actor: str) -> int:
        """Remove the name, phone, description and follow link of requests registered before ``before``; the
        category, places, dates and outcome stay for the figures. Returns how many were anonymised."""
        with self.immediate():
            ids = [
                row[0]
                for row in self.conn.execute(
                    "SELECT id FROM requests WHERE created < ? AND anonymised = 0", (before,)
                ).fetchall()
            ]
            for request_id in ids:
                self.conn.execute(
                    "UPDATE requests SET name = '', phone = '', text = '', token = 'gone-' || id, anonymised = 1 "
                    "WHERE id = ?",
                    (request_id,),
                )
                self.conn.execute(
                    "INSERT INTO history (request, at, actor, action, status, level, note) "
                    "SELECT id, ?, ?, 'anonymise', status, level, '' FROM requests WHERE id = ?",
                    (at, actor, request_id),
                )
        return len(ids)

    def _log(self, request_id: str, change: Change, event: str = "", origin: str = "") -> None:
        """The history line and its event: a new one to send when the change was made here, else the event
        ``event`` received from ``origin`` (kept so that it is never applied twice, and never sent back)."""
        self.conn.execute(
            "INSERT INTO history (request, at, actor, action, status, level, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (request_id, change.at, change.actor, change.action, change.status, change.level, change.note),
        )
        row = self.conn.execute(f"{SELECT} WHERE r.id = ?", (request_id,)).fetchone()
        snapshot = {name: row[name] for name in COLUMNS if name not in ("token", "hub")}
        made = Event(event or str(uuid.uuid4()), snapshot, change, self.attachments(request_id))
        self.conn.execute(
            "INSERT INTO events (id, request, origin, body, sent) VALUES (?, ?, ?, ?, ?)",
            (made.id, request_id, origin, json.dumps(made.body(), ensure_ascii=False), int(bool(origin))),
        )

    def seen(self, event_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM events WHERE id = ?", (event_id,)).fetchone() is not None

    def apply(self, event: Event, origin: str, values: dict[str, object], new: Request | None = None) -> None:
        """Write an event received from ``origin``: ``new`` stored (a request the centre had not seen) or
        ``values`` set, its articles, its history line and the event itself, in the caller's transaction."""
        if new is not None:
            self._insert(new)
        else:
            self.conn.execute(
                f"UPDATE requests SET {', '.join(f'{name} = ?' for name in values)} WHERE id = ?",
                (*values.values(), event.request["id"]),
            )
        self._attach(event.request["id"], event.articles)
        self._log(event.request["id"], event.change, event.id, origin)

    def outbox(self, limit: int) -> list[dict]:
        """The oldest events made here and not yet taken by the centre, as sent."""
        rows = self.conn.execute(
            "SELECT body FROM events WHERE origin = '' AND sent = 0 ORDER BY seq LIMIT ?", (limit,)
        )
        return [json.loads(row[0]) for row in rows]

    def waiting(self) -> int:
        """How many events made here the centre has not taken yet."""
        return self.conn.execute("SELECT COUNT(*) FROM events WHERE origin = '' AND sent = 0").fetchone()[0]

    def mark_sent(self, ids: Iterable[str]) -> None:
        with self.immediate():
            self.conn.executemany("UPDATE events SET sent = 1 WHERE id = ?", [(event_id,) for event_id in ids])

    def feed(self, hub: str, after: int, limit: int) -> list[tuple[int, dict]]:
        """(seq, body) of the events of ``hub``'s requests made here or at another hub, after ``after``."""
        rows = self.conn.execute(
            "SELECT e.seq, e.body FROM events e JOIN origins o ON o.request = e.request "
            "WHERE o.hub = ? AND e.origin != ? AND e.seq > ? ORDER BY e.seq LIMIT ?",
            (hub, hub, after, limit),
        )
        return [(row[0], json.loads(row[1])) for row in rows]

    def cursor(self) -> int:
        """The centre's last event this hub has applied."""
        row = self.conn.execute("SELECT value FROM exchange WHERE name = 'cursor'").fetchone()
        return row[0] if row else 0

    def set_cursor(self, value: int) -> None:
        with self.immediate():
            self.conn.execute("INSERT OR REPLACE INTO exchange VALUES ('cursor', ?)", (value,))

    def history(self, request_id: str) -> list[Change]:
        rows = self.conn.execute(
            "SELECT at, actor, action, status, level, note FROM history WHERE request = ? ORDER BY id", (request_id,)
        )
        return [Change(**dict(row)) for row in rows]

    def _attach(self, request_id: str, articles: Iterable[Attachment]) -> None:
        self.conn.executemany(
            "INSERT OR IGNORE INTO attachments VALUES (?, ?, ?)",
            [(request_id, article.doc, article.title) for article in articles],
        )

    def attachments(self, request_id: str) -> list[Attachment]:
        rows = self.conn.execute("SELECT doc, title FROM attachments WHERE request = ? ORDER BY rowid", (request_id,))
        return [Attachment(row["doc"], row["title"]) for row in rows]

    def categories(self) -> list[str]:
        return [row[0] for row in self.conn.execute("SELECT name FROM categories ORDER BY position, name")]

    def set_categories(self, names: list[str]) -> None:
        """Replace the list; requests keep the category they were registered under."""
        with self.immediate():
            self.conn.execute("DELETE FROM categories")
            self.conn.executemany("INSERT INTO categories VALUES (?, ?)", [(name, n) for n, name in enumerate(names)])
