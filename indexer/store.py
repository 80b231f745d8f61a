"""The document store: what the build knows about each file and the parsed documents the web app shows."""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass

from .content.documents import Document
from .database import Database, DatabaseError

# Durations noted while another writer held kiosk.db, by file, written with the next ones (see set_durations).
_unwritten_durations: dict[str, dict[str, float]] = {}
_durations_lock = threading.Lock()

CATALOG_COLUMNS = "id, source, title, collection, volume, ord, status, level, effective, chars"


@dataclass(frozen=True)
class FileRecord:
    """What the last build saw of a content file, to tell whether it changed."""

    source: str
    root: str
    size: int
    mtime_ns: int
    hash: str
    doc_id: str


@dataclass(frozen=True)
class CatalogEntry:
    """A document's listing on a shelf, without its text."""

    id: str
    source: str
    title: str
    collection: str
    volume: str
    order: int
    status: str
    level: str
    effective: str
    chars: int


class Store(Database):
    """kiosk.db in the data dir; the kiosk keeps reading while a build writes."""

    REPAIR = "运行 kiosk build --full 重建"  # everything in it is made from the content folders
    NEWER = "请升级 kiosk，或运行 kiosk build --full 重建"
    PAGE_WAIT = 2.0  # seconds a page waits to note spoken texts while another writer holds the file

    MIGRATIONS: tuple[str, ...] = (
        """
    CREATE TABLE IF NOT EXISTS files (
        source TEXT PRIMARY KEY, root TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
        hash TEXT NOT NULL, doc_id TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS documents (
        id TEXT PRIMARY KEY, source TEXT NOT NULL, title TEXT NOT NULL, collection TEXT NOT NULL,
        volume TEXT NOT NULL, ord INTEGER NOT NULL, status TEXT NOT NULL, level TEXT NOT NULL,
        effective TEXT NOT NULL, chars INTEGER NOT NULL, data TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS speech (key TEXT PRIMARY KEY, spoken TEXT NOT NULL, duration REAL);
    """,
    )

    def files(self) -> dict[str, FileRecord]:
        """Every file the index holds, by source path."""
        rows = self.conn.execute("SELECT source, root, size, mtime_ns, hash, doc_id FROM files")
        return {row[0]: FileRecord(*row) for row in rows}

    def save(self, record: FileRecord, doc: Document) -> None:
        """Record a file and its parsed document (the caller commits)."""
        self.conn.execute(
            "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?)",
            (record.source, record.root, record.size, record.mtime_ns, record.hash, record.doc_id),
        )
        self.conn.execute(
            "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                doc.id,
                doc.source,
                doc.title,
                doc.collection,
                doc.volume,
                doc.order,
                doc.status,
                doc.level,
                doc.effective,
                doc.char_count,
                json.dumps(doc.to_dict(), ensure_ascii=False),
            ),
        )

    def touch(self, record: FileRecord) -> None:
        """Remember a new mtime for a file whose content did not change."""
        self.conn.execute(
            "UPDATE files SET mtime_ns = ?, size = ? WHERE source = ?", (record.mtime_ns, record.size, record.source)
        )

    def remove(self, source: str, doc_id: str) -> None:
        self.conn.execute("DELETE FROM files WHERE source = ?", (source,))
        self.conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))

    def commit(self) -> None:
        self.conn.commit()

    def document(self, doc_id: str) -> Document | None:
        """The parsed document, or None for an unknown id."""
        row = self.conn.execute("SELECT data FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            return None
        try:
            return Document.from_dict(json.loads(row[0]))
        except (ValueError, KeyError, TypeError):  # bytes of the row overwritten: SQLite cannot tell
            raise DatabaseError(f"{self.path.name} 已损坏：{self.REPAIR}", "damaged") from None

    def remember_speech(self, pairs: list[tuple[str, str]]) -> None:
        """Record what text each audio key speaks, so the server can render any key on demand; keys already known
        cost no write, and a write waits PAGE_WAIT at most for another writer (then the page says who holds it)."""
        known = self._known_keys([key for key, _ in pairs])
        new = [(key, spoken) for key, spoken in pairs if key not in known]
        if new:
            with self._transaction(wait=self.PAGE_WAIT):
                self.conn.executemany("INSERT OR IGNORE INTO speech (key, spoken) VALUES (?, ?)", new)

    def set_durations(self, durations: list[tuple[float, str]]) -> None:
        """Note how long rendered sentences are, without waiting: this runs on the speech dispatcher, which
        listeners wait behind. Durations that find the file held by another writer (or the disk refusing) are
        kept in memory and written with the next ones."""
        with _durations_lock:
            unwritten = _unwritten_durations.setdefault(str(self.path), {})
            unwritten.update((key, duration) for duration, key in durations)
            batch = dict(unwritten)
        try:
            with self._transaction(wait=0):
                self.conn.executemany(
                    "UPDATE speech SET duration = ? WHERE key = ?", [(duration, key) for key, duration in batch.items()]
                )
        except DatabaseError as exc:
            if exc.kind == "damaged":
                raise
            return
        with _durations_lock:
            for key, duration in batch.items():
                if unwritten.get(key) == duration:
                    del unwritten[key]

    @contextmanager
    def _transaction(self, wait: float):
        """One transaction that waits ``wait`` seconds, not TIMEOUT, for another writer."""
        self.conn.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
        try:
            with self.conn:
                yield
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {int(self.TIMEOUT * 1000)}")

    def _known_keys(self, keys: list[str]) -> set[str]:
        known: set[str] = set()
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            rows = self.conn.execute(f"SELECT key FROM speech WHERE key IN ({','.join('?' * len(chunk))})", chunk)
            known.update(row[0] for row in rows)
        return known

    def spoken_text(self, key: str) -> str | None:
        row = self.conn.execute("SELECT spoken FROM speech WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def durations(self, keys: list[str]) -> dict[str, float]:
        """Known durations of these keys (unknown until rendered)."""
        found: dict[str, float] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT key, duration FROM speech WHERE duration IS NOT NULL AND key IN ({marks})", chunk
            )
            found.update(rows)
        with _durations_lock:
            unwritten = _unwritten_durations.get(str(self.path), {})
            found.update((key, unwritten[key]) for key in keys if key in unwritten)
        return found

    def forget_speech(self, keys: set[str]) -> None:
        self.conn.executemany("DELETE FROM speech WHERE key = ?", [(k,) for k in keys])
        self.conn.commit()

    def document_ids(self) -> list[str]:
        return [row[0] for row in self.conn.execute("SELECT id FROM documents ORDER BY collection, volume, ord")]

    def catalog(self) -> list[CatalogEntry]:
        """All documents in shelf order."""
        rows = self.conn.execute(f"SELECT {CATALOG_COLUMNS} FROM documents ORDER BY collection, volume, ord, title")
        return [CatalogEntry(*row) for row in rows]

    def tags(self) -> list[str]:
        """Every tag of every document, with repeats (a tag many texts carry counts for more)."""
        rows = self.conn.execute("SELECT json_extract(data, '$.tags') FROM documents").fetchall()
        return [tag for (tags,) in rows if tags for tag in json.loads(tags) if isinstance(tag, str)]

    def documents_containing(self, text: str, limit: int) -> list[str]:
        """Ids of documents whose text contains ``text`` (shortest first), e.g. to re-voice a changed term."""
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self.conn.execute(
            "SELECT id FROM documents WHERE data LIKE ? ESCAPE '\\' ORDER BY chars LIMIT ?", (pattern, limit)
        )
        return [row[0] for row in rows]

    def catalog_entry(self, doc_id: str) -> CatalogEntry | None:
        """One document's listing, or None if no document has that id."""
        row = self.conn.execute(f"SELECT {CATALOG_COLUMNS} FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return CatalogEntry(*row) if row else None
