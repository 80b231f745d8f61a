"""Mandarin text to the Baker symbol sequences the neural voice was trained on, kept pure so it can be tested alone."""

from __future__ import annotations

import itertools
import logging
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import jieba
from pypinyin import Style, lazy_pinyin
from pypinyin.pinyin_dict import pinyin_dict as PYPINYIN_TABLE

from indexer.errors import ConfigError

SENTENCE_STOPS = frozenset("。！？!?…")
CLAUSE_STOPS = frozenset("，、；：,;:（）()—")
SENTENCE_PAUSE_SECONDS = 0.35
CLAUSE_PAUSE_SECONDS = 0.15
SPLIT_PAUSE_SECONDS = 0.05
MAX_PHRASE_SYLLABLES = 40

SILENCE = "sil"
END = "eos"
SYLLABLE_BREAK = "#0"
WORD_BREAK = "#1"
ERHUA_FINAL = "er5"
NEUTRAL_TONE = 5
EMPTY_PHRASE = (SILENCE, SILENCE, END)

DIGITS = frozenset("〇零一二三四五六七八九十两")
MAGNITUDES = frozenset("百千万亿")
NUMERALS = DIGITS | MAGNITUDES
ORDINAL_PREFIX = "第"
NUMBER_CHARS = NUMERALS | {ORDINAL_PREFIX}
YI_FIRST_TONE_BEFORE = frozenset("审级等楼号月")
DAY_MARKS = frozenset("日号")
MONTH = "月"
PARTICLES = frozenset("的地得了着过们吗呢吧啊")
# A list literal of these would be formatted one word a line: a split string stays readable.
ERHUA_WORDS = frozenset(
    "一点儿 一会儿 一块儿 一下儿 一边儿 一阵儿 有点儿 差点儿 这儿 那儿 哪儿 这会儿 那会儿 "  # noqa: SIM905
    "玩儿 好玩儿 事儿 没事儿 小孩儿 味儿 活儿 空儿 个儿 份儿 聊天儿".split()
)
SYLLABLE_FALLBACKS = {"n": "en", "ng": "en"}
TONE3_PATTERN = re.compile(r"^([a-z]+)([1-5]?)$")

jieba.setLogLevel(logging.WARNING)


@dataclass(frozen=True)
class Word:
    """A segmented word and its tone-numbered syllables: one per hanzi, but erhua folds 儿 into the one before."""

    text: str
    syllables: tuple[str, ...]


@dataclass(frozen=True)
class Phrase:
    """One model call: Baker symbols from ``sil`` to ``eos``, and the silence to insert after its audio."""

    symbols: tuple[str, ...]
    pause_after: float


def is_hanzi(char: str) -> bool:
    """Whether pypinyin can read the character; anything else is skipped rather than guessed."""
    return ord(char) in PYPINYIN_TABLE


def _has_tone_digit(syllable: str) -> bool:
    """Ends in 0-9 (not in ² or another character that isdigit() also takes)."""
    return syllable[-1:].isascii() and syllable[-1:].isdigit()


def tone_of(syllable: str) -> int:
    """Tone number of a tone-numbered syllable; a missing digit means the neutral tone."""
    return int(syllable[-1]) if _has_tone_digit(syllable) else NEUTRAL_TONE


def with_tone(syllable: str, tone: int) -> str:
    """The same syllable carrying another tone."""
    base = syllable[:-1] if _has_tone_digit(syllable) else syllable
    return f"{base}{tone}"


def split_clauses(text: str) -> list[tuple[str, float]]:
    """Cut text at punctuation into hanzi-only clauses, each with the pause that follows it."""
    clauses: list[tuple[str, float]] = []
    current: list[str] = []
    for char in text:
        if char in SENTENCE_STOPS or char in CLAUSE_STOPS or char.isspace():
            pause = SENTENCE_PAUSE_SECONDS if char in SENTENCE_STOPS else CLAUSE_PAUSE_SECONDS
            if current:
                clauses.append(("".join(current), pause))
                current = []
            elif clauses:
                clauses[-1] = (clauses[-1][0], max(clauses[-1][1], pause))
        elif is_hanzi(char):
            current.append(char)
    if current:
        clauses.append(("".join(current), SENTENCE_PAUSE_SECONDS))
    return clauses


def normalize_override(syllable: str) -> str:
    """Accept ü, u: and missing tone digits in configured pronunciations."""
    cleaned = syllable.strip().lower().replace("ü", "v").replace("u:", "v")
    return cleaned if _has_tone_digit(cleaned) else f"{cleaned}{NEUTRAL_TONE}"


class MandarinFrontend:
    """Turns normalized Mandarin into Baker symbols: jieba words, pypinyin readings, overrides, sandhi, prosody."""

    def __init__(
        self,
        pinyin_split: Mapping[str, tuple[str, str]],
        pronunciations: Mapping[str, tuple[str, ...]] | None = None,
        *,
        tone_sandhi: bool = True,
        word_breaks: bool = True,
    ) -> None:
        self._pinyin_split = {key: tuple(value) for key, value in pinyin_split.items()}
        self._tone_sandhi = tone_sandhi
        self._word_break = WORD_BREAK if word_breaks else SYLLABLE_BREAK
        self._tokenizer = jieba.Tokenizer()
        self._overrides = self._checked_overrides(pronunciations or {})
        self._longest_override = max(map(len, self._overrides), default=0)
        for term in self._overrides:
            if len(term) > 1:
                self._tokenizer.add_word(term)

    def _checked_overrides(self, pronunciations: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        """Reject configured readings the voice cannot say, naming the term, instead of failing mid-book."""
        checked = {}
        for term, syllables in pronunciations.items():
            normalized = tuple(normalize_override(syllable) for syllable in syllables)
            usable = all(map(is_hanzi, term)) and all(self.syllable_symbols(s) for s in normalized)
            if not term or len(term) != len(normalized) or not usable:
                reading = " ".join(syllables)
                raise ConfigError(f"pronunciation for {term!r} is not usable by the neural voice: {reading!r}")
            checked[term] = normalized
        return checked

    def phrases(self, text: str) -> list[Phrase]:
        """Symbol sequences for one sentence, one per clause, long clauses split so memory stays bounded."""
        phrases = []
        for clause, pause in split_clauses(text):
            chunks = self._bounded_chunks(self.words(clause))
            for index, chunk in enumerate(chunks):
                chunk_pause = pause if index == len(chunks) - 1 else SPLIT_PAUSE_SECONDS
                phrases.append(Phrase(self.symbols(chunk), chunk_pause))
        return [phrase for phrase in phrases if phrase.symbols != EMPTY_PHRASE]

    def words(self, clause: str) -> list[Word]:
        """Prosodic words of a hanzi-only clause with their spoken syllables."""
        tokens = self._tokenizer.lcut(clause)
        syllables = [syllable for token in tokens for syllable in self._read(token)]
        overridden = self._apply_overrides(clause, syllables)
        starts = itertools.accumulate(map(len, tokens), initial=0)  # also yields the clause's end, which zip drops
        placed = list(zip(tokens, starts, strict=False))
        if self._tone_sandhi:
            word_ends = {start + len(token) - 1 for token, start in placed if len(token) > 1}
            syllables = yi_bu_sandhi(clause, syllables, word_ends, overridden)
        words = [Word(token, tuple(syllables[start : start + len(token)])) for token, start in placed]
        if self._tone_sandhi:
            words = third_tone_sandhi(words, self._is_dictionary_word)
        return group_prosodic_words([apply_erhua(word) for word in words])

    def symbols(self, words: list[Word]) -> tuple[str, ...]:
        """Baker symbols for a run of words: syllables joined by #0, words by #1 (which measurably helps)."""
        symbols = [SILENCE]
        for word_index, spoken in enumerate(spoken for word in words if (spoken := self._spoken(word))):
            if word_index:
                symbols.append(self._word_break)
            for syllable_index, parts in enumerate(spoken):
                symbols.extend((SYLLABLE_BREAK, *parts) if syllable_index else parts)
        return (*symbols, SILENCE, END)

    def _spoken(self, word: Word) -> list[tuple[str, ...]]:
        """Symbols of each syllable of a word the voice can say; others are dropped."""
        return [parts for parts in map(self.syllable_symbols, word.syllables) if parts]

    def syllable_symbols(self, syllable: str) -> tuple[str, ...] | None:
        """Initial and toned final of one syllable (plus er5 for erhua), or None if the voice has no such sound."""
        match = TONE3_PATTERN.match(syllable)
        if not match:
            return None
        base, tone = match.group(1), match.group(2) or str(NEUTRAL_TONE)
        base = SYLLABLE_FALLBACKS.get(base, base)
        if base in self._pinyin_split:
            initial, final = self._pinyin_split[base]
            return (initial, f"{final}{tone}")
        if base.endswith("r") and base[:-1] in self._pinyin_split:
            initial, final = self._pinyin_split[base[:-1]]
            return (initial, f"{final}{tone}", ERHUA_FINAL)
        return None

    def _apply_overrides(self, clause: str, syllables: list[str]) -> set[int]:
        """Overwrite readings with configured terms, longest match first; returns the positions they fixed."""
        fixed: set[int] = set()
        position = 0
        while position < len(clause):
            for length in range(min(self._longest_override, len(clause) - position), 0, -1):
                reading = self._overrides.get(clause[position : position + length])
                if reading:
                    syllables[position : position + length] = reading
                    fixed.update(range(position, position + length))
                    position += length
                    break
            else:
                position += 1
        return fixed

    @staticmethod
    def _read(token: str) -> list[str]:
        """pypinyin's reading of one jieba token as a string (a list would skip its in-word phrase matching)."""
        return lazy_pinyin(token, style=Style.TONE3, neutral_tone_with_five=True, errors="ignore")

    def _is_dictionary_word(self, text: str) -> bool:
        """Whether jieba knows the text as a word; decides how three third tones in a row group."""
        self._tokenizer.check_initialized()
        return self._tokenizer.FREQ.get(text, 0) > 0

    @staticmethod
    def _bounded_chunks(words: list[Word]) -> list[list[Word]]:
        """Split a clause longer than MAX_PHRASE_SYLLABLES into near-equal runs of whole words."""
        total = sum(len(word.syllables) for word in words)
        target = total / math.ceil(total / MAX_PHRASE_SYLLABLES)
        chunks: list[list[Word]] = [[]]
        size = 0
        for word in words:
            if chunks[-1] and (size >= target or size + len(word.syllables) > MAX_PHRASE_SYLLABLES):
                chunks.append([])
                size = 0
            chunks[-1].append(word)
            size += len(word.syllables)
        return chunks


def group_prosodic_words(words: list[Word]) -> list[Word]:
    """Attach particles and rejoin numbers jieba cut apart (二/〇/二三年, 第四/百六/十六条) so no break falls inside."""
    grouped: list[Word] = []
    for word in words:
        previous = grouped[-1] if grouped else None
        if previous is not None and _joins(previous, word):
            grouped[-1] = Word(previous.text + word.text, previous.syllables + word.syllables)
        else:
            grouped.append(word)
    return grouped


def _joins(previous: Word, word: Word) -> bool:
    """Whether ``word`` belongs with the one before it: a particle, or the rest of a number."""
    return (
        (previous.text[-1] in NUMBER_CHARS and word.text[0] in NUMERALS)
        or (set(previous.text) <= NUMBER_CHARS and len(word.text) == 1)
        or word.text in PARTICLES
    )


def yi_bu_sandhi(clause: str, syllables: list[str], word_ends: set[int], fixed: set[int]) -> list[str]:
    """Spoken tones of 一 and 不, which depend on the next syllable, numbers and word position.

    Positions in ``fixed`` came from the pronunciation dictionary, which already writes 一 and 不 as spoken.
    """
    spoken = list(syllables)
    for position, char in enumerate(clause):
        if char not in "一不" or position in fixed:
            continue
        previous_char = clause[position - 1] if position else ""
        next_char = clause[position + 1] if position + 1 < len(clause) else ""
        next_tone = tone_of(syllables[position + 1]) if next_char else None
        if char == "一":
            tone = yi_tone(previous_char, next_char, next_tone, position in word_ends)
        else:
            tone = bu_tone(previous_char, next_char, next_tone)
        spoken[position] = with_tone(syllables[position], tone)
    return spoken


def yi_tone(previous_char: str, next_char: str, next_tone: int | None, ends_word: bool) -> int:
    """Tone of 一: 1 in numbers, ordinals, dates and word-final; 5 in 看一看; else 2 before tone 4 and 4 otherwise."""
    if next_char and previous_char == next_char:
        return NEUTRAL_TONE
    if next_char in MAGNITUDES:
        return 2 if next_tone == 4 else 4
    numeric = previous_char in DIGITS or previous_char == ORDINAL_PREFIX or next_char in DIGITS
    date = next_char == MONTH or (previous_char == MONTH and next_char in DAY_MARKS)
    if numeric or date or next_char in YI_FIRST_TONE_BEFORE or ends_word or next_tone is None:
        return 1
    return 2 if next_tone in (4, NEUTRAL_TONE) else 4


def bu_tone(previous_char: str, next_char: str, next_tone: int | None) -> int:
    """Tone of 不: neutral in 是不是, 2 before a fourth tone, 4 otherwise."""
    if next_char and previous_char == next_char:
        return NEUTRAL_TONE
    return 2 if next_tone == 4 else 4


def third_tone_sandhi(words: list[Word], is_dictionary_word: Callable[[str], bool]) -> list[Word]:
    """A third tone before a third tone becomes second: within words, then next to a one-syllable word."""
    readings = [list(third_tone_in_word(word, is_dictionary_word)) for word in words]
    for index in range(len(words) - 2, -1, -1):
        left, right = readings[index], readings[index + 1]
        short = len(left) == 1 or len(right) == 1
        if left and right and short and tone_of(left[-1]) == 3 and tone_of(right[0]) == 3:
            left[-1] = with_tone(left[-1], 2)
    return [Word(word.text, tuple(reading)) for word, reading in zip(words, readings, strict=True)]


def third_tone_in_word(word: Word, is_dictionary_word: Callable[[str], bool]) -> tuple[str, ...]:
    """Sandhi inside one word; three third tones group as 2+1 (展览馆) or 1+2 (纸老虎) by the dictionary."""
    syllables = list(word.syllables)
    tones = [tone_of(syllable) for syllable in syllables]
    changed: tuple[int, ...]
    if tones == [3, 3, 3]:
        changed = (0, 1) if is_dictionary_word(word.text[:2]) else (1,)
    elif len(tones) == 4:
        changed = tuple(start for start in (0, 2) if tones[start] == tones[start + 1] == 3)
    else:
        changed = tuple(i for i in range(len(tones) - 1) if tones[i] == tones[i + 1] == 3)
    for index in changed:
        syllables[index] = with_tone(syllables[index], 2)
    return tuple(syllables)


def apply_erhua(word: Word) -> Word:
    """Fold a suffix 儿 into the syllable before it (一点儿 → dianr3), as the training labels wrote erhua."""
    if word.text not in ERHUA_WORDS:
        return word
    *head, before, _er = word.syllables
    return Word(word.text, (*head, f"{before[:-1]}r{before[-1]}"))
