"""Texts on disk as the editor sees them: safe paths under the first content root, the form's fields, the trash."""

from __future__ import annotations

import hashlib
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.atomic import write_atomic
from indexer.content.documents import Document
from indexer.content.fields import FIELDS, Field
from indexer.content.importing import compose_markdown
from indexer.content.loader import CONTENT_SUFFIXES, decode, is_within
from indexer.content.parse import FRONT_MATTER, SourceFile, parse_document, read_front_matter
from indexer.errors import ContentError, disk_problem

from ..web import settings
from .database import Table

# One folder or file name: no separators, control characters or characters Windows refuses (the files get copied).
PART = re.compile(r"^[^/\\\x00-\x1f:*?\"<>|]{1,80}$")
UNSAFE_CHARS = re.compile(r"[/\\\x00-\x1f:*?\"<>|]+")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TAG_SPLIT = re.compile(r"[,，、;；\s]+")


def content_root() -> Path:
    """Editors write into the first content root; the others (e.g. the law library) are read-only here."""
    return Path(settings().content[0]).resolve()


def safe_source(source: str) -> str:
    """A root-relative path of a text file that cannot leave the content root; ContentError otherwise."""
    source = (source or "").strip()
    parts = source.split("/")
    if (
        not source
        or len(source) > 240
        or source.startswith("/")
        or "\\" in source
        or any(
            part in ("", ".", "..") or part != part.strip() or part.startswith((".", "_")) or not PART.match(part)
            for part in parts
        )
    ):
        raise ContentError(f'文件名不可用：「{source}」（不能含 .. / \\ : * ? " < > |，不能以 . 或 _ 开头）')
    if Path(source).suffix.lower() not in CONTENT_SUFFIXES:
        raise ContentError("文件名应以 .md 结尾")
    return source


def path_in(root: Path, source: str) -> Path:
    """The file of ``source`` under ``root``, refusing anything (symlinks included) that resolves outside it."""
    source = safe_source(source)
    root = root.resolve()
    if not is_within(root / source, root):
        raise ContentError(f"文件名不可用：「{source}」")
    return (root / source).resolve()


def name_part(text: str, limit: int = 60) -> str:
    """Make a title or shelf name usable as a file or folder name."""
    cleaned = UNSAFE_CHARS.sub("", " ".join((text or "").split())).strip().lstrip("._").strip()
    return cleaned[:limit].strip()


def source_for(fields: dict) -> str:
    """Where a new text goes: <shelf>/<volume>/<title>.md."""
    folders = [name_part(fields.get("collection", ""), 40), name_part(fields.get("volume", ""), 40)]
    name = name_part(fields.get("title", "")) or "未命名"
    return safe_source("/".join([f for f in folders if f] + [name + ".md"]))


def file_hash(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


@dataclass
class EditForm:
    """The edit page: a box per front-matter field (``indexer.content.fields``) and the Markdown body."""

    source: str = ""  # the file, relative to the content root
    values: dict[str, str] = field(default_factory=dict)  # each box's text, by field name
    body: str = ""
    base: str = ""  # hash of the file as it was opened, to notice someone else's save in between
    is_new: bool = True
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.values = {f.name: self.values.get(f.name) or f.default for f in FIELDS}

    @property
    def title(self) -> str:
        """The title box: the page's heading, and the file's name when the editor gives none."""
        return self.values["title"]

    @classmethod
    def from_front_matter(cls, fields: dict, body: str, **form: Any) -> EditForm:
        """A form filled from front matter as a file or a converted upload holds it (by front-matter key)."""
        return cls(values={f.name: _box_text(f, fields.get(f.key)) for f in FIELDS}, body=body, **form)

    @classmethod
    def from_text(cls, source: str, text: str, base: str = "") -> EditForm:
        """Split a file into fields and body; a broken header is reported in the notes, not lost."""
        text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
        match = FRONT_MATTER.match(text)
        fields: dict = {}
        notes: list[str] = []
        if match:
            try:
                fields = read_front_matter(match.group(1))
                text = text[match.end() :]
            except ContentError:
                notes.append(
                    "文件开头的信息块格式有误，原样显示在正文里；请把信息填到上面的栏目里，再删掉正文开头的信息块。"
                )
        form = cls.from_front_matter(fields, "", source=source, base=base, is_new=False, notes=notes)
        form.body = _without_title_line(text.strip("\n"), form.title)
        return form

    @classmethod
    def from_request(cls, values) -> EditForm:
        """The fields as posted by the edit page."""

        def get(name: str) -> str:
            value = values.get(name)
            return "" if value is None else str(value).strip()

        return cls(
            source=get("source"),
            values={f.name: get(f.name) for f in FIELDS},
            body=str(values.get("body") or "").replace("\r\n", "\n").strip("\n"),
            base=get("base"),
            is_new=get("is_new") == "1",
        )

    def fields(self) -> dict:
        """Front matter for the parser, by front-matter key; raises ContentError naming the box to fix."""
        fields = {f.key: _file_value(f, self.values[f.name]) for f in FIELDS}
        if not self.body.strip():
            raise ContentError("正文是空的")
        return fields

    def markdown(self) -> str:
        """The file to write: front matter and body."""
        return compose_markdown(self.fields(), self.body)

    def document(self, source: str | None = None) -> Document:
        """Parse exactly what would be written, with the same parser the build uses."""
        source = source or self.source or "预览.md"
        parts = source.split("/")
        return parse_document(
            SourceFile(source, self.markdown(), parts[0] if len(parts) > 1 else "", parts[1] if len(parts) > 2 else "")
        )


def _box_text(field: Field, value: object) -> str:
    """A front-matter value as its box shows it: tags joined with 、, other values as text."""
    if field.kind == "tags" and isinstance(value, list):
        return "、".join(map(str, value))
    return "" if value is None else str(value).strip()


def _file_value(field: Field, text: str) -> str | int | list[str] | None:
    """A box's text as front matter; ContentError if it is not what the field may hold."""
    if field.required and not text:
        raise ContentError(f"请填写{field.label}")
    if field.kind == "number":
        if text and not (text.isascii() and text.isdigit()):  # ² is a digit, not a number
            raise ContentError(f"{field.label}请填数字，例如 3")
        return int(text) if text else None
    if field.kind == "tags":
        return [t for t in TAG_SPLIT.split(text) if t]
    if field.kind == "date" and text and not DATE.match(text):
        raise ContentError(f"{field.label}请写成 2025-01-01 的样子")
    if field.choices and text not in field.choices:
        raise ContentError(f"{field.label}只能是 {'、'.join(field.choices)}")
    return text


def _without_title_line(body: str, title: str) -> str:
    """Drop the "# title" line compose_markdown puts before a body that opens with a heading (it adds it again)."""
    first, _, rest = body.partition("\n")
    if title and first.strip() == f"# {title}":
        return rest.lstrip("\n")
    return body


def read_text(path: Path) -> tuple[str, str]:
    """A file's text (any encoding the loader knows) and the hash of its bytes."""
    data = path.read_bytes()
    return decode(data), file_hash(data)


def write_text(path: Path, text: str) -> None:
    """UTF-8, written atomically; a disk that refuses leaves the old text as it was and says why."""
    try:
        write_atomic(path, text.encode("utf-8"))
    except OSError as exc:
        raise ContentError(
            f"没有保存：{disk_problem(exc)}，无法写入 {path.name}。原来的内容没有变；"
            "请先复制您写的内容，处理好磁盘后再保存"
        ) from None


@dataclass(frozen=True)
class TrashEntry:
    """A deleted text kept in <data dir>/trash/<id>.md until it is restored."""

    id: int
    source: str
    title: str
    trashed_at: float
    author: str

    @property
    def when(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.trashed_at))


class Trash(Table):
    """Deleted texts: the files in <data dir>/trash and where they came from in the editor's database."""

    def __init__(self, data_root: Path):
        super().__init__(data_root)
        self.folder = Path(data_root) / "trash"

    def put(self, path: Path, source: str, title: str, author: str) -> int:
        """Move a file into the trash; returns the entry's number."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with self.conn:
            number = self.insert(
                "INSERT INTO trash (source, title, trashed_at, author) VALUES (?, ?, ?, ?)",
                (source, title, time.time(), author),
            )
            shutil.move(path, self.folder / f"{number}.md")  # the row is rolled back if this fails
        return number

    def entries(self) -> list[TrashEntry]:
        rows = self.conn.execute("SELECT * FROM trash ORDER BY id DESC")
        return [TrashEntry(**row) for row in rows]

    def entry(self, entry_id: int) -> TrashEntry | None:
        row = self.conn.execute("SELECT * FROM trash WHERE id = ?", (entry_id,)).fetchone()
        return TrashEntry(**row) if row else None

    def restore(self, entry_id: int, root: Path) -> TrashEntry:
        """Move a deleted file back where it was; refuses to overwrite a text written there since."""
        entry = self.entry(entry_id)
        if entry is None:
            raise ContentError("回收站里没有这一项（可能已经恢复了）")
        target = path_in(root, entry.source)
        if target.exists():
            raise ContentError(f"原来的位置已经有一篇「{entry.source}」；请先把那篇改名或删除，再恢复")
        target.parent.mkdir(parents=True, exist_ok=True)
        with self.conn:
            self.conn.execute("DELETE FROM trash WHERE id = ?", (entry_id,))
            shutil.move(self.folder / f"{entry_id}.md", target)
        return entry

    def text(self, entry_id: int) -> str:
        data = (self.folder / f"{entry_id}.md").read_bytes()
        return decode(data)
