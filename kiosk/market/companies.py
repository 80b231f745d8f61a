"""A company of the file as the centre keeps it, and the one check of its fields that the editor's form and every
imported row go through, so a company typed in and one imported are held to the same rules."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, fields

from ..desk.intake import PHONE
from ..web import is_text

REGISTRATION = re.compile(r"^[\w〔〕\[\]()（）\-－/]{2,40}$")  # letters, digits, hanzi: 青物备〔2023〕015号
ESTATE = re.compile(r"^(?P<name>[^（）()]+)[（(](?P<community>[^（）()]+)[）)]$")
ESTATES_SPLIT = re.compile(r"[；;\n]+")
ESTATES_MAX = 200
SAMPLE_MARK = "示例"  # bundled invented companies carry it in their name


class CompanyError(ValueError):
    """A field of a company is missing or wrong; the message names it, in Chinese, for a 400 or a rejected row."""


@dataclass(frozen=True)
class Estate:
    """An estate (小区) a company manages, and the 社区 it lies in (anywhere in the city, listed on this hub or not)."""

    name: str
    community: str

    def __str__(self) -> str:
        return f"{self.name}（{self.community}）"


@dataclass(frozen=True)
class Field:
    """A column of the file: its key, its heading in the spreadsheet and on the form, at most how long, required."""

    key: str
    label: str
    limit: int
    required: bool = False


FIELDS = (
    Field("name", "企业名称", 60, True),
    Field("registration", "备案号", 40, True),
    Field("qualification", "资质", 40),
    Field("estates", "在管小区", 4000),
    Field("contact", "联系人", 40),
    Field("phone", "联系电话", 20),
    Field("party_org", "党组织", 60),
    Field("party_link", "党组织与社区的联系", 200),
    Field("intro", "简介", 600),
)
LABELS = {item.key: item.label for item in FIELDS}


@dataclass(frozen=True)
class Company:
    """One company: what the file says of it, and whether it is in the market now (a decision, never an import)."""

    name: str
    registration: str
    qualification: str = ""
    estates: tuple[Estate, ...] = ()
    contact: str = ""  # private: the centre's pages only, never a resident's
    phone: str = ""
    party_org: str = ""
    party_link: str = ""
    intro: str = ""  # written for the ear: the kiosk reads it aloud
    in_market: bool = False
    id: int = 0  # 0 until stored

    @property
    def sample(self) -> bool:
        return SAMPLE_MARK in self.name

    def texts(self) -> dict[str, str]:
        """Every field of the file as text, as a form and a spreadsheet row hold it."""
        values = {item.key: getattr(self, item.key) for item in FIELDS if item.key != "estates"}
        return {**values, "estates": "；".join(str(estate) for estate in self.estates)}


COMPANY_FIELDS = tuple(item.name for item in fields(Company))


def checked(values: Mapping[str, object]) -> Company:
    """The company these texts describe, or CompanyError naming the first field that is not right."""
    found: dict[str, str] = {}
    for item in FIELDS:
        value = values.get(item.key, "")
        value = "" if value is None else value
        if not is_text(value, item.limit) or _has_control(value, keep_lines=item.key in ("estates", "intro")):
            raise CompanyError(f"「{item.label}」应当是不超过 {item.limit} 个字的文字")
        found[item.key] = value.strip()
        if item.required and not found[item.key]:
            raise CompanyError(f"请填写「{item.label}」")
    if not REGISTRATION.match(found["registration"]):
        raise CompanyError("「备案号」只能由文字、数字和 -/〔〕() 组成，2 到 40 个字，中间不能有空格")
    phone = found["phone"].replace(" ", "")
    if phone and not PHONE.match(phone):
        raise CompanyError("「联系电话」只能写数字和 -，例如 0532-88886666 或 13800000000")
    return Company(
        name=found["name"],
        registration=found["registration"],
        qualification=found["qualification"],
        estates=estates(found["estates"]),
        contact=found["contact"],
        phone=phone,
        party_org=found["party_org"],
        party_link=found["party_link"],
        intro=found["intro"],
    )


def estates(text: str) -> tuple[Estate, ...]:
    """「小区（社区）；小区（社区）」as estates; CompanyError naming the one written otherwise."""
    found: dict[str, Estate] = {}
    for part in ESTATES_SPLIT.split(text):
        part = part.strip()
        if not part:
            continue
        match = ESTATE.match(part)
        if not match:
            raise CompanyError(f"「在管小区」里的「{part[:30]}」应当写成 小区名（社区名），多个小区用；隔开")
        estate = Estate(match.group("name").strip(), match.group("community").strip())
        if not estate.name or not estate.community:
            raise CompanyError(f"「在管小区」里的「{part[:30]}」缺少小区名或社区名")
        found.setdefault(estate.name, estate)
    if len(found) > ESTATES_MAX:
        raise CompanyError(f"「在管小区」最多 {ESTATES_MAX} 个")
    return tuple(found.values())


def _has_control(text: str, keep_lines: bool) -> bool:
    """Whether a text holds characters no one types (NUL, escapes, a right-to-left override that disguises a name);
    line breaks only where a field may have them."""
    allowed = "\n\r\t" if keep_lines else ""
    return any(unicodedata.category(char) in ("Cc", "Cf") and char not in allowed for char in text)
