"""The content model: a document holds passages (headings, articles, paragraphs) in reading order."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

SHELF_STATUSES = ("现行", "已修订", "已废止")
# Stored documents and the JSON API call the issuer "origin", as they did before it had its own name here.
SERIALIZED_NAMES = {"issuer": "origin"}


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
    """A text on one of the hub's shelves, parsed from a Markdown file under a content root. Title to level are
    the fields of ``fields.FIELDS``: its front matter, or what the file says of itself without one."""

    id: str
    source: str  # path relative to its content root, with forward slashes
    title: str
    collection: str
    volume: str = ""
    order: int = 0
    tags: list[str] = field(default_factory=list)
    issuer: str = ""  # who wrote or issued it: the front matter's `source`
    effective: str = ""  # YYYY-MM-DD
    status: str = "现行"
    summary: str = ""
    level: str = ""  # 法律 / 行政法规 / 地方性法规 … for law-library files
    passages: list[Passage] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Plain data for the document store and the JSON API."""
        return {SERIALIZED_NAMES.get(name, name): value for name, value in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> Document:
        """Rebuild a document read back from the document store."""
        names = {serialized: name for name, serialized in SERIALIZED_NAMES.items()}
        passages = [Passage(**p) for p in data.get("passages", [])]
        values = {names.get(key, key): value for key, value in data.items() if key != "passages"}
        return cls(**values, passages=passages)

    @property
    def char_count(self) -> int:
        """Characters of readable text, for sizes and time estimates."""
        return sum(len(p.text) for p in self.passages)
