"""Settings in one table: each field of `Settings` is an option with its environment variable, how its text is read,
its default and its check. Environment variables override the defaults; the command line or tests override those.

Adding a setting is one field here (and a line in the README's table); `kiosk config` lists every one with its value
and where that came from.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from indexer.datadir import DataDir
from indexer.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_CONTENT = PROJECT_ROOT / "content"
STATIC_FOLDER = PROJECT_ROOT / "static"
ENGINES = ("auto", "neural", "pyttsx3")
DEFAULT_HUB_NAME = "物业港培训基地"
SECRET = "（已设置，不显示）"

Reader = Callable[[str, str], Any]  # (environment variable, its text) -> value; ConfigError naming it otherwise
Check = Callable[[Any], "str | None"]  # a value -> what is wrong with it, or None


@dataclass(frozen=True)
class Option:
    """How one setting is read from the environment and checked."""

    env: str
    read: Reader
    check: Check | None = None
    secret: bool = False  # `kiosk config` says whether it is set, never what it is


def option(default: Any, env: str, read: Reader, check: Check | None = None, *, secret: bool = False) -> Any:
    """A `Settings` field that is also a row of the settings table."""
    return field(default=default, metadata={"option": Option(env, read, check, secret)})


def text(env: str, value: str) -> str:
    return value.strip()


def path(env: str, value: str) -> Path:
    return Path(value)


def paths(env: str, value: str) -> tuple[Path, ...]:
    found = tuple(Path(part) for part in value.split(os.pathsep) if part)
    if not found:
        raise ConfigError(f"{env} 没有给出任何文件夹")
    return found


def number(env: str, value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"{env} 应当是数字，现在是「{value}」") from None


def whole(env: str, value: str) -> int:
    found = number(env, value)
    if found != int(found):
        raise ConfigError(f"{env} 应当是整数，现在是「{value}」")
    return int(found)


def per_level(env: str, value: str) -> tuple[int, int, int]:
    """Three whole numbers, for the desk's community, township and centre levels in that order."""
    parts = [part.strip() for part in value.replace("，", ",").split(",")]
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        raise ConfigError(f"{env} 应当是三个整数，依次是社区、乡镇/街道、中心，例如 2,3,5；现在是「{value}」")
    return (int(parts[0]), int(parts[1]), int(parts[2]))


def three_weights(env: str, value: str) -> tuple[int, int, int]:
    """Three whole numbers, the 物业超市's weights of the desk's disputes, the assessments and residents' ratings."""
    parts = [part.strip() for part in value.replace("，", ",").split(",")]
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        raise ConfigError(
            f"{env} 应当是三个整数，依次是服务台纠纷、单位考核、居民评价的权重，例如 40,30,30；现在是「{value}」"
        )
    return (int(parts[0]), int(parts[1]), int(parts[2]))


def some_weight(value: tuple[int, ...]) -> str | None:
    return None if sum(value) > 0 else "至少一项权重应大于 0"


def each_positive(value: tuple[int, ...]) -> str | None:
    return None if all(part > 0 for part in value) else "每一级都应大于 0"


def switch(env: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on", "kiosk"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{env} 应当是 1 或 0，现在是「{value}」")


def one_of(*choices: str) -> Check:
    return lambda value: None if value in choices else f"可选值：{', '.join(choices)}"


def between(low: float, high: float) -> Check:
    return lambda value: None if value is None or low <= value <= high else f"应在 {low:g} 到 {high:g} 之间"


def at_least(low: float) -> Check:
    return lambda value: None if value is None or value >= low else f"应不小于 {low:g}"


def positive(value: float) -> str | None:
    return None if value > 0 else "应大于 0"


@dataclass(frozen=True)
class Settings:
    """Everything an operator may set. The README's configuration table lists the same variables."""

    data: Path = option(Path("var"), "KIOSK_DATA", path)
    content: tuple[Path, ...] = option((BUNDLED_CONTENT,), "KIOSK_CONTENT", paths)
    engine: str = option("auto", "KIOSK_ENGINE", text, one_of(*ENGINES))
    rate: float = option(1.0, "KIOSK_RATE", number, between(0.5, 2.0))
    kiosk_mode: bool = option(False, "KIOSK_MODE", switch)
    idle_minutes: float = option(3.0, "KIOSK_IDLE_MINUTES", number, positive)
    # while reading aloud: a visitor who walked away is not listening for ever
    listening_idle_minutes: float = option(30.0, "KIOSK_LISTENING_IDLE_MINUTES", number, positive)
    speech_workers: int = option(0, "KIOSK_SPEECH_WORKERS", whole, between(0, 64))  # 0: one per core but one
    render: bool = option(True, "KIOSK_RENDER", switch)  # False: play only audio already in the cache
    wifi_ssid: str = option("", "KIOSK_WIFI_SSID", text)
    wifi_password: str = option("", "KIOSK_WIFI_PASSWORD", text, secret=True)
    public_url: str = option("", "KIOSK_PUBLIC_URL", text)
    # on certificates and learning cards, and this hub's row on the city wall (the centre's own name there)
    hub_name: str = option(DEFAULT_HUB_NAME, "KIOSK_HUB_NAME", text)
    library_url: str = option("", "KIOSK_LIBRARY_URL", text)  # a hub's centre, for kiosk sync
    library_key: str = option("", "KIOSK_LIBRARY_KEY", text)  # the centre's public key
    sync_limit_rate: float | None = option(None, "KIOSK_SYNC_LIMIT_RATE", number, at_least(1))  # KB/s
    # one sync's deadline: a cut sync keeps what it downloaded, and the next hourly one goes on from there
    sync_minutes: float = option(40.0, "KIOSK_SYNC_MINUTES", number, positive)
    # open connections one address may hold: 64 serves phones with their own addresses; behind one NAT, raise it
    connections_per_address: int = option(64, "KIOSK_CONNECTIONS_PER_ADDRESS", whole, at_least(8))
    backup_dir: Path | None = option(None, "KIOSK_BACKUP_DIR", path)  # None: <data dir>/backups
    backup_keep: int | None = option(None, "KIOSK_BACKUP_KEEP", whole, at_least(1))  # None: keep every archive
    # the front desk (kiosk/desk): working days a level has to accept a request and to answer it, counted from when
    # the request reached that level, for community, township and centre; past either it goes up a level by itself
    desk_accept_days: tuple[int, int, int] = option((2, 3, 5), "KIOSK_DESK_ACCEPT_DAYS", per_level, each_positive)
    desk_answer_days: tuple[int, int, int] = option((5, 10, 15), "KIOSK_DESK_ANSWER_DAYS", per_level, each_positive)
    desk_retention_days: int = option(730, "KIOSK_DESK_RETENTION_DAYS", whole, at_least(30))  # then anonymised
    # the 物业超市 (kiosk/market): the scorecard's weights of the desk's disputes, assessments and residents' ratings,
    # and the combined score under which a company's page says it has fallen below the admission line
    market_weights: tuple[int, int, int] = option((40, 30, 30), "KIOSK_MARKET_WEIGHTS", three_weights, some_weight)
    market_admission_line: float = option(60.0, "KIOSK_MARKET_ADMISSION_LINE", number, between(0, 100))

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with the non-None values replaced, validated again."""
        changes = {name: value for name, value in changes.items() if value is not None}
        return replace(self, **changes).validated()

    def roots(self) -> list[Path]:
        """The content roots served: this kiosk's own, then the library synced from the centre (kiosk sync),
        which never shadows a text of the kiosk's own at the same path."""
        library = DataDir(self.data.expanduser().resolve()).library_current
        return [*self.content, library] if library.is_dir() else list(self.content)

    def validated(self) -> Settings:
        """Fail fast on a value the kiosk cannot use, naming the setting's variable."""
        for name, found in options():
            if found.check is not None:
                problem = found.check(getattr(self, name))
                if problem:
                    raise ConfigError(f"{found.env} 是「{getattr(self, name)}」，{problem}")
        if not self.hub_name:
            raise ConfigError("KIOSK_HUB_NAME 不能为空")
        if self.listening_idle_minutes < self.idle_minutes:
            raise ConfigError("KIOSK_LISTENING_IDLE_MINUTES 不应小于 KIOSK_IDLE_MINUTES")
        return self


def options() -> list[tuple[str, Option]]:
    """The settings table: each field's name with its option, in the order of `Settings`."""
    return [(item.name, item.metadata["option"]) for item in fields(Settings)]


def from_environment(environ: Mapping[str, str] = os.environ) -> Settings:
    """Settings from KIOSK_* environment variables on top of the defaults; an empty variable counts as unset."""
    found = {name: spec.read(spec.env, environ[spec.env]) for name, spec in options() if environ.get(spec.env, "")}
    return Settings(**found).validated()


def describe(
    settings: Settings, environ: Mapping[str, str] = os.environ, overridden: Mapping[str, str] | None = None
) -> list[tuple[str, str, str]]:
    """(variable, effective value, where it came from) for every setting, for `kiosk config`; ``overridden`` names
    the settings the command line set."""
    rows = []
    for name, spec in options():
        value = getattr(settings, name)
        if overridden and name in overridden:
            origin = overridden[name]
        elif environ.get(spec.env, ""):
            origin = "环境变量"
        else:
            origin = "默认"
        if spec.secret:
            shown = SECRET if value else "（未设置）"
        elif isinstance(value, bool):
            shown = "1" if value else "0"
        elif isinstance(value, tuple):  # folders, one number per desk level, or the market's weights
            shown = (os.pathsep if spec.read is paths else ",").join(str(part) for part in value)
        else:
            shown = "（未设置）" if value in (None, "") else str(value)
        rows.append((spec.env, shown, origin))
    return rows
