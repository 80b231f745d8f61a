"""A document as the voice reads it: its sentences, their audio keys, and building what is missing."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from mutagen.id3 import ID3, TALB, TIT2, TPE1, TRCK

from indexer.content.documents import Document
from indexer.datadir import DataDir
from indexer.speech.engines.base import EngineSettings
from indexer.store import Store

from .audio_cache import AudioCache, segment_key
from .normalize import normalize_for_speech
from .segment import split_passage
from .synthesis import Rendered, SynthesisReport

OPENING_SENTENCES = 2  # a text's title and its first sentence: what a listener who opens it hears first


@dataclass(frozen=True)
class Line:
    """One sentence of a document: where it is in its passage, what is said, and its audio key."""

    passage: str
    index: int
    start: int
    end: int
    spoken: str
    key: str


def narrate(doc: Document, settings: EngineSettings) -> list[Line]:
    """Every spoken sentence of the document in reading order."""
    return [line for passage in doc.passages for line in narrate_text(passage.text, settings, passage.id)]


def opening_lines(doc: Document, settings: EngineSettings) -> list[Line]:
    """The document's first OPENING_SENTENCES sentences, narrating no more of it than that (a library of
    thousands of laws is gone through in seconds)."""
    lines: list[Line] = []
    for passage in doc.passages:
        lines += narrate_text(passage.text, settings, passage.id)
        if len(lines) >= OPENING_SENTENCES:
            break
    return lines[:OPENING_SENTENCES]


def narrate_text(text: str, settings: EngineSettings, passage: str = "") -> list[Line]:
    """Every spoken sentence of a text, also one that is not a document's (a question and its options)."""
    lines = []
    for index, segment in enumerate(split_passage(text)):
        spoken = normalize_for_speech(segment.text)
        if spoken.strip():
            lines.append(Line(passage, index, segment.start, segment.end, spoken, segment_key(spoken, settings)))
    return lines


def manifest(doc: Document, settings: EngineSettings, store: Store) -> list[dict]:
    """The document's segments with durations (None until rendered) and start offsets in seconds."""
    lines = narrate(doc, settings)
    durations = store.durations([line.key for line in lines])
    offset, result = 0.0, []
    for line in lines:
        duration = durations.get(line.key)
        result.append(
            {
                "passage": line.passage,
                "index": line.index,
                "start": line.start,
                "end": line.end,
                "key": line.key,
                "url": f"/audio/{line.key}.mp3",
                "duration": duration,
                "offset": round(offset, 3),
            }
        )
        offset += duration or 0.0
    return result


def tagged_mp3(doc: Document, parts: list[bytes]) -> bytes:
    """Sentences joined into one MP3 with ID3 title, album and track, for downloading a whole document."""
    tag = ID3()
    tag.add(TIT2(encoding=3, text=doc.title))
    tag.add(TALB(encoding=3, text=" · ".join(x for x in (doc.collection, doc.volume) if x)))
    tag.add(TPE1(encoding=3, text="随听随学"))
    if doc.order:
        tag.add(TRCK(encoding=3, text=str(doc.order)))
    header = io.BytesIO()
    tag.save(header, v2_version=3)
    return header.getvalue() + b"".join(parts)


def missing_audio(
    data: DataDir, settings: EngineSettings, doc_ids: list[str] | None = None, openings_only: bool = False
) -> list[tuple[str, str]]:
    """(key, spoken) of every sentence not yet in the cache, each once: every text's opening sentences first, in
    shelf order, then the rest in shelf and reading order. So a build cut short, or a kiosk still voicing its
    library, has every text's first sound ready before any text's later sentences; ``openings_only`` stops there."""
    store = Store(data.database)
    cache = AudioCache(data.audio)
    try:
        cached = cache.keys()
        openings: dict[str, str] = {}
        rest: dict[str, str] = {}
        for doc_id in doc_ids if doc_ids is not None else store.document_ids():
            doc = store.document(doc_id)
            if doc is None:
                continue
            lines = opening_lines(doc, settings) if openings_only else narrate(doc, settings)
            openings.update((line.key, line.spoken) for line in lines[:OPENING_SENTENCES] if line.key not in openings)
            rest.update((line.key, line.spoken) for line in lines[OPENING_SENTENCES:] if line.key not in rest)
        wanted = openings | {key: spoken for key, spoken in rest.items() if key not in openings}
        store.remember_speech(list(wanted.items()))  # every key plays, whatever is rendered now
        return [(key, spoken) for key, spoken in wanted.items() if key not in cached]
    finally:
        store.close()


class SentencePool(Protocol):
    """What render needs: a SynthesisPool, or a cluster's (indexer.cluster.ClusterSpeech)."""

    def run(
        self, jobs: list[tuple[str, str]], progress: Callable[[int, int], None] | None = None, priority: float = 1.0
    ) -> SynthesisReport: ...


def render(
    data: DataDir,
    pool: SentencePool,
    jobs: list[tuple[str, str]],
    progress: Callable[[int, int], None] | None = None,
    priority: float = 1.0,
    batch_size: int = 200,
) -> SynthesisReport:
    """Render jobs through the pool, recording durations as they finish, in batches."""
    report = SynthesisReport()
    for start in range(0, len(jobs), batch_size):
        batch = pool.run(
            jobs[start : start + batch_size],
            priority=priority + start,
            progress=_batch_progress(progress, start, len(jobs)),
        )
        record_durations(data, batch.done)
        report.done += batch.done
        report.failed += batch.failed
        report.seconds += batch.seconds
    return report


def _batch_progress(
    progress: Callable[[int, int], None] | None, offset: int, total: int
) -> Callable[[int, int], None] | None:
    """A batch's progress reported as progress over all ``total`` jobs, the batch starting at ``offset``."""
    if progress is None:
        return None
    return lambda done, _: progress(offset + done, total)


def record_durations(data: DataDir, rendered: Iterable[Rendered]) -> None:
    """Remember how long rendered sentences are: the player shows lengths and offsets, and listening progress is
    checked against them."""
    store = Store(data.database)
    try:
        store.set_durations([(sentence.duration, sentence.key) for sentence in rendered])
    finally:
        store.close()
