"""Search that takes a resident's plain question, a title, pinyin letters or an article number."""

from __future__ import annotations

import html
import logging
import re
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import asdict, dataclass, field, replace

import jieba
import numpy as np
from whoosh.query import FuzzyTerm, NumericRange, Or, Prefix, Term

from indexer.content.numerals import article_label, chinese_to_int
from indexer.datadir import DataDir
from indexer.errors import SearchError
from indexer.store import CatalogEntry, Store

from . import embedding, learned
from .analysis import focus_words, prepare_jieba, query_words, synonyms
from .pinyin_keys import normalize_pinyin_query, short_names, split_syllables, syllables
from .ranking import FIELD_WEIGHTS, LexicalScores, PassageScorer
from .schema import has_index, open_checked
from .spelling import Speller, domain_terms
from .vectors import VectorSet, VectorStore, vector_key

log = logging.getLogger("kiosk")
MAX_QUERY_CHARS = 100
CONTROL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u2028-\u202e\ufeff]")
ARTICLE_QUERY = re.compile(
    r"^(?P<title>.*?)\s*第?\s*(?P<num>\d{1,4}|[零〇一二三四五六七八九十百千两]{1,8})\s*条(?P<suffix>之[一二三四五六七八九十])?$"
)
NATION_PREFIX = "中华人民共和国"
# Repealed or superseded texts stay findable but rank below the text in force.
STATUS_WEIGHT = {"现行": 1.0, "已修订": 0.5, "已废止": 0.4}
# Local regulations repeat national law; unless the query names the place, the national text comes first.
LEVEL_WEIGHT = {"地方性法规": 0.5, "案例": 0.9}
FOCUS_WEIGHT = 1.2  # a document on one of the hub's subjects (data/focus.txt) outranks an equal match elsewhere
OTHER_PLACE_WEIGHT = 0.5  # a query naming 北京 pushes 上海's regulations further down
LEVEL_RANK = {"宪法": 0, "法律": 0, "行政法规": 1, "司法解释": 1, "党内法律法规": 1, "部门规章": 2, "地方性法规": 3}
LEVEL_CODE = {**LEVEL_RANK, "案例": 4, "": 5}  # the learned ranking's number for a document's level
SNIPPET_CHARS = 90
TITLE_ROUTE_SCORE = 0.75  # a title must cover at least half of the query's meaning to lead the results
PASSAGES_PER_DOCUMENT = 2  # so one long law does not fill the page
MODES = ("lexical", "semantic", "hybrid")
# Hybrid: both scores scaled to 0..1 over their own candidates, then mixed. BM25 is weak on questions (the
# law's words are not the visitor's), so a question leans on meaning; a short keyword query on the words.
SEMANTIC_WEIGHT = {"question": 0.6, "keyword": 0.4}
SEMANTIC_FLOOR = 80  # percentile of all similarities that scales to 0 (the nearest passage scales to 1)
QUESTION = re.compile(r"吗|么|呢|怎|能不能|可不可以|可以|是否|谁|哪|几|多少|如何|为什么|要不要|该不该|算不算|[?？]")
QUESTION_CHARS = 8  # a query this long reads as a sentence even without a question word
# e5 similarities are compressed (unrelated ≈ 0.80-0.85); below this, the nearest passage is only loosely related:
# offer suggestions instead.
WEAK_SIMILARITY = 0.86
SUGGESTIONS = 5
VECTOR_CHECK_SECONDS = 2.0  # how often a searcher looks for vectors a running build has added
QUERY_CACHE = 256
FUZZY_LETTERS = 6  # pinyin this long that matches no title is looked up again allowing one typo
# Title words this long are known to the speller: 组织发 is read as 组织法 (shorter ones collide too often).
TITLE_WORD = 3
# Explaining passages cite the law as 民法典第九百四十四条 or 《物业管理条例》第四十一条.
TEXT_KINDS = "法典|法|条例|规定|解释|办法"  # how the name of a law or rule ends
CITATION = re.compile(
    rf"(?P<title>《[^》]{{2,40}}》|[\u4e00-\u9fff]{{1,30}}?(?:{TEXT_KINDS}))"
    r"第(?P<num>\d{1,4}|[零〇一二三四五六七八九十百千两]{1,8})条(?P<suffix>之[一二三四五六七八九十])?"
)
GENERIC_NAME = re.compile(TEXT_KINDS)  # "按照条例第四十条": a kind of text alone names none
# A query shaped like a text's name (固废法, 建筑物区分所有权司法解释, 《八项规定》 2020), not a question
# (有什么办法): the learned order was taught on questions and keywords, so such a query keeps the hand-set order
# even when no title takes it.
TEXT_NAME = re.compile(
    r"(?!.*(?:什么|怎么|咋|啥|吗|呢|谁|哪))"  # asks something
    rf"《?[\u4e00-\u9fff·]{{1,24}}(?:{TEXT_KINDS}|章程|规则|细则|准则)》?"  # a name ending in a kind of text
    r"\s*(?:(?:19|20)\d{2}年?版?)?"  # and its edition
)
CITING_PASSAGES = 3  # the best this many passages have the articles they cite ranked up
CITED_ARTICLES = 2  # of each, the first this many articles it cites
CITED_SHARE = 1.05  # a cited article ranks just above the passage that cites it
# The learned ranking also reorders the best this many passages by words alone and by meaning alone, beside the
# hand-set score's best: more of the judged passages are then among what it sees (bench/train_ranker.py).
WIDE_POOL = 40
# Full pinyin matching no title still finds one holding its syllables in order, this share of them.
SYLLABLES_COVERED = 0.6


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
class Suggestion:
    """ "Did you mean": the heading of a passage close in meaning to a query that matched nothing well."""

    label: str
    doc: str
    passage: str
    url: str


@dataclass
class SearchResult:
    """Hits with how the query was understood."""

    query: str
    hits: list[Hit] = field(default_factory=list)
    took_ms: float = 0.0
    route: str = "text"  # article | pinyin | title | text | empty
    terms: list[str] = field(default_factory=list)
    mode: str = "lexical"  # lexical | semantic | hybrid
    suggestions: list[Suggestion] = field(default_factory=list)
    corrected: str | None = None  # the query as searched, when homophone typos were read as the terms they sound like

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Pool:
    """The candidates of a word query: records best first by the hand-set score, with those scores; the words to
    highlight; suggestions when nothing is close in meaning; the candidates whose title names the place the query
    names (1) or another (-1); those ranked up as cited by a best explaining passage; and, for the learned
    ranking, each candidate's signals (learned.FEATURES, by name, in the records' order)."""

    records: list[int]
    ranked: list[tuple[float, int]]
    highlight: list[str]
    suggestions: list[Suggestion]
    place_of: dict[int, int] = field(default_factory=dict)
    cited: set[int] = field(default_factory=set)
    signals: dict[str, np.ndarray] | None = None


@dataclass(frozen=True)
class _Meaning:
    """How close every index record is to the query in meaning: its cosine similarity, whether it has a vector, the
    similarity scaled for mixing with words, and the nearest passage's similarity."""

    similarity: np.ndarray
    has_vector: np.ndarray
    scaled: np.ndarray
    best: float


class Searcher:
    """A warm searcher over the index and the catalog; safe to share between request threads.

    ``learned_ranking``: True reorders hybrid results by the shipped model (when there is one), False keeps the
    hand-set order (for benchmarks that compare the two), a Ranker reorders them by that model.
    """

    def __init__(self, data: DataDir, learned_ranking: bool | learned.Ranker = True):
        if not has_index(data.index):
            raise SearchError("还没有建立检索库：请先运行 kiosk build")
        self._index = open_checked(data.index)  # BrokenIndex (a SearchError) for files a power cut tore
        if self._index.is_empty():  # the first build was cut short before its commit
            raise SearchError("还没有建立检索库：请先运行 kiosk build")
        self._data = data
        self._learned = learned_ranking
        self._store = Store(data.database)
        self._retired_store: Store | None = None
        self._lock = threading.Lock()
        self._searcher = self._index.searcher()
        self._unreadable = -1  # a generation that did not open, not tried again until a build writes the next
        self._catalog: dict[str, CatalogEntry] = {}
        self._vector_store = VectorStore(data)
        self._vectors = VectorSet()
        self._vectors_checked = 0.0
        self._query_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._load_catalog()
        self._load_vectors()
        prepare_jieba()

    def close(self) -> None:
        self._searcher.close()
        self._store.close()
        if self._retired_store is not None:
            self._retired_store.close()

    def refresh(self) -> None:
        """Pick up a build that finished since the last query, and vectors a build has added since; a generation
        that does not open (torn by a power cut) is skipped, and the last good one searched until the next build."""
        with self._lock:
            latest = self._index.latest_generation()
            if latest != self._unreadable and not self._searcher.up_to_date():
                store = Store(self._data.database)  # may be a new file: `kiosk build --full` replaces a damaged one
                try:
                    # A whole new searcher: whoosh's refresh() keeps open segment readers, so deletions in them
                    # would stay invisible and text edited away would stay findable.
                    searcher = self._index.searcher()
                except Exception:  # noqa: BLE001 - whatever a torn file makes Whoosh raise
                    store.close()
                    self._unreadable = latest
                    log.warning(
                        "检索库第 %d 版打不开（可能是断电留下的），继续检索上一版；运行 kiosk build 重建", latest
                    )
                else:
                    stale, self._searcher = self._searcher, searcher
                    stale.close()
                    # The connection before last is closed now: queries that were still using it when it was
                    # replaced finished long ago, and left to the garbage collector open files piled up (soak).
                    if self._retired_store is not None:
                        self._retired_store.close()
                    self._retired_store, self._store = self._store, store
                    self._load_catalog()
                    self._vectors_checked = 0.0
        if time.monotonic() - self._vectors_checked > VECTOR_CHECK_SECONDS:
            self._load_vectors()

    @property
    def vector_count(self) -> int:
        """How many passage vectors the searcher holds (0 until a build has embedded some)."""
        return len(self._vectors)

    def semantic_problem(self) -> str | None:
        """Why semantic and hybrid search cannot run right now; None when they can."""
        if not len(self._vectors):
            return "还没有语义向量：请运行 kiosk build（不带 --no-vectors）"
        if "embedded" not in self._searcher.schema:
            return "检索库是旧格式：运行一次 kiosk build 后才能按意思检索"
        if embedding.embedder() is None:
            return embedding.problem()
        return None

    def clear_query_cache(self) -> None:
        """Forget encoded queries (for benchmarks that time the encoding)."""
        self._query_vectors.clear()

    def _load_catalog(self) -> None:
        """Catalog and scoring arrays for the current index generation."""
        self._catalog = {entry.id: entry for entry in _mark_superseded_editions(self._store.catalog())}
        self._scorer = PassageScorer(self._searcher.reader())
        self._focused = {e.id for e in self._catalog.values() if any(word in e.title for word in focus_words())}
        document_weight = {doc_id: self._record_weight(doc_id) for doc_id in set(self._scorer.doc_ids)}
        self._weights = np.array([document_weight[d] for d in self._scorer.doc_ids], dtype=np.float32)
        self._article_numbers = _article_numbers(self._searcher.reader(), self._scorer.size)
        self._masks: dict[str, np.ndarray] = {}
        self._places = {place for entry in self._catalog.values() for place in _places(entry.title)}
        self._cited: dict[int, list[int]] = {}
        self._record_keys: list[bytes | None] | None = None
        self._record_rows: np.ndarray | None = None
        self._titles = list(self._catalog.values())
        self._title_chars: dict[str, set[int]] = {}
        for number, entry in enumerate(self._titles):
            for char in set(entry.title):
                self._title_chars.setdefault(char, set()).add(number)
        title_words = {word for entry in self._titles for word in jieba.cut(entry.title) if len(word) >= TITLE_WORD}
        self._speller = Speller(domain_terms() | title_words)
        self._title_syllables = [[syllables(name) for name in _names(entry.title)] for entry in self._titles]
        self._titles_with_syllable: dict[str, set[int]] = {}
        for number, names in enumerate(self._title_syllables):
            for syllable in {p for name in names for p in name}:
                self._titles_with_syllable.setdefault(syllable, set()).add(number)
        self._known_syllables = frozenset(self._titles_with_syllable)
        self._legal_syllables = [
            (syllables(word), syllables(targets[0]))
            for word, targets in synonyms().items()
            if targets and syllables(word)
        ]

    def _load_vectors(self) -> None:
        """Passage vectors of the current model, and which index record each belongs to; cheap when unchanged."""
        self._vectors_checked = time.monotonic()
        generation = self._vector_store.generation()
        if generation == self._vectors.generation and self._record_rows is not None:
            return
        vectors = self._vector_store.load() if generation else VectorSet()
        with self._lock:
            rows = None
            if len(vectors):
                keys = self._record_keys
                if keys is None:
                    keys = self._record_keys = self._passage_keys()
                rows = np.fromiter(
                    (vectors.keys.get(key, -1) if key else -1 for key in keys), dtype=np.int64, count=len(keys)
                )
            self._vectors, self._record_rows = vectors, rows

    def _passage_keys(self) -> list[bytes | None]:
        """The vector key of every index record (None for records that are not passages, and for every record
        of an index written before passages kept their digest: that one is searched by words until rebuilt)."""
        reader = self._searcher.reader()
        keys: list[bytes | None] = [None] * self._scorer.size
        if "embedded" not in reader.schema:
            return keys
        # Segment by segment: a segment holding only term records has no such column, and whoosh's column
        # over all segments then fails on its records (IndexError) where it should give the default.
        for leaf, offset in reader.leaf_readers():
            if not leaf.has_column("embedded"):
                continue
            digests = leaf.column_reader("embedded")
            for number in range(leaf.doc_count_all()):
                if digests[number] and self._scorer.alive[offset + number]:
                    keys[offset + number] = vector_key(digests[number])
        return keys

    def _record_weight(self, doc_id: str) -> float:
        entry = self._catalog.get(doc_id)
        if entry is None:
            return 1.0
        focus = FOCUS_WEIGHT if doc_id in self._focused else 1.0
        return STATUS_WEIGHT.get(entry.status, 1.0) * LEVEL_WEIGHT.get(entry.level, 1.0) * focus

    def search(
        self, query: str, limit: int = 10, collection: str | None = None, mode: str | None = None
    ) -> SearchResult:
        """Route the query (article, pinyin, title, words) and return diversified, highlighted hits.

        ``mode`` ranks the words by BM25 (lexical), by meaning (semantic) or both (hybrid); the default is
        hybrid when passage vectors and the model are there, lexical otherwise.
        """
        started = time.perf_counter()
        self.refresh()
        mode = self._resolve_mode(mode)
        text = CONTROL.sub(" ", query or "").strip()[:MAX_QUERY_CHARS]
        limit = max(1, min(int(limit), 50))
        result = SearchResult(query=text, mode=mode)
        searched = self._speller.correct(text)
        if searched != text:
            result.corrected = searched
        if searched:
            for route in (self._article_route, self._pinyin_route, self._title_and_text_route):
                if route(searched, limit, collection, result):
                    break
        if not result.hits and result.route != "empty":
            result.route = result.route or "text"
        result.took_ms = round((time.perf_counter() - started) * 1000, 2)
        return result

    def _resolve_mode(self, mode: str | None) -> str:
        if mode is None:
            return "hybrid" if self.semantic_problem() is None else "lexical"
        if mode not in MODES:
            raise SearchError(f"未知的检索方式「{mode}」：可选 {'、'.join(MODES)}")
        if mode != "lexical":
            problem = self.semantic_problem()
            if problem:
                raise SearchError(problem)
        return mode

    # -- routes -------------------------------------------------------------------------------

    def _article_route(self, text: str, limit: int, collection: str | None, result: SearchResult) -> bool:
        match = ARTICLE_QUERY.match(text)
        if not match:
            return False
        number = chinese_to_int(match.group("num"))
        if number is None:
            return False
        label = article_label(number) + (match.group("suffix") or "")
        with self._lock:
            found = self._articles(match.group("title").strip(" 《》<>的"), number, label, collection)
        if not found:
            return False
        result.route, result.terms = "article", [label]
        result.hits = [self._hit(h, [label], score=1.0) for _, h in found[:limit]]
        return True

    def _articles(self, title: str, number: int, label: str, collection: str | None) -> list[tuple[int, dict]]:
        """(record, stored fields) of an article by number in the texts a title names (any text without a title),
        best match first; called with the lock held."""
        candidates = [entry for entry, _ in self._title_matches(title, collection, loose=True)] if title else None
        if candidates is not None and not candidates:
            return []
        query = NumericRange("article_no", number, number)
        if candidates is not None:
            query &= Or([Term("doc", entry.id) for entry in candidates[:40]])
        elif collection:
            query &= Term("collection", collection)
        rank = {entry.id: i for i, entry in enumerate(candidates or [])}
        found = [(hit.docnum, dict(hit)) for hit in self._searcher.search(query, limit=200)]
        found = [(record, hit) for record, hit in found if hit.get("article") == label]
        found.sort(key=lambda pair: (rank.get(pair[1]["doc"], 0), self._order_key(pair[1]["doc"])))
        return found

    def _pinyin_route(self, text: str, limit: int, collection: str | None, result: SearchResult) -> bool:
        letters = normalize_pinyin_query(text)
        if letters is None:
            return False
        found = self._pinyin_records(Prefix("pinyin", letters))
        in_order = [] if found else self._titles_by_syllables(letters)
        if not found and not in_order and len(letters) >= FUZZY_LETTERS:
            found = self._pinyin_records(FuzzyTerm("pinyin", letters, maxdist=1, prefixlength=1))
        docs = [self._catalog[h["doc"]] for h in found if h["kind"] == "doc" and h["doc"] in self._catalog]
        docs.sort(key=lambda d: (len(d.title), *self._order_key(d.id)))
        docs = [d for d in in_order + docs if not collection or d.collection == collection]
        terms = sorted((h["term"] for h in found if h["kind"] == "term"), key=len)
        if not docs and not terms:
            return False  # not pinyin after all: let the word search try
        result.route = "pinyin"
        result.hits = [self._title_hit(entry) for entry in docs[:limit]]
        if terms and len(result.hits) < limit:
            words = self._text_hits(" ".join(terms[:3]), limit - len(result.hits), collection, "lexical")
            seen = {h.doc for h in result.hits}
            result.hits += [h for h in words[0] if h.doc not in seen]
            result.terms = terms[:3]
        return True

    def _titles_by_syllables(self, letters: str) -> list[CatalogEntry]:
        """Titles holding the syllables of full pinyin in order (wuyetiaoli → 物业管理条例), also with an everyday
        word's syllables read as its legal wording's (zaoyin → zaosheng), best covered first."""
        heard = split_syllables(letters, self._known_syllables)
        if not heard or len(heard) < 3:
            return []
        variants = [heard]
        for said, legal in self._legal_syllables:
            for start in range(len(heard) - len(said) + 1):
                if heard[start : start + len(said)] == said:
                    variants.append(heard[:start] + legal + heard[start + len(said) :])
        best: dict[int, float] = {}
        for variant in variants:
            holding = set.intersection(*(self._titles_with_syllable.get(p, set()) for p in set(variant)))
            for number in holding:
                for name in self._title_syllables[number]:
                    if len(variant) <= len(name) and _in_order(variant, name):
                        best[number] = max(best.get(number, 0.0), len(variant) / len(name))
        scored = [(coverage, self._titles[n]) for n, coverage in best.items() if coverage >= SYLLABLES_COVERED]
        scored.sort(key=lambda pair: (-round(pair[0], 2), *self._order_key(pair[1].id)))
        return [entry for _, entry in scored]

    def _pinyin_records(self, query) -> list[dict]:
        with self._lock:
            return [dict(hit) for hit in self._searcher.search(query, limit=300)]

    def _title_and_text_route(self, text: str, limit: int, collection: str | None, result: SearchResult) -> bool:
        titled = [
            (entry, score) for entry, score in self._title_matches(text, collection) if score >= TITLE_ROUTE_SCORE
        ]
        # The learned order was taught on questions and keywords, not on titles: a query that names a title, or reads
        # as a text's name, keeps the hand-set order (below the titles it names).
        learned_order = not titled and not TEXT_NAME.fullmatch(text)
        hits, terms, suggestions = self._text_hits(text, limit, collection, result.mode, learned_order=learned_order)
        title_hits = [self._title_hit(entry) for entry, _ in titled[:3]]
        seen = {h.doc for h in title_hits}
        result.hits = (title_hits + [h for h in hits if h.doc not in seen])[:limit]
        result.terms = terms
        result.route = "title" if title_hits else "text"
        result.suggestions = [] if title_hits else suggestions
        return True

    # -- helpers ------------------------------------------------------------------------------

    def _title_matches(
        self, text: str, collection: str | None, loose: bool = False
    ) -> list[tuple[CatalogEntry, float]]:
        """Documents whose title contains the query (or its legal wording), best first."""
        variants = {text}
        for word, targets in synonyms().items():
            if word in text:
                variants.update(text.replace(word, target) for target in targets)
        # Every way a title can match needs all of a variant's characters in it: score only those titles.
        candidates: set[int] = set()
        for variant in variants:
            sets = [self._title_chars.get(char, set()) for char in set(variant)]
            if sets:
                candidates |= set.intersection(*sets)
        scored = []
        for number in sorted(candidates):
            entry = self._titles[number]
            if collection and entry.collection != collection:
                continue
            score = max(_title_score(v, entry.title, loose) for v in variants)
            if score > 0:
                scored.append((entry, score))
        scored.sort(key=lambda pair: (-round(pair[1], 2), *self._order_key(pair[0].id)))
        return scored

    def _order_key(self, doc_id: str) -> tuple:
        """In force before repealed, national before local, newer before older."""
        entry = self._catalog.get(doc_id)
        if entry is None:
            return (9, 9, "")
        inverted_date = "".join(chr(0x7F - ord(c)) if c.isascii() else c for c in entry.effective)
        return (0 if entry.status == "现行" else 1, LEVEL_RANK.get(entry.level, 1), inverted_date)

    def _text_hits(
        self, text: str, limit: int, collection: str | None, mode: str, learned_order: bool = False
    ) -> tuple[list[Hit], list[str], list[Suggestion]]:
        """Passages for the query's words and/or meaning, diversified (in hybrid mode with ``learned_order``, in the
        learned order); suggestions when the match is weak."""
        words = query_words(text)
        model = None
        if mode == "hybrid" and learned_order and self._learned is not False:
            model = learned.ranker() if self._learned is True else self._learned
        query_vector = self._query_vector_for(text, words, mode)
        with self._lock:
            pool = self._pool(text, words, query_vector, limit, collection, mode, wide=model is not None)
            if pool is None:
                return [], words, []
            ranked = pool.ranked
            if model is not None and pool.signals is not None:
                order = model.scores(learned.matrix(pool.signals))
                ranked = sorted(zip(order.tolist(), pool.records, strict=True), key=lambda pair: -pair[0])
            chosen = [
                (score, self._searcher.stored_fields(record)) for score, record in self._diversified(ranked, limit)
            ]
        return [self._hit(stored, pool.highlight, score) for score, stored in chosen], words, pool.suggestions

    def ranking_candidates(self, query: str, collection: str | None = None) -> tuple[np.ndarray, list[Hit]]:
        """The hybrid candidates of a word query in the hand-set order, each with its row of learned.FEATURES:
        what bench/train_ranker.py learns from. Empty when the query has no words or no vectors are there."""
        text = CONTROL.sub(" ", query or "").strip()[:MAX_QUERY_CHARS]
        if self.semantic_problem() is not None:
            return np.zeros((0, len(learned.FEATURES))), []
        words = query_words(text)
        query_vector = self._query_vector_for(text, words, "hybrid")
        with self._lock:
            pool = self._pool(text, words, query_vector, 10, collection, "hybrid", wide=True)
            if pool is None or pool.signals is None:
                return np.zeros((0, len(learned.FEATURES))), []
            stored = [self._searcher.stored_fields(record) for record in pool.records]
        hits = [self._hit(fields, [], score) for (score, _), fields in zip(pool.ranked, stored, strict=True)]
        return learned.matrix(pool.signals), hits

    def _query_vector_for(self, text: str, words: list[str], mode: str) -> np.ndarray | None:
        """The query's embedding when the mode ranks by meaning and vectors are there; encoded outside the lock, so
        searches on other threads go on meanwhile."""
        if mode == "lexical" or self._record_rows is None:
            return None
        return self._query_vector(_with_legal_wording(text, words))

    def _pool(
        self,
        text: str,
        words: list[str],
        query_vector: np.ndarray | None,
        limit: int,
        collection: str | None,
        mode: str,
        wide: bool,
    ) -> _Pool | None:
        """The candidates for a word query, best first by the hand-set score; in hybrid mode with ``wide``, also the
        best by words alone and by meaning alone, each with its signals for the learned ranking. None when there is
        nothing to search by. Called with the lock held: a refresh may drop the rows of the vectors (until they are
        loaded for its index), and only these rows fit this scorer."""
        concepts, highlight = self._concepts(words)
        scorer, weights, rows = self._scorer, self._weights, self._record_rows
        if not concepts and query_vector is None:
            return None
        if concepts:
            found = scorer.score_and_matched(concepts, fields=wide)
        else:
            zeros = np.zeros(scorer.size, dtype=np.float32)
            found = LexicalScores(zeros, zeros, dict.fromkeys(FIELD_WEIGHTS, zeros))
        lexical, matched = found.total, found.matched
        mask = self._collection_mask(collection) if collection else np.ones(scorer.size, dtype=np.float32)
        suggestions: list[Suggestion] = []
        scores: np.ndarray
        similarity = meaning = has_vector = None
        best = 0.0
        if query_vector is None or rows is None:
            scores = lexical * weights
        else:
            similarity, has_vector = self._similarities(query_vector, rows)
            meaning = _scaled_similarity(similarity, has_vector)
            peak = float(lexical.max()) if len(lexical) else 0.0
            words_score = lexical / peak if peak > 0 else lexical
            meaning = np.where(has_vector, meaning, words_score)  # passages not embedded yet: words only
            if mode == "semantic":
                scores = meaning * weights
            else:
                share = SEMANTIC_WEIGHT[_query_kind(text)]
                scores = (share * meaning + (1 - share) * words_score) * weights
            best = float(similarity[has_vector].max()) if has_vector.any() else 0.0
            if best < WEAK_SIMILARITY:
                # Nothing close in meaning: keep only passages that match most of the words, suggest the rest.
                suggestions = self._suggestions(similarity, has_vector, collection)
                scores = np.where(matched * 2 >= len(concepts), lexical, 0) * weights
                wide = False
        scores = scores * mask
        candidates = scorer.top(scores, limit * 8)
        if wide and meaning is not None:
            known = set(candidates)
            for column in (lexical * weights * mask, meaning * weights * mask):
                candidates += [record for record in scorer.top(column, WIDE_POOL) if record not in known]
                known.update(candidates)
        named_places = [place for place in self._places if place in text]
        rescored, place_of = [], {}
        for record in candidates:
            entry = self._catalog.get(scorer.doc_ids[record])
            score = float(scores[record])
            if entry is not None:
                places = _places(entry.title)
                if any(place in text for place in places):
                    score /= LEVEL_WEIGHT.get(entry.level, 1.0)
                    place_of[record] = 1
                elif places and named_places:
                    score *= OTHER_PLACE_WEIGHT
                    place_of[record] = -1
                score *= 1 + 0.15 * sum(1 for word in words if word in entry.title)
            rescored.append((score, record))
        cited: set[int] = set()
        ranked = self._with_cited_articles(rescored, cited)
        pool = _Pool([record for _, record in ranked], ranked, highlight, suggestions, place_of, cited)
        if wide and similarity is not None and has_vector is not None and meaning is not None:
            pool.signals = self._signals(
                pool, text, words, concepts, found, _Meaning(similarity, has_vector, meaning, best)
            )
        return pool

    def _signals(
        self,
        pool: _Pool,
        text: str,
        words: list[str],
        concepts: list[dict[str, float]],
        found: LexicalScores,
        near: _Meaning,
    ) -> dict[str, np.ndarray]:
        """learned.FEATURES of every candidate of the pool, by name."""
        similarity = near.similarity
        records = np.asarray(pool.records, dtype=np.int64)
        count = len(records)
        documents = [self._scorer.doc_ids[record] for record in pool.records]
        entries = [self._catalog.get(doc) for doc in documents]
        lexical = found.total[records]
        peak = float(found.total.max()) if len(found.total) else 0.0
        passages_of = Counter(documents)
        document_rank: dict[str, int] = {}  # the pool is in the hand-set order: a document's first place ranks it
        best_in_document: dict[str, float] = {}
        for doc, value in zip(documents, similarity[records].tolist(), strict=True):
            document_rank.setdefault(doc, len(document_rank))
            best_in_document[doc] = max(value, best_in_document.get(doc, value))
        return {
            "question": np.full(count, _query_kind(text) == "question"),
            "query_chars": np.full(count, len(text)),
            "concepts": np.full(count, len(concepts)),
            "best_similarity": np.full(count, near.best),
            "bm25": lexical,
            "bm25_body": found.by_field["body"][records],
            "bm25_headings": found.by_field["headings"][records],
            "words_share": lexical / peak if peak > 0 else lexical,
            "matched_share": found.matched[records] / max(len(concepts), 1),
            "similarity": similarity[records],
            "similarity_gap": near.best - similarity[records],
            "meaning": near.scaled[records],
            "hand": np.array([score for score, _ in pool.ranked]),
            "hand_rank": np.arange(count),
            "lexical_rank": _ranks(lexical),
            "semantic_rank": _ranks(similarity[records]),
            "document_weight": self._weights[records],
            "status": np.array([STATUS_WEIGHT.get(e.status, 1.0) if e else 1.0 for e in entries]),
            "level": np.array([LEVEL_CODE.get(e.level, len(LEVEL_CODE)) if e else len(LEVEL_CODE) for e in entries]),
            "focus": np.array([doc in self._focused for doc in documents]),
            "article_no": self._article_numbers[records],
            "body_words": self._scorer.lengths["body"][records],
            "heading_words": self._scorer.lengths["headings"][records],
            "title_words": np.array([sum(w in e.title for w in words) if e else 0 for e in entries]),
            "place": np.array([pool.place_of.get(record, 0) for record in pool.records]),
            "cited": np.array([record in pool.cited for record in pool.records]),
            "has_vector": near.has_vector[records],
            "document_candidates": np.array([passages_of[doc] for doc in documents]),
            "document_rank": np.array([document_rank[doc] for doc in documents]),
            "document_similarity": np.array([best_in_document[doc] for doc in documents]),
        }

    def _with_cited_articles(self, rescored: list[tuple[float, int]], cited: set[int]) -> list[tuple[float, int]]:
        """Best first, with the articles that the best explaining passages (our Q&A and guides, cases: passages
        that are no article themselves) cite by name and number ranked just above them: a resident's question that
        our Q&A answers leads to the article behind the answer. Only an article that is a candidate for the query
        itself: a guide's passage on the repair fund also cites the article on owners' rights, which is no answer
        to 电梯坏了维修基金能不能用. The records so ranked up are added to ``cited``. Called with the lock held."""
        scores = {record: score for score, record in rescored}
        ranked = sorted(rescored, key=lambda pair: -pair[0])
        for score, record in ranked[:CITING_PASSAGES]:
            for article in self._citations(record):
                if article in scores:
                    scores[article] = max(scores[article], score * CITED_SHARE)
                    cited.add(article)
        return sorted(((score, record) for record, score in scores.items()), key=lambda pair: -pair[0])

    def cited_articles(self, hit: Hit) -> list[Hit]:
        """The articles an explaining hit (our Q&A or a guide, a case) cites by name and number; none for an article."""
        with self._lock:
            record = self._searcher.document_number(id=f"{hit.doc}:{hit.passage}")
            if record is None:
                return []
            return [self._hit(self._searcher.stored_fields(cited), [], 0.0) for cited in self._citations(record)]

    def _citations(self, record: int) -> list[int]:
        """Records of the articles an explaining passage cites (at most CITED_ARTICLES), remembered per record."""
        cited = self._cited.get(record)
        if cited is None:
            stored = self._searcher.stored_fields(record)
            cited = []
            if not stored.get("article"):
                for match in CITATION.finditer(stored.get("body", "")):
                    number = chinese_to_int(match.group("num"))
                    if not number:
                        continue
                    label = article_label(number) + (match.group("suffix") or "")
                    title = next(
                        (
                            t
                            for t in _title_tails(match.group("title"))
                            if any(score >= TITLE_ROUTE_SCORE for _, score in self._title_matches(t, None))
                        ),
                        "",
                    )
                    found = self._articles(title, number, label, None) if title else []
                    if found and found[0][0] not in cited:
                        cited.append(found[0][0])
                    if len(cited) == CITED_ARTICLES:
                        break
            self._cited[record] = cited
        return cited

    def _concepts(self, words: list[str]) -> tuple[list[dict[str, float]], list[str]]:
        """Each query word with its synonyms and parts, weighted; and every variant, for highlighting."""
        table = synonyms()
        concepts: list[dict[str, float]] = []
        highlight: list[str] = []
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
        return concepts, highlight

    def _diversified(self, ranked: list[tuple[float, int]], limit: int) -> list[tuple[float, int]]:
        """Best first, at most PASSAGES_PER_DOCUMENT from one document."""
        per_doc: dict[str, int] = {}
        chosen = []
        for score, record in ranked:
            doc_id = self._scorer.doc_ids[record]
            if per_doc.get(doc_id, 0) < PASSAGES_PER_DOCUMENT:
                per_doc[doc_id] = per_doc.get(doc_id, 0) + 1
                chosen.append((score, record))
            if len(chosen) == limit:
                break
        return chosen

    def _query_vector(self, text: str) -> np.ndarray:
        """The query's embedding, remembered for repeated queries (suggestion taps, paging)."""
        with self._cache_lock:
            vector = self._query_vectors.get(text)
        if vector is None:
            model = embedding.embedder()
            assert model is not None, "a mode that needs the model passes _resolve_mode only once it has loaded"
            vector = model.query(text)
            with self._cache_lock:
                self._query_vectors[text] = vector
                if len(self._query_vectors) > QUERY_CACHE:
                    self._query_vectors.popitem(last=False)
        return vector

    def _similarities(self, query_vector: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cosine similarity per index record (``rows``: its vector's row, or -1), and which records have a vector
        at all."""
        has_vector = rows >= 0
        by_row = self._vectors.similarities(query_vector)
        similarity = np.zeros(len(rows), dtype=np.float32)
        similarity[has_vector] = by_row[rows[has_vector]]
        similarity[~self._scorer.alive] = 0
        has_vector &= self._scorer.alive
        return similarity, has_vector

    def _suggestions(self, similarity: np.ndarray, has_vector: np.ndarray, collection: str | None) -> list[Suggestion]:
        """Headings of the nearest passages, one per document."""
        scores = np.where(has_vector, similarity + 1.0, 0.0).astype(np.float32) * self._weights
        if collection:
            scores *= self._collection_mask(collection)
        found: list[Suggestion] = []
        for record in self._scorer.top(scores, SUGGESTIONS * 8):
            if any(s.doc == self._scorer.doc_ids[record] for s in found):
                continue  # one suggestion per document
            stored = self._searcher.stored_fields(record)
            passage = stored["id"].split(":", 1)[1]
            where = stored.get("article") or stored.get("headings", "").split(" ")[-1]
            label = " ".join(x for x in (stored.get("title", ""), where) if x)
            found.append(
                Suggestion(
                    label=label, doc=stored["doc"], passage=passage, url=f"/doc/{stored['doc']}?p={passage}#{passage}"
                )
            )
            if len(found) == SUGGESTIONS:
                break
        return found

    def _collection_mask(self, collection: str) -> np.ndarray:
        mask = self._masks.get(collection)
        if mask is None:
            mask = np.array(
                [
                    self._catalog[d].collection == collection if d in self._catalog else False
                    for d in self._scorer.doc_ids
                ],
                dtype=np.float32,
            )
            self._masks[collection] = mask
        return mask

    def _hit(self, stored: dict, terms: list[str], score: float) -> Hit:
        entry = self._catalog.get(stored["doc"])
        passage = stored["id"].split(":", 1)[1]
        return Hit(
            doc=stored["doc"],
            passage=passage,
            source=entry.source if entry else "",
            title=stored.get("title", ""),
            collection=stored.get("collection", ""),
            status=entry.status if entry else stored.get("status", ""),
            article=stored.get("article"),
            heading=stored.get("headings", ""),
            snippet=make_snippet(stored.get("body", ""), terms),
            score=round(float(score), 4),
            url=f"/doc/{stored['doc']}?p={passage}#{passage}",
        )

    def _title_hit(self, entry: CatalogEntry) -> Hit:
        """A document found by its title: the hit opens it at the top."""
        doc = self._store.document(entry.id)
        first = next((p for p in doc.passages if p.kind != "heading"), None) if doc else None
        return Hit(
            doc=entry.id,
            passage="title",
            source=entry.source,
            title=entry.title,
            collection=entry.collection,
            status=entry.status,
            article=None,
            heading="",
            snippet=html.escape(_clip(first.text if first else "")),
            score=1.0,
            url=f"/doc/{entry.id}",
        )


def _article_numbers(reader, size: int) -> np.ndarray:
    """Each index record's article number (0 for passages that are no article), read from the numeric field's
    full-precision terms: one pass over some thousand terms, where reading every record's stored fields took seconds."""
    numbers = np.zeros(size, dtype=np.float32)
    if "article_no" not in reader.schema:
        return numbers
    field = reader.schema["article_no"]
    for term in reader.lexicon("article_no"):
        if term[:1] == b"\x00":  # shift 0: the exact value; other shifts are the range query's coarser copies
            numbers[list(reader.postings("article_no", term).all_ids())] = field.from_bytes(term)
    return numbers


def _ranks(values: np.ndarray) -> np.ndarray:
    """Each value's place when sorted highest first (0 for the highest)."""
    ranks = np.empty(len(values), dtype=np.float32)
    ranks[np.argsort(-values, kind="stable")] = np.arange(len(values))
    return ranks


def _with_legal_wording(text: str, words: list[str]) -> str:
    """The query followed by the legal wordings its everyday words map to, for its vector: passages are written
    in the law's words, and a question in a resident's words lands nearer them so (bench: semantic questions 0.44 →
    0.55 on tune, 0.41 → 0.51 held out)."""
    table = synonyms()
    wordings = list(dict.fromkeys(t for word in words for t in table.get(word, ()) if t not in text))
    return f"{text}（{'、'.join(wordings)}）" if wordings else text


def _query_kind(text: str) -> str:
    """question for a sentence in a visitor's words, keyword for a few words."""
    return "question" if QUESTION.search(text) or len(text) >= QUESTION_CHARS else "keyword"


def _scaled_similarity(similarity: np.ndarray, has_vector: np.ndarray) -> np.ndarray:
    """Similarities mapped to 0..1 between the SEMANTIC_FLOOR percentile and the nearest passage."""
    scaled = np.zeros(len(similarity), dtype=np.float32)
    values = similarity[has_vector]
    if not len(values):
        return scaled
    floor = float(np.percentile(values, SEMANTIC_FLOOR))
    top = float(values.max())
    if top > floor:
        scaled[has_vector] = np.clip((values - floor) / (top - floor), 0.0, 1.0)
    else:
        scaled[has_vector] = 1.0
    return scaled


def _mark_superseded_editions(catalog: list[CatalogEntry]) -> list[CatalogEntry]:
    """Editions named by year (中国共产党纪律处分条例1997 … 2023): all but the newest count as revised."""
    newest: dict[tuple[str, str], int] = {}
    for entry in catalog:
        edition = EDITION.search(entry.title)
        if edition:
            key = (entry.collection, entry.title[: edition.start()])
            newest[key] = max(newest.get(key, 0), int(edition.group(1)))
    marked = []
    for entry in catalog:
        edition = EDITION.search(entry.title)
        if edition:
            year = edition.group(1)
            older = int(year) < newest[(entry.collection, entry.title[: edition.start()])]
            entry = replace(
                entry,
                effective=entry.effective or year,  # newer editions first among the old
                status="已修订" if older and entry.status == "现行" else entry.status,
            )
        marked.append(entry)
    return marked


def _title_score(query: str, title: str, loose: bool = False) -> float:
    """1 for the exact title or its short form; less for a title containing the query, less again for letters in order.

    ``loose`` accepts a short name of a long title (建筑物区分所有权解释), for article look-ups where the
    article number narrows the candidates anyway.
    """
    short = EDITION.sub("", title.removeprefix(NATION_PREFIX))  # every edition of a text matches alike
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


def _title_tails(title: str) -> list[str]:
    """The name before 第…条 and its shorter tails, longest first: the pattern also takes words before the name
    (业主不能拒交民法典 → … 民法典). A tail is more than a kind of text: 刑法 is a name, 条例 alone is not."""
    title = title.strip("《》")
    return [title[start:] for start in range(len(title) - 1) if not GENERIC_NAME.fullmatch(title[start:])]


def _names(title: str) -> set[str]:
    """A title as written, without 中华人民共和国 and its edition year, and in the short forms people say."""
    short = EDITION.sub("", title.removeprefix(NATION_PREFIX))
    return {title, short, short.split("·")[0], *short_names(short)}


def _in_order(needle, haystack) -> bool:
    """Whether the characters (or syllables) of ``needle`` appear in ``haystack`` in that order."""
    position = 0
    for char in needle:
        try:
            position = haystack.index(char, position) + 1
        except ValueError:
            return False
    return True


EDITION = re.compile(r"[\s_]*((?:19|20)\d{2})$")  # a year ending a title names its edition
PLACE = re.compile(r"^(.{2,8}?)[省市县区]")


def _places(title: str) -> list[str]:
    """The place a local regulation belongs to (北京市物业管理条例 → 北京), to tell if the query names it."""
    match = PLACE.match(title)
    return [match.group(1)] if match else []


def _clip(text: str) -> str:
    return text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS] + "…"


def _densest(matches: list[re.Match], width: int) -> int:
    """Where the first window of ``width`` characters holding the most different terms starts.

    One pass with a sliding window: counting each window afresh took seconds for a long passage full of matches.
    """
    best_start, best_count, right = 0, -1, 0
    inside: Counter[str] = Counter()
    for match in matches:
        while right < len(matches) and matches[right].start() < match.start() + width:
            inside[matches[right].group(0)] += 1
            right += 1
        if len(inside) > best_count:
            best_start, best_count = match.start(), len(inside)
        inside[match.group(0)] -= 1
        if not inside[match.group(0)]:
            del inside[match.group(0)]
    return best_start


def make_snippet(text: str, terms: list[str]) -> str:
    """HTML-escaped excerpt around the densest cluster of query terms, each wrapped in <mark>."""
    terms = sorted({t for t in terms if t}, key=len, reverse=True)
    if not terms:
        return html.escape(_clip(text))
    pattern = re.compile("|".join(map(re.escape, terms)))
    matches = list(pattern.finditer(text))
    if not matches:
        return html.escape(_clip(text))
    start = max(0, _densest(matches, SNIPPET_CHARS - 20) - 20)
    excerpt = text[start : start + SNIPPET_CHARS]
    # Escaped piece by piece: a \x01 placeholder would turn a \x01 in the text itself into a stray <mark>.
    parts, position = [], 0
    for m in pattern.finditer(excerpt):
        parts += [html.escape(excerpt[position : m.start()]), "<mark>", html.escape(m.group(0)), "</mark>"]
        position = m.end()
    escaped = "".join(parts) + html.escape(excerpt[position:])
    return ("…" if start else "") + escaped + ("…" if start + SNIPPET_CHARS < len(text) else "")
