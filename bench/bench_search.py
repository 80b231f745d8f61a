"""Search benchmark: build cost, incremental update, latency and ranking quality against an SQLite FTS5 BM25 baseline.

The machine is shared, so absolute times are noisy: every figure is printed next to a baseline measured in the
same run, and the ratio is what to compare between runs.

    .venv/bin/python bench/bench_search.py                                  # everything (~10 min)
    .venv/bin/python bench/bench_search.py --data /tmp/fullvar --skip-build  # search parts only
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from indexer.build import build_index
from indexer.content.loader import discover, load_metadata, read_source
from indexer.content.parse import parse_document
from indexer.datadir import DataDir
from indexer.errors import ContentError
from indexer.search.analysis import index_tokens, query_words
from indexer.search.searcher import Searcher

REPO = Path(__file__).resolve().parents[1]
EDITED_FILE = "行政法规/物业管理条例(2018-03-19).md"
APPENDED_PARAGRAPH = "\n\n本段为检索基准测试追加的文字：小区加装电梯的意见征询由业主委员会组织。\n"
TOP = 10
REPEATS = 5
KINDS = ("question", "keyword", "title", "pinyin", "article")
# Title, headings and body as columns, so the baseline can find a law by its name too.
FTS_SCHEMA = (
    "CREATE VIRTUAL TABLE passages USING fts5("
    "title, headings, body, source UNINDEXED, article UNINDEXED, tokenize='unicode61')"
)
FTS_QUERY = (
    "SELECT source, article, '' FROM passages WHERE passages MATCH ? ORDER BY bm25(passages, 1.0, 1.5, 1.0) LIMIT ?"
)

Ranked = list[tuple]  # (source, article, heading) of each hit, best first; any further triples are what it cites


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, help="search this already built data dir instead of the one the build part makes"
    )
    parser.add_argument("--skip-build", action="store_true", help="skip the build and incremental parts (needs --data)")
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "laws")
    parser.add_argument("--queries", type=Path, default=REPO / "bench" / "queries.jsonl")
    parser.add_argument("--json", type=Path, help="also write all figures to this file")
    args = parser.parse_args()
    if args.skip_build and not args.data:
        parser.error("--skip-build needs --data: there is no index to search otherwise")
    return args


# -- building ---------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """This process's own peak resident memory (VmHWM; ru_maxrss of a spawned child inherits the parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def in_child(function, *args) -> dict:
    """Run a build step in a fresh interpreter, so its memory and start-up are its own; add the process wall time."""
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        result = pool.apply(function, args)
    return {**result, "process_s": time.perf_counter() - started}


def build_ours(corpus: Path, data: Path) -> dict:
    """Full build of the kiosk index (child process)."""
    report = build_index(DataDir.create(data), [corpus], full=True)
    return {
        "seconds": report.seconds,
        "files": len(report.added),
        "skipped": len(report.skipped),
        "peak_mb": peak_rss_mb(),
    }


def update_ours(corpus: Path, data: Path) -> dict:
    """Incremental build of the kiosk index (child process)."""
    report = build_index(DataDir.create(data), [corpus], full=False)
    return {"seconds": report.seconds, "updated": report.updated, "added": report.added, "removed": report.removed}


def passages(corpus: Path) -> Iterator[tuple[str, str, str, str | None, str]]:
    """(title, headings, body, article, source) of every readable passage, as the kiosk build parses them."""
    metadata = load_metadata(corpus)
    for file in discover([corpus]):
        try:
            doc = parse_document(read_source(file, metadata))
        except ContentError:
            continue
        for passage in doc.passages:
            if passage.kind != "heading":
                yield doc.title, " ".join(passage.headings), passage.text, passage.article, doc.source


def tokens(text: str) -> str:
    """The kiosk's index tokens, space-separated for FTS5's unicode61 tokenizer."""
    return " ".join(index_tokens(text))


def build_fts(corpus: Path, database: Path) -> dict:
    """FTS5 baseline over the same passages and jieba tokens (child process)."""
    started = time.monotonic()
    conn = sqlite3.connect(database)
    conn.execute(FTS_SCHEMA)
    title_tokens: dict[str, str] = {}
    count = 0
    for title, headings, body, article, source in passages(corpus):
        if title not in title_tokens:
            title_tokens[title] = tokens(title)
        conn.execute(
            "INSERT INTO passages VALUES (?, ?, ?, ?, ?)",
            (title_tokens[title], tokens(headings), tokens(body), source, article),
        )
        count += 1
    conn.execute("INSERT INTO passages(passages) VALUES ('optimize')")
    conn.commit()
    conn.close()
    return {"seconds": time.monotonic() - started, "passages": count, "peak_mb": peak_rss_mb()}


def disk_mb(path: Path) -> float:
    """Size on disk of a folder, or of a file with its SQLite side files."""
    files = path.rglob("*") if path.is_dir() else path.parent.glob(path.name + "*")
    return sum(f.stat().st_size for f in files if f.is_file()) / 2**20


def bench_build(corpus: Path, data: Path, database: Path) -> dict:
    """Part (a): full build of ours and of the FTS5 baseline, each in its own process."""
    ours = in_child(build_ours, corpus, data)
    ours.update(index_mb=disk_mb(data / "index"), store_mb=disk_mb(data / "kiosk.db"))
    ours["size_mb"] = ours["index_mb"] + ours["store_mb"]
    fts = bench_fts(corpus, database)
    return {"ours": ours, "fts": fts}


def bench_fts(corpus: Path, database: Path) -> dict:
    """Build the FTS5 baseline and measure it."""
    fts = in_child(build_fts, corpus, database)
    fts["size_mb"] = disk_mb(database)
    return fts


def bench_incremental(corpus: Path, data: Path) -> dict:
    """Part (b): rebuild with nothing changed, after appending a paragraph to one file, and after undoing it."""
    edited = corpus / EDITED_FILE
    original = edited.read_bytes()
    runs = {"unchanged": in_child(update_ours, corpus, data)}
    edited.write_bytes(original + APPENDED_PARAGRAPH.encode("utf-8"))
    runs["one_file_edited"] = in_child(update_ours, corpus, data)
    edited.write_bytes(original)
    runs["edit_undone"] = in_child(update_ours, corpus, data)
    return runs


# -- searching --------------------------------------------------------------------------------


class FtsSearcher:
    """The baseline: query words OR'ed, ranked by FTS5's BM25."""

    def __init__(self, database: Path):
        self.conn = sqlite3.connect(database)

    def search(self, query: str, limit: int = TOP) -> Ranked:
        """Top passages for the query's words; nothing when it has none."""
        words = query_words(query)
        if not words:
            return []
        match = " OR ".join('"' + word.replace('"', '""') + '"' for word in words)
        return self.conn.execute(FTS_QUERY, (match, limit)).fetchall()


def ours_ranked(searcher: Searcher, query: str) -> tuple[Ranked, str]:
    """Our hits as (source, article, heading), with the route the query took."""
    result = searcher.search(query, limit=TOP)
    return [(hit.source, hit.article, hit.heading) for hit in result.hits], result.route


def timed(function, *args) -> tuple[float, object]:
    """Milliseconds a call took, and its value."""
    started = time.perf_counter()
    value = function(*args)
    return (time.perf_counter() - started) * 1000, value


def bench_latency(searcher: Searcher, fts: FtsSearcher, queries: list[dict]) -> dict:
    """Part (c): every query REPEATS times on warm engines, ours and the baseline interleaved."""
    for q in queries:
        searcher.search(q["query"], limit=TOP)
        fts.search(q["query"])
    samples: dict[str, dict[str, list[float]]] = {"ours": defaultdict(list), "fts": defaultdict(list)}
    for _ in range(REPEATS):
        for q in queries:
            samples["ours"][q["kind"]].append(timed(searcher.search, q["query"], TOP)[0])
            samples["fts"][q["kind"]].append(timed(fts.search, q["query"])[0])
    return {
        engine: {kind: percentiles(ms) for kind, ms in by_kind.items()}
        | {"all": percentiles([m for ms in by_kind.values() for m in ms])}
        for engine, by_kind in samples.items()
    }


def percentiles(ms: list[float]) -> dict:
    """p50 and p99 in milliseconds."""
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return {"p50": cuts[49], "p99": cuts[98], "n": len(ms)}


def is_relevant(hit: tuple, wanted: dict) -> bool:
    """A hit answers a judgement when the file matches and, if the judgement names an article, the article too, or
    if it names a heading (our own texts, judged by hand: bench/judged_bundled.md), the hit is under that heading;
    or when one of the (source, article, heading) triples after its own, the articles it cites, does."""
    triples = [hit[i : i + 3] for i in range(0, len(hit), 3)]
    return any(
        source == wanted["source"]
        and (wanted.get("article") is None or article == wanted["article"])
        and (not wanted.get("heading") or wanted["heading"] in heading.split(" "))
        for source, article, heading in triples
    )


def judge(ranked: Ranked, relevant: list[dict]) -> tuple[int | None, float]:
    """Rank (1-based) of the first relevant hit in the top TOP, and the share of judgements found there."""
    top = ranked[:TOP]
    first = next((i for i, hit in enumerate(top, 1) if any(is_relevant(hit, w) for w in relevant)), None)
    found = sum(1 for w in relevant if any(is_relevant(hit, w) for hit in top))
    return first, found / len(relevant)


def quality(runs: dict[str, list[tuple[int | None, float]]], queries: list[dict]) -> dict:
    """Part (d): MRR@10 and Recall@10 per engine, overall and per query kind."""
    table = {}
    for engine, judged in runs.items():
        groups: dict[str, list[tuple[int | None, float]]] = defaultdict(list)
        for q, result in zip(queries, judged, strict=True):
            groups[q["kind"]].append(result)
            groups["all"].append(result)
        table[engine] = {
            kind: {
                "mrr": statistics.fmean(1 / r if r else 0.0 for r, _ in rows),
                "recall": statistics.fmean(recall for _, recall in rows),
                "n": len(rows),
            }
            for kind, rows in groups.items()
        }
    return table


def label(source: str, article: str | None) -> str:
    """source and article, for the list of misses."""
    return source + (f" {article}" if article else "")


def misses(queries: list[dict], ranked: list[tuple[Ranked, str]], judged: list[tuple[int | None, float]]) -> list[dict]:
    """Queries where our first hit is not relevant: what came first, and where the first relevant one ranked."""
    rows = []
    for q, (hits, route), (rank, recall) in zip(queries, ranked, judged, strict=True):
        if rank != 1:
            rows.append(
                {
                    "query": q["query"],
                    "kind": q["kind"],
                    "route": route,
                    "rank": rank,
                    "recall": recall,
                    "first": label(*hits[0]) if hits else "(nothing)",
                    "expected": [label(w["source"], w["article"]) for w in q["relevant"]],
                }
            )
    return rows


def bench_search(data: Path, database: Path, queries: list[dict]) -> dict:
    """Parts (c) and (d) on a built index and the FTS5 baseline."""
    searcher = Searcher(DataDir.create(data))
    fts = FtsSearcher(database)
    latency = bench_latency(searcher, fts, queries)
    ours = [ours_ranked(searcher, q["query"]) for q in queries]
    judged = {
        "ours": [judge(hits, q["relevant"]) for q, (hits, _) in zip(queries, ours, strict=True)],
        "fts": [judge(fts.search(q["query"]), q["relevant"]) for q in queries],
    }
    searcher.close()
    return {"latency": latency, "quality": quality(judged, queries), "misses": misses(queries, ours, judged["ours"])}


# -- report -----------------------------------------------------------------------------------


def ratio(ours: float, baseline: float) -> str:
    """ours / baseline, or a dash when the baseline is zero."""
    return f"{ours / baseline:.2f}x" if baseline else "-"


def print_build(build: dict) -> None:
    """Table for part (a)."""
    ours, fts = build.get("ours"), build["fts"]
    if not ours:
        print(
            f"\n(a) FTS5 baseline only (ours not built): {fts['seconds']:.1f} s, {fts['size_mb']:.1f} MB, "
            f"peak {fts['peak_mb']:.0f} MB, {fts['passages']} passages"
        )
        return
    print("\n(a) full build                     ours        FTS5     ours/FTS5")
    for name, key, spec in (
        ("wall time (s)", "seconds", ".1f"),
        ("size on disk (MB)", "size_mb", ".1f"),
        ("peak memory (MB)", "peak_mb", ".0f"),
    ):
        print(f"    {name:24} {ours[key]:10{spec}}  {fts[key]:10{spec}}  {ratio(ours[key], fts[key]):>10}")
    print(
        f"    ours: index {ours['index_mb']:.1f} MB + kiosk.db {ours['store_mb']:.1f} MB, {ours['files']} files "
        f"({ours['skipped']} skipped); FTS5: {fts['passages']} passages"
    )


def print_incremental(runs: dict) -> None:
    """Table for part (b)."""
    print(f"\n(b) incremental build (target < 2 s; {EDITED_FILE})")
    for name, run in runs.items():
        changed = len(run["updated"]) + len(run["added"]) + len(run["removed"])
        print(
            f"    {name:18} build_index {run['seconds']:6.2f} s   whole process {run['process_s']:6.2f} s   "
            f"files re-indexed {changed}"
        )


def print_latency(latency: dict) -> None:
    """Table for part (c)."""
    ours, fts = latency["ours"], latency["fts"]
    print(f"\n(c) warm latency, {REPEATS} runs per query    ours p50   p99    FTS5 p50   p99    ratio p50   p99")
    for kind in (*KINDS, "all"):
        o, f = ours[kind], fts[kind]
        print(
            f"    {kind:10} n={o['n']:4d}{'':14}{o['p50']:7.1f} {o['p99']:6.1f}   {f['p50']:7.1f} {f['p99']:6.1f}"
            f"    {ratio(o['p50'], f['p50']):>7} {ratio(o['p99'], f['p99']):>6}"
        )


def print_quality(table: dict) -> None:
    """Table for part (d)."""
    ours, fts = table["ours"], table["fts"]
    print(f"\n(d) quality @{TOP}        n   MRR ours   FTS5   ours/FTS5   Recall ours   FTS5")
    for kind in (*KINDS, "all"):
        o, f = ours[kind], fts[kind]
        print(
            f"    {kind:10} {o['n']:4d}      {o['mrr']:.3f}  {f['mrr']:.3f}   {ratio(o['mrr'], f['mrr']):>9}"
            f"         {o['recall']:.3f}  {f['recall']:.3f}"
        )


def print_misses(rows: list[dict]) -> None:
    """Queries whose first hit is not relevant."""
    print(f"\nour misses (first hit not relevant): {len(rows)}")
    for row in rows:
        where = f"rank {row['rank']}" if row["rank"] else "not in top 10"
        print(f"  [{row['kind']}/{row['route']}] {row['query']}  — relevant {where}, recall {row['recall']:.2f}")
        more = f"   (+{len(row['expected']) - 1} more)" if len(row["expected"]) > 1 else ""
        print(f"      first:    {row['first']}\n      expected: {row['expected'][0]}{more}")


def main() -> None:
    """Run the parts asked for, print the tables, optionally write JSON."""
    args = parse_args()
    queries = [json.loads(line) for line in args.queries.read_text(encoding="utf-8").splitlines() if line.strip()]
    figures: dict = {"queries": len(queries)}
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        work = Path(tmp)
        database = work / "fts.db"
        if args.skip_build:
            figures["build"] = {"fts": bench_fts(args.corpus, database)}
        else:
            corpus = work / "corpus"
            shutil.copytree(args.corpus, corpus, copy_function=shutil.copyfile)  # contents only: files stay writable
            figures["build"] = bench_build(corpus, work / "data", database)
            figures["incremental"] = bench_incremental(corpus, work / "data")
        figures.update(bench_search(args.data or work / "data", database, queries))
    print_build(figures["build"])
    if "incremental" in figures:
        print_incremental(figures["incremental"])
    print_latency(figures["latency"])
    print_quality(figures["quality"])
    print_misses(figures["misses"])
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
