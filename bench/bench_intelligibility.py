"""Character error rate of each speech engine on the same sentences, scored by ../shared/tools/speech_cer.py.

Each sentence goes through the whole pipeline (normalize, segment, engine, MP3) with `kiosk speak`'s code path;
Whisper-base transcribes the audio. Lower is better; compare engines on the same sentences only.
Needs the ASR tool installed once: ../shared/tools/setup-asr.sh (ASR_HOME=/tmp/asr by default).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from indexer.speech.audio_cache import AudioCache, segment_key
from indexer.speech.engines import EngineChoice, available, engine_settings
from indexer.speech.normalize import normalize_for_speech
from indexer.speech.segment import split_passage
from indexer.speech.synthesis import SynthesisPool

ROOT = Path(__file__).resolve().parents[1]
SENTENCES = ROOT / "bench" / "speech_sentences.tsv"
CER_TOOL = ROOT.parent / "shared" / "tools" / "speech_cer.py"
ASR_HOME = Path(os.environ.get("ASR_HOME", "/tmp/asr"))


def render_sentences(engine: str, sentences: list[str], folder: Path) -> list[Path]:
    """One MP3 per sentence through the whole pipeline."""
    choice = EngineChoice(engine, 1.0, str(folder / "data"))
    settings = engine_settings(choice)
    cache = AudioCache(folder / "data" / "audio")
    pool = SynthesisPool(choice, cache, workers=1)
    paths = []
    try:
        for number, sentence in enumerate(sentences):
            spoken = [normalize_for_speech(s.text) for s in split_passage(sentence)]
            jobs = [(segment_key(s, settings), s) for s in spoken if s.strip()]
            report = pool.run(jobs)
            if report.failed:
                raise SystemExit(f"{engine}: {report.failed[0][1]}")
            path = folder / f"{engine}-{number:02d}.mp3"
            path.write_bytes(b"".join(cached(cache, key) for key, _ in jobs))
            paths.append(path)
    finally:
        pool.close()
    return paths


def cached(cache: AudioCache, key: str) -> bytes:
    """A sentence the pool has just rendered, read back."""
    data = cache.read(key)
    if data is None:
        raise SystemExit(f"{key}: rendered, yet not in the audio cache")
    return data


def score(pairs: list[tuple[Path, str]], folder: Path) -> dict:
    """The CER tool's overall figures (its last JSON line) for these (audio, reference) pairs."""
    table = folder / "pairs.tsv"
    lines = []
    for audio, reference in pairs:
        ref = folder / f"ref-{audio.stem}.txt"
        ref.write_text(reference, encoding="utf-8")
        lines.append(f"{audio}\t{ref}")
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    command = [
        str(ASR_HOME / "venv/bin/python"),
        str(CER_TOOL),
        "--model",
        str(ASR_HOME / "whisper-base"),
        "--pairs",
        str(table),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", nargs="+", default=["neural", "pyttsx3"])
    parser.add_argument("--sentences", type=Path, default=SENTENCES)
    args = parser.parse_args()
    if not (ASR_HOME / "venv/bin/python").exists():
        sys.exit(f"the ASR tool is not installed: run {CER_TOOL.parent / 'setup-asr.sh'}")
    sentences = [line.strip() for line in args.sentences.read_text(encoding="utf-8").splitlines() if line.strip()]
    figures = {}
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        for engine in args.engines:
            reason = available(engine)
            if reason:
                print(f"{engine}: skipped ({reason})")
                continue
            audio = render_sentences(engine, sentences, folder)
            overall = score(list(zip(audio, sentences, strict=True)), folder)
            figures[engine] = overall["cer"]
            print(
                f"{engine:8s} {overall['files']} sentences, {overall['ref_chars']} characters: "
                f"CER {overall['cer']:.4f} (capped {overall['cer_capped']:.4f})"
            )
    if {"neural", "pyttsx3"} <= figures.keys():
        print(f"neural / pyttsx3 CER ratio: {figures['neural'] / figures['pyttsx3']:.3f} (target < 0.25)")


if __name__ == "__main__":
    main()
