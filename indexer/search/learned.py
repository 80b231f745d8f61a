"""The learned ranking: a LightGBM LambdaMART model (trained by bench/train_ranker.py on the tune part of the
judged questions) reorders the hybrid candidates by the signals the searcher computes for them anyway.

The hand-set hybrid score is one of its signals, so the model learns when to trust it and when a heading match,
a cited article or the kind of text should overrule it. The model file ships in data/; without it, or without
LightGBM, hybrid search keeps the hand-set order.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from importlib import resources

import numpy as np

log = logging.getLogger("kiosk")
MODEL = "ranker.txt"

# The columns of the model, in order. Per query: whether it reads as a question, its length, how many concepts it
# has, how close the nearest passage is in meaning. Per candidate passage: BM25F (and per field), the share of
# words and concepts it matches, its similarity (raw, behind the nearest, scaled), the hand-set score and the
# candidate's rank by it, by words and by meaning; its document's weight, status, level and subject; its article
# number and length; query words in its title, whether its title names the place the query names (1) or another
# (-1); whether a best explaining passage cites it; whether it has a vector yet. Per candidate's document: how
# many of the candidates are its passages, its place among the candidates' documents, its best similarity there.
FEATURES = (
    "question",
    "query_chars",
    "concepts",
    "best_similarity",
    "bm25",
    "bm25_body",
    "bm25_headings",
    "words_share",
    "matched_share",
    "similarity",
    "similarity_gap",
    "meaning",
    "hand",
    "hand_rank",
    "lexical_rank",
    "semantic_rank",
    "document_weight",
    "status",
    "level",
    "focus",
    "article_no",
    "body_words",
    "heading_words",
    "title_words",
    "place",
    "cited",
    "has_vector",
    "document_candidates",
    "document_rank",
    "document_similarity",
)


class Ranker:
    """A LambdaMART model over FEATURES; higher scores rank first."""

    def __init__(self, model_text: str):
        import lightgbm  # imported here: a kiosk without it searches with the hand-set order

        self._booster = lightgbm.Booster(model_str=model_text)
        if tuple(self._booster.feature_name()) != FEATURES:
            raise ValueError(f"the model's features {self._booster.feature_name()} are not {list(FEATURES)}")

    def scores(self, features: np.ndarray) -> np.ndarray:
        """One score per row of ``features`` (columns in FEATURES order)."""
        return np.asarray(self._booster.predict(features, num_threads=1), dtype=np.float64)


@lru_cache(maxsize=1)
def ranker() -> Ranker | None:
    """The shipped model, loaded once; None when there is none (hybrid search keeps the hand-set order), or when it
    is unreadable or LightGBM is not there (logged once)."""
    try:
        text = resources.files(__package__).joinpath("data", MODEL).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("学习排序模型读不出来（%s）：混合检索按手设权重排序", exc)
        return None
    return load(text)


def load(model_text: str) -> Ranker | None:
    """A model from its text; None, with a warning, when LightGBM is missing or the text is no model of FEATURES."""
    try:
        return Ranker(model_text)
    except Exception as exc:  # noqa: BLE001 - no LightGBM, other features, or LightGBM's own error for a damaged file
        log.warning("学习排序模型不可用（%s）：混合检索按手设权重排序", exc)
        return None


def matrix(columns: dict[str, np.ndarray]) -> np.ndarray:
    """The columns stacked in FEATURES order, one row per candidate."""
    return np.column_stack([np.asarray(columns[name], dtype=np.float64) for name in FEATURES])
