"""The editor's own SQLite file in the data dir, apart from the index's database: accounts, versions, trash."""

from __future__ import annotations

from pathlib import Path

from indexer.database import Database

EDITOR_DB = "editor.db"


class Table(Database):
    """Base for the editor's tables, all in <data dir>/editor.db; each subclass owns its SCHEMA."""

    def __init__(self, data_root: Path):
        super().__init__(Path(data_root) / EDITOR_DB)
