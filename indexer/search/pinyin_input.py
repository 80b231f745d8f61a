"""Pinyin to the library's words, as a resident types on the kiosk: full pinyin (tingshuitingdian), initials (tsd,
wyf) or a mix (wuyef, wyfei). Each typed piece is the start of one syllable, in order.

The words' syllable keys are kept sorted ("wu'ye'fei'"), so every path of syllables is a range found by bisection:
a few thousand look-ups at most per query, whatever the size of the library.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .input_words import InputWord
from .pinyin_keys import shortened

MAX_LETTERS = 40  # about ten syllables: longer input is not a word being typed
MAX_STEPS = 20_000  # syllable paths tried per query, so no input can make a look-up slow
SEPARATOR = "'"  # sorts before every letter: "xi'" and its extensions come before "xia'"
TYPED = re.compile(r"[\s'’]+")
LETTERS = re.compile(r"^[a-z]+$")


@dataclass(frozen=True)
class Candidate:
    """A word offered for the typed letters; ``whole`` when the letters reach its last syllable."""

    text: str
    pinyin: str
    weight: int
    whole: bool


def typed_letters(query: str) -> str | None:
    """The letters of what was typed (case, spaces and apostrophes ignored), or None if it is not pinyin."""
    letters = TYPED.sub("", (query or "")[: MAX_LETTERS * 2]).lower()
    return letters if LETTERS.match(letters) and len(letters) <= MAX_LETTERS else None


class PinyinInput:
    """Candidates for typed pinyin among a set of words; immutable, shared by request threads."""

    def __init__(self, words: Iterable[InputWord]):
        self.words = sorted(words, key=lambda w: -w.weight)
        keyed = sorted((key, rank) for rank, word in enumerate(self.words) for key in _keys(word))
        self._keys = [key for key, _ in keyed]
        self._ranks = np.array([rank for _, rank in keyed], dtype=np.int32)
        known = {syllable for word in self.words for syllable in word.syllables}
        self._syllables: dict[str, tuple[str, ...]] = {}  # a syllable's start → the syllables it may start
        for syllable in sorted(known):
            for end in range(1, len(syllable) + 1):
                self._syllables[syllable[:end]] = (*self._syllables.get(syllable[:end], ()), syllable)

    def __len__(self) -> int:
        return len(self.words)

    def candidates(self, query: str, limit: int = 8) -> list[Candidate]:
        """The best ``limit`` words for the letters: those the letters complete first, then those they begin,
        each by weight; empty for anything that is not pinyin or matches nothing, or for a limit below one."""
        letters = typed_letters(query)
        if not letters or not self.words or limit < 1:
            return []
        reached = self._reached(letters)
        whole: set[int] = set()
        begun: list[np.ndarray] = []
        for path, last_piece_whole in reached.items():
            lo, hi = self._range(path)
            equal = bisect.bisect_right(self._keys, path, lo, hi)
            # A single character only for its whole syllable: "w" is no reason to offer 为.
            if path.count(SEPARATOR) > 1 or last_piece_whole:
                whole.update(int(rank) for rank in self._ranks[lo:equal])
            if equal < hi:
                begun.append(_smallest(self._ranks[equal:hi], limit))
        ranked = sorted(whole)
        if len(ranked) < limit and begun:
            ranked += [int(r) for r in np.unique(np.concatenate(begun)) if int(r) not in whole]
        return [self._candidate(rank, rank in whole) for rank in ranked[:limit]]

    def _reached(self, letters: str) -> dict[str, bool]:
        """Every syllable path the letters can spell to their end, one typed piece starting each syllable; with
        whether the last piece was its syllable whole."""
        reached: dict[str, bool] = {}
        stack = [("", 0, False)]
        steps = 0
        while stack and steps < MAX_STEPS:
            path, start, whole = stack.pop()
            if start == len(letters):
                reached[path] = reached.get(path, False) or whole
                continue
            for end in range(start + 1, len(letters) + 1):
                piece = letters[start:end]
                syllables = self._syllables.get(piece)
                if syllables is None:
                    break  # no syllable starts so: a longer piece cannot either
                for syllable in syllables:
                    steps += 1
                    longer = f"{path}{syllable}{SEPARATOR}"
                    lo, hi = self._range(longer)
                    if lo < hi:
                        stack.append((longer, end, piece == syllable))
        return reached

    def _range(self, path: str) -> tuple[int, int]:
        """Where the keys starting with ``path`` are."""
        lo = bisect.bisect_left(self._keys, path)
        return lo, bisect.bisect_left(self._keys, path + "\x7f", lo)

    def _candidate(self, rank: int, whole: bool) -> Candidate:
        word = self.words[rank]
        return Candidate(word.text, " ".join(word.syllables), word.weight, whole)


def _keys(word: InputWord) -> set[str]:
    """The word's syllables, and for a phrase that repeats a character (停水停电) also its short form (停水电: tsd)."""
    keys = {SEPARATOR.join(word.syllables) + SEPARATOR}
    short = shortened(word.text, word.syllables)
    if short:
        keys.add(SEPARATOR.join(short) + SEPARATOR)
    return keys


def _smallest(ranks: np.ndarray, count: int) -> np.ndarray:
    """The ``count`` best (lowest) ranks, in no order."""
    return ranks if len(ranks) <= count else np.partition(ranks, count)[:count]
