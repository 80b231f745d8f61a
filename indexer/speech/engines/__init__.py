"""Choosing and starting a speech engine by name, in any process (workers receive an EngineChoice)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from indexer.datadir import DataDir
from indexer.errors import ConfigError, SpeechError
from indexer.speech.pronounce import DEFAULT_PRONUNCIATIONS, load_pronunciations

from .base import Engine, EngineSettings

ENGINE_NAMES = ("neural", "pyttsx3")
USER_PRONUNCIATIONS = "pronunciations.tsv"  # in the data dir; editors' corrections override the bundled ones
LIBRARY_PRONUNCIATIONS = "_pronunciations.tsv"  # in a synced library: the centre's editors' corrections


@dataclass(frozen=True)
class EngineChoice:
    """Everything a worker process needs to start the same engine as its parent."""

    name: str
    rate: float
    data_root: str
    voice: str = ""


@dataclass(frozen=True)
class SpeechSetup:
    """The engine a data dir speaks with: how to start it, what its audio keys are made of, and why the preferred
    engine was not taken (None when it was)."""

    choice: EngineChoice
    settings: EngineSettings
    note: str | None = None

    @property
    def name(self) -> str:
        return self.choice.name


def available(name: str) -> str | None:
    """None when the engine can run here, else the reason in one line."""
    if name == "neural":
        from .neural import neural_available

        return neural_available()
    if name == "pyttsx3":
        from .pyttsx3_engine import pyttsx3_available

        return pyttsx3_available()
    raise ConfigError(f"没有名为「{name}」的语音引擎；可选：{', '.join(ENGINE_NAMES)}")


def resolve(requested: str) -> tuple[str, str | None]:
    """The engine to use for a setting of auto/neural/pyttsx3, and why the preferred one was not taken."""
    if requested != "auto":
        reason = available(requested)
        if reason:
            raise SpeechError(f"语音引擎 {requested} 不可用：{reason}")
        return requested, None
    neural_reason = available("neural")
    if neural_reason is None:
        return "neural", None
    if available("pyttsx3") is None:
        return "pyttsx3", f"自然人声不可用，改用 espeak-ng：{neural_reason}"
    raise SpeechError(f"没有可用的语音引擎：{neural_reason}；{available('pyttsx3')}")


def pronunciations_for(data_root: str) -> dict[str, tuple[str, ...]]:
    """The bundled pronunciation dictionary overlaid with the centre's (from a synced library) and then with the
    data dir's editable one: the same readings as the centre give the same audio keys, so its audio is used."""
    paths = [DEFAULT_PRONUNCIATIONS]
    centre = DataDir(Path(data_root)).library_current / LIBRARY_PRONUNCIATIONS
    for overlay in (centre, Path(data_root) / USER_PRONUNCIATIONS):
        if overlay.is_file():
            paths.append(overlay)
    try:
        return load_pronunciations(*paths)
    except ValueError as exc:
        raise ConfigError(f"读音词典有误：{exc}") from None


def engine_settings(choice: EngineChoice) -> EngineSettings:
    """What the chosen engine's audio keys are made of, without starting it."""
    pronunciations = pronunciations_for(choice.data_root)
    if choice.name == "neural":
        from .neural import ENGINE_NAME, ENGINE_VERSION, VOICE_NAME

        return EngineSettings(ENGINE_NAME, VOICE_NAME, choice.rate, ENGINE_VERSION, pronunciations)
    from .pyttsx3_engine import settings_for

    return settings_for(choice.voice, choice.rate, pronunciations)


def set_up_speech(requested: str, rate: float, data: DataDir) -> SpeechSetup:
    """The one way a build, a command or a serving kiosk picks its voice for a data dir, without starting it:
    SpeechError when no engine can run here, ConfigError for a broken pronunciation dictionary."""
    name, note = resolve(requested)
    choice = EngineChoice(name, rate, str(data.root))
    return SpeechSetup(choice, engine_settings(choice), note)


def make_engine(choice: EngineChoice, pronunciations: dict[str, tuple[str, ...]] | None = None) -> Engine:
    """Start the chosen engine (loads models or the espeak-ng library) with the data dir's pronunciations, or with
    the ones given (a cluster worker gets the kiosk's, having no data dir of its own)."""
    if pronunciations is None:
        pronunciations = pronunciations_for(choice.data_root)
    if choice.name == "neural":
        from .neural import NeuralEngine

        return NeuralEngine(Path(choice.data_root) / "models", rate=choice.rate, pronunciations=pronunciations)
    if choice.name == "pyttsx3":
        from .pyttsx3_engine import Pyttsx3Engine

        return Pyttsx3Engine(choice.voice, choice.rate, pronunciations)
    raise ConfigError(f"没有名为「{choice.name}」的语音引擎；可选：{', '.join(ENGINE_NAMES)}")
