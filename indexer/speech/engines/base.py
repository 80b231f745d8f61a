"""The small interface every speech engine implements, so the cache and workers need not know which one runs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class EngineSettings:
    """What determines the sound besides the text; part of every audio cache key."""

    engine: str
    voice: str
    rate: float
    version: str
    # The pronunciation dictionary: a sentence's key holds only the entries it contains, so a corrected term
    # re-renders the sentences with that term and no others.
    readings: Mapping[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def _term_lengths(self) -> list[int]:
        return sorted({len(term) for term in self.readings})

    @cached_property
    def dictionary_digest(self) -> str:
        """Changes whenever any entry changes, for caches that hold keys of many sentences."""
        canonical = json.dumps(sorted((t, list(r)) for t, r in self.readings.items()), ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]

    def readings_in(self, spoken: str) -> list[tuple[str, list[str]]]:
        """The dictionary entries that occur in a sentence, in a stable order."""
        found = {
            spoken[i : i + n]
            for n in self._term_lengths
            for i in range(len(spoken) - n + 1)
            if spoken[i : i + n] in self.readings
        }
        return [(term, list(self.readings[term])) for term in sorted(found)]


class Engine(Protocol):
    """A speech engine: turns normalized Mandarin text (hanzi and punctuation, no digits) into mono PCM."""

    settings: EngineSettings
    sample_rate: int

    def synthesize(self, text: str) -> np.ndarray:
        """Return int16 mono samples at ``sample_rate`` for one sentence of normalized text."""
        ...

    def close(self) -> None:
        """Release processes or models held by the engine."""
        ...
