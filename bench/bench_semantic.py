"""Semantic search benchmark: lexical, semantic and hybrid ranking on one law-library slice, with latency,
embedding throughput and memory, and hybrid latency over simulated full-library vectors.

The slice is every file that bench/queries.jsonl judges relevant plus a few local regulations that repeat
national law (the hard distractors); about 6,000 passages, which embed in roughly 10 minutes on two cores.
Vectors are kept in --data between runs (keyed by text and model), so a second run only searches.

    .venv/bin/python bench/bench_semantic.py --data /tmp/bench-semantic
    .venv/bin/python bench/bench_semantic.py --data /tmp/bench-semantic --full-index var-laws  # + full-size timing
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Protocol

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_search import KINDS, TOP, judge, peak_rss_mb, percentiles  # noqa: E402
from indexer.build import build_index  # noqa: E402
from indexer.datadir import DataDir  # noqa: E402
from indexer.search import embedding  # noqa: E402
from indexer.search.embedding import DIM  # noqa: E402
from indexer.search.searcher import MODES, Hit, Searcher, SearchResult  # noqa: E402
from indexer.search.vectors import VectorSet, catalog_passages, embed_missing, quantize  # noqa: E402

DISTRACTORS = [
    "DLC/山东地方法规/地方性法规/山东/山东省物业管理条例(2021-12-03).md",
    "DLC/山东地方法规/地方性法规/山东/青岛市物业管理条例(2021-01-28).md",
    "DLC/浙江地方法规/地方性法规/浙江/浙江省物业管理条例(2009-11-27).md",
    "案例/民法典/张某某诉某物业公司等财产损害赔偿案.md",
]
FULL_LIBRARY_PASSAGES = 106_000
REPEATS = 3


class SearchesByMode(Protocol):
    """What quality() and latency() use of a searcher: a Searcher, or bench_quality's pair of them."""

    def search(self, query: str, *, limit: int, mode: str) -> SearchResult: ...

    def cited_articles(self, hit: Hit) -> list[Hit]: ...

    def clear_query_cache(self) -> None: ...


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=Path("/tmp/bench-semantic"),
        help="data dir for the slice's index and vectors, reused between runs",
    )
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "laws")
    parser.add_argument("--queries", type=Path, default=REPO / "bench" / "queries.jsonl")
    parser.add_argument("--prepare-only", action="store_true", help="build the slice's index and vectors, then stop")
    parser.add_argument(
        "--full-index",
        type=Path,
        help="a data dir indexed over the whole library (kiosk build --no-vectors): also time lexical "
        "and hybrid there, with random vectors for its passages",
    )
    parser.add_argument("--json", type=Path, help="also write all figures to this file")
    return parser.parse_args()


def slice_sources(queries: list[dict]) -> list[str]:
    """Every judged file plus the distractors, sorted: the same slice on every run."""
    return sorted({w["source"] for q in queries for w in q["relevant"]} | set(DISTRACTORS))


def prepare(corpus: Path, data_root: Path, sources: list[str]) -> dict:
    """Copy the slice, index it, embed what is missing; returns build and embedding figures."""
    root = data_root / "corpus"
    for source in sources:
        target = root / source
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(corpus / source, target)
    shutil.copyfile(corpus / "metadata.json", root / "metadata.json")
    data = DataDir.create(data_root / "var")
    report = build_index(data, [root])
    passages = sum(1 for _ in catalog_passages(data))
    model = embedding.embedder()
    if model is None:
        raise SystemExit(embedding.problem())
    started = time.monotonic()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] > 30 or done == total:
            last[0] = now
            rate = done / max(now - started, 1e-9)
            print(f"  embedded {done}/{total} ({rate:.1f}/s)", file=sys.stderr, flush=True)

    embedded = embed_missing(data, model, progress=progress)
    return {
        "files": sum(1 for _ in root.rglob("*.md")),
        "passages": passages,
        "index_s": report.seconds,
        "embedded": embedded.embedded,
        "reused": embedded.reused,
        "embed_s": embedded.seconds,
    }


def throughput(model, texts: list[str]) -> dict:
    """Passages per second over a fixed sample of the slice's passages (embedded again, not stored)."""
    sample = texts[:: max(1, len(texts) // 96)][:96]
    model.passages(sample[:8])
    started = time.perf_counter()
    for i in range(0, len(sample), 16):
        model.passages(sample[i : i + 16])
    seconds = time.perf_counter() - started
    return {
        "passages": len(sample),
        "per_s": len(sample) / seconds,
        "mean_chars": statistics.fmean(len(t) for t in sample),
    }


def ranked(searcher: SearchesByMode, query: str, mode: str, credit_citations: bool = False):
    """Our hits as (source, article, heading); with credit_citations, a hit that explains rather than states the law
    (our Q&A, a guide, a case) is followed by the (source, article, heading) of each article it cites, as
    alternatives."""
    result = searcher.search(query, limit=TOP, mode=mode)
    if not credit_citations:
        return [(hit.source, hit.article, hit.heading) for hit in result.hits], result
    return [
        (
            hit.source,
            hit.article,
            hit.heading,
            *(part for c in searcher.cited_articles(hit) for part in (c.source, c.article, c.heading)),
        )
        for hit in result.hits
    ], result


def quality(
    searcher: SearchesByMode, queries: list[dict], modes=MODES, credit_citations: bool = False
) -> tuple[dict, dict]:
    """MRR@10 and Recall@10 per mode and kind; and the misses per mode."""
    table: dict = {}
    misses: dict = defaultdict(list)
    for mode in modes:
        groups: dict[str, list] = defaultdict(list)
        for q in queries:
            hits, result = ranked(searcher, q["query"], mode, credit_citations)
            rank, recall = judge(hits, q["relevant"])
            groups[q["kind"]].append((rank, recall))
            groups["all"].append((rank, recall))
            if rank != 1:
                misses[mode].append(
                    {
                        "query": q["query"],
                        "kind": q["kind"],
                        "route": result.route,
                        "rank": rank,
                        "first": hits[0] if hits else None,
                    }
                )
        table[mode] = {
            kind: {
                "mrr": statistics.fmean(1 / r if r else 0.0 for r, _ in rows),
                "recall": statistics.fmean(rc for _, rc in rows),
                "n": len(rows),
            }
            for kind, rows in groups.items()
        }
    return table, misses


def latency(searcher: SearchesByMode, queries: list[dict], modes=MODES) -> dict:
    """Warm p50/p99 per mode, every query REPEATS times; the query-vector cache is cleared before each call."""
    for q in queries:
        for mode in modes:
            searcher.search(q["query"], limit=TOP, mode=mode)
    samples: dict[str, list[float]] = defaultdict(list)
    for _ in range(REPEATS):
        for q in queries:
            for mode in modes:
                searcher.clear_query_cache()
                started = time.perf_counter()
                searcher.search(q["query"], limit=TOP, mode=mode)
                samples[mode].append((time.perf_counter() - started) * 1000)
    return {mode: percentiles(ms) for mode, ms in samples.items()}


def random_vectors(count: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` random unit-length vectors, int8 with their scales as the store keeps them; the same every run."""
    rng = np.random.default_rng(8)
    return quantize(rng.standard_normal((count, DIM)).astype(np.float32) / np.sqrt(DIM))


def simulate_full_library(searcher: Searcher, queries: list[dict]) -> dict:
    """Hybrid latency with the slice's vectors padded by random int8 vectors to the full library's size.

    Only the vector scan grows (BM25 stays the slice's): that scan is what depends on the number of vectors.
    """
    real = searcher._vectors
    noise, scales = random_vectors(FULL_LIBRARY_PASSAGES - len(real.matrix))
    padded = VectorSet(
        dict(real.keys), np.concatenate([real.matrix, noise]), np.concatenate([real.scales, scales]), real.generation
    )
    searcher._vectors = padded
    try:
        figures = latency(searcher, queries, modes=("hybrid", "semantic"))
    finally:
        searcher._vectors = real
    figures["vectors"] = len(padded.matrix)
    figures["vector_mb"] = padded.matrix.nbytes / 2**20
    return figures


def full_index_latency(data: DataDir, queries: list[dict]) -> dict:
    """Lexical and hybrid latency on a real full-library index with a random int8 vector for every passage.

    Everything per query runs at full size: BM25 over every record, the vector scan, the fusion arithmetic.
    Only the vectors are random (embedding the library takes hours), so rankings here mean nothing.
    """
    searcher = Searcher(data)
    scorer = searcher._scorer
    passages = (scorer.lengths["body"] > 0) & scorer.alive
    rows = np.full(scorer.size, -1, dtype=np.int64)
    rows[passages] = np.arange(int(passages.sum()))
    matrix, scales = random_vectors(int(passages.sum()))
    searcher._vectors = VectorSet({i.to_bytes(20, "big"): i for i in range(len(matrix))}, matrix, scales, ())
    searcher._record_rows = rows
    figures = latency(searcher, queries, modes=("lexical", "hybrid"))
    figures["vectors"] = len(matrix)
    figures["records"] = scorer.size
    searcher.close()
    return figures


def print_report(figures: dict) -> None:
    """The tables."""
    s = figures["slice"]
    print(
        f"\nslice: {s['files']} files, {s['passages']} passages; embedded this run {s['embedded']} "
        f"({s['embed_s']:.0f} s), reused {s['reused']}"
    )
    t = figures["throughput"]
    print(
        f"embedding throughput: {t['per_s']:.1f} passages/s (sample of {t['passages']}, "
        f"mean {t['mean_chars']:.0f} chars)"
    )
    print(
        f"\nquality @{TOP}       n   "
        + "   ".join(f"MRR {m:8}" for m in MODES)
        + "   "
        + "   ".join(f"R@10 {m:8}" for m in MODES)
    )
    for kind in (*KINDS, "all"):
        if kind not in figures["quality"]["lexical"]:
            continue
        row = [figures["quality"][m][kind] for m in MODES]
        print(
            f"  {kind:10} {row[0]['n']:4d}   "
            + "   ".join(f"    {r['mrr']:.3f}    " for r in row)
            + "   "
            + "   ".join(f"     {r['recall']:.3f}    " for r in row)
        )
    print("\nwarm latency (ms, query-vector cache cleared each call)   p50     p99")
    for mode, p in figures["latency"].items():
        print(f"  {mode:10} slice                                   {p['p50']:6.1f}  {p['p99']:6.1f}")
    full = figures["full_library"]
    for mode in ("hybrid", "semantic"):
        p = full[mode]
        print(
            f"  {mode:10} simulated {full['vectors']} vectors ({full['vector_mb']:.0f} MB int8)"
            f"  {p['p50']:6.1f}  {p['p99']:6.1f}"
        )
    if "full_index" in figures:
        full = figures["full_index"]
        for mode in ("lexical", "hybrid"):
            p = full[mode]
            print(
                f"  {mode:10} full-library index, {full['vectors']} random vectors   {p['p50']:6.1f}  {p['p99']:6.1f}"
            )
    m = figures["memory"]
    print(
        f"\nmemory: peak RSS {m['peak_mb']:.0f} MB; searcher with model and slice vectors {m['searcher_mb']:.0f} MB "
        f"over the interpreter; slice vectors {m['vector_mb']:.1f} MB int8"
    )
    print(f"\nhybrid misses (first hit not relevant): {len(figures['misses']['hybrid'])}")
    for row in figures["misses"]["hybrid"]:
        where = f"rank {row['rank']}" if row["rank"] else "not in top 10"
        print(f"  [{row['kind']}/{row['route']}] {row['query']} — relevant {where}; first {row['first']}")


def rss_mb() -> float:
    """Current resident memory."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    """Prepare the slice, measure, print."""
    args = parse_args()
    queries = [json.loads(line) for line in args.queries.read_text(encoding="utf-8").splitlines() if line.strip()]
    figures: dict = {"queries": len(queries)}
    figures["slice"] = prepare(args.corpus, args.data, slice_sources(queries))
    if args.prepare_only:
        print(json.dumps(figures["slice"]))
        return
    data = DataDir.create(args.data / "var")
    gc.collect()
    before = rss_mb()
    searcher = Searcher(data)
    searcher.search("物业费", mode="hybrid")
    figures["memory"] = {"searcher_mb": rss_mb() - before, "vector_mb": searcher._vectors.matrix.nbytes / 2**20}
    figures["throughput"] = throughput(embedding.embedder(), [text for _, text in catalog_passages(data)])
    figures["quality"], figures["misses"] = quality(searcher, queries)
    figures["latency"] = latency(searcher, queries)
    figures["full_library"] = simulate_full_library(searcher, queries)
    figures["memory"]["peak_mb"] = peak_rss_mb()
    searcher.close()
    if args.full_index:
        figures["full_index"] = full_index_latency(DataDir.create(args.full_index), queries)
    print_report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
