"""Long jobs tell how far they are when nobody watches a terminal (under systemd, in CI)."""

from __future__ import annotations

import pytest

from indexer.progress import ProgressLog, eta_text

from .sites import Clock


def test_a_line_every_interval_with_counts_and_eta_then_the_end():
    clock = Clock(0.0)
    lines: list[str] = []
    report = ProgressLog("合成语音", emit=lines.append, every=30, clock=clock)
    for done in range(1, 101):
        clock.now = done * 1.0  # one sentence a second
        report(done, 100)
    assert lines == [
        "合成语音：30/100（30%），还要约 70 秒",
        "合成语音：60/100（60%），还要约 40 秒",
        "合成语音：90/100（90%），还要约 10 秒",
        "合成语音：100/100（100%），用时 100 秒",
    ]


def test_a_short_job_logs_only_its_end():
    clock = Clock(0.0)
    lines: list[str] = []
    report = ProgressLog("建立检索库", emit=lines.append, clock=clock)
    for done in range(1, 4):
        clock.now = done * 0.1
        report(done, 3)
    assert lines == ["建立检索库：3/3（100%），用时 0 秒"]


@pytest.mark.parametrize(
    "seconds, said", [(0.2, "约 1 秒"), (45, "约 45 秒"), (400, "约 7 分钟"), (3 * 3600 + 600, "约 3 小时 10 分")]
)
def test_eta_as_people_say_it(seconds, said):
    assert eta_text(seconds) == said
