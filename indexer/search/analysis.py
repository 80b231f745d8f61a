"""Chinese word segmentation shared by the index and the query side, so both cut text the same way."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from importlib import resources

import jieba
from whoosh.analysis import Token, Tokenizer

jieba.setLogLevel(logging.WARNING)

WORD = re.compile(r"[\w\u3400-\u9fff]", re.UNICODE)
LATIN_OR_DIGIT = re.compile(r"^[0-9a-z]+$")


def data_lines(name: str) -> list[str]:
    """Non-comment lines of a bundled data file in indexer/search/data."""
    text = resources.files(__package__).joinpath("data", name).read_text(encoding="utf-8")
    return [line.rstrip("\n") for line in text.splitlines() if line.strip() and not line.startswith("#")]


@lru_cache(maxsize=1)
def synonyms() -> dict[str, tuple[str, ...]]:
    """Everyday word → legal wordings, from data/synonyms.tsv."""
    table: dict[str, tuple[str, ...]] = {}
    for line in data_lines("synonyms.tsv"):
        word, _, targets = line.partition("\t")
        table[word.strip()] = tuple(t.strip() for t in targets.split(",") if t.strip())
    return table


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Question particles and function words dropped from queries."""
    return frozenset(word for line in data_lines("stopwords.txt") for word in line.split())


@lru_cache(maxsize=1)
def focus_words() -> tuple[str, ...]:
    """Title words that mark a document as one of the hub's subjects, from data/focus.txt."""
    return tuple(word for line in data_lines("focus.txt") for word in line.split())


@lru_cache(maxsize=1)
def prepare_jieba() -> None:
    """Teach jieba the domain's terms once, so 专项维修资金 stays one word on both sides of the index."""
    jieba.initialize()
    for word, targets in synonyms().items():
        for term in (word, *targets):
            if len(term) > 1:
                jieba.add_word(term, freq=20000)


def index_tokens(text: str) -> list[str]:
    """Words and their sub-words (jieba's search mode) for indexing, lower-cased, without punctuation."""
    prepare_jieba()
    stop = stopwords()
    tokens = []
    for word in jieba.cut_for_search(text.lower()):
        if WORD.search(word) and word not in stop:
            tokens.append(word)
    return tokens


def query_words(text: str) -> list[str]:
    """The meaningful words of a query, in order, particles dropped."""
    prepare_jieba()
    stop = stopwords()
    words = []
    for word in jieba.cut(text.lower()):
        word = word.strip()
        if word and WORD.search(word) and word not in stop and word not in words:
            words.append(word)
    return words


class JiebaTokenizer(Tokenizer):
    """Whoosh tokenizer over index_tokens; positions are not kept because search needs no phrases."""

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, word in enumerate(index_tokens(value)):
            token.text = word
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = start_pos + pos
            yield token
