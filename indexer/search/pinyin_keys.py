"""Pinyin keys for titles and terms, so a visitor without a Chinese keyboard can type wygltl or wuyeguanli."""

from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

from .analysis import synonyms

HANZI = re.compile(r"[\u3400-\u9fff]")
PINYIN_QUERY = re.compile(r"^[a-z]{2,60}$")


def syllables(text: str) -> list[str]:
    """Toneless pinyin of the hanzi in ``text``, one syllable each, other characters dropped."""
    hanzi = "".join(HANZI.findall(text))
    return lazy_pinyin(hanzi, style=Style.NORMAL, errors="ignore") if hanzi else []


def shortened(text: str, parts: list[str] | tuple[str, ...]) -> list[str] | None:
    """The syllables of a phrase that repeats a character, the short way people say and type it: 停水停电 as
    停水电 (ting shui dian, tsd); None for any other word. ``parts`` are the syllables of ``text``, one a character."""
    short = [part for n, part in enumerate(parts) if text[n] not in text[:n]]
    return short if len(text) >= 4 and len(parts) == len(text) and len(short) < len(parts) else None


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


def title_keys(title: str) -> list[str]:
    """Suffix keys of a title and of the shorter names people call it by.

    居委会组织法 (jwhzzf) for 城市居民委员会组织法, 上海住宅物业管理规定 (shzzwyglgd) for 上海市住宅物业管理规定.
    """
    keys = set()
    for name in {title, *short_names(title)}:
        keys.update(suffix_keys(name))
    return sorted(keys)


def short_names(title: str) -> set[str]:
    """The title with official wording in its everyday form and without the 市/省 after a leading place name."""
    everyday = title
    for long, short in _everyday_forms():
        everyday = everyday.replace(long, short)
    names = {everyday}
    for name in (title, everyday):
        place = LEADING_PLACE.match(name)
        if place:
            names.add(place.group(1) + name[place.end() :])
    names.discard(title)
    return names


LEADING_PLACE = re.compile(r"^([\u4e00-\u9fff]{2,3}?)(?:省|市|自治区)(?=[\u4e00-\u9fff]{3})")


@lru_cache(maxsize=1)
def _everyday_forms() -> list[tuple[str, str]]:
    """(official wording, shortest everyday word) from the synonym table, longest wording first: 居民委员会 → 居委会."""
    pairs = {
        (targets[0], word)
        for word, targets in synonyms().items()
        if targets and len(word) < len(targets[0]) and HANZI.match(word)
    }
    return sorted(pairs, key=lambda pair: (-len(pair[0]), len(pair[1]), pair))


def split_syllables(letters: str, known: frozenset[str]) -> list[str] | None:
    """Full pinyin cut into known syllables (zaoshengfa → zao sheng fa), preferring fewer, longer ones; None if it
    does not cut (initials, typos)."""
    best: list[list[str] | None] = [[]] + [None] * len(letters)
    for end in range(1, len(letters) + 1):
        for start in range(max(0, end - 6), end):
            before, so_far = best[start], best[end]
            if before is not None and letters[start:end] in known:
                candidate = [*before, letters[start:end]]
                if so_far is None or len(candidate) < len(so_far):
                    best[end] = candidate
    return best[-1]


def normalize_pinyin_query(query: str) -> str | None:
    """The letters of a pinyin query (spaces and apostrophes removed), or None if it is not one."""
    letters = re.sub(r"[\s'’]+", "", query.lower())
    return letters if PINYIN_QUERY.match(letters) else None
