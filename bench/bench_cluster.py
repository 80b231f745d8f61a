"""Cluster rendering throughput: `kiosk build --cluster`'s audio and vectors with 1 and 2 local one-thread Dask
workers against the local build (a speech worker per core, the embedder on every core), in the same run, on the
same sentences and passages; prints sentences/s, spoken characters/s, passages/s and the ratios. Every side starts
cold (engines and models load inside the timing, as in a real build). With --library-data, also counts the spoken
characters, sentences and passages of a data dir (e.g. the whole law library's) and estimates hours by workers.
Needs the cluster extra (pip install -e '.[cluster]').

    .venv/bin/python bench/bench_cluster.py [--engine neural] [--sentences 240] [--library-data ../var-laws]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from distributed import Client  # noqa: E402

from indexer.build import build_index  # noqa: E402
from indexer.cluster import ClusterEmbedder, render_audio  # noqa: E402
from indexer.datadir import DataDir  # noqa: E402
from indexer.search.embedding import Embedder  # noqa: E402
from indexer.search.vectors import catalog_passages, embed_missing, vectors_dir  # noqa: E402
from indexer.speech.audio_cache import AudioCache  # noqa: E402
from indexer.speech.engines import EngineChoice, engine_settings  # noqa: E402
from indexer.speech.narration import missing_audio, narrate, render  # noqa: E402
from indexer.speech.synthesis import SynthesisPool  # noqa: E402
from indexer.store import Store  # noqa: E402
from tests.dask_processes import LocalCluster  # noqa: E402

CONTENT = REPO / "content" / "有声物业" / "物业管理篇"
WORKERS = (1, 2, 5, 10, 20)


def timed_audio(data: DataDir, jobs: list[tuple[str, str]], render_jobs) -> float:
    """Seconds to voice the jobs into an emptied audio cache; every job must succeed."""
    shutil.rmtree(data.audio, ignore_errors=True)
    started = time.monotonic()
    report = render_jobs()
    seconds = time.monotonic() - started
    assert not report.failed and len(report.done) == len(jobs), report.failed[:3]
    return seconds


def timed_vectors(data: DataDir, embedder) -> tuple[float, int]:
    """Seconds to embed every passage into an emptied vector store, and how many there were."""
    shutil.rmtree(vectors_dir(data), ignore_errors=True)
    started = time.monotonic()
    report = embed_missing(data, embedder)
    return time.monotonic() - started, report.embedded


def library_size(folder: Path, choice: EngineChoice) -> tuple[int, int, int]:
    """(spoken characters, distinct sentences, passages) of a data dir's texts, read from a copy of its database."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = DataDir(Path(scratch))
        with (
            sqlite3.connect(f"file:{folder / 'kiosk.db'}?mode=ro", uri=True) as source,
            sqlite3.connect(copy.database) as target,
        ):
            source.backup(target)
        settings = engine_settings(choice)
        spoken: dict[str, int] = {}
        with Store(copy.database) as store:
            for doc_id in store.document_ids():
                doc = store.document(doc_id)
                for line in narrate(doc, settings) if doc else []:
                    spoken[line.key] = len(line.spoken)
        passages = len({text for _, text in catalog_passages(copy)})
    return sum(spoken.values()), len(spoken), passages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="neural", choices=["neural", "pyttsx3"])
    parser.add_argument("--sentences", type=int, default=240, help="sentences voiced by each side")
    parser.add_argument("--library-data", type=Path, help="a built data dir whose size to estimate hours for")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        data = DataDir.create(root / "var")
        assert build_index(data, [CONTENT]).ok
        choice = EngineChoice(args.engine, 1.0, str(root / "local-models"))
        jobs = missing_audio(data, engine_settings(choice))[: args.sentences]
        chars = sum(len(spoken) for _, spoken in jobs)
        cores = os.cpu_count() or 1
        print(
            f"{len(jobs)} sentences ({chars} spoken characters, engine {args.engine}), "
            f"load average {os.getloadavg()[0]:.1f} on {cores} cores"
        )

        def local_render():
            pool = SynthesisPool(choice, AudioCache(data.audio), workers=cores)
            try:
                return render(data, pool, jobs)
            finally:
                pool.close()

        rows = {"local": (timed_audio(data, jobs, local_render), *timed_vectors(data, Embedder()))}
        for workers in (1, 2):
            folder = root / f"dask-{workers}"
            folder.mkdir()
            with LocalCluster(folder, workers) as cluster, Client(cluster.address) as client:
                audio = timed_audio(data, jobs, lambda: render_audio(client, data, choice, jobs))
                vectors = timed_vectors(data, ClusterEmbedder(client))
                rows[f"cluster, {workers} worker{'s' * (workers > 1)}"] = (audio, *vectors)

        local_audio, local_vectors, _ = rows["local"]
        print(f"{'':<20}{'sentences/s':>12}{'chars/s':>9}{'passages/s':>12}{'audio ×local':>14}{'vectors ×local':>16}")
        for name, (audio, vector_seconds, passages) in rows.items():
            print(
                f"{name:<20}{len(jobs) / audio:>12.2f}{chars / audio:>9.1f}{passages / vector_seconds:>12.2f}"
                f"{local_audio / audio:>14.2f}{local_vectors / vector_seconds:>16.2f}"
            )
        one_audio, one_vectors, passages = rows["cluster, 1 worker"]
        two_audio, two_vectors, _ = rows["cluster, 2 workers"]
        print(f"2 workers against 1: audio ×{one_audio / two_audio:.2f}, vectors ×{one_vectors / two_vectors:.2f}")

        if args.library_data:
            library_chars, sentences, library_passages = library_size(args.library_data, choice)
            per_worker_chars, per_worker_passages = chars / one_audio, passages / one_vectors
            print(
                f"{args.library_data}: {library_chars:,} spoken characters in {sentences:,} sentences, "
                f"{library_passages:,} passages; one worker: {per_worker_chars:.1f} chars/s, "
                f"{per_worker_passages:.2f} passages/s"
            )
            print(f"{'workers':<9}{'audio h':>9}{'vectors h':>11}")
            for workers in WORKERS:
                print(
                    f"{workers:<9}{library_chars / per_worker_chars / workers / 3600:>9.1f}"
                    f"{library_passages / per_worker_passages / workers / 3600:>11.2f}"
                )


if __name__ == "__main__":
    main()
