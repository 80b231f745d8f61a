"""Split a passage into sentences for synthesis and highlighting, keeping each one's place in the text."""

from __future__ import annotations

import re
from dataclasses import dataclass

SENTENCE_END = re.compile(r"[。！？!?；;…\n]+[”’」』）)]*")
CLAUSE_END = re.compile(r"[，,、：:]+")
LONG_SENTENCE = 60  # characters; longer sentences are cut at commas so each piece starts quickly
MAX_SEGMENT = 120  # a hard cap for text with no punctuation at all
SPEAKABLE = re.compile(r"[\w\u3400-\u9fff]")


@dataclass(frozen=True)
class Segment:
    """A piece of a passage read as one audio file: ``text[start:end]`` of the passage."""

    start: int
    end: int
    text: str


def split_passage(text: str) -> list[Segment]:
    """Sentences of ``text`` (long ones cut at commas), skipping pieces with nothing to say."""
    segments = []
    for start, end in _spans(text, SENTENCE_END, 0, len(text)):
        if end - start > LONG_SENTENCE:
            segments.extend(_split_long(text, start, end))
        else:
            segments.append((start, end))
    result = []
    for start, end in segments:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if SPEAKABLE.search(text, start, end):
            result.append(Segment(start, end, text[start:end]))
    return result


def _spans(text: str, pattern: re.Pattern, start: int, end: int) -> list[tuple[int, int]]:
    spans, position = [], start
    for match in pattern.finditer(text, start, end):
        spans.append((position, match.end()))
        position = match.end()
    if position < end:
        spans.append((position, end))
    return spans


def _split_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Join clauses up to LONG_SENTENCE characters; cut clause-less runs at MAX_SEGMENT."""
    pieces: list[tuple[int, int]] = []
    for clause_start, clause_end in _spans(text, CLAUSE_END, start, end):
        while clause_end - clause_start > MAX_SEGMENT:
            pieces.append((clause_start, clause_start + MAX_SEGMENT))
            clause_start += MAX_SEGMENT
        if pieces and clause_end - pieces[-1][0] <= LONG_SENTENCE and pieces[-1][1] == clause_start:
            pieces[-1] = (pieces[-1][0], clause_end)
        else:
            pieces.append((clause_start, clause_end))
    return pieces
