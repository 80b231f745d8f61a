"""Benchmark the audio build against raw espeak-ng + ffmpeg on the same sentences of real law text.

The machine is shared, so every figure is paired with a reference measured in the same round of the same
process and reported as a ratio; ratios are the median over rounds. CPU seconds (this process and its finished
children) are reported beside wall time: they show what a build costs whatever else the machine is doing.
The references run the engine's own speaking rate (espeak-ng -s 150), so both sides produce the same audio.

    .venv/bin/python bench/bench_speech.py [--chars 5000] [--rounds 3] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import tempfile
import time
import wave
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from indexer.speech.audio_cache import AudioCache, segment_key
from indexer.speech.engines import EngineChoice, engine_settings
from indexer.speech.engines.pyttsx3_engine import ESPEAK_VOICE, ESPEAK_WORDS_PER_MINUTE
from indexer.speech.mp3 import BITRATE_KBPS
from indexer.speech.normalize import normalize_for_speech
from indexer.speech.segment import split_passage
from indexer.speech.synthesis import SynthesisPool

LAW = Path("/work/shared/corpus/laws/行政法规/物业管理条例(2018-03-19).md")
CONTENT = Path(__file__).resolve().parent.parent / "content"
RATE = 1.0
ESPEAK = ["espeak-ng", "-v", ESPEAK_VOICE, "-s", str(int(ESPEAK_WORDS_PER_MINUTE * RATE))]
UNRELATED = "欢迎使用社区有声法规查询机。"
READ_PASSES = 5
BUILDS = ("reference_A", "reference_B", "ours_1", "ours_2")
TARGETS = {1: 0.8, 2: 1.5}  # ours / reference throughput, by worker count
FIRST_AUDIO_TARGET = 1.0  # seconds


@dataclass(frozen=True)
class Build:
    """One way of turning all the sentences into MP3: wall and CPU time, seconds of audio, MP3 bytes."""

    seconds: float
    cpu: float
    audio: float
    size: int

    def per_minute(self) -> float:
        """MP3 bytes per minute of speech."""
        return self.size / self.audio * 60

    def real_time_factor(self) -> float:
        """Wall seconds spent per second of audio produced."""
        return self.seconds / self.audio


def body_lines(markdown: str) -> list[str]:
    """Non-empty lines of a corpus or content file, without its header, front matter or # headings."""
    if "<!-- INFO END -->" in markdown:
        markdown = markdown.split("<!-- INFO END -->", 1)[1]
    elif markdown.startswith("---\n"):
        markdown = markdown[4:].partition("\n---\n")[2]
    return [line.strip() for line in markdown.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def source_paragraphs(chars: int) -> list[str]:
    """Paragraphs of the 物业管理条例, then of the project's content files, until ``chars`` characters."""
    paragraphs: list[str] = []
    total = 0
    for path in [LAW, *sorted(CONTENT.rglob("*.md"))]:
        for line in body_lines(path.read_text(encoding="utf-8")):
            if total >= chars:
                return paragraphs
            paragraphs.append(line)
            total += len(line)
    return paragraphs


def spoken_sentences(paragraphs: list[str]) -> list[str]:
    """What the voice says, one audio segment each, in reading order; repeated sentences once."""
    spoken = (normalize_for_speech(segment.text) for paragraph in paragraphs for segment in split_passage(paragraph))
    return list(dict.fromkeys(text for text in spoken if text.strip()))


def cpu_seconds() -> float:
    """CPU time used so far by this process and its children that have exited."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def timed(function: Callable, *args):
    """(wall seconds, result) of one call."""
    started = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - started, result


def raw_pipeline(folder: Path, espeak_input: list[str]) -> Build:
    """espeak-ng to out.wav, then ffmpeg to a mono 32 kbit/s out.mp3; the naive way to make one MP3."""
    wav, mp3 = folder / "out.wav", folder / "out.mp3"
    started, cpu = time.perf_counter(), cpu_seconds()
    subprocess.run([*ESPEAK, "-w", str(wav), *espeak_input], check=True)
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-i", str(wav), "-ac", "1", "-b:a", f"{BITRATE_KBPS}k", str(mp3)],
        check=True,
    )
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    with wave.open(str(wav), "rb") as audio:
        duration = audio.getnframes() / audio.getframerate()
    return Build(seconds, cpu, duration, mp3.stat().st_size)


def reference_per_sentence(folder: Path, sentences: list[str]) -> Build:
    """Reference A: one espeak-ng and one ffmpeg process per sentence."""
    runs = [raw_pipeline(folder, [sentence]) for sentence in sentences]
    return Build(*(sum(getattr(r, name) for r in runs) for name in ("seconds", "cpu", "audio", "size")))


def reference_whole_text(folder: Path, sentences: list[str]) -> Build:
    """Reference B: one espeak-ng call for all sentences (read with -f, so any --chars fits) and one ffmpeg."""
    text_file = folder / "text.txt"
    text_file.write_text("\n".join(sentences), encoding="utf-8")
    return raw_pipeline(folder, ["-f", str(text_file)])


@contextmanager
def speech_pool(choice: EngineChoice, cache: AudioCache, workers: int) -> Iterator[SynthesisPool]:
    """A synthesis pool that is closed however the block ends."""
    pool = SynthesisPool(choice, cache, workers=workers)
    try:
        yield pool
    finally:
        pool.close()


def our_build(choice: EngineChoice, cache: AudioCache, jobs: list[tuple[str, str]], workers: int) -> Build:
    """Render every job into the cache through a new pool; wall time includes starting the workers, CPU their exit."""
    started, cpu = time.perf_counter(), cpu_seconds()
    with speech_pool(choice, cache, workers) as pool:
        report = pool.run(jobs)
        seconds = time.perf_counter() - started
    if report.failed:
        raise SystemExit(f"{len(report.failed)} sentences failed, first: {report.failed[0]}")
    return Build(seconds, cpu_seconds() - cpu, sum(r.duration for r in report.done), sum(r.size for r in report.done))


def first_audio_cold(choice: EngineChoice, cache: AudioCache, job: tuple[str, str]) -> float:
    """Seconds from creating a one-worker pool until the first sentence's MP3 is in the cache."""
    started = time.perf_counter()
    with speech_pool(choice, cache, 1) as pool:
        pool.submit(*job, priority=0).result()
        seconds = time.perf_counter() - started
    assert cache.has(job[0])
    return seconds


def first_audio_warm(choice: EngineChoice, cache: AudioCache, job: tuple[str, str], warmup: tuple[str, str]) -> float:
    """Seconds until the first sentence's MP3 is in the cache, with the worker already started by another sentence."""
    with speech_pool(choice, cache, 1) as pool:
        pool.submit(*warmup, priority=0).result()
        seconds, _ = timed(lambda: pool.submit(*job, priority=0).result())
    assert cache.has(job[0])
    return seconds


def run_round(workdir: Path, index: int, choice: EngineChoice, jobs: list[tuple[str, str]]) -> dict:
    """Every timed measurement once, each next to its reference, in fresh folders and cold caches."""
    sentences = [text for _, text in jobs]
    folder = workdir / f"round-{index}"
    folder.mkdir()
    warmup = (segment_key(UNRELATED, engine_settings(choice)), UNRELATED)
    return {
        "load_average": os.getloadavg()[0],
        "reference_A": reference_per_sentence(folder, sentences),
        "reference_B": reference_whole_text(folder, sentences),
        "ours_1": our_build(choice, AudioCache(folder / "build-1"), jobs, 1),
        "ours_2": our_build(choice, AudioCache(folder / "build-2"), jobs, 2),
        "first_reference": raw_pipeline(folder, sentences[:1]).seconds,
        "first_cold": first_audio_cold(choice, AudioCache(folder / "first-cold"), jobs[0]),
        "first_warm": first_audio_warm(choice, AudioCache(folder / "first-warm"), jobs[0], warmup),
    }


def read_latencies(cache: AudioCache, keys: list[str]) -> tuple[list[float], list[float]]:
    """Seconds per cache.read(key) and per plain read_bytes() of the same file, interleaved over several passes."""
    ours, plain = [], []
    for _ in range(READ_PASSES):
        for key in keys:
            seconds, data = timed(cache.read, key)
            assert data, f"cache miss for rendered key {key}"
            ours.append(seconds)
            plain.append(timed(cache.path(key).read_bytes)[0])
    return ours, plain


def p99(values: list[float]) -> float:
    """99th percentile, nearest rank."""
    return sorted(values)[math.ceil(0.99 * len(values)) - 1]


def file_identities(cache: AudioCache) -> dict[Path, tuple[int, int]]:
    """(inode, mtime) of every cached MP3: an atomic rewrite changes both."""
    return {path: (path.stat().st_ino, path.stat().st_mtime_ns) for path in cache.root.glob("??/*.mp3")}


def second_pass(choice: EngineChoice, cache: AudioCache, jobs: list[tuple[str, str]], first_pass: Build) -> dict:
    """Run the same jobs again over a full cache: how many were cached, how many files got written, how long."""
    cached = sum(cache.has(key) for key, _ in jobs)
    before = file_identities(cache)
    started = time.perf_counter()
    with speech_pool(choice, cache, 1) as pool:
        report = pool.run(jobs)
        seconds = time.perf_counter() - started
    after = file_identities(cache)
    written = sum(1 for path, identity in after.items() if before.get(path) != identity)
    return {
        "sentences": len(jobs),
        "cached_before": cached,
        "files_written": written,
        "failed": len(report.failed),
        "seconds": seconds,
        "ratio_vs_first_pass": seconds / first_pass.seconds,
    }


def throughput(rounds: list[dict], chars: int) -> dict:
    """Characters per second and CPU seconds of every build (median), and ours/reference ratios paired by round."""
    result = {
        name: {
            "chars_per_second": statistics.median(chars / r[name].seconds for r in rounds),
            "seconds": statistics.median(r[name].seconds for r in rounds),
            "cpu_seconds": statistics.median(r[name].cpu for r in rounds),
        }
        for name in BUILDS
    }
    for ours in ("ours_1", "ours_2"):
        for ref in ("reference_A", "reference_B"):
            result[ours][f"ratio_vs_{ref}"] = statistics.median(r[ref].seconds / r[ours].seconds for r in rounds)
            result[ours][f"cpu_ratio_vs_{ref}"] = statistics.median(r[ours].cpu / r[ref].cpu for r in rounds)
    return result


def first_audio(rounds: list[dict]) -> dict:
    """Median seconds to the first sentence's MP3, cold and warm, against one raw espeak-ng + ffmpeg run."""
    result = {"reference_seconds": statistics.median(r["first_reference"] for r in rounds)}
    for start in ("cold", "warm"):
        name = f"first_{start}"
        result[start] = {
            "seconds": statistics.median(r[name] for r in rounds),
            "ratio_vs_reference": statistics.median(r[name] / r["first_reference"] for r in rounds),
        }
    return result


def cache_reads(cache: AudioCache, keys: list[str]) -> dict:
    """Mean and p99 of cache.read against a plain file read of the same MP3s."""
    ours, plain = read_latencies(cache, keys)
    return {
        "reads": len(ours),
        "mean_ms": statistics.mean(ours) * 1e3,
        "p99_ms": p99(ours) * 1e3,
        "plain_mean_ms": statistics.mean(plain) * 1e3,
        "plain_p99_ms": p99(plain) * 1e3,
        "ratio_mean": statistics.mean(ours) / statistics.mean(plain),
        "ratio_p99": p99(ours) / p99(plain),
    }


def audio_figures(rounds: list[dict]) -> dict:
    """Bytes per minute of speech and real-time factor of every build, last round's bytes, median factors."""
    last = rounds[-1]
    return {
        name: {
            "audio_seconds": last[name].audio,
            "mp3_bytes": last[name].size,
            "bytes_per_minute": last[name].per_minute(),
            "real_time_factor": statistics.median(r[name].real_time_factor() for r in rounds),
        }
        for name in BUILDS
    }


def verdict(value: float, target: float, higher_is_better: bool = True) -> str:
    """'meets' or 'MISSES' a target."""
    return "meets" if (value >= target if higher_is_better else value < target) else "MISSES"


def print_round(index: int, r: dict, chars: int) -> None:
    """One line per round, as it finishes, so the spread behind each median is visible."""
    builds = "  ".join(f"{name} {chars / r[name].seconds:4.0f}/s" for name in BUILDS)
    print(
        f"  round {index} (load {r['load_average']:.1f}): {builds}  first audio: reference "
        f"{r['first_reference']:.2f} s, cold {r['first_cold']:.2f} s, warm {r['first_warm']:.2f} s",
        flush=True,
    )


def print_throughput(t: dict) -> None:
    """Section 1: every build's speed and cost, then ours against each reference and target."""
    print("\n1. Throughput in characters of original text per second (medians; ratios paired by round)")
    print(f"   {'build':12} {'chars/s':>8} {'wall s':>7} {'CPU s':>6} {'cores':>5}")
    for name in BUILDS:
        row = t[name]
        print(
            f"   {name:12} {row['chars_per_second']:8.1f} {row['seconds']:7.1f} {row['cpu_seconds']:6.1f} "
            f"{row['cpu_seconds'] / row['seconds']:5.2f}"
        )
    for workers, target in TARGETS.items():
        row = t[f"ours_{workers}"]
        for ref in "AB":
            speed, cpu = row[f"ratio_vs_reference_{ref}"], row[f"cpu_ratio_vs_reference_{ref}"]
            print(
                f"   ours_{workers} / reference_{ref}: throughput {speed:.2f}x "
                f"({verdict(speed, target)} >= {target}x), CPU per character {cpu:.2f}x"
            )


def print_first_audio(f: dict) -> None:
    """Section 2: time to the first sentence's MP3, cold and warm."""
    print(
        f"\n2. Time to first playable audio (medians; reference: one espeak-ng + ffmpeg run of the sentence, "
        f"{f['reference_seconds']:.2f} s)"
    )
    for start in ("cold", "warm"):
        seconds = f[start]["seconds"]
        print(
            f"   {start} pool: {seconds:.2f} s = {f[start]['ratio_vs_reference']:.2f}x reference  "
            f"({verdict(seconds, FIRST_AUDIO_TARGET, higher_is_better=False)} < {FIRST_AUDIO_TARGET:.0f} s)"
        )


def print_cache_reads(c: dict) -> None:
    """Section 3: cache-hit latency against a plain file read."""
    print(
        f"\n3. Cache hit over {c['reads']} reads: cache.read() mean {c['mean_ms']:.3f} ms, p99 {c['p99_ms']:.3f} ms; "
        f"plain read_bytes() mean {c['plain_mean_ms']:.3f} ms, p99 {c['plain_p99_ms']:.3f} ms; "
        f"ratio {c['ratio_mean']:.1f}x mean, {c['ratio_p99']:.1f}x p99"
    )


def print_audio(a: dict) -> None:
    """Section 4: MP3 bytes per minute of speech and real-time factor of every build."""
    print("\n4. Audio (bytes from the last round; real-time factor = wall s per audio s, median)")
    for name, row in a.items():
        print(
            f"   {name:12} {row['bytes_per_minute'] / 1000:6.1f} kB/min  RTF {row['real_time_factor']:.4f}  "
            f"({row['audio_seconds'] / 60:.1f} min, {row['mp3_bytes'] / 1e6:.2f} MB)"
        )
    ratio = a["ours_1"]["bytes_per_minute"] / a["reference_B"]["bytes_per_minute"]
    print(
        f"   ours_1 / reference_B: {ratio:.3f}x bytes per minute, "
        f"{a['ours_1']['real_time_factor'] / a['reference_B']['real_time_factor']:.2f}x real-time factor"
    )


def print_second_pass(s: dict) -> None:
    """Section 5: rebuilding over a full cache."""
    print(
        f"\n5. Second pass over the same cache: {s['cached_before']}/{s['sentences']} already cached, "
        f"{s['files_written']} files written, {s['failed']} failed, {s['seconds']:.2f} s "
        f"= {s['ratio_vs_first_pass']:.3f}x the first 1-worker pass"
    )


def print_report(results: dict) -> None:
    """Every figure with its reference and ratio, numbered as in the brief."""
    print_throughput(results["throughput"])
    print_first_audio(results["first_audio"])
    print_cache_reads(results["cache_read"])
    print_audio(results["audio"])
    print_second_pass(results["second_pass"])


def main() -> None:
    """Measure, print, and optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=5000, help="characters of source text (default 5000)")
    parser.add_argument("--rounds", type=int, default=3, help="paired rounds; ratios are medians (default 3)")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args()

    paragraphs = source_paragraphs(args.chars)
    chars = sum(map(len, paragraphs))
    sentences = spoken_sentences(paragraphs)
    with tempfile.TemporaryDirectory(prefix="bench-speech-") as temp:
        workdir = Path(temp)
        choice = EngineChoice("pyttsx3", RATE, str(workdir))  # empty data dir: bundled pronunciations only
        settings = engine_settings(choice)
        jobs = [(segment_key(text, settings), text) for text in sentences]
        print(
            f"text: {chars} characters in {len(paragraphs)} paragraphs -> {len(jobs)} sentences "
            f"({sum(map(len, sentences))} spoken characters); reference: {' '.join(ESPEAK)} + ffmpeg "
            f"-b:a {BITRATE_KBPS}k"
        )
        rounds = []
        for index in range(1, args.rounds + 1):
            rounds.append(run_round(workdir, index, choice, jobs))
            print_round(index, rounds[-1], chars)
        built = AudioCache(workdir / f"round-{args.rounds}" / "build-1")
        results = {
            "text": {"chars": chars, "paragraphs": len(paragraphs), "sentences": len(jobs)},
            "throughput": throughput(rounds, chars),
            "first_audio": first_audio(rounds),
            "cache_read": cache_reads(built, [key for key, _ in jobs]),
            "audio": audio_figures(rounds),
            "second_pass": second_pass(choice, built, jobs, rounds[-1]["ours_1"]),
            "rounds": [{k: asdict(v) if isinstance(v, Build) else v for k, v in r.items()} for r in rounds],
        }
    print_report(results)
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
