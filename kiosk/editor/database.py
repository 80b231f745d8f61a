"""The editor's own SQLite file in the data dir, apart from the index's database: accounts, versions, trash."""

from __future__ import annotations

from pathlib import Path

from indexer.database import Database

EDITOR_DB = "editor.db"


class Table(Database):
    """Base for the editor's tables, all in <data dir>/editor.db: accounts (users, signin_failures),
    session keys (editor_sessions), history (versions), the trash and the hub's communities (kiosk/places), which
    share one schema version."""

    MIGRATIONS: tuple[str, ...] = (
        """
    CREATE TABLE IF NOT EXISTS users (
        name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL, created REAL NOT NULL
    );
    CREATE TABLE IF NOT EXISTS signin_failures (
        name TEXT PRIMARY KEY, failures INTEGER NOT NULL, locked_until REAL NOT NULL DEFAULT 0
    );
    CREATE TABLE IF NOT EXISTS versions (
        id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, saved_at REAL NOT NULL,
        author TEXT NOT NULL, action TEXT NOT NULL, text TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS versions_by_source ON versions (source, id);
    CREATE TABLE IF NOT EXISTS trash (
        id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, title TEXT NOT NULL,
        trashed_at REAL NOT NULL, author TEXT NOT NULL
    );
    """,
        # session keys (session_keys.py); a new password or a removed account ends its sessions, whoever changes it
        """
    CREATE TABLE editor_sessions (name TEXT PRIMARY KEY, key TEXT NOT NULL);
    CREATE TRIGGER editor_sessions_end_on_new_password AFTER UPDATE OF password_hash ON users
    BEGIN DELETE FROM editor_sessions WHERE name = old.name; END;
    CREATE TRIGGER editor_sessions_end_on_removal AFTER DELETE ON users
    BEGIN DELETE FROM editor_sessions WHERE name = old.name; END;
    """,
        # the hub's list of 社区 (kiosk/places); the marker row asks places to seed the list, once, from the
        # (乡镇/街道, 社区) of the learners a hub already has in learning.db, which a migration here cannot read
        """
    CREATE TABLE communities (
        name TEXT PRIMARY KEY, town TEXT NOT NULL, position INTEGER NOT NULL
    );
    CREATE TABLE communities_unseeded (pending INTEGER NOT NULL);
    INSERT INTO communities_unseeded VALUES (1);
    """,
        # the front desk's staff: the community or 乡镇/街道 a community or township account belongs to
        """
    CREATE TABLE user_units (name TEXT PRIMARY KEY, unit TEXT NOT NULL);
    CREATE TRIGGER user_units_end_on_removal AFTER DELETE ON users
    BEGIN DELETE FROM user_units WHERE name = old.name; END;
    """,
    )

    def __init__(self, data_root: Path):
        super().__init__(Path(data_root) / EDITOR_DB)

    def insert(self, sql: str, params: tuple) -> int:
        """Run one INSERT (in the caller's transaction) and return the new row's id."""
        cursor = self.conn.execute(sql, params)
        assert cursor.lastrowid is not None  # sqlite3 sets it on every INSERT that succeeded
        return cursor.lastrowid
