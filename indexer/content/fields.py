"""The front matter's fields, one line each: what files call it, what the Document and the edit form call it, its
box on the form and what it may hold.

The parser, the importer, the Document, the edit form and its template all go through ``FIELDS``, so a new field is
a line here plus its use (its Document attribute and whatever shows it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .documents import SHELF_STATUSES

# text: as written; number: a whole number; date: YYYY-MM-DD on the form (files may hold any text);
# tags: a list, or words separated by commas; choice: one of ``choices``.
Kind = Literal["text", "number", "date", "tags", "choice"]


@dataclass(frozen=True)
class Field:
    """One front-matter field."""

    key: str  # what files write
    label: str  # the edit form's label, and the name its error messages give the box
    kind: Kind
    name: str = ""  # the Document's and the edit form's name for it, when the key does not say what it holds
    required: bool = False  # the edit form will not save without it (the parser finds a title elsewhere)
    default: str = ""
    choices: tuple[str, ...] = ()
    spoken: bool = False  # it becomes a passage that is read aloud, so it is cleaned like the body's lines
    editable: bool = True  # False: the form keeps it, as the file has it, in a hidden box
    hint: str = ""  # shown in brackets after the label
    placeholder: str = ""
    max_length: int = 0
    width: Literal["", "wide", "short"] = ""  # wide: a line of the form to itself; short: a narrow box

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.key)


# In the order files write them.
FIELDS = (
    Field("title", "标题", "text", required=True, spoken=True, max_length=120, width="wide"),
    Field("collection", "书架", "text", required=True, placeholder="有声党建 / 有声物业 / 政策法规"),
    Field("volume", "分册", "text", hint="可不填"),
    Field("order", "排序", "number", width="short"),
    Field("tags", "关键词", "tags", hint="用顿号或逗号隔开，可不填", placeholder="例如 物业费、维修资金", width="wide"),
    # Files, the law library and the texts hubs sync call the issuer `source`; the key stays, since a kiosk
    # refuses a file whose front matter has a key it does not know, and older hubs would refuse a new one.
    Field("source", "发布单位 / 来源", "text", name="issuer", placeholder="例如 某某街道办事处"),
    Field("effective", "生效日期", "date"),
    Field("status", "状态", "choice", default="现行", choices=SHELF_STATUSES, width="short"),
    Field("summary", "一句话摘要", "text", spoken=True, hint="朗读时最先读，可不填", max_length=200, width="wide"),
    Field("level", "效力级别", "text", editable=False),  # 法律 / 行政法规 / 地方性法规 …, from the law library
)
FIELDS_BY_KEY = {field.key: field for field in FIELDS}
FIELDS_BY_NAME = {field.name: field for field in FIELDS}
