"""Anonymous usage counts for the editors: what was searched and not found, what was heard, where listening stopped.

Only daily totals are kept: no addresses, no browser details, no session or visitor ids, and long digit runs
(phone numbers, ID numbers) are masked in search words before they are stored.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import re
import sqlite3
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from indexer.database import Database, DatabaseError

USAGE_DB = "usage.db"
KEEP_DAYS = 400
MAX_QUERY_CHARS = 100
MAX_LISTEN_SECONDS = 4 * 3600  # one page view; anything longer is a stuck tab, not a listener
DIGIT_RUN = re.compile(r"\d{5,}")
log = logging.getLogger("kiosk")
_setting_aside = threading.Lock()
_said: set[str] = set()  # problems already logged: a read-only disk is said once, not at every search


@dataclass(frozen=True)
class Listen:
    """One page view's listening: how long, and the sentence it ended on (index of ``total``)."""

    doc: str
    collection: str
    seconds: float
    passage: str
    position: int
    total: int

    @property
    def finished(self) -> bool:
        return self.total > 0 and self.position >= self.total - 1

    @property
    def tenth(self) -> int:
        """Where in the document listening ended, 0 (first tenth) to 9 (last tenth)."""
        return min(9, max(0, self.position * 10 // max(1, self.total)))


def clean_query(query: str) -> str:
    """The words as stored: trimmed, folded spaces, digit runs masked."""
    return DIGIT_RUN.sub("…", " ".join(str(query).split()))[:MAX_QUERY_CHARS]


def today() -> str:
    return dt.date.today().isoformat()


def days_back(days: int) -> str:
    """The first day of a period of ``days`` days ending today."""
    return (dt.date.today() - dt.timedelta(days=max(1, days) - 1)).isoformat()


def _inode(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return None


def _never_failing(method):
    """A method of Usage run again after Usage._recover when its file fails it (at worst in memory, which cannot)."""

    @functools.wraps(method)
    def wrapped(self, *args, **kwargs):
        for _ in range(2):
            try:
                return method(self, *args, **kwargs)
            except DatabaseError as exc:
                self._recover(exc)
        return method(self, *args, **kwargs)

    return wrapped


class Usage(Database):
    """The counts in <data dir>/usage.db; one connection per request, like the document store, and never the
    reason a page fails."""

    MIGRATIONS: tuple[str, ...] = (
        """
    CREATE TABLE IF NOT EXISTS searches (
        day TEXT NOT NULL, query TEXT NOT NULL, collection TEXT NOT NULL, hits INTEGER NOT NULL, times INTEGER NOT NULL,
        PRIMARY KEY (day, query, collection)
    );
    CREATE TABLE IF NOT EXISTS listens (
        day TEXT NOT NULL, doc TEXT NOT NULL, collection TEXT NOT NULL, plays INTEGER NOT NULL,
        seconds REAL NOT NULL, finished INTEGER NOT NULL, PRIMARY KEY (day, doc)
    );
    CREATE TABLE IF NOT EXISTS stops (
        day TEXT NOT NULL, doc TEXT NOT NULL, passage TEXT NOT NULL, tenth INTEGER NOT NULL, times INTEGER NOT NULL,
        PRIMARY KEY (day, doc, passage, tenth)
    );
    """,
    )
    TIMEOUT = 2.0  # a count is not worth holding a request for long

    def __init__(self, data_root: Path):
        path = Path(data_root) / USAGE_DB
        self._inode = _inode(path)
        try:
            super().__init__(path)
        except DatabaseError as exc:
            self.path = path
            self._recover(exc)

    def _recover(self, exc: DatabaseError) -> None:
        """Counts are never worth a failed page: a damaged file is set aside (kept, for whoever wants to look into
        it) and counting starts again in a new one; a busy file, a refusing disk or a file from a newer kiosk leaves
        this request's counts in memory, where they are dropped."""
        with suppress(AttributeError, sqlite3.Error):  # no connection yet, or one already broken
            self.conn.close()
        if exc.kind == "damaged" and self._set_aside():
            try:
                Database.__init__(self, self.path)
                self._inode = _inode(self.path)
                return
            except DatabaseError as again:
                exc = again
        if str(exc) not in _said:
            _said.add(str(exc))
            log.warning("收听统计暂时没有记录：%s", exc)
        self.conn = sqlite3.connect(":memory:", check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self.refusal = None  # memory takes writes
        self._migrate()

    def _set_aside(self) -> bool:
        """Rename the damaged file and its logs; False when the disk refuses (then this request counts in memory)."""
        with _setting_aside:
            if _inode(self.path) != self._inode:
                return True  # another request has set it aside already
            broken = f"{USAGE_DB}.broken-{time.strftime('%Y%m%d-%H%M%S')}"
            try:
                for suffix in ("", "-wal", "-shm"):
                    if Path(f"{self.path}{suffix}").exists():
                        os.replace(f"{self.path}{suffix}", self.path.with_name(broken + suffix))
            except OSError:
                return False
        log.error("%s 已损坏：已移到 %s，收听统计从现在重新开始", USAGE_DB, broken)
        return True

    # -- recording ---------------------------------------------------------------------------

    @_never_failing
    def record_search(self, query: str, hits: int, collection: str = "") -> None:
        """Count one search that a visitor settled on (not every keystroke of typing it)."""
        words = clean_query(query)
        if not words:
            return
        with self.conn:
            self.conn.execute(
                "INSERT INTO searches VALUES (?, ?, ?, ?, 1) ON CONFLICT (day, query, collection) "
                "DO UPDATE SET times = times + 1, hits = excluded.hits",
                (today(), words, collection or "", max(0, int(hits))),
            )
            self._forget_old()

    @_never_failing
    def record_listen(self, listen: Listen) -> None:
        """Count one page view's listening and where it stopped."""
        seconds = min(max(0.0, float(listen.seconds)), MAX_LISTEN_SECONDS)
        day = today()
        with self.conn:
            self.conn.execute(
                "INSERT INTO listens VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (day, doc) DO UPDATE SET "
                "plays = plays + 1, seconds = seconds + excluded.seconds, finished = finished + excluded.finished, "
                "collection = excluded.collection",
                (day, listen.doc, listen.collection, seconds, int(listen.finished)),
            )
            self.conn.execute(
                "INSERT INTO stops VALUES (?, ?, ?, ?, 1) ON CONFLICT (day, doc, passage, tenth) "
                "DO UPDATE SET times = times + 1",
                (day, listen.doc, listen.passage, listen.tenth),
            )
            self._forget_old()

    def _forget_old(self) -> None:
        """Drop days older than the keeping period (cheap: the day is the first column of every key)."""
        cutoff = days_back(KEEP_DAYS)
        for table in ("searches", "listens", "stops"):
            self.conn.execute(f"DELETE FROM {table} WHERE day < ?", (cutoff,))

    # -- reading -----------------------------------------------------------------------------

    @_never_failing
    def unanswered(self, since: str, collection: str = "", limit: int = 100) -> list[sqlite3.Row]:
        """Searches whose latest answer was nothing, most asked first: what to write next."""
        return self.conn.execute(
            "SELECT query, SUM(times) AS times, MAX(day) AS last_day FROM searches "
            "WHERE day >= ? AND hits = 0 AND (? = '' OR collection = ?) "
            "GROUP BY query ORDER BY times DESC, last_day DESC LIMIT ?",
            (since, collection, collection, limit),
        ).fetchall()

    @_never_failing
    def found_searches(self, since: str) -> dict[str, int]:
        """Words searched that found something, with how often: what people here look for, for the keyboard."""
        rows = self.conn.execute(
            "SELECT query, SUM(times) FROM searches WHERE day >= ? AND hits > 0 GROUP BY query", (since,)
        ).fetchall()
        return {row[0]: int(row[1]) for row in rows}

    @_never_failing
    def search_totals(self, since: str) -> tuple[int, int]:
        """(searches, of which found nothing) over the period."""
        row = self.conn.execute(
            "SELECT COALESCE(SUM(times), 0), COALESCE(SUM(CASE WHEN hits = 0 THEN times END), 0) "
            "FROM searches WHERE day >= ?",
            (since,),
        ).fetchone()
        return int(row[0]), int(row[1])

    @_never_failing
    def most_listened(self, since: str, collection: str = "", limit: int = 10) -> list[sqlite3.Row]:
        """Documents by how often they were played, with minutes heard and how often to the end."""
        return self.conn.execute(
            "SELECT doc, collection, SUM(plays) AS plays, SUM(seconds) / 60.0 AS minutes, SUM(finished) AS finished "
            "FROM listens WHERE day >= ? AND (? = '' OR collection = ?) "
            "GROUP BY doc ORDER BY plays DESC, minutes DESC LIMIT ?",
            (since, collection, collection, limit),
        ).fetchall()

    @_never_failing
    def by_day(self, since: str, collection: str = "") -> list[sqlite3.Row]:
        """Plays and minutes for every day that had any, oldest first."""
        return self.conn.execute(
            "SELECT day, SUM(plays) AS plays, SUM(seconds) / 60.0 AS minutes FROM listens "
            "WHERE day >= ? AND (? = '' OR collection = ?) GROUP BY day ORDER BY day",
            (since, collection, collection),
        ).fetchall()

    @_never_failing
    def by_shelf(self, since: str) -> list[sqlite3.Row]:
        """Plays and minutes per shelf over the period."""
        return self.conn.execute(
            "SELECT collection, SUM(plays) AS plays, SUM(seconds) / 60.0 AS minutes FROM listens "
            "WHERE day >= ? GROUP BY collection ORDER BY plays DESC",
            (since,),
        ).fetchall()

    @_never_failing
    def stop_tenths(self, doc: str, since: str) -> list[int]:
        """How many listeners stopped in each tenth of a document."""
        counts = [0] * 10
        for row in self.conn.execute(
            "SELECT tenth, SUM(times) FROM stops WHERE doc = ? AND day >= ? GROUP BY tenth", (doc, since)
        ):
            counts[row[0]] = int(row[1])
        return counts

    @_never_failing
    def stop_passages(self, doc: str, since: str, limit: int = 5) -> list[sqlite3.Row]:
        """The passages where listening of a document most often ended."""
        return self.conn.execute(
            "SELECT passage, SUM(times) AS times FROM stops WHERE doc = ? AND day >= ? "
            "GROUP BY passage ORDER BY times DESC LIMIT ?",
            (doc, since, limit),
        ).fetchall()

    @_never_failing
    def rows(self, table: str, since: str) -> list[sqlite3.Row]:
        """Every daily row of one table in the period, for CSV export."""
        columns = {
            "searches": "day, collection, query, hits, times",
            "listens": "day, collection, doc, plays, ROUND(seconds / 60.0, 1), finished",
            "stops": "day, doc, passage, tenth, times",
        }[table]
        return self.conn.execute(
            f"SELECT {columns} FROM {table} WHERE day >= ? ORDER BY day, 2, 3", (since,)
        ).fetchall()
