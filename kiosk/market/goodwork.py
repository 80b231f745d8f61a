"""A company's good work for the 形象墙: one of a few kinds the city names, a title, two short lines, a date and a
photo (kept by photos.py), as the centre enters it; the form's checks are here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

KINDS = ("党建引领", "文明城市创建", "疫情防控", "应急抢险", "帮困助难", "信访维稳")
TITLE_MAX = 24  # one line of the wall at a size read from three metres
LINE_MAX = 40


@dataclass(frozen=True)
class GoodWork:
    kind: str
    title: str
    line1: str
    line2: str
    day: str  # YYYY-MM-DD
    photo: str = ""  # the photo's id (photos.py)
    company: int = 0
    id: int = 0


class GoodWorkError(ValueError):
    """What is wrong with the form, said to the editor as it is."""


def work_of(form: Mapping[str, str]) -> GoodWork:
    """The form's good work, or a GoodWorkError naming the field to fix."""
    kind = form.get("kind", "")
    if kind not in KINDS:
        raise GoodWorkError(f"请选择类别：{'、'.join(KINDS)}。")
    title = form.get("title", "").strip()
    if not title or len(title) > TITLE_MAX:
        raise GoodWorkError(f"请写标题（不超过 {TITLE_MAX} 个字）。")
    lines = [form.get(name, "").strip() for name in ("line1", "line2")]
    if not lines[0] or any(len(line) > LINE_MAX or "\n" in line for line in lines):
        raise GoodWorkError(f"请写一两句说明，每句一行，不超过 {LINE_MAX} 个字。")
    try:
        day = dt.date.fromisoformat(form.get("day", "")[:10]).isoformat()
    except ValueError:
        raise GoodWorkError("请填写日期，例如 2026-12-07。") from None
    return GoodWork(kind, title, lines[0], lines[1], day)
