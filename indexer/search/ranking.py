"""BM25F over the Whoosh index's postings, scored with numpy.

Whoosh stores and reads the index; scoring every posting in Python made common words (物业, 业主,
条例: thousands of passages each) cost 100-1000 ms a query. Reading a term's postings once into
arrays and scoring whole columns at a time keeps a warm query within a few milliseconds.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

FIELD_WEIGHTS = {"headings": 1.5, "body": 1.0}
K1, B = 1.2, 0.75
COORD_BONUS = 0.5  # each further query concept a passage matches adds half again to its score
CACHED_TERMS = 20000


@dataclass(frozen=True)
class LexicalScores:
    """Per index record: the BM25F score, how many query concepts matched, and, when asked for, the BM25 of each field
    alone (the learned ranking weighs a match in a heading apart from one in the body)."""

    total: np.ndarray
    matched: np.ndarray
    by_field: dict[str, np.ndarray]


class PassageScorer:
    """Dense score vectors over all index records of one reader (one per index generation)."""

    def __init__(self, reader):
        self.reader = reader
        self.size = reader.doc_count_all()
        self.lengths = {}
        self.average = {}
        for field in FIELD_WEIGHTS:
            lengths = np.fromiter(
                (reader.doc_field_length(n, field, 0) for n in range(self.size)), dtype=np.float32, count=self.size
            )
            self.lengths[field] = lengths
            self.average[field] = float(lengths[lengths > 0].mean()) if lengths.any() else 1.0
        doc_column = reader.column_reader("doc")
        self.doc_ids = [doc_column[n] for n in range(self.size)]
        self.alive = np.fromiter((not reader.is_deleted(n) for n in range(self.size)), dtype=bool, count=self.size)
        self.passages = int(sum(1 for n in range(self.size) if self.lengths["body"][n] > 0))
        self._postings: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = OrderedDict()

    def postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """Record numbers and term frequencies of a term, cached (least recently used dropped first)."""
        key = (field, term)
        cached = self._postings.get(key)
        if cached is not None:
            self._postings.move_to_end(key)
            return cached
        ids, freqs = [], []
        if (field, term) in self.reader:
            matcher = self.reader.postings(field, term)
            while matcher.is_active():
                ids.append(matcher.id())
                freqs.append(matcher.weight())
                matcher.next()
        cached = (np.asarray(ids, dtype=np.int64), np.asarray(freqs, dtype=np.float32))
        self._postings[key] = cached
        if len(self._postings) > CACHED_TERMS:
            self._postings.popitem(last=False)
        return cached

    def score_and_matched(self, concepts: list[dict[str, float]], fields: bool = False) -> LexicalScores:
        """BM25F per record and how many of the query's concepts each record matches; with ``fields``, also each
        field's own BM25 (for the learned ranking: other searches do not pay for the extra columns)."""
        total = np.zeros(self.size, dtype=np.float32)
        matched = np.zeros(self.size, dtype=np.float32)
        by_field = {field: np.zeros(self.size, dtype=np.float32) for field in FIELD_WEIGHTS} if fields else {}
        n = max(self.passages, 1)
        for variants in concepts:
            best = np.zeros(self.size, dtype=np.float32)
            best_in = {field: np.zeros(self.size, dtype=np.float32) for field in by_field}
            for term, weight in variants.items():
                for field, field_weight in FIELD_WEIGHTS.items():
                    ids, freqs = self.postings(field, term)
                    if not len(ids):
                        continue
                    idf = math.log(1 + (n - len(ids) + 0.5) / (len(ids) + 0.5))
                    norm = K1 * (1 - B + B * self.lengths[field][ids] / self.average[field])
                    contribution = weight * idf * freqs * (K1 + 1) / (freqs + norm)
                    if field in best_in:
                        best_in[field][ids] = np.maximum(best_in[field][ids], contribution)
                    best[ids] = np.maximum(best[ids], field_weight * contribution)
            total += best
            matched += best > 0
            for field, column in by_field.items():
                column += best_in[field]
        total *= 1 + COORD_BONUS * np.maximum(matched - 1, 0)
        total[~self.alive] = 0
        return LexicalScores(total, matched, by_field)

    def top(self, scores: np.ndarray, count: int) -> list[int]:
        """Record numbers of the highest positive scores, best first."""
        positive = int(np.count_nonzero(scores))
        count = min(count, positive)
        if count == 0:
            return []
        candidates = np.argpartition(-scores, count - 1)[:count]
        return [int(i) for i in candidates[np.argsort(-scores[candidates], kind="stable")]]
