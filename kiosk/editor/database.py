"""The editor's own SQLite file in the data dir, apart from the index's database: accounts, versions, trash."""

from __future__ import annotations

import sqlite3
from pathlib import Path

EDITOR_DB = "editor.db"


def connect(data_root: Path, schema: str) -> sqlite3.Connection:
    """A connection to <data dir>/editor.db with ``schema`` applied (each module owns its tables)."""
    conn = sqlite3.connect(Path(data_root) / EDITOR_DB, timeout=30, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(schema)
    return conn


class Table:
    """Base for the editor's tables: one connection, closed by ``with`` or close()."""

    SCHEMA = ""

    def __init__(self, data_root: Path):
        self.conn = connect(data_root, self.SCHEMA)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
