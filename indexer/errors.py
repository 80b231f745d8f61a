"""Domain errors raised by the build side and translated into messages at the edges (CLI, web)."""

import errno

DISK_PROBLEMS = {
    errno.ENOSPC: "磁盘空间已满",
    errno.EDQUOT: "磁盘空间已满",
    errno.EROFS: "磁盘是只读的（可能出了故障）",
    errno.EACCES: "没有写权限",
    errno.EPERM: "没有写权限",
}


class KioskError(Exception):
    """Base class for every error the kiosk reports to a person instead of a traceback."""


class ContentError(KioskError):
    """A content file could not be read or parsed; the message names the file and the reason."""


class SearchError(KioskError):
    """The search index is missing or unusable."""


class SpeechError(KioskError):
    """Speech could not be synthesized (engine missing, worker died, timeout)."""


class ConfigError(KioskError):
    """A setting has a value the kiosk cannot use; the message names the setting."""


def newer_schema(name: str, found: int, known: int) -> str:
    """Why a SQLite file is not opened: a newer kiosk wrote it, and an older one must not write to it."""
    return f"{name} 是更新版本的 kiosk 写的（数据库第 {found} 版，这个 kiosk 只认到第 {known} 版）"


def disk_problem(exc: OSError) -> str:
    """Why the disk refused a write, in words a person at the hub can act on."""
    if exc.errno in DISK_PROBLEMS:
        return DISK_PROBLEMS[exc.errno]
    return exc.strerror or str(exc)
