"""Downloads from the centre: resumable, checked against the manifest's SHA-256, under one bandwidth limit."""

from __future__ import annotations

import hashlib
import http.client
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

from indexer.errors import KioskError, disk_problem

CHUNK = 64 * 1024
TIMEOUT = 30.0
MAX_MANIFEST_BYTES = 512 * 1024 * 1024
USER_AGENT = "suiting-kiosk-sync/1"


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
    def __init__(self, base_url: str, limit: RateLimit):
        self.base_url = base_url.rstrip("/")
        self.limit = limit
        self.received = 0  # bytes on the wire, for the summary
        self._lock = threading.Lock()

    def get(self, path: str, most: int = MAX_MANIFEST_BYTES) -> bytes:
        """A small response whole (the manifest, an audio list)."""
        with self._open(path) as response:
            data = response.read(most + 1)
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
                            chunk = response.read(self.limit.chunk)
                        except (OSError, http.client.HTTPException) as exc:
                            raise FetchError(f"下载中断（{_reason(exc)}）；已下载的部分留着，下次同步接着下") from None
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

    def post(self, path: str, body: bytes) -> int:
        request = urllib.request.Request(
            self.base_url + path,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            raise FetchError(f"连不上中心 {self.base_url}（{_reason(exc)}）") from None

    def _open(self, path: str, headers: dict | None = None):
        request = urllib.request.Request(self.base_url + path, headers={"User-Agent": USER_AGENT, **(headers or {})})
        try:
            return urllib.request.urlopen(request, timeout=TIMEOUT)
        except urllib.error.HTTPError as exc:
            if exc.code == 404 and path.startswith("/library/objects/"):
                raise FetchError("中心已没有清单里的某个文件（刚好又发布了新内容）；再同步一次即可") from None
            if exc.code == 404:
                said = _error_said(exc) or "不提供文库（HTTP 404）：地址对吗？那台是中心站点吗？"
                raise FetchError(f"{self.base_url} {said}") from None
            raise FetchError(f"中心回答 HTTP {exc.code}（{path}），未同步") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            raise FetchError(f"连不上中心 {self.base_url}（{_reason(exc)}），未同步；原来的文库照常使用") from None

    def _count(self, size: int) -> None:
        with self._lock:
            self.received += size


def _error_said(exc: urllib.error.HTTPError) -> str | None:
    """The kiosk's own JSON error message, when the other end is a kiosk."""
    try:
        return str(json.loads(exc.read(64 * 1024))["error"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


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
    return str(reason) or type(exc).__name__
