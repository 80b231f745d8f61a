"""What an area's A4 poster says: the key safety points, taken from its briefing's 安全须知 section so the poster
and the spoken briefing never disagree (the first sentence of each numbered point: 第一，…。)."""

from __future__ import annotations

import re

from indexer.content.documents import Document

SAFETY_HEADING = "安全须知"
NUMBERED = re.compile(r"^第[一二三四五六七八九十]+[，,]")
FIRST_SENTENCE = re.compile(r"^.+?[。！？!?]")
MAX_POINTS = 7  # what fits on the sheet in type read from two metres away


def safety_points(doc: Document) -> list[str]:
    """The first sentence of each numbered point under the briefing's 安全须知 heading, in order."""
    points = []
    for passage in doc.passages:
        if passage.kind != "paragraph" or not any(SAFETY_HEADING in heading for heading in passage.headings):
            continue
        text = passage.text.strip()
        if NUMBERED.match(text):
            found = FIRST_SENTENCE.match(text)
            points.append(found.group(0) if found else text)
    return points[:MAX_POINTS]
