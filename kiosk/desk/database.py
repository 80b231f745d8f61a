"""The desk's own SQLite file, <data dir>/desk.db: requests, their history, the articles attached to answers, and
the categories editors keep.

A request's id is a random UUID, so that requests from many hubs can one day be merged at the centre without two
sharing an id; its short number is only for saying aloud and typing at a kiosk, unique on this hub."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, fields
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

    @classmethod
    def of(cls, row: sqlite3.Row) -> Request:
        return cls(**{name: row[name] for name in COLUMNS})


COLUMNS = tuple(item.name for item in fields(Request))


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


class DeskDB(Database):
    """Requests and their history; every change is one transaction that updates the request and adds its line."""

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
    )
    REPAIR = "请用备份恢复：kiosk restore 备份文件（服务台的登记和办理记录只在这个文件里）"

    def __init__(self, data_root: Path):
        super().__init__(Path(data_root) / DESK_DB)

    def add(self, request: Request, change: Change) -> None:
        """Store a new request with the first line of its history."""
        with self.immediate():
            self.conn.execute(
                f"INSERT INTO requests ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                tuple(getattr(request, name) for name in COLUMNS),
            )
            self._log(request.id, change)

    def number_taken(self, number: str) -> bool:
        return self.conn.execute("SELECT 1 FROM requests WHERE number = ?", (number,)).fetchone() is not None

    def get(self, request_id: str) -> Request | None:
        return self._one("id", request_id)

    def by_token(self, token: str) -> Request | None:
        return self._one("token", token) if token else None

    def by_number(self, number: str) -> Request | None:
        return self._one("number", number) if number else None

    def _one(self, column: str, value: str) -> Request | None:
        row = self.conn.execute(f"SELECT * FROM requests WHERE {column} = ?", (value,)).fetchone()
        return Request.of(row) if row else None

    def all(self, status: str | None = None, level: str | None = None, since: float | None = None) -> list[Request]:
        """Requests, optionally of one status, at one level or registered since a time; those due soonest first,
        then the newest."""
        sql, params = "SELECT * FROM requests WHERE 1", []
        for clause, value in (("status = ?", status), ("level = ?", level), ("created >= ?", since)):
            if value is not None:
                sql += f" AND {clause}"
                params.append(value)
        sql += " ORDER BY due IS NULL, due, created DESC"
        return [Request.of(row) for row in self.conn.execute(sql, params)]

    def update(self, was: Request, change: Change, **values: object) -> bool:
        """Set some columns of a request and add the history line that says why, in one transaction; False (and
        nothing written) when the request moved since ``was`` was read: two staff, or a staff member and the tick,
        acting at once make one change, not two."""
        assert values and set(values) <= set(COLUMNS)
        with self.immediate():
            cursor = self.conn.execute(
                f"UPDATE requests SET {', '.join(f'{name} = ?' for name in values)} "
                "WHERE id = ? AND status = ? AND level = ?",
                (*values.values(), was.id, was.status, was.level),
            )
            if cursor.rowcount != 1:
                return False
            self._log(was.id, change)
        return True

    def note(self, request_id: str, change: Change) -> None:
        """A history line for something that does not move the request (its Q&A published)."""
        with self.immediate():
            self._log(request_id, change)

    def overdue(self, now: float) -> list[Request]:
        """Requests whose deadline at their level has passed, the longest overdue first."""
        rows = self.conn.execute("SELECT * FROM requests WHERE due IS NOT NULL AND due <= ? ORDER BY due", (now,))
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

    def _log(self, request_id: str, change: Change) -> None:
        self.conn.execute(
            "INSERT INTO history (request, at, actor, action, status, level, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (request_id, change.at, change.actor, change.action, change.status, change.level, change.note),
        )

    def history(self, request_id: str) -> list[Change]:
        rows = self.conn.execute(
            "SELECT at, actor, action, status, level, note FROM history WHERE request = ? ORDER BY id", (request_id,)
        )
        return [Change(**dict(row)) for row in rows]

    def attach(self, request_id: str, articles: list[Attachment]) -> None:
        with self.conn:
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
