"""The portable engine: pyttsx3's voices, with espeak-ng driven in-process on Linux.

On Linux, pyttsx3's own espeak driver returns from runAndWait() before the WAV is written and
deadlocks in forked workers, so we use pyttsx3's ctypes binding of libespeak-ng directly in
synchronous mode: one library load per worker, samples straight into memory, no process per sentence.
On Windows and macOS the installed system voice is driven through pyttsx3.save_to_file().
"""

from __future__ import annotations

import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

from indexer.errors import SpeechError
from indexer.speech.pronounce import espeak_markup

from .base import EngineSettings

ESPEAK_VOICE = "cmn-latn-pinyin"  # reads hanzi as Mandarin; plain `cmn` spells them out as pinyin letters
ESPEAK_WORDS_PER_MINUTE = 150  # at rate 1.0; espeak's default 175 is hurried for older listeners
VERSION = "1"


def pyttsx3_available() -> str | None:
    """None when the engine can run here, else one line saying what to install."""
    if sys.platform.startswith("linux"):
        try:
            from pyttsx3.drivers import _espeak  # noqa: F401  (loads libespeak-ng)
        except (ImportError, RuntimeError, OSError):
            return "没有找到 espeak-ng：请运行 sudo apt-get install espeak-ng"
        return None
    try:
        import pyttsx3  # noqa: F401
    except ImportError:
        return "没有安装 pyttsx3：请运行 pip install pyttsx3"
    return None


def settings_for(voice: str, rate: float, pronunciations: dict | None) -> EngineSettings:
    """The cache-key settings of this engine, known without loading it."""
    default = ESPEAK_VOICE if sys.platform.startswith("linux") else "system"
    return EngineSettings("pyttsx3", voice or default, rate, VERSION, pronunciations or {})


class Pyttsx3Engine:
    """Speech through pyttsx3's platform voice; espeak-ng's Mandarin voice on Linux."""

    def __init__(self, voice: str = "", rate: float = 1.0, pronunciations: dict | None = None):
        reason = pyttsx3_available()
        if reason:
            raise SpeechError(reason)
        self.pronunciations = pronunciations or {}
        backend = _EspeakLibrary if sys.platform.startswith("linux") else _SystemVoice
        self._backend = backend(voice or (ESPEAK_VOICE if backend is _EspeakLibrary else ""), rate)
        self.sample_rate = self._backend.sample_rate
        self.settings = settings_for(self._backend.voice, rate, self.pronunciations)

    def synthesize(self, text: str) -> np.ndarray:
        """Int16 samples for one sentence of normalized text."""
        return self._backend.synthesize(espeak_markup(text, self.pronunciations) if self.pronunciations else text)

    def close(self) -> None:
        self._backend.close()


class _EspeakLibrary:
    """libespeak-ng through pyttsx3's ctypes binding, synchronous: Synth() returns when all samples arrived."""

    def __init__(self, voice: str, rate: float):
        from pyttsx3.drivers import _espeak

        self._espeak = _espeak
        self.sample_rate = _espeak.Initialize(_espeak.AUDIO_OUTPUT_SYNCHRONOUS, 1000, None, 0)
        if self.sample_rate <= 0:
            raise SpeechError("espeak-ng 初始化失败")
        if _espeak.SetVoiceByName(voice.encode("utf-8")) != _espeak.EE_OK:
            raise SpeechError(f"espeak-ng 没有「{voice}」这个声音；用 espeak-ng --voices=cmn 查看可用的声音")
        self.voice = voice
        _espeak.SetParameter(_espeak.RATE, int(ESPEAK_WORDS_PER_MINUTE * rate), 0)
        self._chunks: list[bytes] = []
        _espeak.SetSynthCallback(self._collect)

    def _collect(self, wav, count, events) -> int:
        if wav and count > 0:
            self._chunks.append(bytes(np.ctypeslib.as_array(wav, shape=(count,)).astype(np.int16)))
        return 0

    def synthesize(self, text: str) -> np.ndarray:
        self._chunks = []
        status = self._espeak.Synth(text.encode("utf-8"), flags=self._espeak.CHARS_UTF8 | self._espeak.ENDPAUSE)
        if status != self._espeak.EE_OK:
            raise SpeechError(f"espeak-ng 合成失败（代码 {status}）")
        return np.frombuffer(b"".join(self._chunks), dtype=np.int16)

    def close(self) -> None:
        self._espeak.Terminate()


class _SystemVoice:
    """pyttsx3's SAPI5 or NSSS voice, writing each sentence to a temporary WAV that is read back once complete."""

    def __init__(self, voice: str, rate: float):
        import pyttsx3

        self._engine = pyttsx3.init()
        if voice:
            self._engine.setProperty("voice", voice)
        self.voice = voice or str(self._engine.getProperty("voice"))
        self._engine.setProperty("rate", int(self._engine.getProperty("rate") * rate))
        self.sample_rate = 0

    def synthesize(self, text: str) -> np.ndarray:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "sentence.wav"
            self._engine.save_to_file(text, str(path))
            self._engine.runAndWait()
            try:
                with wave.open(str(path), "rb") as wav:
                    self.sample_rate = wav.getframerate()
                    frames = wav.readframes(wav.getnframes())
                    channels = wav.getnchannels()
            except (OSError, EOFError, wave.Error) as exc:
                raise SpeechError(f"系统语音没有生成音频：{exc}") from None
        samples = np.frombuffer(frames, dtype=np.int16)
        return samples[::channels] if channels > 1 else samples

    def close(self) -> None:
        self._engine.stop()
