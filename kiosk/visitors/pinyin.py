"""Pinyin candidates for the kiosk's on-screen keyboard and for phones: the library's words as `kiosk build` wrote
them, those people here searched and found weighing more. A search's own words are never offered: the next visitor
must not see what the last one typed."""

from __future__ import annotations

import threading
import time

from indexer.datadir import DataDir
from indexer.search.input_words import read_input_words
from indexer.search.pinyin_input import Candidate, PinyinInput

from .usage import Usage, days_back

CHECK_SECONDS = 2.0  # how often the words file is looked at for a newer build
SEARCHES_SECONDS = 60.0  # how long the search counts are used before they are read again
SEARCH_DAYS = 90
SEARCHED_WEIGHT = 50  # one settled search weighs as much as fifty uses of a word in the library
RERANKED = 3  # times the candidates asked for that the search counts may reorder


class KeyboardWords:
    """The words and the search counts, loaded on first use and again when they change; shared by request
    threads."""

    def __init__(self, data: DataDir):
        self.data = data
        self._lock = threading.Lock()
        self._library = PinyinInput([])
        self._stamp: tuple[int, int] | None = None
        self._checked = float("-inf")
        self._searched: dict[str, int] = {}
        self._searched_at = float("-inf")

    def candidates(self, query: str, limit: int) -> list[Candidate]:
        """The best ``limit`` words for typed pinyin: those the letters complete before those they begin, each
        by its weight in the library plus its searches here."""
        library, searched = self._current()
        found = [
            Candidate(c.text, c.pinyin, c.weight + searched.get(c.text, 0) * SEARCHED_WEIGHT, c.whole)
            for c in library.candidates(query, limit * RERANKED)
        ]
        return sorted(found, key=lambda c: (not c.whole, -c.weight, len(c.text)))[:limit]

    def _current(self) -> tuple[PinyinInput, dict[str, int]]:
        now = time.monotonic()
        with self._lock:
            if now - self._checked >= CHECK_SECONDS:
                self._checked = now
                stamp = _stamp(self.data)
                if stamp != self._stamp:
                    self._library, self._stamp = PinyinInput(read_input_words(self.data.input_words)), stamp
            if now - self._searched_at >= SEARCHES_SECONDS:
                self._searched_at = now
                with Usage(self.data.root) as usage:
                    self._searched = usage.found_searches(days_back(SEARCH_DAYS))
            return self._library, self._searched


def _stamp(data: DataDir) -> tuple[int, int] | None:
    """Which words file is there (a build replaces it whole); None before the first build wrote one."""
    try:
        stat = data.input_words.stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns
