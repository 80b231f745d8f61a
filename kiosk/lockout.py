"""The one lock-out rule for editors' passwords and learners' PINs: five wrong tries in a row lock for 15 minutes.

Each caller keeps its count in its own table and says it in its own words; the rule itself lives only here, so the
two sign-ins cannot drift apart."""

from __future__ import annotations

MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60


def minutes_locked(locked_until: float, now: float) -> int | None:
    """Whole minutes (at least one) a lock-out still lasts, or None when the name is not locked."""
    if locked_until > now:
        return max(1, round((locked_until - now) / 60))
    return None


def after_failure(failures: int, locked_until: float, now: float) -> tuple[int, float]:
    """The failure count and lock time after one more wrong try: a lock that has run out starts the count afresh,
    and the try that reaches the limit locks (``locked_until`` 0 means not locked)."""
    expired = 0 < locked_until <= now
    failures = (0 if expired else failures) + 1
    return failures, now + LOCK_SECONDS if failures >= MAX_FAILURES else 0
