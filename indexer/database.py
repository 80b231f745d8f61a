"""One way to open the hub's SQLite files: WAL so readers never wait for a writer, the owner's schema brought up to
date on connect (numbered migrations, counted in PRAGMA user_version), and SQLite's failures (another writer, a full
or read-only disk, a damaged file, a file from a newer kiosk) raised as DatabaseError with a message that names the
file and the way out."""

from __future__ import annotations

import functools
import os
import shutil
import sqlite3
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from .errors import KioskError, newer_schema

DAMAGED = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
REFUSED = (
    sqlite3.SQLITE_FULL,
    sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_PERM,
)
FULL_BELOW = 1 << 20  # bytes free under which a refused write is put down to a full disk


def _explained(method):
    """A sqlite3 method whose failures come out as the owning Database explains them."""

    @functools.wraps(method)
    def wrapped(self, *args, **options):
        try:
            return method(self, *args, **options)
        except sqlite3.Error as exc:
            error = self.explain(exc)
            if error is None:
                raise
            raise error from None

    return wrapped


class DatabaseError(KioskError):
    """A SQLite file is held by another writer, on a full or read-only disk, damaged, or written by a newer kiosk:
    ``kind`` says which."""

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.kind = kind  # busy | refused | damaged | newer


class Database:
    """Base for a module that owns the tables of one SQLite file: one connection, closed by ``with`` or close().

    MIGRATIONS are the file's schema as SQL scripts, oldest first, never edited once released: the first creates the
    tables (IF NOT EXISTS, so a file made before there were versions is adopted as it is), each later one is a step
    such as one ALTER TABLE. A file's PRAGMA user_version counts the migrations it has had.
    """

    MIGRATIONS: tuple[str, ...] = ()
    TIMEOUT = 30.0  # seconds a writer waits for another writer before giving up
    REPAIR = "请用备份恢复：kiosk restore 备份文件"  # the way out of a damaged file; files that can be rebuilt say how
    NEWER = "请升级 kiosk 后再用；这个版本不会改动它"  # the way out of a file a newer kiosk wrote

    def __init__(self, path: Path):
        self.path = Path(path)
        self.refusal: str | None = None  # why this connection can only read: the disk refused to open it for writing
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            raise DatabaseError(self._refused(), "refused") from None
        self.conn = self._connect()
        try:
            self._migrate()
        except BaseException:
            self.conn.close()
            raise

    @classmethod
    def schema_version(cls) -> int:
        """The user_version of a file this code has brought up to date."""
        return len(cls.MIGRATIONS)

    def _migrate(self) -> None:
        """Apply the migrations past the file's user_version, all in one transaction that takes the write lock before
        it reads the version again: of two processes opening an old or new file at once, one migrates, and the
        other, once it has the lock, finds nothing left to do. Up to date, opening writes nothing."""
        if self._version() == self.schema_version() or self.refusal:
            return  # a file read as it is (the disk refused writes) keeps the schema it has
        with self.immediate():
            for script in self.MIGRATIONS[self._version() :]:
                for statement in _statements(script):
                    self.conn.execute(statement)
            self.conn.execute(f"PRAGMA user_version = {self.schema_version()}")

    @contextmanager
    def immediate(self) -> Iterator[None]:
        """One write transaction that holds the write lock from its first read, so a check and the write it
        allows cannot interleave with another request's (two reports of one learner spending one budget,
        two wrong passwords each counting from the same stale count)."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()

    def _version(self) -> int:
        """The file's user_version; DatabaseError for a file from a newer kiosk, which this one must not write to."""
        found = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if found > self.schema_version():
            raise DatabaseError(f"{newer_schema(self.path.name, found, self.schema_version())}：{self.NEWER}", "newer")
        return found

    def _connect(self) -> sqlite3.Connection:
        """WAL, or, on a disk that cannot take the WAL's files, the complete file read as it is (writes refused)."""
        try:
            conn = self._open(self.path)
            self._enter_wal(conn)
        except DatabaseError as exc:
            # With an empty write-ahead log (or none: the failed open may have just made it) the file holds every
            # committed change, so reading it unlocked (immutable) is exact.
            log_beside = self.path.with_name(self.path.name + "-wal")
            if exc.kind != "refused" or not self.path.is_file() or (log_beside.is_file() and log_beside.stat().st_size):
                raise
            self.refusal = str(exc)
            conn = self._open(f"file:{quote(str(self.path))}?immutable=1", uri=True)
        conn.row_factory = sqlite3.Row
        return conn

    def _enter_wal(self, conn: sqlite3.Connection) -> None:
        """WAL mode, which the file keeps once set. SQLite answers "busy" at once, without waiting, to a switch made
        while another process is making the same new file, so the switch is tried again for up to TIMEOUT."""
        deadline = time.monotonic() + self.TIMEOUT
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                return
            except DatabaseError as exc:
                if exc.kind != "busy" or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @_explained
    def _open(self, target: Path | str, uri: bool = False) -> sqlite3.Connection:
        conn = sqlite3.connect(target, timeout=self.TIMEOUT, check_same_thread=False, factory=_Connection, uri=uri)
        # A weak reference: connection → owner → connection would be a cycle, and a connection dropped without
        # close() (a searcher swapping stores) would then hold its file open until the garbage collector ran.
        conn.owner = weakref.ref(self)
        return conn

    def explain(self, exc: sqlite3.Error) -> DatabaseError | None:
        """What a SQLite failure means for the person at the kiosk; None for a bug, which stays a bug."""
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        name = self.path.name
        if code in DAMAGED:
            return DatabaseError(f"{name} 已损坏：{self.REPAIR}", "damaged")
        if code in BUSY:
            return DatabaseError(f"{name} 正被另一个程序占用（例如正在建库）：请等它完成后再试", "busy")
        if self.refusal and (code == sqlite3.SQLITE_READONLY or "no such table" in str(exc)):
            return DatabaseError(self.refusal, "refused")  # a write, or a table never made, on a file read as it is
        if code in REFUSED:
            return DatabaseError(self._refused(), "refused")
        return None

    def _refused(self) -> str:
        """Why the disk refused, asked of the disk itself: SQLite's codes (I/O error, cannot open) often do not say."""
        folder = self.path.parent
        if not os.access(folder if folder.exists() else folder.parent, os.W_OK):
            return f"磁盘是只读的，无法写入 {self.path.name}：请检查数据目录 {folder} 所在的磁盘"
        if folder.exists() and shutil.disk_usage(folder).free < FULL_BELOW:
            return f"磁盘空间已满，无法写入 {self.path.name}：请在数据目录 {folder} 所在的磁盘上腾出空间后再试"
        return f"无法读写 {self.path.name}（磁盘出错）：请检查数据目录 {folder} 所在的磁盘"

    def check(self) -> None:
        """Read every page once (PRAGMA quick_check); DatabaseError when the file is not whole."""
        if [row[0] for row in self.conn.execute("PRAGMA quick_check")] != ["ok"]:
            raise DatabaseError(f"{self.path.name} 已损坏：{self.REPAIR}", "damaged")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _statements(script: str) -> list[str]:
    """A script's statements one by one: executescript would commit the migrations' transaction before it ran."""
    statements, statement = [], ""
    for piece in script.split(";"):
        statement += piece + ";"
        if sqlite3.complete_statement(statement):  # not a ; inside a quoted default or a comment
            statements.append(statement)
            statement = ""
    return [*statements, statement] if statement else statements  # an unfinished one fails as SQLite says why


class _Cursor(sqlite3.Cursor):
    """Rows are read page by page, so damage can surface while fetching as well as on execute."""

    connection: _Connection  # made only by _Connection.cursor

    def explain(self, exc: sqlite3.Error) -> DatabaseError | None:
        return self.connection.explain(exc)

    execute = _explained(sqlite3.Cursor.execute)
    executemany = _explained(sqlite3.Cursor.executemany)
    executescript = _explained(sqlite3.Cursor.executescript)
    fetchone = _explained(sqlite3.Cursor.fetchone)
    fetchmany = _explained(sqlite3.Cursor.fetchmany)
    fetchall = _explained(sqlite3.Cursor.fetchall)
    __next__ = _explained(sqlite3.Cursor.__next__)


class _Connection(sqlite3.Connection):
    """A connection whose statements run on explaining cursors, and whose commits explain their failures too."""

    owner: weakref.ref[Database]  # set by Database._open as soon as it connects

    def explain(self, exc: sqlite3.Error) -> DatabaseError | None:
        owner = self.owner()
        return owner.explain(exc) if owner is not None else None

    def cursor(self, factory=_Cursor):
        return super().cursor(factory)

    def execute(self, sql, parameters=()):
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql, parameters):
        return self.cursor().executemany(sql, parameters)

    def executescript(self, script):
        return self.cursor().executescript(script)

    commit = _explained(sqlite3.Connection.commit)
    __exit__ = _explained(sqlite3.Connection.__exit__)
