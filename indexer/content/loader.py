"""Find content files under the configured roots and decode them, whatever encoding the editor's PC used."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

from indexer.errors import ContentError

from .parse import SourceFile

CONTENT_SUFFIXES = {".md", ".markdown", ".txt"}
NOT_CONTENT = {"readme.md", "source.md", "license.md"}
BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
METADATA_FILE = "metadata.json"
# GB18030 decodes almost any bytes, Big5 and Shift-JIS texts into garbage: those are told apart before it is used.
LOOKALIKES = {
    "big5": "繁体中文（Big5）",
    "cp950": "繁体中文（Big5）",
    "cp932": "日文（Shift-JIS）",
    "shift_jis": "日文（Shift-JIS）",
}


@dataclass(frozen=True)
class ContentFile:
    """A file found under a content root; ``source`` is its root-relative path with forward slashes."""

    root: Path
    path: Path
    source: str


def discover(roots: list[Path]) -> list[ContentFile]:
    """All content files under the roots, in a stable order; later roots never shadow earlier ones."""
    found: dict[str, ContentFile] = {}
    for root in roots:
        if not root.is_dir():
            raise ContentError(f"内容目录不存在：{root}")
        inside = root.resolve()
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root)
            if (
                path.suffix.lower() not in CONTENT_SUFFIXES
                or path.name.lower() in NOT_CONTENT
                or any(part.startswith((".", "_")) for part in relative.parts)
                or not path.is_file()
                or (path.is_symlink() and not is_within(path, inside))
            ):
                continue
            source = relative.as_posix()
            found.setdefault(source, ContentFile(root, path, source))
    return list(found.values())


def is_within(path: Path, folder: Path) -> bool:
    """Whether ``path``, symlinks followed, is inside the (resolved) ``folder``: a link out of it is never read."""
    return folder in path.resolve().parents


def decode(data: bytes) -> str:
    """Decode UTF-8 (with or without BOM), UTF-16, GBK/GB18030 or what charset-normalizer recognises."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                raise ContentError(f"文件以 {encoding} 标记开头，但内容无法按 {encoding} 读取") from None
    if b"\x00" in data:
        raise ContentError("这是二进制文件，不是文本")
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
            if encoding == "gb18030":
                _refuse_lookalikes(data)
            break
        except UnicodeDecodeError:
            continue
    else:
        best = from_bytes(data).best()
        if best is None:
            raise ContentError("无法识别文件的文字编码")
        text = str(best)
    if _looks_binary(text):
        raise ContentError("这是二进制文件，不是文本")
    return text


def _refuse_lookalikes(data: bytes) -> None:
    """ContentError when Big5 or Shift-JIS reads more plausibly than GB18030; a tie (short texts) stays GB18030."""
    chaos = {match.encoding: match.chaos for match in from_bytes(data, cp_isolation=["gb18030", *LOOKALIKES])}
    likeliest = min(chaos, key=lambda encoding: chaos[encoding], default="gb18030")
    if likeliest in LOOKALIKES and chaos.get("gb18030", 1.0) > chaos[likeliest]:
        raise ContentError(
            f"文件的编码看起来是{LOOKALIKES[likeliest]}，按简体中文读会变成乱码；"
            "请用记事本打开，「另存为」时选 UTF-8 编码，再上传"
        )


def _looks_binary(text: str) -> bool:
    controls = sum(1 for ch in text[:4000] if ord(ch) < 32 and ch not in "\n\r\t\f")
    return controls > max(4, len(text[:4000]) // 100)


def load_metadata(root: Path) -> dict[str, dict]:
    """The law library's metadata.json by path, with a status worked out from versions and validity."""
    path = root / METADATA_FILE
    if not path.is_file():
        return {}
    try:
        records = json.loads(path.read_text(encoding="utf-8")).get("records", [])
    except (OSError, ValueError, AttributeError) as exc:
        raise ContentError(f"{path} 无法读取：{exc}") from None
    newest: dict[str, str] = {}
    for record in records:
        title, date = record.get("title", ""), _record_date(record)
        newest[title] = max(newest.get(title, ""), date)
    by_path = {}
    for record in records:
        superseded = _record_date(record) < newest[record.get("title", "")]
        status = "已修订" if superseded else "已废止" if record.get("db_expired") else "现行"
        by_path[record["path"]] = {**record, "status": status}
    return by_path


YEAR_IN_NAME = re.compile(r"((?:19|20)\d{2})(?!\d)")


def _record_date(record: dict) -> str:
    """The version date; party regulations only carry a year in their file name (纪律处分条例_2018)."""
    date = record.get("date_in_filename") or record.get("db_publish")
    if date:
        return date
    year = YEAR_IN_NAME.findall(record.get("path", "").rsplit("/", 1)[-1])
    return year[-1] if year else ""


def read_source(file: ContentFile, metadata: dict[str, dict]) -> SourceFile:
    """Read and decode one file, with the folder-derived shelf and any law-library metadata."""
    try:
        data = file.path.read_bytes()
    except OSError as exc:
        raise ContentError(f"无法读取：{exc.strerror}") from None
    parts = file.source.split("/")
    record = metadata.get(file.source)
    if record is not None:
        collection = record.get("db_level") or (parts[-2] if len(parts) > 1 else "")
        volume = ""
    else:
        collection = parts[0] if len(parts) > 1 else ""
        volume = parts[1] if len(parts) > 2 else ""
    return SourceFile(file.source, decode(data), collection, volume, record)
