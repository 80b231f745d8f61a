"""The small interface every speech engine implements, so the cache and workers need not know which one runs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class EngineSettings:
    """What determines the sound besides the text; part of every audio cache key."""

    engine: str
    voice: str
    rate: float
    version: str


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


def versioned(version: str, pronunciations: Mapping[str, tuple[str, ...]] | None) -> str:
    """Engine version plus a digest of the pronunciation overrides, so editing them re-renders affected audio."""
    if not pronunciations:
        return version
    canonical = json.dumps({term: list(s) for term, s in sorted(pronunciations.items())}, ensure_ascii=False)
    return f"{version}+{hashlib.sha256(canonical.encode('utf-8')).hexdigest()[:12]}"
