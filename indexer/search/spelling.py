"""Homophone typos: 电提 → 电梯, 为修基金 → 维修基金, 物业管里条例 → 物业管理条例, typed by visitors who pick the
first character their pinyin input offers. A run of characters that is no word of its own but sounds exactly
like a known term (the synonym table's words and wordings, the words of the titles) is read as that term."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import jieba
from pypinyin import Style, pinyin

from .analysis import prepare_jieba, synonyms

HANZI_RUN = re.compile(r"[\u3400-\u9fff]+")
LONGEST = 6


@lru_cache(maxsize=8192)
def _sound(char: str) -> str:
    readings = pinyin(char, style=Style.NORMAL, errors="ignore")
    return readings[0][0] if readings else char


def sounds(text: str) -> tuple[str, ...]:
    """Toneless pinyin of each character on its own, so a typo and its term are compared syllable by syllable."""
    return tuple(_sound(char) for char in text)


def domain_terms() -> set[str]:
    """Every word and legal wording of the synonym table."""
    return {term for word, targets in synonyms().items() for term in (word, *targets)}


class Speller:
    """Reads homophone typos of a set of terms as the terms."""

    def __init__(self, terms: Iterable[str]):
        prepare_jieba()
        by_sound: dict[tuple[str, ...], set[str]] = {}
        for term in terms:
            if 2 <= len(term) <= LONGEST and HANZI_RUN.fullmatch(term):
                by_sound.setdefault(sounds(term), set()).add(term)
        # A sound shared by two terms is left out: it cannot tell which one was meant.
        self._terms = {sound: next(iter(found)) for sound, found in by_sound.items() if len(found) == 1}

    def correct(self, text: str) -> str:
        """``text`` with every homophone typo of a term replaced by the term, longest first; words are kept."""
        return HANZI_RUN.sub(lambda match: self._fix(match.group(0)), text)

    def _fix(self, run: str) -> str:
        known = jieba.dt.FREQ
        heard = sounds(run)
        inside = _inside_words(run, known)
        out, start = [], 0
        while start < len(run):
            for length in range(min(LONGEST, len(run) - start), 1, -1):
                piece = run[start : start + length]
                term = self._terms.get(heard[start : start + length])
                if term and (term == piece or _typo(piece, term, known, inside[start] or inside[start + length])):
                    out.append(term)
                    start += length
                    break
            else:
                out.append(run[start])
                start += 1
        return "".join(out)


def _typo(piece: str, term: str, known: dict, cuts_a_word: bool) -> bool:
    """A piece reads as a term that sounds the same when it is no word, cuts through none, and keeps at least half
    of the term's characters (漏到 is not 楼道)."""
    kept = sum(a == b for a, b in zip(piece, term, strict=True))  # one sound a character, and the sounds match
    return not known.get(piece) and not cuts_a_word and kept * 2 >= len(term)


def _inside_words(run: str, known: dict) -> list[bool]:
    """For each position 0..len(run): whether it falls inside a dictionary word, where no typo may start or end
    (有权知道 holds 有权 and 知道, so 权知 is not 犬只)."""
    inside = [False] * (len(run) + 1)
    position = 0
    for word in jieba.cut(run, HMM=False):
        if len(word) > 1 and known.get(word):
            for i in range(position + 1, position + len(word)):
                inside[i] = True
        position += len(word)
    return inside
