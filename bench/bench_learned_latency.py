"""What the learned ranking adds to a hybrid query at the whole library's size: hybrid search in the hand-set order
(the reference) against the same search reordered by a model, alternating, on one index, in one run.

The index is the whole law library's (every record's BM25, ~108k records); its passages get the real vectors of a
data dir that embedded some of the same texts (a slice: the judged files) and a random vector each for the rest,
so the vector scan is full size and questions still find a close passage (nothing close would skip the model).
The model is the shipped one, or one trained on the fly from `train_ranker.py collect`'s signals: its trees, not
its quality, are what is timed here.

    .venv/bin/python bench/bench_learned_latency.py --index /work/var-laws --vectors /work/var-slice
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_quality import query_sets  # noqa: E402
from bench.bench_search import percentiles  # noqa: E402
from bench.bench_semantic import random_vectors  # noqa: E402
from bench.train_ranker import ROUNDS, SIGNALS, WORD_KINDS, groups_of, load, train  # noqa: E402
from indexer.datadir import DataDir  # noqa: E402
from indexer.search import learned  # noqa: E402
from indexer.search.searcher import Searcher  # noqa: E402
from indexer.search.vectors import VectorSet, VectorStore  # noqa: E402

REPEATS = 3


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="a data dir indexed over the whole library")
    parser.add_argument("--vectors", type=Path, required=True, help="a data dir whose vectors are real for some texts")
    parser.add_argument("--model", type=Path, help="the model file to time (default: the shipped one)")
    parser.add_argument("--signals", type=Path, default=SIGNALS, help="to train a model when none ships")
    parser.add_argument(
        "--sets",
        default="tuned-on,tune,test",
        help="comma-separated query sets whose questions and keywords are timed (the query mix sets the p99)",
    )
    return parser.parse_args()


def model(path: Path | None, signals: Path) -> learned.Ranker:
    """The model of ``path``, else the shipped one, else one trained now from the saved signals."""
    found = learned.load(path.read_text(encoding="utf-8")) if path else learned.ranker()
    if found is None and not path:
        queries, places, labels, rows = load(signals)
        found = learned.load(train(groups_of(queries, places), labels, rows, ROUNDS).model_to_string())
    if found is None:
        sys.exit(f"{path or signals}: no model to time (train_ranker.py collect, then fit)")
    return found


def with_vectors(searcher: Searcher, real: VectorSet) -> tuple[int, int]:
    """Give every passage of the searcher's index a vector: its real one when ``real`` has its text, else random.
    Returns how many were real and how many random."""
    keys = searcher._passage_keys()
    missing = sorted({key for key in keys if key is not None and key not in real.keys})
    noise, noise_scales = random_vectors(len(missing))
    table = dict(real.keys)
    table.update({key: len(real.matrix) + row for row, key in enumerate(missing)})
    searcher._vectors = VectorSet(
        table, np.concatenate([real.matrix, noise]), np.concatenate([real.scales, noise_scales]), ()
    )
    searcher._record_rows = np.fromiter(
        (table.get(key, -1) if key is not None else -1 for key in keys), dtype=np.int64, count=len(keys)
    )
    return len(table) - len(missing), len(missing)


def _first_page(searcher: Searcher, query: str) -> list[tuple[str, str]]:
    return [(hit.doc, hit.passage) for hit in searcher.search(query, mode="hybrid").hits]


def main() -> None:
    args = parse_args()
    sets = query_sets(args.sets.split(","))
    queries = [q["query"] for part in sets.values() for q in part if q["kind"] in WORD_KINDS]
    real = VectorStore(DataDir.create(args.vectors)).load()
    with tempfile.TemporaryDirectory() as folder:
        # A copy without vectors: the searcher then never reloads them from a build that is still adding some.
        data = DataDir.create(Path(folder) / "var")
        shutil.copytree(args.index / "index", data.index, dirs_exist_ok=True)
        shutil.copyfile(args.index / "kiosk.db", data.database)
        searchers = {
            "hand-set": Searcher(data, learned_ranking=False),
            "learned": Searcher(data, model(args.model, args.signals)),
        }
        counts = with_vectors(searchers["hand-set"], real)
        with_vectors(searchers["learned"], real)
        reordered = sum(_first_page(searchers["learned"], q) != _first_page(searchers["hand-set"], q) for q in queries)
        samples: dict[str, list[float]] = {name: [] for name in searchers}
        for _ in range(REPEATS):
            for query in queries:
                for name, searcher in searchers.items():  # alternating: both see the same machine load
                    searcher.clear_query_cache()
                    started = time.perf_counter()
                    searcher.search(query, mode="hybrid")
                    samples[name].append((time.perf_counter() - started) * 1000)
        records = searchers["hand-set"]._scorer.size
        for searcher in searchers.values():
            searcher.close()
    figures = {name: percentiles(ms) for name, ms in samples.items()}
    print(f"{records} index records; vectors: {counts[0]} real, {counts[1]} random")
    print(f"{len(queries)} question and keyword queries ({args.sets}) × {REPEATS}, query-vector cache cleared")
    print(f"the model changed the order of the first page for {reordered} of them")
    print("hybrid        p50 ms   p99 ms   mean ms")
    for name, p in figures.items():
        print(f"  {name:10} {p['p50']:7.1f}  {p['p99']:7.1f}  {statistics.fmean(samples[name]):7.1f}")
    hand, ours = figures["hand-set"], figures["learned"]
    print(f"learned / hand-set: p50 {ours['p50'] / hand['p50']:.2f}×, p99 {ours['p99'] / hand['p99']:.2f}×")


if __name__ == "__main__":
    main()
