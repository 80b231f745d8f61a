"""Downloads from the centre: resumable, checked against the manifest's SHA-256, under one bandwidth limit and
one deadline for the whole sync."""

from __future__ import annotations

import hashlib
import http.client
import json
import socket
import threading
import time
import urllib.error
import urllib.request
import weakref
from contextlib import suppress
from email.message import Message
from functools import partial
from pathlib import Path
from typing import IO

from indexer.errors import KioskError, disk_problem

CHUNK = 64 * 1024
TIMEOUT = 30.0
# What a hub reads whole before the signature is checked: a signed manifest lists ~500 bytes a document, so this is
# some 15,000 documents; the bundled library's is well under 1 MB.
MAX_MANIFEST_BYTES = 8 * 1024 * 1024
USER_AGENT = "suiting-kiosk-sync/1"
ANSWER_BYTES = 64 * 1024  # the centre's answer to a POST: a line of JSON


class FetchError(KioskError):
    """The centre could not be reached, refused, or sent something other than what the manifest names."""


class RateLimit:
    """A token bucket shared by all downloads of one sync: at most ``per_second`` bytes a second on average."""

    def __init__(self, per_second: float | None):
        self.per_second = per_second
        self._lock = threading.Lock()
        self._allowed_at = time.monotonic()

    @property
    def chunk(self) -> int:
        """Bytes to read at a time: a quarter second's worth under a limit, so the rate is smooth."""
        return CHUNK if not self.per_second else max(1024, min(CHUNK, int(self.per_second / 4)))

    def take(self, size: int) -> None:
        if not self.per_second:
            return
        with self._lock:
            now = time.monotonic()
            self._allowed_at = max(self._allowed_at, now - 1.0) + size / self.per_second
            wait = self._allowed_at - now
        if wait > 0:
            time.sleep(wait)


class Fetcher:
    """One sync's connections to the centre. At ``deadline`` (a time.monotonic() value) every connection still open
    is shut, whatever the centre is sending: a byte every few seconds never trips a socket's own timeout."""

    def __init__(self, base_url: str, limit: RateLimit, deadline: float | None = None):
        self.base_url = base_url.rstrip("/")
        self.limit = limit
        self.received = 0  # bytes on the wire, for the summary
        self._lock = threading.Lock()
        self._expired = False
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self._opener = urllib.request.build_opener(_WatchedHandler(self._watch))
        self._timer = None
        if deadline is not None:
            self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._expire)
            self._timer.daemon = True
            self._timer.start()

    def close(self) -> None:
        if self._timer:
            self._timer.cancel()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def get(self, path: str, most: int = MAX_MANIFEST_BYTES) -> bytes:
        """A small response whole (the manifest, an audio list)."""
        with self._open(path) as response:
            try:
                data = response.read(most + 1)
            except (OSError, http.client.HTTPException) as exc:
                self._check_deadline()
                raise FetchError(f"从中心读取 {path} 时中断（{_reason(exc)}），未同步；原来的文库照常使用") from None
        self._check_deadline()
        if len(data) > most:
            raise FetchError(f"中心返回的 {path} 太大（超过 {most // 1024 // 1024} MB），未同步")
        self._count(len(data))
        return data

    def download(self, sha: str, size: int, partial: Path) -> Path:
        """The file named ``sha`` into ``partial``, continuing what an earlier sync left there; the path once its
        hash is checked. A file whose hash is wrong is deleted and refused."""
        have = partial.stat().st_size if partial.exists() else 0
        if have > size:
            partial.unlink()
            have = 0
        if have < size or not partial.exists():
            headers = {"Range": f"bytes={have}-"} if have else {}
            with self._open(f"/library/objects/{sha}", headers) as response:
                resumed = have and response.status == 206
                with _open_to_write(partial, "ab" if resumed else "wb") as out:
                    written = have if resumed else 0
                    while written <= size:
                        try:
                            chunk = response.read1(self.limit.chunk)  # what has arrived, so the deadline is seen
                        except (OSError, http.client.HTTPException) as exc:
                            self._check_deadline()
                            raise FetchError(f"下载中断（{_reason(exc)}）；已下载的部分留着，下次同步接着下") from None
                        self._check_deadline()
                        if not chunk:
                            break
                        written += len(chunk)
                        try:
                            out.write(chunk)
                            out.flush()  # on disk for the next sync to resume from, should this one be cut
                        except OSError as exc:
                            raise _disk(exc) from None
                        self._count(len(chunk))
                        self.limit.take(len(chunk))  # after the write: what arrived is kept if the sync is cut here
        hasher = hashlib.sha256()
        with open(partial, "rb") as handle:
            while block := handle.read(1024 * 1024):
                hasher.update(block)
        if hasher.hexdigest() != sha:
            partial.unlink(missing_ok=True)
            raise FetchError(f"文件 {sha[:12]}… 的校验值与清单不符（传输中被改动或被替换），未同步；原来的文库照常使用")
        return partial

    def post(
        self, path: str, body: bytes, headers: dict[str, str] | None = None, most: int = ANSWER_BYTES
    ) -> tuple[int, bytes, Message]:
        """POST a JSON ``body``; the status, at most ``most`` bytes of the answer (b"" when it was cut short) and
        the answer's headers."""
        request = urllib.request.Request(
            self.base_url + path,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **(headers or {})},
        )
        try:
            with self._opener.open(request, timeout=TIMEOUT) as response:
                return response.status, _answer(response, most), response.headers
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, _answer(exc, most), exc.headers
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            self._check_deadline()
            raise FetchError(f"连不上中心 {self.base_url}（{_reason(exc)}）") from None

    def _open(self, path: str, headers: dict | None = None):
        self._check_deadline()
        request = urllib.request.Request(self.base_url + path, headers={"User-Agent": USER_AGENT, **(headers or {})})
        try:
            return self._opener.open(request, timeout=TIMEOUT)
        except urllib.error.HTTPError as exc:  # in our own words: what the other end wrote is not shown
            exc.close()
            if exc.code == 404 and path.startswith("/library/objects/"):
                raise FetchError("中心已没有清单里的某个文件（刚好又发布了新内容）；再同步一次即可") from None
            if exc.code == 404:
                raise FetchError(f"{self.base_url} 没有文库（HTTP 404）：它不是中心站点，或者地址不对") from None
            raise FetchError(f"中心回答 HTTP {exc.code}（{path}），未同步") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            self._check_deadline()
            raise FetchError(f"连不上中心 {self.base_url}（{_reason(exc)}），未同步；原来的文库照常使用") from None

    def _count(self, size: int) -> None:
        with self._lock:
            self.received += size

    def _watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)
            expired = self._expired
        if expired:
            _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self._expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def _check_deadline(self) -> None:
        if self._expired:
            raise FetchError(
                "同步超过了 KIOSK_SYNC_MINUTES 设定的时间还没完成，已停止；"
                "已下载的部分留着，下次同步接着下；原来的文库照常使用"
            )


def _answer(response: IO[bytes], most: int) -> bytes:
    """A small answer whole; b"" for one past ``most`` bytes or cut short."""
    try:
        data = response.read(most + 1)
    except (OSError, http.client.HTTPException):
        return b""
    return data if len(data) <= most else b""


def json_object(data: bytes) -> dict:
    """The answer's JSON object; {} for anything else (a proxy's page, a cut connection, one too long)."""
    try:
        found = json.loads(data)
    except (ValueError, RecursionError):
        return {}
    return found if isinstance(found, dict) else {}


class _WatchedConnection(http.client.HTTPConnection):
    """A connection that hands its socket to the Fetcher once it is open, so the deadline can shut it."""

    def __init__(self, *args, watch, **kwargs):
        super().__init__(*args, **kwargs)
        self._hand_over = watch

    def connect(self) -> None:
        super().connect()
        self._hand_over(self.sock)


class _WatchedHandler(urllib.request.HTTPHandler):
    def __init__(self, watch):
        super().__init__()
        self._connection = partial(_WatchedConnection, watch=watch)

    def http_open(self, req):
        return self.do_open(self._connection, req)


def _shut(sock: socket.socket) -> None:
    """Wake whatever is blocked reading the socket: it reads the end of the stream."""
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _open_to_write(path: Path, mode: str) -> IO[bytes]:
    """The file a download goes into; a disk that refuses it is a FetchError that says so."""
    try:
        return open(path, mode)
    except OSError as exc:
        raise _disk(exc) from None


def _disk(exc: OSError) -> FetchError:
    return FetchError(f"写不进本站的数据目录（{disk_problem(exc)}），未同步；原来的文库照常使用")


def _reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, socket.timeout) or isinstance(exc, TimeoutError):
        return "超时"
    if isinstance(reason, ConnectionRefusedError):
        return "拒绝连接：中心的 kiosk serve 在运行吗？"
    if isinstance(exc, http.client.HTTPException):  # its text quotes what the other end sent
        return "对方的回答不是正常的 HTTP"
    return str(reason) or type(exc).__name__
