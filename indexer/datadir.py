"""Where runtime data lives: one folder outside the source tree holding the index, audio and database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError


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
            raise ConfigError(f"数据目录 {root} 无法写入（{exc.strerror}）；用 --data 或 KIOSK_DATA 指定另一个目录") from None
        return cls(root)

    @property
    def index(self) -> Path:
        return self.root / "index"

    @property
    def database(self) -> Path:
        return self.root / "kiosk.db"

    @property
    def audio(self) -> Path:
        return self.root / "audio"

    @property
    def models(self) -> Path:
        return self.root / "models"
