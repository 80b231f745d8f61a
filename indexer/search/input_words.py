"""The library's own words and phrases with their pinyin and how often the library uses them, written at index time
for the on-screen keyboard's pinyin candidates (no input service, no network: only what the texts say)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import jieba
import pypinyin
from pypinyin import Style, lazy_pinyin

from indexer.atomic import write_atomic
from indexer.datadir import DataDir

from .analysis import prepare_jieba, synonyms
from .pinyin_keys import short_names

# The pinyin of a word already written is reused by the next build, unless pypinyin has changed since.
HEADER = f"# input-words 1, pypinyin {pypinyin.__version__}: text, pinyin syllables, weight; heaviest first"
ALL_HANZI = re.compile(r"^[\u3400-\u9fff]+$")
LONGEST_WORD = 8  # body and heading words; titles, tags and the term table may be longer
LONGEST_NAME = 14  # a title longer than this is not typed whole
HEADING_WEIGHT = 3  # a word in a heading names what a passage is about
NAMED_WEIGHT = 20  # titles, their words, tags and the hub's everyday terms: what people ask for by name
MOST_WORDS = 120_000  # the long tail of a large library is cut here (a seldom word, a seldom pick)


@dataclass(frozen=True)
class InputWord:
    """A word or phrase offered for pinyin: its characters, their toneless syllables, and its weight."""

    text: str
    syllables: tuple[str, ...]
    weight: int


def write_input_words(data: DataDir, reader, titles: Iterable[str], tags: Iterable[str]) -> int:
    """Count the words of the index (body and headings, jieba's words as searched) and the names of the texts,
    and write them with their pinyin to the data dir; returns how many."""
    counts = index_words(reader)
    named: Counter[str] = Counter()
    prepare_jieba()
    for title in titles:
        for name in {title, *short_names(title)}:
            if len(name) <= LONGEST_NAME:
                named[name] += 1
        named.update(word for word in jieba.cut(title) if len(word) > 1)
    named.update(tags)
    named.update(term for word, targets in synonyms().items() for term in (word, *targets) if len(term) > 1)
    for text, times in named.items():
        counts[text] += times * NAMED_WEIGHT
    known = {word.text: word.syllables for word in read_input_words(data.input_words, same_pinyin=True)}
    words = sorted(with_pinyin(counts, known), key=lambda w: (-w.weight, len(w.text), w.text))[:MOST_WORDS]
    lines = [HEADER, *(f"{w.text}\t{' '.join(w.syllables)}\t{w.weight}" for w in words)]
    write_atomic(data.input_words, ("\n".join(lines) + "\n").encode("utf-8"))
    return len(words)


def index_words(reader) -> Counter[str]:
    """How often each all-hanzi word occurs in passages, heading words counting more; a word the whole library
    uses once is left out (a name, a typo)."""
    counts: Counter[str] = Counter()
    for field, weight in (("body", 1), ("headings", HEADING_WEIGHT)):
        if field not in reader.schema:
            continue
        for term, info in reader.iter_field(field):
            text = term.decode("utf-8")
            if len(text) <= LONGEST_WORD and ALL_HANZI.match(text):
                counts[text] += int(info.weight()) * weight
    return Counter({text: times for text, times in counts.items() if times > 1})


def with_pinyin(
    counts: Counter[str] | dict[str, int], known: dict[str, tuple[str, ...]] | None = None
) -> Iterable[InputWord]:
    """The all-hanzi words among ``counts`` with their syllables (``known`` ones as they are) and counts as weights."""
    for text, weight in counts.items():
        if not ALL_HANZI.match(text):
            continue
        parts = (known or {}).get(text) or lazy_pinyin(text, style=Style.NORMAL, errors="ignore")
        if len(parts) == len(text) and all(p.isascii() and p.isalpha() for p in parts):
            yield InputWord(text, tuple(parts), weight)


def read_input_words(path: Path, same_pinyin: bool = False) -> list[InputWord]:
    """The words a build wrote, heaviest first; none when there is no file yet (an index from before), or with
    ``same_pinyin`` when another pypinyin wrote it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):  # none yet, unreadable or damaged: no words until the next build
        return []
    if same_pinyin and not text.startswith(HEADER + "\n"):
        return []
    words = []
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) == 3 and not line.startswith("#") and fields[2].isdigit():
            words.append(InputWord(fields[0], tuple(fields[1].split()), int(fields[2])))
    return words
