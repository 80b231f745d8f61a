"""The editable pronunciation dictionary, <data dir>/pronunciations.tsv: list, add, remove, always saved valid."""

from __future__ import annotations

import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pypinyin import Style, lazy_pinyin

from indexer.atomic import write_atomic
from indexer.errors import KioskError
from indexer.speech.engines import USER_PRONUNCIATIONS
from indexer.speech.pronounce import DEFAULT_PRONUNCIATIONS, load_pronunciations

TONE_MARKS = {"\u0304": "1", "\u0301": "2", "\u030c": "3", "\u0300": "4"}  # ā á ǎ à as combining marks
HANZI = re.compile(r"^[\u3400-\u9fff]+$")


class PronunciationError(KioskError):
    """An entry the dictionary would not accept, explained in Chinese."""


@dataclass(frozen=True)
class Entry:
    term: str
    pinyin: str


def user_file(data_root: Path) -> Path:
    return Path(data_root) / USER_PRONUNCIATIONS


def entries(data_root: Path) -> list[Entry]:
    """The editors' own entries, in file order."""
    path = user_file(data_root)
    if not path.is_file():
        return []
    return [Entry(term, " ".join(syllables)) for term, syllables in load_pronunciations(path).items()]


def bundled() -> list[Entry]:
    """The corrections shipped with the kiosk (read-only here; an editor's entry for the same term wins)."""
    return [Entry(term, " ".join(syllables)) for term, syllables in load_pronunciations(DEFAULT_PRONUNCIATIONS).items()]


def default_reading(term: str) -> str:
    """How the dictionary-less pinyin reads a term, as a starting point for a correction."""
    return " ".join(lazy_pinyin(term, style=Style.TONE3, neutral_tone_with_five=True))


def tone_numbers(pinyin: str) -> str:
    """háng yè → hang2 ye4; ü may be typed as v; syllables separated by one space."""
    syllables = []
    for raw in re.split(r"[\s,，'’]+", pinyin.strip().lower()):
        if not raw:
            continue
        decomposed = unicodedata.normalize("NFD", raw)
        tone = next((TONE_MARKS[ch] for ch in decomposed if ch in TONE_MARKS), "")
        plain = "".join(ch for ch in decomposed if ch not in TONE_MARKS)
        plain = unicodedata.normalize("NFC", plain).replace("u\u0308", "ü")
        if tone and not (plain[-1:].isascii() and plain[-1:].isdigit()):
            plain += tone
        syllables.append(plain)
    return " ".join(syllables)


def add(data_root: Path, term: str, pinyin: str) -> Entry:
    """Add or replace an entry; the whole dictionary is checked before the file is replaced."""
    term = term.strip()
    pinyin = tone_numbers(pinyin)
    if not term:
        raise PronunciationError("请填写要纠正读音的词")
    if not HANZI.match(term):
        raise PronunciationError(f"「{term}」里只能有汉字")
    if not pinyin:
        raise PronunciationError("请填写拼音，例如 hang2 ye4")
    syllables = pinyin.split()
    if len(syllables) != len(term):
        raise PronunciationError(
            f"「{term}」有 {len(term)} 个字，拼音却有 {len(syllables)} 个音节；每个字一个音节，用空格隔开"
        )
    lines = [line for line in _lines(data_root) if _term_of(line) != term]
    lines.append(f"{term}\t{pinyin}")
    _save(data_root, lines)
    return Entry(term, pinyin)


def remove(data_root: Path, term: str) -> None:
    """Take an editor's entry out (the bundled reading of the term, if any, applies again)."""
    lines = _lines(data_root)
    kept = [line for line in lines if _term_of(line) != term]
    if len(kept) == len(lines):
        raise PronunciationError(f"词典里没有「{term}」")
    _save(data_root, kept)


def _lines(data_root: Path) -> list[str]:
    path = user_file(data_root)
    if not path.is_file():
        return ["# 编辑纠正的读音：词<Tab>带声调数字的拼音，每个字一个音节。由内容编辑页面维护。"]
    return path.read_text(encoding="utf-8-sig").splitlines()


def _term_of(line: str) -> str | None:
    if not line.strip() or line.lstrip().startswith("#"):
        return None
    return line.split("\t", 1)[0].strip()


def _save(data_root: Path, lines: list[str]) -> None:
    """Validate with the loader the speech engines use, then replace the file atomically."""
    text = "\n".join(lines) + "\n"
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".tsv", dir=data_root, delete=False) as probe:
        probe.write(text)
    try:
        load_pronunciations(DEFAULT_PRONUNCIATIONS, probe.name)
    except ValueError as exc:
        raise PronunciationError(_explain(str(exc))) from None
    finally:
        Path(probe.name).unlink(missing_ok=True)
    write_atomic(user_file(data_root), text.encode("utf-8"))


def _explain(message: str) -> str:
    """The loader's English reason in words an editor understands."""
    syllable = re.search(r"'([^']+)' is not a pinyin syllable", message)
    if syllable:
        return f"「{syllable.group(1)}」不是拼音音节；请写成字母加声调数字 1–5（轻声写 5），例如 hang2"
    if "characters but" in message:
        return "字数和拼音音节数不一致；每个字一个音节，用空格隔开"
    return f"读音格式有误：{message}"
