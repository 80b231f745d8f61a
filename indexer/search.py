"""Search that takes a resident's plain question, a title, pinyin letters or an article number."""

from __future__ import annotations

import html
import re
import threading
import time
from dataclasses import asdict, dataclass, field

import jieba
import numpy as np
from whoosh import index
from whoosh.query import NumericRange, Or, Prefix, Term

from .analysis import prepare_jieba, query_words, synonyms
from .datadir import DataDir
from .errors import SearchError
from .numerals import article_label, chinese_to_int
from .pinyin_keys import normalize_pinyin_query
from .ranking import PassageScorer
from .store import CatalogEntry, Store

MAX_QUERY_CHARS = 100
CONTROL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u2028-\u202e\ufeff]")
ARTICLE_QUERY = re.compile(
    r"^(?P<title>.*?)\s*第?\s*(?P<num>\d{1,4}|[零〇一二三四五六七八九十百千两]{1,8})\s*条(?P<suffix>之[一二三四五六七八九十])?$")
NATION_PREFIX = "中华人民共和国"
# Repealed or superseded texts stay findable but rank below the text in force.
STATUS_WEIGHT = {"现行": 1.0, "已修订": 0.5, "已废止": 0.4}
# Local regulations repeat national law; unless the query names the place, the national text comes first.
LEVEL_WEIGHT = {"地方性法规": 0.5, "案例": 0.9}
OTHER_PLACE_WEIGHT = 0.5  # a query naming 北京 pushes 上海's regulations further down
LEVEL_RANK = {"宪法": 0, "法律": 0, "行政法规": 1, "司法解释": 1, "党内法律法规": 1, "部门规章": 2, "地方性法规": 3}
SNIPPET_CHARS = 90
TITLE_ROUTE_SCORE = 0.75  # a title must cover at least half of the query's meaning to lead the results
PASSAGES_PER_DOCUMENT = 2  # so one long law does not fill the page


@dataclass
class Hit:
    """One search result, pointing at a passage of a document."""

    doc: str
    passage: str
    source: str
    title: str
    collection: str
    status: str
    article: str | None
    heading: str
    snippet: str
    score: float
    url: str


@dataclass
class SearchResult:
    """Hits with how the query was understood."""

    query: str
    hits: list[Hit] = field(default_factory=list)
    took_ms: float = 0.0
    route: str = "text"  # article | pinyin | title | text | empty
    terms: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


class Searcher:
    """A warm searcher over the index and the catalog; safe to share between request threads."""

    def __init__(self, data: DataDir):
        if not index.exists_in(data.index):
            raise SearchError("还没有建立检索库：请先运行 kiosk build")
        self._index = index.open_dir(data.index)
        self._store = Store(data.database)
        self._lock = threading.Lock()
        self._searcher = self._index.searcher()
        self._catalog: dict[str, CatalogEntry] = {}
        self._load_catalog()
        prepare_jieba()

    def close(self) -> None:
        self._searcher.close()
        self._store.close()

    def refresh(self) -> None:
        """Pick up a build that finished since the last query."""
        with self._lock:
            if not self._searcher.up_to_date():
                # A whole new searcher: whoosh's refresh() keeps open segment readers, so deletions in them
                # would stay invisible and text edited away would stay findable.
                stale, self._searcher = self._searcher, self._index.searcher()
                stale.close()
                self._load_catalog()

    def _load_catalog(self) -> None:
        """Catalog and scoring arrays for the current index generation."""
        self._catalog = {entry.id: entry for entry in self._store.catalog()}
        self._scorer = PassageScorer(self._searcher.reader())
        self._weights = np.array([self._record_weight(d) for d in self._scorer.doc_ids], dtype=np.float32)
        self._masks: dict[str, np.ndarray] = {}
        self._places = {place for entry in self._catalog.values() for place in _places(entry.title)}

    def _record_weight(self, doc_id: str) -> float:
        entry = self._catalog.get(doc_id)
        if entry is None:
            return 1.0
        return STATUS_WEIGHT.get(entry.status, 1.0) * LEVEL_WEIGHT.get(entry.level, 1.0)

    def search(self, query: str, limit: int = 10, collection: str | None = None) -> SearchResult:
        """Route the query (article, pinyin, title, words) and return diversified, highlighted hits."""
        started = time.perf_counter()
        self.refresh()
        text = CONTROL.sub(" ", query or "").strip()[:MAX_QUERY_CHARS]
        limit = max(1, min(int(limit), 50))
        result = SearchResult(query=text)
        if text:
            for route in (self._article_route, self._pinyin_route, self._title_and_text_route):
                if route(text, limit, collection, result):
                    break
        if not result.hits and result.route != "empty":
            result.route = result.route or "text"
        result.took_ms = round((time.perf_counter() - started) * 1000, 2)
        return result

    # -- routes -------------------------------------------------------------------------------

    def _article_route(self, text: str, limit: int, collection: str | None, result: SearchResult) -> bool:
        match = ARTICLE_QUERY.match(text)
        if not match:
            return False
        number = chinese_to_int(match.group("num"))
        if number is None:
            return False
        title = match.group("title").strip(" 《》<>的")
        candidates = [entry for entry, _ in self._title_matches(title, collection, loose=True)] if title else None
        if candidates is not None and not candidates:
            return False
        query = NumericRange("article_no", number, number)
        if candidates is not None:
            query &= Or([Term("doc", entry.id) for entry in candidates[:40]])
        elif collection:
            query &= Term("collection", collection)
        rank = {entry.id: i for i, entry in enumerate(candidates or [])}
        label = article_label(number) + (match.group("suffix") or "")
        with self._lock:
            found = [dict(hit) for hit in self._searcher.search(query, limit=200)]
        found = [hit for hit in found if hit.get("article") == label]
        if not found:
            return False
        found.sort(key=lambda h: (rank.get(h["doc"], 0), self._order_key(h["doc"])))
        result.route, result.terms = "article", [label]
        result.hits = [self._hit(h, [label], score=1.0) for h in found[:limit]]
        return True

    def _pinyin_route(self, text: str, limit: int, collection: str | None, result: SearchResult) -> bool:
        letters = normalize_pinyin_query(text)
        if letters is None:
            return False
        with self._lock:
            found = [dict(hit) for hit in self._searcher.search(Prefix("pinyin", letters), limit=300)]
        docs = [self._catalog[h["doc"]] for h in found if h["kind"] == "doc" and h["doc"] in self._catalog]
        docs = [d for d in docs if not collection or d.collection == collection]
        docs.sort(key=lambda d: (len(d.title),) + self._order_key(d.id))
        terms = sorted((h["term"] for h in found if h["kind"] == "term"), key=len)
        if not docs and not terms:
            return False  # not pinyin after all: let the word search try
        result.route = "pinyin"
        result.hits = [self._title_hit(entry) for entry in docs[:limit]]
        if terms and len(result.hits) < limit:
            words = self._text_hits(" ".join(terms[:3]), limit - len(result.hits), collection)
            seen = {h.doc for h in result.hits}
            result.hits += [h for h in words[0] if h.doc not in seen]
            result.terms = terms[:3]
        return True

    def _title_and_text_route(self, text: str, limit: int, collection: str | None, result: SearchResult) -> bool:
        titled = [(entry, score) for entry, score in self._title_matches(text, collection) if score >= TITLE_ROUTE_SCORE]
        hits, terms = self._text_hits(text, limit, collection)
        title_hits = [self._title_hit(entry) for entry, _ in titled[:3]]
        seen = {h.doc for h in title_hits}
        result.hits = (title_hits + [h for h in hits if h.doc not in seen])[:limit]
        result.terms = terms
        result.route = "title" if title_hits else "text"
        return True

    # -- helpers ------------------------------------------------------------------------------

    def _title_matches(self, text: str, collection: str | None, loose: bool = False) -> list[tuple[CatalogEntry, float]]:
        """Documents whose title contains the query (or its legal wording), best first."""
        variants = {text}
        for word, targets in synonyms().items():
            if word in text:
                variants.update(text.replace(word, target) for target in targets)
        scored = []
        for entry in self._catalog.values():
            if collection and entry.collection != collection:
                continue
            score = max(_title_score(v, entry.title, loose) for v in variants)
            if score > 0:
                scored.append((entry, score))
        scored.sort(key=lambda pair: (-round(pair[1], 2),) + self._order_key(pair[0].id))
        return scored

    def _order_key(self, doc_id: str) -> tuple:
        """In force before repealed, national before local, newer before older."""
        entry = self._catalog.get(doc_id)
        if entry is None:
            return (9, 9, "")
        inverted_date = "".join(chr(0x7F - ord(c)) if c.isascii() else c for c in entry.effective)
        return (0 if entry.status == "现行" else 1, LEVEL_RANK.get(entry.level, 1), inverted_date)

    def _text_hits(self, text: str, limit: int, collection: str | None) -> tuple[list[Hit], list[str]]:
        words = query_words(text)
        if not words:
            return [], []
        table = synonyms()
        concepts, highlight = [], []
        for word in words:
            variants = {word: 1.0}
            for target in table.get(word, ()):
                variants.setdefault(target, 0.9)
            if word not in table and len(word) > 2:
                for part in jieba.cut_for_search(word):
                    if len(part) > 1:
                        variants.setdefault(part, 0.5)
            highlight.extend(variants)
            concepts.append(variants)
        with self._lock:
            scorer, weights = self._scorer, self._weights
            scores = scorer.score(concepts) * weights
            if collection:
                scores *= self._collection_mask(collection)
            candidates = scorer.top(scores, limit * 8)
            named_places = [place for place in self._places if place in text]
            rescored = []
            for record in candidates:
                entry = self._catalog.get(scorer.doc_ids[record])
                score = float(scores[record])
                if entry is not None:
                    places = _places(entry.title)
                    if any(place in text for place in places):
                        score /= LEVEL_WEIGHT.get(entry.level, 1.0)
                    elif places and named_places:
                        score *= OTHER_PLACE_WEIGHT
                    score *= 1 + 0.15 * sum(1 for word in words if word in entry.title)
                rescored.append((score, record))
            rescored.sort(key=lambda pair: -pair[0])
            per_doc: dict[str, int] = {}
            chosen = []
            for score, record in rescored:
                doc_id = scorer.doc_ids[record]
                if per_doc.get(doc_id, 0) < PASSAGES_PER_DOCUMENT:
                    per_doc[doc_id] = per_doc.get(doc_id, 0) + 1
                    chosen.append((score, self._searcher.stored_fields(record)))
                if len(chosen) == limit:
                    break
        return [self._hit(stored, highlight, score) for score, stored in chosen], words

    def _collection_mask(self, collection: str) -> np.ndarray:
        mask = self._masks.get(collection)
        if mask is None:
            mask = np.array([self._catalog[d].collection == collection if d in self._catalog else False
                             for d in self._scorer.doc_ids], dtype=np.float32)
            self._masks[collection] = mask
        return mask

    def _hit(self, stored: dict, terms: list[str], score: float) -> Hit:
        entry = self._catalog.get(stored["doc"])
        passage = stored["id"].split(":", 1)[1]
        return Hit(
            doc=stored["doc"], passage=passage, source=entry.source if entry else "",
            title=stored.get("title", ""), collection=stored.get("collection", ""),
            status=stored.get("status", ""), article=stored.get("article"),
            heading=stored.get("headings", ""), snippet=make_snippet(stored.get("body", ""), terms),
            score=round(float(score), 4), url=f"/doc/{stored['doc']}?p={passage}#{passage}",
        )

    def _title_hit(self, entry: CatalogEntry) -> Hit:
        """A document found by its title: the hit opens it at the top."""
        doc = self._store.document(entry.id)
        first = next((p for p in doc.passages if p.kind != "heading"), None) if doc else None
        return Hit(
            doc=entry.id, passage="title", source=entry.source, title=entry.title,
            collection=entry.collection, status=entry.status, article=None, heading="",
            snippet=html.escape(_clip(first.text if first else "")), score=1.0, url=f"/doc/{entry.id}",
        )


def _title_score(query: str, title: str, loose: bool = False) -> float:
    """1 for the exact title or its short form; less for a title containing the query, less again for letters in order.

    ``loose`` accepts a short name of a long title (建筑物区分所有权解释), for article look-ups where the
    article number narrows the candidates anyway.
    """
    short = title.removeprefix(NATION_PREFIX)
    if query in (title, short, short.split("·")[0]):
        return 1.0
    if len(query) < 2:
        return 0.0
    coverage = len(query) / len(short)
    if query in title:
        return 0.5 + 0.5 * min(coverage, 1.0)
    if len(query) >= 4 and (coverage >= 0.6 or loose) and _in_order(query, short):
        return 0.4 + 0.5 * min(coverage, 1.0)
    return 0.0


def _in_order(needle: str, haystack: str) -> bool:
    position = 0
    for char in needle:
        position = haystack.find(char, position) + 1
        if position == 0:
            return False
    return True


PLACE = re.compile(r"^(.{2,8}?)[省市县区]")


def _places(title: str) -> list[str]:
    """The place a local regulation belongs to (北京市物业管理条例 → 北京), to tell if the query names it."""
    match = PLACE.match(title)
    return [match.group(1)] if match else []


def _clip(text: str) -> str:
    return text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS] + "…"


def make_snippet(text: str, terms: list[str]) -> str:
    """HTML-escaped excerpt around the densest cluster of query terms, each wrapped in <mark>."""
    terms = sorted({t for t in terms if t}, key=len, reverse=True)
    if not terms:
        return html.escape(_clip(text))
    pattern = re.compile("|".join(map(re.escape, terms)))
    matches = list(pattern.finditer(text))
    if not matches:
        return html.escape(_clip(text))
    best_start, best_count = 0, -1
    for m in matches:
        count = len({x.group(0) for x in matches if m.start() <= x.start() < m.start() + SNIPPET_CHARS - 20})
        if count > best_count:
            best_start, best_count = m.start(), count
    start = max(0, best_start - 20)
    excerpt = text[start:start + SNIPPET_CHARS]
    marked = pattern.sub(lambda m: "\x01" + m.group(0) + "\x02", excerpt)
    escaped = html.escape(marked).replace("\x01", "<mark>").replace("\x02", "</mark>")
    return ("…" if start else "") + escaped + ("…" if start + SNIPPET_CHARS < len(text) else "")
