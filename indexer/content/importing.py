"""Turn uploaded Word, PDF and plain-text files into our Markdown, and copy a law-library folder under a content root.

Plain functions, no Flask: the editor's upload page and `kiosk import` both call them.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from indexer.atomic import write_atomic
from indexer.errors import ContentError, disk_problem

from .fields import FIELDS, FIELDS_BY_KEY, FIELDS_BY_NAME
from .loader import CONTENT_SUFFIXES, METADATA_FILE, decode, is_within
from .parse import FRONT_MATTER, HEADING, NOISE, check_passage_count, read_front_matter, strip_controls

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# A Word document is a zip that python-docx unpacks whole and parses into lxml trees: both are capped before it does.
MAX_DOCX_UNZIPPED_BYTES = 40 * 1024 * 1024
MAX_DOCX_ELEMENTS = 600_000  # XML tags in all its parts; 20,000 real paragraphs hold about 200,000
MAX_PDF_PAGES = 2000  # a page list can name one page thousands of times in a few bytes
UPLOAD_SUFFIXES = (".txt", ".md", ".docx", ".pdf")
CONVERTED_SUFFIXES = (".docx", ".pdf")  # turned into .md by a bulk import; text files are copied as they are

NUMERAL = r"[零〇一二三四五六七八九十百千两\d]+"
ARTICLE = re.compile(rf"^第{NUMERAL}条(?:之[一二三四五六七八九十]+)?")
# Statute structure as a plain line: 第一编 / 第一分编 / 第一章 / 第一节, optionally with a name after it.
STRUCTURE = re.compile(rf"^第{NUMERAL}(编|分编|章|节)(?:[\s:：]|$)")
ENUM_HEADING = re.compile(r"^[一二三四五六七八九十]+、")  # 一、总体要求
SUB_HEADING = re.compile(r"^[（(][一二三四五六七八九十]+[）)]")  # （一）适用范围
TERMINAL = "。！？!?；;：:…”’」』）)】]"
# An article label run into the previous sentence, as OCR and PDF text often do: "……负责。第五条　……"
EMBEDDED_ARTICLE = re.compile(rf"(?<=[。；;！？])\s*(?=第{NUMERAL}条(?:之[一二三四五六七八九十]+)?[\s\u3000])")
PAGE_NUMBER = re.compile(r"^(?:[-—–·\s]*\d{1,4}[-—–·\s]*|第\s*\d+\s*页(?:\s*[/，,]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+)$")
DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
CN_DATE = re.compile(r"^([〇零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日$")
EFFECTIVE = re.compile(r"自\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*起\s*(?:施行|实施|执行|生效)")
ISSUER_END = (
    "局",
    "办",
    "委员会",
    "委",
    "政府",
    "办事处",
    "街道",
    "公司",
    "中心",
    "厅",
    "部",
    "院",
    "会",
    "站",
    "所",
    "处",
    "社区",
)
DOC_NUMBER = re.compile(r"^[\u4e00-\u9fff]{1,12}[〔\[［(（]\d{4}[〕\]］)）]\s*\d+\s*号$")
STRUCTURE_RANK = {"编": 0, "分编": 1, "章": 2, "节": 3}
ENUM_RANK, SUB_RANK = 4, 5
TITLE_MAX = 50
ISSUER_KEY = FIELDS_BY_NAME["issuer"].key

MAGIC_PDF = b"%PDF-"
MAGIC_ZIP = b"PK\x03\x04"
MAGIC_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .doc / .xls / .ppt
IMAGES = (
    (b"\x89PNG", "PNG 图片"),
    (b"\xff\xd8\xff", "JPEG 图片"),
    (b"GIF8", "GIF 图片"),
    (b"II*\x00", "TIFF 图片"),
    (b"MM\x00*", "TIFF 图片"),
    (b"BM", "BMP 图片"),
)


@dataclass
class Converted:
    """An upload as our Markdown: title and suggested front matter apart from the body, plus what was done to it."""

    title: str
    body: str
    fields: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        """The whole file: front matter with the title and suggested fields, then the body."""
        return compose_markdown({"title": self.title, **self.fields}, self.body)


def compose_markdown(fields: dict, body: str) -> str:
    """Front matter (only the non-empty fields the parser knows, in the table's order) followed by the body."""
    kept = {field.key: fields[field.key] for field in FIELDS if fields.get(field.key) not in (None, "", [])}
    lines = []
    for name, value in kept.items():  # one field per line; a list reads best inline: tags: [业主, 物业费]
        if isinstance(value, list):
            dumped = f"{name}: " + yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=10_000)
        else:
            dumped = yaml.safe_dump({name: value}, allow_unicode=True, default_flow_style=False, width=10_000)
        lines.append(dumped.strip())
    head = "\n".join(lines)
    body = body.strip()
    if kept.get("title") and HEADING.match(body.split("\n", 1)[0]):
        # The parser takes headings that open the body as the title (and the front matter's title wins), so a
        # leading "## 第一章" would vanish; a "# title" line in front keeps it in the text.
        body = f"# {kept['title']}\n\n{body}"
    return f"---\n{head}\n---\n\n{body}\n"


def sniff(data: bytes) -> str:
    """What the bytes are, whatever the file name says: pdf, docx, doc, zip, image:<name> or text."""
    if MAGIC_PDF in data[:1024]:
        return "pdf"
    if data.startswith(MAGIC_ZIP):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return "docx" if "word/document.xml" in archive.namelist() else "zip"
        except (zipfile.BadZipFile, NotImplementedError, ValueError):  # a damaged directory: "zip file version 6.4"
            return "zip"
    if data.startswith(MAGIC_OLE):
        return "doc"
    for magic, name in IMAGES:
        if data.startswith(magic):
            return f"image:{name}"
    return "text"


def check_upload(filename: str, data: bytes, limit: int = MAX_UPLOAD_BYTES) -> str:
    """The file's kind (txt, md, docx, pdf) after checking name, size and content; ContentError says what is wrong."""
    suffix = Path(filename or "").suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        shown = f"「{suffix}」" if suffix else "没有扩展名的"
        raise ContentError(f"只能上传 .txt、.md、.docx（Word）或 .pdf 文件，这是{shown}文件")
    if not data:
        raise ContentError("文件是空的，没有任何内容")
    if len(data) > limit:
        raise ContentError(
            f"文件太大（{len(data) / 1024 / 1024:.1f} MB），最大 {limit // 1024 // 1024} MB；请把文件拆成几份再上传"
        )
    kind = sniff(data)
    if kind.startswith("image:"):
        raise ContentError(f"这是一张{kind[6:]}，不是文字；请先做文字识别（OCR），再上传识别出的文字")
    if kind == "doc":
        raise ContentError("这是旧版 Word（.doc）或其他旧版 Office 文件；请在 Word 里「另存为」.docx 后再上传")
    if suffix == ".docx" and kind != "docx":
        raise ContentError("文件名是 .docx，但内容不是 Word 文档；请在 Word 里重新保存后再上传")
    if suffix == ".pdf" and kind != "pdf":
        raise ContentError("文件名是 .pdf，但内容不是 PDF 文件")
    if suffix in (".txt", ".md") and kind != "text":
        real = {"pdf": "PDF 文件", "docx": "Word 文档", "zip": "压缩包"}.get(kind, "二进制文件")
        raise ContentError(f"文件名是 {suffix}，但内容是{real}；请把扩展名改对（例如 .docx、.pdf）再上传")
    return suffix[1:]


def convert_upload(filename: str, data: bytes, limit: int = MAX_UPLOAD_BYTES) -> Converted:
    """Check an upload by its content and turn it into our Markdown for the editor to review."""
    kind = check_upload(filename, data, limit)
    stem = strip_controls(Path(filename).stem)
    if kind == "docx":
        converted = docx_to_markdown(data, stem)
    elif kind == "pdf":
        converted = pdf_to_markdown(data, stem)
    elif kind == "md":
        converted = markdown_upload(decode(data), stem)
    else:
        converted = text_to_markdown(decode(data), stem)
    converted.title = strip_controls(converted.title)
    return converted


def docx_to_markdown(data: bytes, fallback_title: str = "") -> Converted:
    """A Word document's paragraphs and tables, in order; Word's heading styles become our headings."""
    from docx import Document as WordDocument
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    _check_docx_size(data)
    try:
        word = WordDocument(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds for damaged files
        raise ContentError(f"Word 文档无法打开（文件可能已损坏）：{type(exc).__name__}") from None
    check_passage_count(len(word.element.body))  # before python-docx wraps each paragraph in objects
    blocks: list[tuple[str, int | None]] = []  # (text, heading level from the style, or None)
    tables = 0
    for element in word.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(element, word)
            level = _style_level(paragraph.style.name if paragraph.style is not None else "")
            for line in paragraph.text.split("\n"):
                blocks.append((line, level))
            blocks.append(("", None))
        elif tag == "tbl":
            tables += 1
            for row in Table(element, word).rows:
                cells = _unique_cells(cell.text for cell in row.cells)
                if cells:
                    blocks.append(("，".join(cells) + ("" if cells[-1].endswith(tuple(TERMINAL)) else "。"), None))
                    blocks.append(("", None))
    converted = _to_markdown(blocks, join_wrapped=False, fallback_title=fallback_title)
    converted.notes.insert(0, "从 Word 文档转换")
    if tables:
        converted.notes.append(f"{tables} 个表格已改写成逐行的文字，请检查听起来是否通顺")
    return converted


def _check_docx_size(data: bytes) -> None:
    """ContentError for a Word document too big unpacked: a few hundred KB of zip can inflate to gigabytes.

    The zip's declared sizes are a real bound: zipfile stops reading a part at its declared size (and a part that
    holds more fails its checksum), so each part is read at most that far here and by python-docx."""
    too_big = ContentError(
        f"Word 文档解压后太大或结构过于复杂（超过 {MAX_DOCX_UNZIPPED_BYTES // 1024 // 1024} MB 或 "
        f"{MAX_DOCX_ELEMENTS} 个元素）；请把文件拆成几份，或另存为 .docx 后再上传"
    )
    elements = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            if sum(part.file_size for part in parts) > MAX_DOCX_UNZIPPED_BYTES:
                raise too_big
            for part in parts:
                if part.filename.endswith((".xml", ".rels")):
                    with archive.open(part) as stream:
                        elements += stream.read(MAX_DOCX_UNZIPPED_BYTES).count(b"<")
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, ValueError, EOFError, OSError) as exc:
        raise ContentError(f"Word 文档无法打开（文件可能已损坏）：{type(exc).__name__}") from None
    if elements > MAX_DOCX_ELEMENTS:
        raise too_big


def pdf_to_markdown(data: bytes, fallback_title: str = "") -> Converted:
    """The text layer of a PDF, page by page, with page numbers dropped and wrapped lines joined."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ContentError("这个 PDF 设置了密码，请先去掉密码再上传")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise ContentError(f"PDF 有 {len(reader.pages)} 页，最多 {MAX_PDF_PAGES} 页；请把文件拆成几份再上传")
        pages = [page.extract_text() or "" for page in reader.pages]
    except ContentError:
        raise
    # PyPdfError: all of pypdf's own, LimitReachedError among them (a page tree or table past pypdf's limits).
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        raise ContentError(f"PDF 文件无法读取（文件可能已损坏）：{type(exc).__name__}") from None
    if not any(page.strip() for page in pages):
        raise ContentError("这个 PDF 里没有文字（可能是扫描的图片）；请先做文字识别（OCR），再上传识别出的文字")
    lines = [line for page in pages for line in page.split("\n")]
    converted = _to_markdown([(line, None) for line in lines], join_wrapped=True, fallback_title=fallback_title)
    converted.notes.insert(0, f"从 PDF 转换（{len(pages)} 页）")
    return converted


def text_to_markdown(text: str, fallback_title: str = "") -> Converted:
    """A plain text (any encoding, already decoded): structure recognised, hard-wrapped lines joined."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    converted = _to_markdown([(line, None) for line in lines], join_wrapped=True, fallback_title=fallback_title)
    converted.notes.insert(0, "从纯文本转换")
    return converted


def markdown_upload(text: str, fallback_title: str = "") -> Converted:
    """A Markdown file is kept as written; its front matter and leading '# title' become the form's fields."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    fields: dict = {}
    match = FRONT_MATTER.match(text)
    if match:
        loaded = read_front_matter(match.group(1))
        fields = {str(k): v for k, v in loaded.items() if str(k) in FIELDS_BY_KEY and v is not None}
        text = text[match.end() :]
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    title = str(fields.pop("title", "") or "")
    if first is not None:
        heading = HEADING.match(lines[first].strip())
        if heading and len(heading.group(1)) == 1:
            title = title or heading.group(2).strip()
            del lines[first]
    body = "\n".join(lines).strip()
    if not body:
        raise ContentError("文件里只有标题，没有正文")
    return Converted(title or fallback_title, body, fields, ["Markdown 文件按原样保留"])


def _style_level(style: str) -> int | None:
    """0 for Word's title style, 1–6 for its heading styles (English or Chinese names), else None."""
    name = style.strip().lower()
    if name in ("title", "标题"):
        return 0
    match = re.match(r"^(?:heading|标题)\s*(\d)$", name)
    return int(match.group(1)) if match else None


def _unique_cells(cells) -> list[str]:
    """Cell texts of a table row, merged cells (which repeat their text) counted once."""
    result: list[str] = []
    for cell in cells:
        text = " ".join(cell.split())
        if text and (not result or result[-1] != text):
            result.append(text)
    return result


def _clean(line: str) -> str:
    return " ".join(line.translate(NOISE).replace("\u3000", " ").split())


def _to_markdown(blocks: list[tuple[str, int | None]], join_wrapped: bool, fallback_title: str) -> Converted:
    """Shared by all formats: paragraphs, title, headings by level, articles, and suggested fields."""
    notes: list[str] = []
    lines = [(_clean(text), level) for text, level in blocks]
    dropped = sum(1 for text, _ in lines if text and PAGE_NUMBER.match(text)) if join_wrapped else 0
    if dropped:
        lines = [(text, level) for text, level in lines if not (text and PAGE_NUMBER.match(text))]
        notes.append(f"去掉了 {dropped} 行页码")
    paragraphs, joined = _paragraphs(lines, join_wrapped)
    if joined:
        notes.append(f"合并了 {joined} 处断行（原文每行在中间断开）")
    paragraphs = _split_embedded_articles(paragraphs)
    check_passage_count(len(paragraphs))
    if not paragraphs:
        raise ContentError("文件里没有可用的文字")

    title, paragraphs = _take_title(paragraphs, fallback_title)
    if not paragraphs:
        raise ContentError("文件里只有标题，没有正文")
    fields, field_notes = _suggest_fields(paragraphs)
    notes.extend(field_notes)

    kinds = [_heading_rank(text, level) for text, level in paragraphs]
    present = sorted({rank for rank in kinds if rank is not None})
    depth = {rank: min(2 + i, 6) for i, rank in enumerate(present)}
    out: list[str] = []
    articles = headings = 0
    for (text, _), rank in zip(paragraphs, kinds, strict=True):
        if rank is not None:
            heading = HEADING.match(text)
            out.append("#" * depth[rank] + " " + (heading.group(2) if heading else text).strip())
            headings += 1
        else:
            if ARTICLE.match(text):
                articles += 1
                text = re.sub(rf"^(第{NUMERAL}条(?:之[一二三四五六七八九十]+)?)\s*", r"\1 ", text, count=1).strip()
            out.append(text)
    found = [f"{headings} 个小标题" if headings else "", f"{articles} 条法条" if articles else ""]
    if any(found):
        notes.append("识别出 " + "、".join(x for x in found if x))
    return Converted(title, "\n\n".join(out), fields, notes)


def _paragraphs(lines: list[tuple[str, int | None]], join_wrapped: bool) -> tuple[list[tuple[str, int | None]], int]:
    """Blank lines end paragraphs; with join_wrapped, a line that stops mid-sentence continues on the next."""
    paragraphs: list[tuple[str, int | None]] = []
    current: list[str] = []
    level: int | None = None
    joined = 0

    def flush() -> None:
        nonlocal current, level
        if current:
            paragraphs.append(("".join(current), level))
        current, level = [], None

    for text, style in lines:
        if not text:
            flush()
            continue
        starts_block = style is not None or _starts_block(text)
        if current and join_wrapped and not starts_block and _continues(current[-1]):
            current.append(_glue(current[-1], text))
            joined += 1
            continue
        flush()
        current, level = [text], style
        if style is not None or (starts_block and _is_heading_line(text)):
            flush()  # a heading never swallows the next line
        elif not join_wrapped:
            flush()  # Word paragraphs and one-paragraph-per-line texts: every line is a paragraph
    flush()
    return paragraphs, joined


def _glue(previous: str, text: str) -> str:
    """Join a wrapped line: no space between hanzi, one space between Latin words."""
    if previous and previous[-1].isascii() and previous[-1].isalnum() and text[0].isascii() and text[0].isalnum():
        return " " + text
    return text


def _continues(line: str) -> bool:
    """A line cut mid-sentence: long enough to be body text and not ending in sentence punctuation."""
    return len(line) >= 15 and not line.endswith(tuple(TERMINAL)) and not _is_heading_line(line)


def _starts_block(text: str) -> bool:
    return bool(
        ARTICLE.match(text)
        or STRUCTURE.match(text)
        or ENUM_HEADING.match(text)
        or SUB_HEADING.match(text)
        or HEADING.match(text)
        or DATE.match(text)
        or CN_DATE.match(text)
    )


def _is_heading_line(text: str) -> bool:
    """A short line with no sentence end that names a part, chapter, section or numbered topic."""
    if len(text) > 40 or "。" in text:
        return False
    return bool(
        STRUCTURE.match(text)
        or (
            (ENUM_HEADING.match(text) or SUB_HEADING.match(text))
            and len(text) <= 25
            and not text.endswith(tuple(TERMINAL))
        )
    )


def _split_embedded_articles(paragraphs: list[tuple[str, int | None]]) -> list[tuple[str, int | None]]:
    result: list[tuple[str, int | None]] = []
    for text, level in paragraphs:
        if level is None and not HEADING.match(text):
            result.extend((part.strip(), None) for part in EMBEDDED_ARTICLE.split(text) if part.strip())
        else:
            result.append((text, level))
    return result


def _take_title(paragraphs: list[tuple[str, int | None]], fallback: str) -> tuple[str, list[tuple[str, int | None]]]:
    """The Word title style, else a first short line that is not a sentence, article or chapter, else the file name."""
    for i, (text, level) in enumerate(paragraphs[:3]):
        if level == 0:
            return text, paragraphs[:i] + paragraphs[i + 1 :]
    text, level = paragraphs[0]
    heading = HEADING.match(text)
    if heading and len(heading.group(1)) > 1:
        return fallback, paragraphs  # a text that opens with "## …" starts with a section, not its title
    plain = heading.group(2).strip() if heading else text
    if (
        len(plain) <= TITLE_MAX
        and not plain.endswith(tuple(TERMINAL))
        and not ARTICLE.match(plain)
        and not STRUCTURE.match(plain)
        and level in (None, 1)
    ):
        return plain, paragraphs[1:]
    return fallback, paragraphs


def _heading_rank(text: str, level: int | None) -> int | None:
    """Sort key of a heading (编 above 章 above 节 above 一、 above （一）), or None for a paragraph."""
    if level is not None and level > 0:
        structure = STRUCTURE.match(text)
        return STRUCTURE_RANK[structure.group(1)] if structure else 3 + level  # Word's own heading levels
    heading = HEADING.match(text)
    if heading:
        return 3 + len(heading.group(1))
    if not _is_heading_line(text):
        return None
    structure = STRUCTURE.match(text)
    if structure:
        return STRUCTURE_RANK[structure.group(1)]
    return ENUM_RANK if ENUM_HEADING.match(text) else SUB_RANK


def _suggest_fields(paragraphs: list[tuple[str, int | None]]) -> tuple[dict, list[str]]:
    """Issuing body and date from the signature at the end; the effective date from 自…起施行 if stated."""
    fields: dict = {}
    notes: list[str] = []
    texts = [text for text, _ in paragraphs]
    tail = texts[-3:]
    date = next((_iso_date(t) for t in reversed(tail) if _iso_date(t)), None)
    issuer = next(
        (
            t
            for t in reversed(tail)
            if len(t) <= 30 and t.endswith(ISSUER_END) and not _iso_date(t) and not t.endswith(tuple(TERMINAL))
        ),
        None,
    )
    stated = next((EFFECTIVE.search(t) for t in texts if EFFECTIVE.search(t)), None)
    if stated:
        fields["effective"] = f"{int(stated.group(1)):04d}-{int(stated.group(2)):02d}-{int(stated.group(3)):02d}"
        notes.append(f"生效日期取自正文「自…起施行」：{fields['effective']}")
    elif date:
        fields["effective"] = date
        notes.append(f"生效日期按文末落款日期填写：{date}，请核对")
    if issuer:
        fields[ISSUER_KEY] = issuer
        notes.append(f"发布单位取自文末落款：{issuer}")
    number = next((t for t in texts[:3] if DOC_NUMBER.match(t)), None)
    if number:
        notes.append(f"文号「{number}」保留在正文里（信息块没有文号一栏）")
    return fields, notes


def _iso_date(text: str) -> str | None:
    match = DATE.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = CN_DATE.match(text)
        if not match:
            return None
        digits = str.maketrans("〇零一二三四五六七八九", "00123456789")
        year = int(match.group(1).translate(digits))
        month, day = _small_numeral(match.group(2)), _small_numeral(match.group(3))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _small_numeral(text: str) -> int:
    """一 … 三十一, as written in dates."""
    values = {c: i for i, c in enumerate("零一二三四五六七八九")}
    if "十" not in text:
        return values.get(text, 0)
    tens, _, ones = text.partition("十")
    return (values.get(tens, 1) if tens else 1) * 10 + (values.get(ones, 0) if ones else 0)


# -- bulk import ---------------------------------------------------------------------------------

ImportProgress = Callable[[int, int, str], None]
SAFE_FOLDER = re.compile(r"^[^/\\\x00:*?\"<>|]+$")


@dataclass
class ImportReport:
    """What an import did, for the summary line and the exit code."""

    folder: str = ""
    copied: list[str] = field(default_factory=list)
    converted: list[str] = field(default_factory=list)
    unchanged: int = 0
    ignored: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    metadata_records: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed


def import_folder(
    source: Path, root: Path, folder: str | None = None, progress: ImportProgress | None = None
) -> ImportReport:
    """Copy a folder of texts under ``root/folder``: text files as they are, Word and PDF converted to Markdown,
    and the law library's metadata.json merged into the root's with the paths prefixed, so the loader finds it."""
    started = time.monotonic()
    source, root = Path(source).resolve(), Path(root).resolve()  # what is inside is judged on these
    if not source.is_dir():
        raise ContentError(f"要导入的文件夹不存在：{source}")
    if not root.is_dir():
        raise ContentError(f"内容目录不存在：{root}")
    folder = (folder if folder is not None else source.name).strip().strip("/")
    if (
        not folder
        or folder in (".", "..")
        or folder.startswith((".", "_"))
        or not all(SAFE_FOLDER.match(part) and part not in (".", "..") for part in folder.split("/"))
    ):
        raise ContentError(f"目标文件夹名不可用：「{folder}」")
    target = root / folder
    if target.resolve() == source or source in target.resolve().parents:
        raise ContentError("不能把文件夹导入到它自己里面")
    if not is_within(target, root):
        raise ContentError(f"目标文件夹「{folder}」是指向内容目录外面的链接")
    report = ImportReport(folder=folder)
    files = [
        p
        for p in sorted(source.rglob("*"))
        if p.is_file() and not any(part.startswith((".", "_")) for part in p.relative_to(source).parts)
    ]
    for done, path in enumerate(files, 1):
        relative = path.relative_to(source).as_posix()
        if progress:
            progress(done, len(files), relative)
        suffix = path.suffix.lower()
        try:
            if relative == METADATA_FILE:
                continue
            if not is_within(path, source):
                raise ContentError("这是指向文件夹外面的链接，没有导入")
            if suffix in CONTENT_SUFFIXES:
                data = path.read_bytes()
                destination = target / relative
            elif suffix in CONVERTED_SUFFIXES:
                data = convert_upload(path.name, path.read_bytes()).markdown().encode("utf-8")
                destination = (target / relative).with_suffix(".md")
            else:
                report.ignored.append(relative)
                continue
            if not is_within(destination, root):
                raise ContentError("要写到的位置是指向内容目录外面的链接，没有导入")
            if _same_bytes(destination, data):
                report.unchanged += 1
                continue
            write_atomic(destination, data)
            (report.converted if suffix in CONVERTED_SUFFIXES else report.copied).append(relative)
        except ContentError as exc:
            report.failed.append((relative, str(exc)))
        except OSError as exc:
            report.failed.append((relative, f"无法读取或写入：{disk_problem(exc)}"))
    metadata = source / METADATA_FILE
    if metadata.is_file() and is_within(metadata, source):
        try:
            report.metadata_records = merge_metadata(metadata, root, folder)
        except ContentError as exc:
            report.failed.append((METADATA_FILE, str(exc)))
    report.seconds = time.monotonic() - started
    return report


def merge_metadata(metadata: Path, root: Path, folder: str) -> int:
    """Put a library's metadata.json records into ``root/metadata.json`` under ``folder/``; returns how many."""
    try:
        library = json.loads(metadata.read_text(encoding="utf-8"))
        records = library["records"]
        if not isinstance(records, list):
            raise TypeError
    except (OSError, ValueError, KeyError, TypeError):
        raise ContentError(f"{metadata} 不是可用的 metadata.json（需要 records 列表）") from None
    prefix = folder + "/"
    existing_path = root / METADATA_FILE
    merged: dict = {"records": []}
    if existing_path.is_file():
        try:
            merged = json.loads(existing_path.read_text(encoding="utf-8"))
            merged.setdefault("records", [])
        except (OSError, ValueError):
            raise ContentError(f"{existing_path} 无法读取，没有合并目录信息") from None
    kept = [r for r in merged["records"] if not str(r.get("path", "")).startswith(prefix)]
    added = [{**r, "path": prefix + str(r["path"])} for r in records if isinstance(r, dict) and r.get("path")]
    merged["records"] = kept + added
    write_atomic(existing_path, json.dumps(merged, ensure_ascii=False, indent=1).encode("utf-8"))
    return len(added)


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size != len(data):
            return False
        return hashlib.sha1(path.read_bytes()).digest() == hashlib.sha1(data).digest()
    except OSError:
        return False
