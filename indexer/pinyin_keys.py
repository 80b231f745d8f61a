"""Pinyin keys for titles and terms, so a visitor without a Chinese keyboard can type wygltl or wuyeguanli."""

from __future__ import annotations

import re

from pypinyin import Style, lazy_pinyin

HANZI = re.compile(r"[\u3400-\u9fff]")
PINYIN_QUERY = re.compile(r"^[a-z]{2,60}$")


def syllables(text: str) -> list[str]:
    """Toneless pinyin of the hanzi in ``text``, one syllable each, other characters dropped."""
    hanzi = "".join(HANZI.findall(text))
    return lazy_pinyin(hanzi, style=Style.NORMAL, errors="ignore") if hanzi else []


def suffix_keys(text: str) -> list[str]:
    """Every suffix of the initials and of the full pinyin, starting at a syllable.

    A prefix query on these finds the typed letters anywhere in the title:
    wygltl matches 北京市物业管理条例 through the suffix starting at 物.
    """
    parts = syllables(text)
    keys = set()
    for start in range(len(parts)):
        keys.add("".join(p[0] for p in parts[start:]))
        keys.add("".join(parts[start:]))
    return sorted(keys)


def normalize_pinyin_query(query: str) -> str | None:
    """The letters of a pinyin query (spaces and apostrophes removed), or None if it is not one."""
    letters = re.sub(r"[\s'’]+", "", query.lower())
    return letters if PINYIN_QUERY.match(letters) else None
