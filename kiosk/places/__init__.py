"""Stand-in for the places branch (the hub's community list) until it merges: same names, a plain table."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Community:
    town: str
    name: str


def _connect(data_root: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(Path(data_root) / "editor.db")
    conn.execute("CREATE TABLE IF NOT EXISTS stand_in_communities (town TEXT, name TEXT PRIMARY KEY)")
    return conn


def communities(data_root: Path) -> list[Community]:
    with _connect(data_root) as conn:
        return [
            Community(t, n) for t, n in conn.execute("SELECT town, name FROM stand_in_communities ORDER BY town, name")
        ]


def find_community(data_root: Path, name: str) -> Community | None:
    return next((c for c in communities(data_root) if c.name == name), None)


def add_community(data_root: Path, town: str, name: str) -> None:
    with _connect(data_root) as conn:
        conn.execute("INSERT OR REPLACE INTO stand_in_communities VALUES (?, ?)", (town, name))
