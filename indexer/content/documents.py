"""The content model: a document holds passages (headings, articles, paragraphs) in reading order."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

SHELF_STATUSES = ("现行", "已修订", "已废止")


@dataclass
class Passage:
    """One unit of reading and search: a heading, a statute article (条) with its clauses, or a paragraph."""

    id: str
    kind: str  # "heading" | "article" | "paragraph" | "summary"
    text: str
    headings: list[str] = field(default_factory=list)
    level: int = 0  # heading depth for kind == "heading"
    article: str | None = None  # 第九百四十四条
    article_no: int | None = None  # 944


@dataclass
class Document:
    """A text on one of the hub's shelves, parsed from a Markdown file under a content root."""

    id: str
    source: str  # path relative to its content root, with forward slashes
    title: str
    collection: str
    volume: str = ""
    order: int = 0
    tags: list[str] = field(default_factory=list)
    origin: str = ""  # who wrote or issued it
    effective: str = ""  # YYYY-MM-DD
    status: str = "现行"
    summary: str = ""
    level: str = ""  # 法律 / 行政法规 / 地方性法规 … for law-library files
    passages: list[Passage] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Plain data for the document store and the JSON API."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Document:
        """Rebuild a document read back from the document store."""
        passages = [Passage(**p) for p in data.get("passages", [])]
        return cls(**{**data, "passages": passages})

    @property
    def char_count(self) -> int:
        """Characters of readable text, for sizes and time estimates."""
        return sum(len(p.text) for p in self.passages)
