"""Pinyin candidates benchmark: the words file's size and load time, and candidate look-ups for typed pinyin (full,
initials, mixed, hostile) against a plain dict look-up of the expected word, in the same run.

    .venv/bin/python bench/bench_pinyin.py --data var-laws   # a data dir `kiosk build` has written
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from indexer.datadir import DataDir
from indexer.search.input_words import read_input_words
from indexer.search.pinyin_input import PinyinInput

REPEATS = 200
# What a resident types, and the word she means.
TYPED = {
    "wyf": "物业费",
    "wuyef": "物业费",
    "wyfei": "物业费",
    "wuyefei": "物业费",
    "tsd": "停水停电",
    "tingshuitingdian": "停水停电",
    "zxwxzj": "专项维修资金",
    "zhuanxiangweixiuzijin": "专项维修资金",
    "wygltl": "物业管理条例",
    "yzdh": "业主大会",
    "gkpw": "高空抛物",
    "lsls": "楼上漏水",
}
HOSTILE = ["z" * 40, "shi" * 13, "a" * 40, "w"]


def timed(call, inputs: list[str]) -> tuple[float, float]:
    """p50 and p99 in microseconds of ``call`` over the inputs, REPEATS times each."""
    times = []
    for _ in range(REPEATS):
        for value in inputs:
            started = time.perf_counter()
            call(value)
            times.append((time.perf_counter() - started) * 1e6)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a data dir holding input-words.tsv")
    args = parser.parse_args()
    path = DataDir(args.data.resolve()).input_words
    started = time.perf_counter()
    words = read_input_words(path)
    matcher = PinyinInput(words)
    loaded = time.perf_counter() - started
    print(f"{len(words):,} words, {path.stat().st_size / 1e6:.2f} MB, loaded and indexed in {loaded:.2f} s")
    by_text = {word.text: word for word in words}
    places = []
    for typed, meant in TYPED.items():
        offered = [c.text for c in matcher.candidates(typed, 8)]
        places.append(offered.index(meant) + 1 if meant in offered else None)
        print(f"  {typed:24} {meant}: place {places[-1]}  ({' '.join(offered[:5])})")
    ours = timed(lambda q: matcher.candidates(q, 8), list(TYPED))
    hostile = timed(lambda q: matcher.candidates(q, 8), HOSTILE)
    reference = timed(by_text.get, list(TYPED.values()))
    print(f"candidates  p50 {ours[0]:8.1f} µs  p99 {ours[1]:8.1f} µs")
    print(f"hostile     p50 {hostile[0]:8.1f} µs  p99 {hostile[1]:8.1f} µs")
    print(f"dict.get    p50 {reference[0]:8.1f} µs  p99 {reference[1]:8.1f} µs  (the word already known: the floor)")
    first_three = sum(1 for place in places if place and place <= 3)
    print(f"ratio p50 {ours[0] / reference[0]:.0f}×; the expected word in the first three: {first_three}/{len(places)}")


if __name__ == "__main__":
    main()
