"""Settings in one place: defaults, overridden by environment variables, then by the command line or tests."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from indexer.datadir import DataDir
from indexer.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_CONTENT = PROJECT_ROOT / "content"
ENGINES = ("auto", "neural", "pyttsx3")


@dataclass(frozen=True)
class Settings:
    """Everything an operator may set; each field names its environment variable in the README."""

    data: Path = Path("var")
    content: tuple[Path, ...] = (BUNDLED_CONTENT,)
    engine: str = "auto"
    rate: float = 1.0
    kiosk_mode: bool = False
    idle_minutes: float = 3.0
    listening_idle_minutes: float = 30.0  # while reading aloud: a visitor who walked away is not listening for ever
    speech_workers: int = 0  # speech processes of a serving kiosk; 0 is one per core but one
    render: bool = True  # False: play only audio already in the cache (a hub that gets it from the centre)
    wifi_ssid: str = ""
    wifi_password: str = ""
    public_url: str = ""
    extra: dict = field(default_factory=dict)

    def with_overrides(self, **changes) -> Settings:
        """A copy with the non-None values replaced, validated again."""
        changes = {k: v for k, v in changes.items() if v is not None}
        return replace(self, **changes).validated()

    def roots(self) -> list[Path]:
        """The content roots served: this kiosk's own, then the library synced from the centre (kiosk sync),
        which never shadows a text of the kiosk's own at the same path."""
        library = DataDir(self.data.expanduser().resolve()).library_current
        return [*self.content, library] if library.is_dir() else list(self.content)

    def validated(self) -> Settings:
        """Fail fast on a value the kiosk cannot use, naming the setting."""
        if self.engine not in ENGINES:
            raise ConfigError(f"KIOSK_ENGINE 是「{self.engine}」，可选值：{', '.join(ENGINES)}")
        if not 0.5 <= self.rate <= 2.0:
            raise ConfigError(f"KIOSK_RATE 是 {self.rate}，应在 0.5 到 2.0 之间")
        if self.idle_minutes <= 0:
            raise ConfigError("KIOSK_IDLE_MINUTES 应大于 0")
        if self.listening_idle_minutes < self.idle_minutes:
            raise ConfigError("KIOSK_LISTENING_IDLE_MINUTES 不应小于 KIOSK_IDLE_MINUTES")
        if not 0 <= self.speech_workers <= 64:
            raise ConfigError(f"KIOSK_SPEECH_WORKERS 是 {self.speech_workers}，应是 0（自动）到 64")
        return self


def from_environment(environ: os._Environ | dict = os.environ) -> Settings:
    """Settings from KIOSK_* environment variables on top of the defaults."""
    def number(name: str, default: float) -> float:
        value = environ.get(name)
        if value in (None, ""):
            return default
        try:
            return float(value)
        except ValueError:
            raise ConfigError(f"{name} 应当是数字，现在是「{value}」") from None

    def whole(name: str, default: int) -> int:
        value = number(name, default)
        if value != int(value):
            raise ConfigError(f"{name} 应当是整数，现在是「{environ.get(name)}」")
        return int(value)

    content = environ.get("KIOSK_CONTENT")
    return Settings(
        data=Path(environ.get("KIOSK_DATA") or "var"),
        content=tuple(Path(p) for p in content.split(os.pathsep) if p) if content else (BUNDLED_CONTENT,),
        engine=environ.get("KIOSK_ENGINE", "auto"),
        rate=number("KIOSK_RATE", 1.0),
        kiosk_mode=environ.get("KIOSK_MODE", "").lower() in ("1", "true", "yes", "kiosk"),
        idle_minutes=number("KIOSK_IDLE_MINUTES", 3.0),
        listening_idle_minutes=number("KIOSK_LISTENING_IDLE_MINUTES", 30.0),
        speech_workers=whole("KIOSK_SPEECH_WORKERS", 0),
        render=environ.get("KIOSK_RENDER", "1").lower() not in ("0", "false", "no", "off"),
        wifi_ssid=environ.get("KIOSK_WIFI_SSID", ""),
        wifi_password=environ.get("KIOSK_WIFI_PASSWORD", ""),
        public_url=environ.get("KIOSK_PUBLIC_URL", ""),
    ).validated()
