"""An estate's need, as its owners' committee (业委会) registers it at the kiosk or on a phone, and the one check of
its fields: the estate, its 社区 (one of the hub's), its size, what it wants, and a contact that only the centre reads.
The centre then marks the companies interested in it: the 双向选择 platform's two sides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..desk.intake import PHONE

WANTS = (
    "保洁绿化",
    "秩序维护（门岗、巡逻）",
    "设施设备维修",
    "电梯维保",
    "停车管理",
    "收费公开透明",
    "党建引领、联系社区",
)
STATUSES = {"open": "在找物业", "matched": "已对接", "closed": "已结束"}
HOUSEHOLDS_MAX = 100_000
AREA_MAX = 10_000_000  # m²: the largest estates are a few million
NOTE_MAX = 200


class NeedError(ValueError):
    """A field of a need is missing or wrong; the message names it, in Chinese, for a 400."""


@dataclass(frozen=True)
class Need:
    estate: str
    community: str
    households: int
    area: int  # 建筑面积 in m², 0 when not given
    wants: tuple[str, ...]
    note: str
    contact: str  # private, as is the phone: the centre's page only, never a public page or the wall
    phone: str
    status: str = "open"
    at: float = 0.0
    id: int = 0

    @property
    def status_name(self) -> str:
        return STATUSES[self.status]


def need_from(form: Mapping[str, str], wants: list[str], communities: set[str], at: float) -> Need:
    """The need a form describes, or NeedError naming the first field that is wrong."""
    estate = _text(form, "estate", 40, "小区名称")
    if len(estate) < 2:
        raise NeedError("请填写小区名称。")
    community = form.get("community", "").strip()
    if community not in communities:
        raise NeedError("请从列表里选择小区所在的社区。")
    households = _number(form, "households", HOUSEHOLDS_MAX, "户数", required=True)
    area = _number(form, "area", AREA_MAX, "建筑面积", required=False)
    picked = tuple(dict.fromkeys(wants))
    if any(want not in WANTS for want in picked):
        raise NeedError("需要的服务只能从列表里勾选。")
    note = _text(form, "note", NOTE_MAX, "其他要求")
    if not picked and not note:
        raise NeedError("请勾选至少一项需要的服务，或写几句其他要求。")
    contact = _text(form, "contact", 20, "联系人")
    if len(contact) < 1:
        raise NeedError("请填写联系人（业委会的哪一位）。")
    phone = form.get("phone", "").strip()
    if not PHONE.match(phone):
        raise NeedError("请填写能联系到的电话号码。")
    return Need(estate, community, households, area, picked, note, contact, phone, at=at)


def _text(form: Mapping[str, str], key: str, limit: int, label: str) -> str:
    value = " ".join(form.get(key, "").split())
    if len(value) > limit:
        raise NeedError(f"「{label}」最多 {limit} 个字。")
    if any(ord(char) < 32 for char in value):
        raise NeedError(f"「{label}」里有不能显示的字符。")
    return value


def _number(form: Mapping[str, str], key: str, most: int, label: str, required: bool) -> int:
    value = form.get(key, "").strip()
    if not value and not required:
        return 0
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) <= most:
        raise NeedError(f"「{label}」请填写 1 到 {most} 之间的整数。")
    return int(value)
