"""How long a search query takes to encode, with the embedding engine's OpenMP threads spinning between steps as
long as by default (the reference) and as briefly as the kiosk now has them (indexer/__init__.py), on an idle
machine and beside other work on the cores; one thread for comparison.

A kiosk's cores are rarely idle: its own browser draws the page, the speech renderer fills the audio cache, an
editor's publish embeds new passages. Busy processes stand in for that work here. Each setting runs in a process of
its own, as OpenMP reads its settings once; the settings alternate under each load, so each sees the same machine.

    .venv/bin/python bench/bench_query_encoding.py [--rounds 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_quality import query_sets  # noqa: E402
from bench.bench_search import percentiles  # noqa: E402
from bench.train_ranker import WORD_KINDS  # noqa: E402

CORES = os.cpu_count() or 1
# name: (threads, environment); the first is the reference: libgomp's own spin count, as before
SETTINGS = {
    "default spin (before)": (CORES, {"GOMP_SPINCOUNT": "300000"}),
    "short spin (the kiosk's)": (CORES, {"GOMP_SPINCOUNT": os.environ.get("GOMP_SPINCOUNT", "")}),
    "one thread": (1, {}),
}
LOADS = {"idle": 0, "one core busy": 1, "every core busy": CORES}


def queries() -> list[str]:
    """The questions and keywords of tuned-on and test: the mix the latency figures are stated for."""
    return [q["query"] for part in query_sets(["tuned-on", "test"]).values() for q in part if q["kind"] in WORD_KINDS]


def encode_all(threads: int) -> list[float]:
    """In a child process: milliseconds to encode each query once, warm."""
    from indexer.search import embedding

    model = embedding.Embedder(threads=threads)
    model.query("物业费")
    timings = []
    for query in queries():
        started = time.perf_counter()
        model.query(query)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _spin() -> None:
    while True:
        pass


def timed(setting: str, busy: int) -> list[float]:
    """One setting's timings in a fresh process, with ``busy`` processes spinning meanwhile."""
    threads, extra = SETTINGS[setting]
    spinners = [multiprocessing.get_context("spawn").Process(target=_spin, daemon=True) for _ in range(busy)]
    for spinner in spinners:
        spinner.start()
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(threads)],
            env={**os.environ, **extra},
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        for spinner in spinners:
            spinner.terminate()
            spinner.join()
    return json.loads(done.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="times each setting runs under each load")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(encode_all(args.child)))
        return
    samples: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.rounds):
        for load, busy in LOADS.items():
            for setting in SETTINGS:
                samples.setdefault((load, setting), []).extend(timed(setting, busy))
    print(f"{len(queries())} questions and keywords × {args.rounds}, {CORES} cores; ms to encode, p50 / p99 / max")
    print(f"  (the kiosk's spin count: GOMP_SPINCOUNT={os.environ.get('GOMP_SPINCOUNT')}, set by indexer/__init__.py)")
    figures = {}
    for load in LOADS:
        reference = percentiles(samples[(load, next(iter(SETTINGS)))])
        for setting in SETTINGS:
            ms = samples[(load, setting)]
            p = percentiles(ms)
            figures[f"{load} / {setting}"] = {"p50": p["p50"], "p99": p["p99"], "max": max(ms)}
            print(
                f"  {load:16} {setting:26} {p['p50']:6.1f} / {p['p99']:7.1f} / {max(ms):7.1f}"
                f"   p99 {p['p99'] / reference['p99']:.2f}× the reference"
            )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
