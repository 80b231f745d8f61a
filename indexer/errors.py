"""Domain errors raised by the build side and translated into messages at the edges (CLI, web)."""


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
