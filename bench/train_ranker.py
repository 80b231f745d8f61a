"""Train the learned ranking (indexer/search/data/ranker.txt) on the tune part of the judged queries.

The searcher gives every candidate of a query its signals (indexer/search/learned.py's FEATURES); a candidate is
relevant when it answers one of the query's judgements: a law article (the tune part of queries_written.jsonl, and
queries_written_more.jsonl) or, with --bundled, a section of our own texts judged by hand (judged_bundled.jsonl).
LightGBM's LambdaMART learns the order from the tune queries only; the held-out test part is never read here.

    .venv/bin/python bench/train_ranker.py collect --data /work/var-laws --data /work/var-hub --data /work/var-bundled \
        --bundled
    .venv/bin/python bench/train_ranker.py sweep  # choose: 5-fold MRR on tune, per data dir, of each setting
    .venv/bin/python bench/train_ranker.py cv     # the chosen setting's 5-fold MRR
    .venv/bin/python bench/train_ranker.py fit    # write the model; each signal's gain in it

`collect` needs data dirs with every vector: the whole law library (two and a half hours to embed on two cores),
the same with our texts, and our texts alone, as hubs come in these kinds and the model must serve each; `sweep`,
`cv` and `fit` read the signals it saved (bench/ranker_signals.csv.gz, kept out of git: the judgements are the
data, the signals are derived from them and the index), so a change of parameters is tried in seconds.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import itertools
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_quality import query_sets  # noqa: E402
from bench.bench_search import TOP, is_relevant  # noqa: E402
from indexer.search.learned import FEATURES  # noqa: E402

SIGNALS = REPO / "bench" / "ranker_signals.csv.gz"
MODEL = REPO / "indexer" / "search" / "data" / "ranker.txt"
TRAINED_ON = "tune"  # the only part whose judgements the model sees
WORD_KINDS = ("question", "keyword")  # titles, pinyin and articles take their own routes
FOLDS = 5
# Chosen on tune by 5-fold cross-validation over three kinds of hub (the law library alone, with our texts, our
# texts alone): the best mean of the three in SWEEP. The shipped model is these parameters fitted on the 394 tune
# word queries of commit 79edbcc; round 3's refit on 592 (20 rows per leaf) did worse on test3 and was not shipped.
PARAMS = {
    "objective": "lambdarank",
    "metric": "map",
    "eval_at": [TOP],
    "learning_rate": 0.03,
    "num_leaves": 7,
    "min_data_in_leaf": 50,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambdarank_truncation_level": 20,
    "seed": 8,
    "num_threads": 2,
    "verbose": -1,
}
ROUNDS = 600
# Leaves, rate, rows per leaf, trees. Seven leaves at most: 600 trees of seven already take 4 of the 60 ms budget.
# Rate 0.1 lost to 0.03 in every setting on our texts' signals (tune, 394 queries), so the sweep keeps 0.03.
SWEEP = ((7,), (0.03,), (20, 50), (300, 600))


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("collect", "cv", "sweep", "fit"))
    parser.add_argument(
        "--data",
        type=Path,
        action="append",
        help="for collect: a data dir with vectors; repeat it for another kind of hub (with, without the law library)",
    )
    parser.add_argument("--bundled", action="store_true", help="for collect: also count judged sections of our texts")
    parser.add_argument("--signals", type=Path, default=SIGNALS)
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    return parser.parse_args()


def judgements(bundled: bool) -> list[dict]:
    """The tune part's word queries, each with its judged articles and, with ``bundled``, its judged sections."""
    return [q for q in query_sets([TRAINED_ON], bundled)[TRAINED_ON] if q["kind"] in WORD_KINDS]


def collect(data_dirs: list[Path], bundled: bool, out: Path) -> None:
    """Every tune query's candidates in each data dir, with their signals and whether each answers a judgement, to
    ``out`` (a row: the query's number, the data dir's, the label, the signals)."""
    from indexer.datadir import DataDir
    from indexer.search.searcher import Searcher

    queries = judgements(bundled)
    rows = []
    for place, data in enumerate(data_dirs):
        searcher = Searcher(DataDir.create(data))
        problem = searcher.semantic_problem()
        if problem:
            sys.exit(f"{data}: {problem}")
        found = 0
        for number, q in enumerate(queries):
            signals, hits = searcher.ranking_candidates(q["query"])
            labels = [int(any(is_relevant((h.source, h.article, h.heading), w) for w in q["relevant"])) for h in hits]
            found += any(labels)
            rows += [[number, place, label, *row] for label, row in zip(labels, signals.tolist(), strict=True)]
        searcher.close()
        print(f"{data}: {len(queries)} tune queries, {found} with a judged passage among their candidates")
    with gzip.open(out, "wt", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["query", "data", "label", *FEATURES])
        writer.writerows(rows)
    print(f"{len(rows)} rows → {out}")


Signals = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # what load gives: queries, places, labels, signals


def load(path: Path) -> Signals:
    """Query numbers, data dir numbers, labels and signals as saved by collect (the rows of one query in one data
    dir together, in the hand-set order)."""
    if not path.is_file():
        sys.exit(f"{path}: no signals yet: run bench/train_ranker.py collect first")
    with gzip.open(path, "rt", encoding="utf-8") as file:
        reader = csv.reader(file)
        header = next(reader)
        if tuple(header[3:]) != FEATURES:
            sys.exit(f"{path} holds other signals than learned.FEATURES: run collect again")
        table = np.array([[float(x) for x in row] for row in reader])
    return table[:, 0].astype(int), table[:, 1].astype(int), table[:, 2].astype(int), table[:, 3:]


def groups_of(queries: np.ndarray, places: np.ndarray) -> np.ndarray:
    """One number per (data dir, query): the rows LambdaMART ranks against each other."""
    return places * (int(queries.max(initial=0)) + 1) + queries


def first_relevant(order: np.ndarray, labels: np.ndarray) -> int | None:
    """1-based place of the first relevant candidate within TOP, when the candidates are read in ``order``."""
    hits = np.flatnonzero(labels[order][:TOP])
    return int(hits[0]) + 1 if len(hits) else None


def mrr(places: list[int | None]) -> float:
    return statistics.fmean(1 / p if p else 0.0 for p in places)


def train(groups_: np.ndarray, labels: np.ndarray, signals: np.ndarray, rounds: int, params: dict | None = None):
    """A LambdaMART model on these rows (``groups_``: their query in their data dir); a query without a relevant
    candidate teaches nothing and is left out."""
    import lightgbm

    useful = {g for g in set(groups_.tolist()) if labels[groups_ == g].any()}
    keep = np.isin(groups_, sorted(useful))
    groups = [int(np.sum(groups_[keep] == g)) for g in dict.fromkeys(groups_[keep].tolist())]
    dataset = lightgbm.Dataset(signals[keep], labels[keep], group=groups, feature_name=list(FEATURES))
    return lightgbm.train(params or PARAMS, dataset, num_boost_round=rounds)


def fold_scores(table: Signals, params: dict, rounds: int) -> dict[int, tuple[float, float]]:
    """Per data dir, MRR@10 of the candidates in the hand-set order and in the model's, each fold's model trained on
    the other folds; the folds split the tune queries by number (a query's rows of every data dir in one fold), the
    same way every run."""
    queries, places, labels, signals = table
    groups = groups_of(queries, places)
    numbers = sorted(set(queries.tolist()))
    found: dict[tuple[int, str], list] = defaultdict(list)
    for fold in range(FOLDS):
        held = {q for i, q in enumerate(numbers) if i % FOLDS == fold}
        rest = ~np.isin(queries, sorted(held))
        model = train(groups[rest], labels[rest], signals[rest], rounds, params)
        for group in sorted(set(groups[~rest].tolist())):
            rows = groups == group
            place = int(places[rows][0])
            found[(place, "hand")].append(first_relevant(np.arange(int(rows.sum())), labels[rows]))
            found[(place, "learned")].append(first_relevant(np.argsort(-model.predict(signals[rows])), labels[rows]))
    return {
        place: (mrr(found[(place, "hand")]), mrr(found[(place, "learned")])) for place in sorted(set(places.tolist()))
    }


def cross_validate(path: Path, rounds: int) -> None:
    """The chosen parameters' fold scores per data dir."""
    table = load(path)
    queries, places, labels, _ = table
    numbers = sorted(set(queries.tolist()))
    print(f"tune, {FOLDS}-fold, {len(numbers)} queries; MRR@{TOP} of the candidates (before one-document limits):")
    for place, (hand, ours) in fold_scores(table, PARAMS, rounds).items():
        answered = sum(1 for q in numbers if labels[(queries == q) & (places == place)].any())
        print(f"  data dir {place} ({answered} with a judged candidate): hand-set {hand:.3f}, learned {ours:.3f}")


def sweep(path: Path) -> None:
    """Fold scores of every setting of SWEEP, best mean over the data dirs last: how PARAMS and ROUNDS are chosen."""
    table = load(path)
    results = []
    for leaves, rate, per_leaf, rounds in itertools.product(*SWEEP):
        params = {**PARAMS, "num_leaves": leaves, "learning_rate": rate, "min_data_in_leaf": per_leaf}
        scores = fold_scores(table, params, rounds)
        mean = statistics.fmean(ours for _, ours in scores.values())
        results.append((mean, leaves, rate, per_leaf, rounds))
        learned_ = " / ".join(f"{ours:.3f}" for _, ours in scores.values())
        print(f"leaves {leaves:2} rate {rate:<4} per leaf {per_leaf:3} trees {rounds:4}: {learned_} (mean {mean:.3f})")
    mean, leaves, rate, per_leaf, rounds = max(results)
    hand = " / ".join(f"{hand:.3f}" for hand, _ in scores.values())
    print(
        f"hand-set order: {hand}; best: leaves {leaves}, rate {rate}, per leaf {per_leaf}, trees {rounds} ({mean:.3f})"
    )


def fit(path: Path, model_path: Path, rounds: int) -> None:
    """The model on every tune query, written where the searcher loads it, and each signal's gain in it."""
    queries, places, labels, signals = load(path)
    model = train(groups_of(queries, places), labels, signals, rounds)
    model.save_model(str(model_path))
    print(f"{model_path}: {rounds} trees on {len(set(queries.tolist()))} tune queries")
    gains = dict(zip(FEATURES, model.feature_importance("gain").tolist(), strict=True))
    ordered = {name: round(gain) for name, gain in sorted(gains.items(), key=lambda pair: -pair[1])}
    print("gain per signal:", json.dumps(ordered))


def main() -> None:
    args = parse_args()
    if args.step == "collect":
        collect(args.data or [REPO.parent / "var-hub"], args.bundled, args.signals)
    elif args.step == "cv":
        cross_validate(args.signals, args.rounds)
    elif args.step == "sweep":
        sweep(args.signals)
    else:
        fit(args.signals, args.model, args.rounds)


if __name__ == "__main__":
    main()
