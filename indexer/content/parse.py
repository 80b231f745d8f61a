"""Parse a Markdown text (ours with front matter, or the law library's) into a Document."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any

import yaml

from indexer.errors import ContentError

from .documents import Document, Passage
from .fields import FIELDS, FIELDS_BY_KEY, Field
from .numerals import parse_article_label

# Zero-width characters and the ideographic space are layout noise in the law library.
NOISE = str.maketrans({"\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": ""})
# The text of an ATX heading, its closing #s and spaces left out. Greedy on purpose: the lazy (.+?)\s*#*$ took
# seconds on a line holding a long run of # or spaces (each step rescanned the run).
HEADING = re.compile(r"^(#{1,6})\s++(.*[^\s#]|.*#(?=\s+#*$)|#)\s*#*$")
# Statute structure written as a plain line, as in the party-regulation texts: 第一章　总则
PLAIN_HEADING = re.compile(r"^第[零一二三四五六七八九十百]+(?:编|分编|章|节)(?:\s|$)")
INFO_END = "<!-- INFO END -->"
HANZI = re.compile(r"^[\u4e00-\u9fff]$")
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n?", re.S)
# Terminal controls (NUL, BEL, ESC …) and the marks that reorder text (a right-to-left override can make
# "报告\u202eexe.txt" show as "报告txt.exe"): nothing a title or a front-matter field means to hold.
CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
SPACES = re.compile(r"\s+")  # also the ideographic and en spaces of the law library
# What a field may hold (bool is an int, datetime a date); tags also a list of them.
SCALARS = (str, int, float, dt.date)
MAX_ORDER = 10**6
# Passages in one text: the whole law library's longest has under 800; a text far beyond it is a mistake or an attack.
MAX_PASSAGES = 20_000


@dataclass
class SourceFile:
    """A decoded text with where it came from and what the law library's metadata says of it."""

    source: str  # path relative to the content root
    text: str
    folder_collection: str = ""
    folder_volume: str = ""
    metadata: dict | None = None


def document_id(source: str) -> str:
    """Stable id of a document: derived from its path, so links survive edits of its text."""
    return hashlib.sha1(source.encode("utf-8")).hexdigest()[:12]


def check_passage_count(count: int) -> None:
    """ContentError for a text of more than MAX_PASSAGES passages, before it costs the server its time."""
    if count > MAX_PASSAGES:
        raise ContentError(f"正文太长：超过 {MAX_PASSAGES} 段；请把它拆成几篇再上传")


def strip_controls(text: str) -> str:
    """Text without control characters and bidi overrides, whitespace among them first made spaces."""
    return CONTROLS.sub("", SPACES.sub(" ", text)) if CONTROLS.search(text) else text


def clean_line(line: str) -> str:
    """Strip layout noise and fold runs of spaces."""
    return SPACES.sub(" ", line.translate(NOISE)).strip()


def parse_document(src: SourceFile) -> Document:
    """Turn a decoded file into a Document; raise ContentError for what cannot be read."""
    text = src.text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if not text.strip():
        raise ContentError("文件是空的")
    front_matter: dict = {}
    match = FRONT_MATTER.match(text)
    if match:
        front_matter = _front_matter(match.group(1))
        text = text[match.end() :]
    elif text.startswith("---\n"):
        raise ContentError("开头的 --- 信息块没有结束行 ---")
    lines = [clean_line(line) for line in text.split("\n")]
    title_parts, history, body = _split_header(lines)
    meta = src.metadata or {}
    inferred = {  # what a file says of itself without front matter: its headings, folders, name, library metadata
        "title": "·".join(title_parts) or meta.get("title") or _stem(src.source),
        "collection": src.folder_collection,
        "volume": src.folder_volume,
        "issuer": history[0] if history else "",
        "effective": meta.get("db_valid_from") or meta.get("db_publish") or _date_in_name(src.source),
        "status": meta.get("status"),
        "level": meta.get("db_level"),
    }
    values: dict[str, Any] = {
        field.name: _value(field, front_matter.get(field.key), inferred.get(field.name)) for field in FIELDS
    }
    doc = Document(id=document_id(src.source), source=src.source, **values)
    doc.passages = _passages(doc, body)
    if not any(p.kind != "heading" for p in doc.passages):
        raise ContentError("没有正文")
    return doc


def read_front_matter(block: str) -> dict:
    """The fields of a front-matter block as YAML reads them; ContentError for a block YAML refuses, one that is not
    「名称: 值」 lines, and values other than text, numbers and dates (a list of them for tags)."""
    try:
        fields = yaml.safe_load(block)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第{mark.line + 2}行" if mark else ""
        raise ContentError(f"开头的信息块格式有误{where}：{getattr(exc, 'problem', exc)}") from None
    except ValueError:  # YAML's own dates and times: 2025-13-45, an offset of 99 hours
        raise ContentError("开头的信息块里有不存在的日期或时间，请写成 2025-01-01 的样子") from None
    except RecursionError:
        raise ContentError("开头的信息块格式有误：括号套得太深") from None
    if fields is None:
        return {}
    if not isinstance(fields, dict):
        raise ContentError("开头的信息块应当是「名称: 值」的形式")
    unsavable = ContentError("信息块里有无法保存的字符（\\uD800 这样单独的代理码）")
    for name, value in fields.items():
        if not _encodable(str(name)):
            raise unsavable
        listed = name in FIELDS_BY_KEY and FIELDS_BY_KEY[name].kind == "tags"
        # Lists in lists, and YAML aliases repeating them, would make str() of a field take for ever.
        items = value if listed and isinstance(value, list) else [value]
        if not all(item is None or isinstance(item, SCALARS) for item in items):
            kind = "文字列表，例如 [业主, 物业费]" if listed else "一段文字、数字或日期"
            raise ContentError(f"信息块里的 {name} 应当是{kind}")
        if not all(_encodable(str(item)) for item in items):
            raise unsavable
    return fields


def _encodable(text: str) -> bool:
    """False for text holding a lone surrogate, which YAML's "\\uD800" makes and UTF-8 cannot store."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _front_matter(block: str) -> dict:
    fields = read_front_matter(block)
    unknown = set(map(str, fields)) - FIELDS_BY_KEY.keys()
    if unknown:
        raise ContentError(f"信息块里有不认识的字段：{'、'.join(sorted(unknown))}")
    return fields


def _split_header(lines: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Separate leading title headings and the law library's history lines from the body."""
    title_parts: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        heading = HEADING.match(line)
        if not line:
            index += 1
        elif heading and (not title_parts or len(heading.group(1)) == 1) and index < 8:
            title_parts.append(heading.group(2).strip())
            index += 1
        else:
            break
    rest = lines[index:]
    if INFO_END in rest:
        end = rest.index(INFO_END)
        return title_parts, [line for line in rest[:end] if line], rest[end + 1 :]
    return title_parts, [], rest


def _passages(doc: Document, lines: list[str]) -> list[Passage]:
    builder = _PassageBuilder()
    builder.heading(doc.title, 1)
    if doc.summary:
        builder.add("summary", doc.summary)
    for line in lines:
        if not line:
            builder.end_paragraph()
            continue
        heading = HEADING.match(line)
        if heading:
            builder.heading(heading.group(2).strip(), len(heading.group(1)))
        elif PLAIN_HEADING.match(line) and len(line) <= 40 and "。" not in line:
            builder.heading(line, 2)
        else:
            builder.line(line)
    builder.end_paragraph()
    return builder.passages


class _PassageBuilder:
    """Accumulates lines into passages: an article keeps its clauses until the next article or heading."""

    def __init__(self) -> None:
        self.passages: list[Passage] = []
        self.stack: list[tuple[int, str]] = []
        self.paragraph: list[str] = []
        self.article: Passage | None = None
        self.ids: set[str] = set()
        self.repeats: dict[str, int] = {}  # base -> last suffix given, so the nth repeat costs no n-step search

    def heading(self, text: str, level: int) -> None:
        text = _join_spaced_letters(text)
        self.end_paragraph()
        self.article = None
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        if level > 1:
            self.stack.append((level, text))
        passage_id = "title" if level == 1 and not self.passages else self._unique("h" + _digest(text))
        self.passages.append(Passage(passage_id, "heading", text, self._path(), level=level))

    def line(self, text: str) -> None:
        self.paragraph.append(text)

    def end_paragraph(self) -> None:
        if not self.paragraph:
            return
        text = "".join(self.paragraph)
        self.paragraph = []
        label = parse_article_label(text)
        if label:
            name, number = label
            suffix = f"x{len(name)}" if "之" in name else ""
            self.article = Passage(
                self._unique(f"a{number}{suffix}"), "article", text, self._path(), article=name, article_no=number
            )
            self.passages.append(self.article)
        elif self.article is not None:
            self.article.text += "\n" + text
        else:
            self.add("paragraph", text)

    def add(self, kind: str, text: str) -> None:
        self.passages.append(Passage(self._unique("p" + _digest(text)), kind, text, self._path()))

    def _path(self) -> list[str]:
        return [text for _, text in self.stack]

    def _unique(self, base: str) -> str:
        """base, then base-2, base-3, … for its repeats: the ids indexes and audio keys already hold."""
        check_passage_count(len(self.passages) + 1)
        n = self.repeats.get(base, 1)
        candidate = base if n == 1 else f"{base}-{n}"
        while candidate in self.ids:
            n += 1
            candidate = f"{base}-{n}"
        self.repeats[base] = n
        self.ids.add(candidate)
        return candidate


def _join_spaced_letters(heading: str) -> str:
    """Law texts space out short chapter names (第二章 管 辖, 总 则); joined, they read and search as words."""
    words: list[str] = []
    spaced_run = False  # the last word was built from single spaced-out hanzi
    for word in heading.split(" "):
        single = bool(HANZI.match(word))
        if single and words and (spaced_run or HANZI.match(words[-1])):
            words[-1] += word
            spaced_run = True
        else:
            words.append(word)
            spaced_run = False
    return " ".join(words)


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def _stem(source: str) -> str:
    name = source.rsplit("/", 1)[-1]
    return re.sub(r"\(\d{4}-\d{2}-\d{2}\)$", "", name.rsplit(".", 1)[0])


def _date_in_name(source: str) -> str:
    match = re.search(r"\((\d{4}-\d{2}-\d{2})\)", source)
    return match.group(1) if match else ""


def _value(field: Field, value: object, inferred: object) -> str | int | list[str]:
    """A front-matter value as the Document holds it; an empty one gives way to what the file says of itself."""
    if field.kind == "number":
        return _as_int(value, field.key)
    if field.kind == "tags":
        return _as_tags(value, field.key)
    text = strip_controls(str(value or inferred or field.default))
    if field.spoken:
        text = clean_line(text)
    if field.choices and text not in field.choices:
        raise ContentError(f"{field.key} 写的是「{text}」，只能是 {'、'.join(field.choices)} 之一")
    return text


def _as_int(value: Any, key: str) -> int:
    if value is None or value == "":
        return 0
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: .inf
        raise ContentError(f"{key} 应当是数字，写的是「{value}」") from None
    if abs(number) > MAX_ORDER:
        raise ContentError(f"{key} 应当是不超过 {MAX_ORDER} 的数字，写的是「{value}」")
    return number


def _as_tags(value: object, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [t for t in re.split(r"[,，、\s]+", value) if t]
    if isinstance(value, list):
        return [str(t) for t in value if str(t).strip()]
    raise ContentError(f"{key} 应当是列表，例如 [业主, 物业费]")
