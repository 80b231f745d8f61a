"""Domain errors raised by the build side and translated into messages at the edges (CLI, web)."""

import errno

DISK_PROBLEMS = {errno.ENOSPC: "磁盘空间已满", errno.EDQUOT: "磁盘空间已满", errno.EROFS: "磁盘是只读的（可能出了故障）",
                 errno.EACCES: "没有写权限", errno.EPERM: "没有写权限"}


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


def disk_problem(exc: OSError) -> str:
    """Why the disk refused a write, in words a person at the hub can act on."""
    return DISK_PROBLEMS.get(exc.errno, exc.strerror or str(exc))
