"""What a resident sends when registering, checked field by field, the same for the kiosk's form, the JSON API and
the Open311 API: a community from the hub's list (never typed freely), a category from the editors' list, a
description, and optionally a name, a phone and the property company."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

from ..places import find_community
from ..web import is_text
from .states import KINDS
from .workflow import Asked

TEXT_MAX = 1000
SHORT_MAX = 40
PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,18}[0-9]$")


class IntakeError(ValueError):
    """A field is missing or wrong; the message names it, in Chinese, for a 400."""


def checked(fields: dict[str, Any], data_root: Path, categories: list[str]) -> Asked:
    """The request as Asked, or IntakeError naming the first field that is not right."""
    kind = _text(fields, "kind", "类型", SHORT_MAX)
    if kind not in KINDS:
        raise IntakeError(f"类型（kind）只能是 {' 或 '.join(KINDS)}：consult 是法律咨询，dispute 是纠纷调处")
    place = find_community(data_root, _text(fields, "community", "社区", SHORT_MAX))
    if place is None:
        raise IntakeError("请从列表中选择您所在的社区（community）")
    category = _text(fields, "category", "类别", SHORT_MAX)
    if category not in categories:
        raise IntakeError(f"请从列表中选择类别（category）：{'、'.join(categories)}")
    text = _text(fields, "text", "情况说明", TEXT_MAX)
    if len(text) < 2:
        raise IntakeError("请说一说是什么问题（text，至少两个字）")
    phone = _text(fields, "phone", "电话", SHORT_MAX, required=False).replace(" ", "")
    if phone and not PHONE.match(phone):
        raise IntakeError("电话（phone）只能写数字，例如 13800000000")
    return Asked(
        kind=kind,
        community=place,
        category=category,
        text=text,
        company=checked_company(fields.get("company")) if kind == "dispute" else "",
        name=_text(fields, "name", "姓名", SHORT_MAX, required=False),
        phone=phone,
        consent=fields.get("consent") in (True, "1", "on", "true"),
    )


def checked_company(value: object) -> str:
    """The property company a dispute names ("" when not given), as the resident registers it and as staff correct
    it; IntakeError when it is not short text, or holds a control or direction mark that would make a name no one
    can see apart from a registered one (and so count it on no company's scorecard)."""
    company = _text({"company": value}, "company", "物业公司", SHORT_MAX, required=False)
    if any(unicodedata.category(char)[0] == "C" for char in company):
        raise IntakeError("物业公司（company）里有不能显示的字符，请重新输入")
    return company


def _text(fields: dict[str, Any], key: str, label: str, limit: int, required: bool = True) -> str:
    value = fields.get(key, "")
    if value is None and not required:
        value = ""
    if not is_text(value, limit):
        raise IntakeError(f"{label}（{key}）应当是不超过 {limit} 个字的文字")
    value = value.strip()
    if required and not value:
        raise IntakeError(f"请填写{label}（{key}）")
    return value
