"""Content-addressed audio: each sentence's MP3 stored once under a hash of everything that shapes its sound."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from pathlib import Path

from indexer.atomic import write_atomic
from indexer.errors import SpeechError, disk_problem
from indexer.speech.engines.base import EngineSettings

from .mp3 import mp3_duration

PIPELINE_VERSION = "1"  # bump when normalization, segmentation or encoding changes what a key sounds like
KEY = re.compile(r"^[0-9a-f]{40}$")


def segment_key(spoken: str, settings: EngineSettings) -> str:
    """Hash of the spoken text, engine, voice, rate, versions and the readings of the dictionary terms it holds:
    equal keys sound the same."""
    material = json.dumps(
        [
            PIPELINE_VERSION,
            settings.engine,
            settings.voice,
            settings.rate,
            settings.version,
            settings.readings_in(spoken),
            spoken,
        ],
        ensure_ascii=False,
    )
    return hashlib.sha1(material.encode("utf-8")).hexdigest()


WHOLE_KEYS_REMEMBERED = 200_000  # about 30 MB: more sentences than the whole law library has


class CacheWriteError(SpeechError):
    """The cache's disk refused a sentence (full, read-only): the next sentences would be refused too."""


class AudioCache:
    """MP3 files sharded by key prefix; written atomically, verified on read, never served broken."""

    def __init__(self, root: Path):
        self.root = root
        # Keys whose files this process has walked frame by frame: a content-addressed file that was whole once
        # stays whole, and walking it again on every request was a fifth of the cost of serving it. A new process
        # (after a power cut, say) checks every file once before it serves it.
        self._whole: dict[str, tuple[int, float]] = {}  # key -> (size, seconds); another size is walked again

    def path(self, key: str) -> Path:
        """Where a key lives; refuses anything that is not a key (which also closes path traversal)."""
        if not KEY.match(key):
            raise ValueError(f"not an audio key: {key!r}")
        return self.root / key[:2] / f"{key}.mp3"

    def has(self, key: str) -> bool:
        return self.path(key).is_file()

    def read(self, key: str) -> bytes | None:
        """The MP3 if present and whole; a broken file is deleted so it gets rebuilt."""
        loaded = self.load(key)
        return loaded[0] if loaded else None

    def load(self, key: str) -> tuple[bytes, float] | None:
        """(MP3, seconds) if present and whole, checked once by walking its frames."""
        path = self.path(key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        known = self._whole.get(key)
        if known is not None and known[0] == len(data):
            return data, known[1]
        duration = mp3_duration(data)
        if duration is None:
            with contextlib.suppress(OSError):  # a read-only disk: the broken file stays, and is still never served
                path.unlink(missing_ok=True)
            return None
        if len(self._whole) >= WHOLE_KEYS_REMEMBERED:
            self._whole.clear()
        self._whole[key] = (len(data), duration)
        return data, duration

    def write(self, key: str, data: bytes) -> None:
        """Temp file, fsync, then rename: a reader sees the whole file or none, and after a power cut the name
        never holds a file whose data did not reach the disk (read() verifies all the same)."""
        try:
            write_atomic(self.path(key), data, sync_folder=False)
        except OSError as exc:
            raise CacheWriteError(f"无法写入音频缓存 {self.root}：{disk_problem(exc)}") from None

    def keys(self) -> set[str]:
        """Every key with a file in the cache."""
        if not self.root.is_dir():
            return set()
        return {p.stem for p in self.root.glob("??/*.mp3") if KEY.match(p.stem)}

    def stats(self) -> tuple[int, int]:
        """(files, bytes) in the cache."""
        files = list(self.root.glob("??/*.mp3")) if self.root.is_dir() else []
        return len(files), sum(p.stat().st_size for p in files)

    def remove(self, keys: set[str]) -> int:
        """Delete these keys' files (and leftover temp files); returns bytes freed."""
        freed = 0
        for key in keys:
            path = self.path(key)
            if path.is_file():
                freed += path.stat().st_size
                path.unlink()
        for temp in self.root.glob("??/*.part") if self.root.is_dir() else []:
            freed += temp.stat().st_size
            temp.unlink()
        return freed
