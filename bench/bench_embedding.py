"""Embedding throughput of `kiosk build` (one single-thread model process per core) against the serving process's
embedder (one process on every core's thread) on the same passages in the same run; also checks that both give
the same vectors, since a build and a serving process must agree on every vector.

    .venv/bin/python bench/bench_embedding.py [--passages 320] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from indexer.content.loader import discover, load_metadata, read_source  # noqa: E402
from indexer.content.parse import parse_document  # noqa: E402
from indexer.search import embedding  # noqa: E402
from indexer.search.vectors import BATCH, passage_text  # noqa: E402

LAWS = REPO.parent / "shared" / "corpus" / "laws"
FOLDER = "行政法规"


def sample_passages(count: int) -> list[str]:
    """Passages as the build embeds them (title, headings, text), spread over the administrative regulations."""
    metadata = load_metadata(LAWS)
    texts = []
    for file in discover([LAWS]):
        if file.source.startswith(FOLDER + "/"):
            doc = parse_document(read_source(file, metadata))
            texts += [
                passage_text(doc.title, " ".join(p.headings), p.text) for p in doc.passages if p.kind != "heading"
            ]
    step = max(1, len(texts) // count)
    return texts[::step][:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=320)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    local = embedding.embedder()
    if local is None:
        raise SystemExit(embedding.problem())
    texts = sample_passages(args.passages)
    batches = [texts[i : i + BATCH] for i in range(0, len(texts), BATCH)]
    local.passages(texts[:4])  # loaded and warm: the reference pays nothing for starting
    started = time.perf_counter()
    reference = [local.passages(batch) for batch in batches]
    one_process = time.perf_counter() - started
    build = embedding.build_embedder()
    if build is None:
        raise SystemExit(embedding.problem())
    started = time.perf_counter()
    ours = dict(build.batches(batches))
    build_seconds = time.perf_counter() - started
    identical = all(np.array_equal(ours[number], vectors) for number, vectors in enumerate(reference))
    serving_per_s, build_per_s = round(len(texts) / one_process, 2), round(len(texts) / build_seconds, 2)
    figures = {
        "passages": len(texts),
        "cores": os.cpu_count(),
        "mean_chars": round(np.mean([len(t) for t in texts])),
        "serving_per_s": serving_per_s,
        "build_per_s": build_per_s,
        "build_embedder": type(build).__name__,
        "identical": identical,
    }
    print(f"{len(texts)} passages (mean {figures['mean_chars']} chars), {os.cpu_count()} cores")
    print(f"  serving process (one model, {os.cpu_count()} threads, warm): {figures['serving_per_s']:.1f} passages/s")
    print(
        f"  kiosk build ({figures['build_embedder']}, processes started inside the timing): "
        f"{figures['build_per_s']:.1f} passages/s"
    )
    print(f"  ratio build / serving: {build_per_s / serving_per_s:.2f}x; same vectors: {'yes' if identical else 'NO'}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    if not identical:
        sys.exit(1)


if __name__ == "__main__":
    main()
