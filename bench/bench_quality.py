"""Ranking quality on a full-library data dir: MRR@10 and Recall@10 per query kind and mode, for the queries the
weights were tuned on and for each part of the blind-written queries (tune; test, and test2 to test6 written later
for the learned order's further trials); warm latency per mode.

Misses are printed for the tuned-on sets only: the held-out sets are reported, never looked into.

    .venv/bin/python bench/bench_quality.py --data /work/var-laws --sets tuned-on,tune --misses   # while tuning
    .venv/bin/python bench/bench_quality.py --data /work/var-laws --json quality.json             # the report
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_search import KINDS, TOP  # noqa: E402
from bench.bench_semantic import latency, quality  # noqa: E402
from indexer.datadir import DataDir  # noqa: E402
from indexer.search import learned  # noqa: E402
from indexer.search.searcher import MODES, Hit, Searcher, SearchResult  # noqa: E402

SETS = ("tuned-on", "tune", "test", "test2", "test3", "test4", "test5", "test6")
HELD_OUT_SETS = ("test", "test2", "test3", "test4", "test5", "test6")  # reported, never looked into
LEARNED = "learned"  # hybrid search reordered by the learned ranking (bench/train_ranker.py)
BENCH_MODES = (*MODES, LEARNED)
BUNDLED = REPO / "bench" / "judged_bundled.jsonl"
# The blind-written queries, each line with its part (tune, test, test2 … test6); how each file was written: its .md.
WRITTEN = tuple(
    REPO / "bench" / name
    for name in (
        "queries_written.jsonl",  # tune and test
        "queries_written_more.jsonl",  # tune, for the learned order to learn from
        "queries_written_round3.jsonl",  # more tune, round 3
        "queries_test2.jsonl",  # held out, written after test was seen: the learned order's second trial
        "queries_test3.jsonl",  # held out, round 3
        "queries_test4.jsonl",  # held out, round 4: new signals
        "queries_test5.jsonl",  # held out, round 5: more titles, pooled with test4
        "queries_test6.jsonl",  # held out, round 6: titles of texts no earlier title named
    )
)


class ModeSearcher:
    """Answers every mode: the hand-set ones from a searcher without the learned ranking, LEARNED from one with it."""

    def __init__(self, data: DataDir, model: Path | None = None):
        self.hand = Searcher(data, learned_ranking=False)
        ranker = learned.load(model.read_text(encoding="utf-8")) if model else None
        if model and ranker is None:
            sys.exit(f"{model}: not a model of the searcher's signals")
        self.learned = Searcher(data, ranker or True)

    def search(self, query: str, *, limit: int, mode: str) -> SearchResult:
        if mode == LEARNED:
            return self.learned.search(query, limit=limit, mode="hybrid")
        return self.hand.search(query, limit=limit, mode=mode)

    def cited_articles(self, hit: Hit) -> list[Hit]:
        return self.hand.cited_articles(hit)

    def clear_query_cache(self) -> None:
        self.hand.clear_query_cache()
        self.learned.clear_query_cache()

    def close(self) -> None:
        self.hand.close()
        self.learned.close()


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "var-laws", help="a data dir over the whole library")
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, of {', '.join(SETS)}")
    parser.add_argument("--modes", default=",".join(BENCH_MODES), help="comma-separated, of " + ", ".join(BENCH_MODES))
    parser.add_argument("--no-latency", action="store_true", help="quality only")
    parser.add_argument("--misses", action="store_true", help="list the first-hit misses of the tuned-on sets")
    parser.add_argument(
        "--credit-citations",
        action="store_true",
        help="a hit that explains the law (our Q&A, a guide, a case) counts when it cites a judged article",
    )
    parser.add_argument(
        "--bundled",
        action="store_true",
        help="a hit in a section of our own texts judged by hand to answer the query counts too (judged_bundled.jsonl)",
    )
    parser.add_argument("--model", type=Path, help="the learned column's model file (default: the shipped one)")
    parser.add_argument("--json", type=Path, help="also write all figures to this file")
    args = parser.parse_args()
    args.sets = [s for s in args.sets.split(",") if s]
    args.modes = [m for m in args.modes.split(",") if m]
    if not set(args.sets) <= set(SETS) or not set(args.modes) <= set(BENCH_MODES):
        parser.error(f"--sets takes {', '.join(SETS)}; --modes takes {', '.join(BENCH_MODES)}")
    return args


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def query_sets(names: list[str], bundled: bool = False) -> dict[str, list[dict]]:
    """queries.jsonl (the current weights were tuned on it) and each part of the blind-written queries; with
    ``bundled``, each word query's judged articles joined by the sections of our own texts judged to answer it."""
    written = [q for path in WRITTEN for q in read_jsonl(path)]
    every = {"tuned-on": read_jsonl(REPO / "bench" / "queries.jsonl")}
    every.update({name: [q for q in written if q["part"] == name] for name in SETS[1:]})
    if bundled:
        sections = {row["query"]: row["relevant"] for row in read_jsonl(BUNDLED)}
        every = {
            name: [{**q, "relevant": q["relevant"] + sections.get(q["query"], [])} for q in queries]
            for name, queries in every.items()
        }
    return {name: every[name] for name in names}


def print_quality(name: str, table: dict) -> None:
    """One table per query set: kinds down, MRR and Recall per mode across."""
    modes = list(table)
    print(
        f"\n{name}: quality @{TOP}   n  "
        + "".join(f"  MRR {m:9}" for m in modes)
        + "".join(f"  R@10 {m:8}" for m in modes)
    )
    for kind in (*KINDS, "all"):
        rows = [table[m].get(kind) for m in modes]
        if rows[0] is None:
            continue
        print(
            f"  {kind:18} {rows[0]['n']:4d}  "
            + "".join(f"  {r['mrr']:13.3f}" for r in rows)
            + "".join(f"  {r['recall']:13.3f}" for r in rows)
        )


def print_misses(name: str, misses: dict) -> None:
    """First-hit misses per mode, for a tuned-on set."""
    for mode, rows in misses.items():
        print(f"\n{name} / {mode} misses (first hit not relevant): {len(rows)}")
        for row in rows:
            where = f"rank {row['rank']}" if row["rank"] else "not in top 10"
            print(f"  [{row['kind']}/{row['route']}] {row['query']} — relevant {where}; first {row['first']}")


def main() -> None:
    """Measure every chosen set in every chosen mode on one warm searcher, then latency over all their queries."""
    args = parse_args()
    sets = query_sets(args.sets, args.bundled)
    searcher = ModeSearcher(DataDir.create(args.data), args.model)
    scorer = searcher.hand._scorer
    passages = int(((scorer.lengths["body"] > 0) & scorer.alive).sum())
    rows = searcher.hand._record_rows
    # Passages of the same text share one vector: embedded counts passages, vector_count distinct texts.
    embedded = int(((rows >= 0) & scorer.alive).sum()) if rows is not None else 0
    figures: dict = {
        "date": date.today().isoformat(),
        "data": str(args.data),
        "passages": passages,
        "embedded": embedded,
        "vectors": searcher.hand.vector_count,
        "credit_citations": args.credit_citations,
        "bundled": args.bundled,
        "quality": {},
        "misses": {},
    }
    partial = " (PARTIAL: not every passage has its vector yet)" if embedded < passages else ""
    print(
        f"{args.data}: {passages} passages, {embedded} with a vector ({searcher.hand.vector_count} distinct){partial}"
    )
    for name, queries in sets.items():
        figures["quality"][name], misses = quality(searcher, queries, args.modes, args.credit_citations)
        print_quality(f"{name} ({len(queries)} queries)", figures["quality"][name])
        if args.misses and name not in HELD_OUT_SETS:
            figures["misses"][name] = misses
            print_misses(name, misses)
    if not args.no_latency:
        every = [q for queries in sets.values() for q in queries]
        figures["latency"] = latency(searcher, every, modes=args.modes)
        print(f"\nwarm latency over {len(every)} queries, query-vector cache cleared each call (ms)   p50     p99")
        for mode, p in figures["latency"].items():
            print(f"  {mode:10}{'':58}{p['p50']:6.1f}  {p['p99']:6.1f}")
    searcher.close()
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
