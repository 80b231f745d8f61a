"""Listening times as people read them: minutes, or hours and minutes (never "0.01 小时"), and as Excel holds them."""

from __future__ import annotations

SECONDS_PER_DAY = 86400
EXCEL_FORMAT = "[h]:mm"  # hours past 24 keep counting, as a total listening time should


def clock(seconds: float | None) -> str:
    """A listening time as h:mm, the way the trainer's tables and their Excel cells show it: 0:25, 12:05."""
    minutes = round((seconds or 0.0) / 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


def duration_words(seconds: float | None) -> str:
    """A listening time as said aloud: 1 小时 25 分钟, 40 分钟, 不到 1 分钟."""
    minutes = round((seconds or 0.0) / 60)
    if minutes < 1:
        return "不到 1 分钟"
    whole_hours, rest = divmod(minutes, 60)
    if not whole_hours:
        return f"{rest} 分钟"
    return f"{whole_hours} 小时" + (f" {rest} 分钟" if rest else "")


def excel_days(seconds: float | None) -> float:
    """A listening time as an Excel time value (a number of days), rounded to the minute the page shows."""
    return round((seconds or 0.0) / 60) * 60 / SECONDS_PER_DAY
