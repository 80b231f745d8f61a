"""Progress of long jobs as log lines with counts and an ETA, for output that is not a terminal (systemd's journal)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

LOG_EVERY_SECONDS = 30.0


def eta_text(seconds: float) -> str:
    """A remaining time as people say it: 约 40 秒, 约 6 分钟, 约 2 小时 10 分."""
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"约 {max(1, round(seconds))} 秒"
    if seconds < 90 * 60:
        return f"约 {round(seconds / 60)} 分钟"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"约 {hours} 小时 {minutes} 分"


class ProgressLog:
    """Call with (done, total); writes «label：done/total（pct%），还要约 …» at most every ``every`` seconds and
    when the job ends, so a job that runs for hours under systemd shows that it is alive and when it will end."""

    def __init__(
        self,
        label: str,
        emit: Callable[[str], None] | None = None,
        every: float = LOG_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.label = label
        self.emit = emit or logging.getLogger("kiosk").info
        self.every = every
        self.clock = clock
        self.started = clock()
        self.logged_at: float | None = None

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        finished = total > 0 and done >= total
        if not finished and self.logged_at is not None and now - self.logged_at < self.every:
            return
        if self.logged_at is None and not finished and now - self.started < self.every:
            return  # a job that ends within the first interval logs only its end
        self.logged_at = now
        self.emit(self.line(done, total, now - self.started))

    def line(self, done: int, total: int, elapsed: float) -> str:
        if total <= 0:
            return f"{self.label}：{done}"
        text = f"{self.label}：{done}/{total}（{done * 100 // total}%）"
        if 0 < done < total:
            text += f"，还要{eta_text(elapsed / done * (total - done))}"
        elif done >= total:
            text += f"，用时 {elapsed:.0f} 秒"
        return text
