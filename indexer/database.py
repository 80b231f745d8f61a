"""One way to open the hub's SQLite files: WAL so readers never wait for a writer, the owner's schema on connect."""

from __future__ import annotations

import sqlite3
from pathlib import Path


class Database:
    """Base for a module that owns the tables of one SQLite file: one connection, closed by ``with`` or close()."""

    SCHEMA = ""
    TIMEOUT = 30.0  # seconds a writer waits for another writer before giving up

    def __init__(self, path: Path):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, timeout=self.TIMEOUT, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.executescript(self.SCHEMA)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
