"""Where runtime data lives: one folder outside the source tree holding the index, audio and database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError, disk_problem


@dataclass(frozen=True)
class DataDir:
    """Paths inside the data dir; creating it is the only side effect."""

    root: Path

    @classmethod
    def create(cls, root: Path) -> DataDir:
        """Make sure the folder exists and is writable, or say which setting to change."""
        root = root.expanduser().resolve()
        try:
            root.mkdir(parents=True, exist_ok=True)
            probe = root / ".write-test"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise ConfigError(
                f"数据目录 {root} 无法写入（{disk_problem(exc)}）；用 --data 或 KIOSK_DATA 指定另一个目录"
            ) from None
        return cls(root)

    @classmethod
    def as_it_is(cls, root: Path) -> DataDir:
        """An existing data dir on a disk that may refuse writes: a kiosk then serves what it already has."""
        root = root.expanduser().resolve()
        if not root.is_dir():
            raise ConfigError(f"数据目录 {root} 不存在；用 --data 或 KIOSK_DATA 指定数据目录")
        return cls(root)

    @property
    def index(self) -> Path:
        return self.root / "index"

    @property
    def database(self) -> Path:
        return self.root / "kiosk.db"

    @property
    def input_words(self) -> Path:
        """The library's words with their pinyin, for the keyboard's candidates (written by kiosk build)."""
        return self.root / "input-words.tsv"

    @property
    def audio(self) -> Path:
        return self.root / "audio"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def library(self) -> Path:
        """A hub's copy of the centre's library (kiosk sync): objects, snapshots and the current one."""
        return self.root / "library"

    @property
    def library_current(self) -> Path:
        """The snapshot being served: a symlink switched atomically by kiosk sync; absent before the first sync."""
        return self.library / "current"
