"""The neural voice end to end on the real models: audio shape, length, determinism, rate, model preparation."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from indexer.errors import ConfigError
from indexer.speech.engines.neural import (
    ENGINE_VERSION,
    SAMPLE_RATE,
    VOCODER_CHUNK_FRAMES,
    NeuralEngine,
    neural_available,
)
from indexer.speech.engines.neural_models import (
    DROPOUT_OP,
    PREPARED_MODEL_PREFIX,
    find_voice_assets,
    prepared_acoustic_model,
)

pytestmark = pytest.mark.skipif(neural_available() is not None, reason=str(neural_available()))

SENTENCE = "业主应当按照约定向物业服务人支付物业费。"
# Mandarin is read at roughly 2-8 syllables a second; the voice's own pauses add a little.
SECONDS_PER_HANZI = (0.12, 0.45)


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def engine(models_dir):
    engine = NeuralEngine(models_dir)
    yield engine
    engine.close()


def seconds(audio: np.ndarray) -> float:
    return len(audio) / SAMPLE_RATE


def test_speaks_int16_mono_of_plausible_duration(engine):
    audio = engine.synthesize(SENTENCE)
    hanzi = len(SENTENCE) - 1
    assert audio.dtype == np.int16 and audio.ndim == 1
    assert SECONDS_PER_HANZI[0] * hanzi < seconds(audio) < SECONDS_PER_HANZI[1] * hanzi
    assert np.abs(audio).max() > 3000  # actually speaks, not near-silence


def test_settings_name_the_voice(engine):
    assert (engine.settings.engine, engine.settings.voice, engine.settings.rate) == ("neural", "baker-female", 1.0)
    assert engine.settings.version == ENGINE_VERSION
    assert engine.sample_rate == SAMPLE_RATE


def test_same_text_gives_the_same_bytes_even_from_a_new_engine(engine, models_dir):
    first = engine.synthesize(SENTENCE).tobytes()
    engine.synthesize("不得以任何理由拒绝履行法定义务。")
    assert engine.synthesize(SENTENCE).tobytes() == first
    other = NeuralEngine(models_dir)
    try:
        assert other.synthesize(SENTENCE).tobytes() == first
    finally:
        other.close()


def test_faster_rate_gives_shorter_audio(engine, models_dir):
    fast = NeuralEngine(models_dir, rate=1.25)
    try:
        assert seconds(fast.synthesize(SENTENCE)) < 0.9 * seconds(engine.synthesize(SENTENCE))
    finally:
        fast.close()


def test_rate_out_of_range_is_a_config_error(models_dir):
    with pytest.raises(ConfigError):
        NeuralEngine(models_dir, rate=0)


def test_unknown_characters_are_skipped_not_fatal(engine):
    assert engine.synthesize("你好abc😀，世界。").tobytes() == engine.synthesize("你好，世界。").tobytes()
    empty = engine.synthesize("😀 abc")
    assert empty.dtype == np.int16 and len(empty) == 0


def test_punctuation_adds_pauses_and_long_clauses_still_speak(engine):
    joined = seconds(engine.synthesize("业主应当支付物业费"))
    paused = seconds(engine.synthesize("业主，应当支付物业费"))
    assert paused > joined
    long_clause = "当事人对合同条款的理解有争议的应当依据本法规定确定争议条款的含义" * 4
    assert seconds(engine.synthesize(long_clause)) > 0.12 * len(long_clause)


def test_pronunciations_change_the_audio(models_dir, engine):
    overridden = NeuralEngine(models_dir, pronunciations={"银行": ("yin2", "xing2")})
    try:
        assert overridden.synthesize("银行").tobytes() != engine.synthesize("银行").tobytes()
    finally:
        overridden.close()


def test_acoustic_model_is_prepared_once_per_source_hash_without_dropout(tmp_path):
    from ai_edge_litert import schema_py_generated as schema

    source = tmp_path / "source.tflite"
    assets = find_voice_assets()
    assert assets is not None  # the module only runs when the voice is installed
    shutil.copy(assets.acoustic_model, source)
    data_dir = tmp_path / "models"
    prepared = prepared_acoustic_model(source, data_dir)
    model = schema.Model.GetRootAsModel(prepared.read_bytes(), 0)
    graph = model.Subgraphs(0)
    used_codes = {graph.Operators(i).OpcodeIndex() for i in range(graph.OperatorsLength())}
    assert all(model.OperatorCodes(code).CustomCode() != DROPOUT_OP for code in used_codes)
    assert prepared_acoustic_model(source, data_dir) == prepared

    with source.open("ab") as stream:
        stream.write(b"\0")  # a different source file: the prepared model must be rebuilt
    rebuilt = prepared_acoustic_model(source, data_dir)
    assert rebuilt != prepared
    assert sorted(data_dir.iterdir()) == [rebuilt]
    assert rebuilt.name.startswith(PREPARED_MODEL_PREFIX)


def test_vocoding_in_windows_is_bit_identical_to_vocoding_the_whole_mel(engine):
    phrase = engine._frontend.phrases("当事人对合同条款的理解有争议的应当依据本法规定确定争议条款的含义")[0]
    mel = engine.mel([engine._symbol_ids[symbol] for symbol in phrase.symbols])
    assert mel.shape[1] > 2 * VOCODER_CHUNK_FRAMES
    assert np.array_equal(engine.waveform(mel), engine._vocode(mel))
