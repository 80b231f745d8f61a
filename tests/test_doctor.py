"""`kiosk doctor` and /healthz with real parts: a good hub passes, and each kind of damage gets its own line with
what to do and exit code 1."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.build import build_index
from indexer.datadir import DataDir
from indexer.search import learned
from kiosk.cli import main
from kiosk.operations import doctor
from kiosk.visitors.usage import Usage

from .sites import add_account

LOCAL_CHECKS = ("数据目录", "磁盘空间", "检索库", "数据库 kiosk.db", "数据库 editor.db", "数据库 usage.db", "时钟")


@pytest.fixture
def hub(tmp_path, content_dir) -> DataDir:
    """A data dir as a running hub has it: index, document store, an editor account, usage counts."""
    data = DataDir.create(tmp_path / "var")
    assert build_index(data, [content_dir]).ok
    add_account(data, "editor")
    with Usage(data.root) as usage:
        usage.record_search("维修资金", 1)
    return data


def run_doctor(data: Path, engine: str = "auto"):
    return CliRunner().invoke(main, ["--data", str(data), "doctor"], env={"KIOSK_ENGINE": engine})


def line_of(output: str, check: str) -> str:
    """The line of one check; exactly one per check."""
    lines = [line for line in output.splitlines() if line.split(" ", 1)[-1].startswith(check + "：")]
    assert len(lines) == 1, output
    return lines[0]


def test_a_good_hub_passes(hub):
    result = run_doctor(hub.root)
    for check in LOCAL_CHECKS:
        assert line_of(result.output, check).startswith("[正常]"), result.output
    missing = [
        f.line()
        for f in (
            doctor.packages(),
            doctor.fonts(),
            doctor.voice("auto", doctor.voice_folder()),
            doctor.semantic(),
            doctor.ranking(),
            doctor.lan(),
        )
        if not f.ok
    ]
    if missing:
        pytest.skip("this machine genuinely lacks what these checks look for: " + " / ".join(missing))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "全部正常"


def test_a_missing_ranking_model_is_named_and_search_goes_on(hub, monkeypatch):
    pytest.importorskip("lightgbm")
    monkeypatch.setattr(learned, "MODEL", "no-such-ranker.txt")
    learned.ranker.cache_clear()
    try:
        result = run_doctor(hub.root)
        line = line_of(result.output, "学习排序")
        assert line.startswith("[需处理]") and "no-such-ranker.txt" in line and "make run" in line, line
        assert result.exit_code == 1
    finally:
        monkeypatch.undo()
        learned.ranker.cache_clear()
    assert doctor.ranking().ok  # the shipped model


@pytest.mark.parametrize("name", ["kiosk.db", "editor.db", "usage.db"])
def test_a_corrupted_database_is_named_with_what_to_do(hub, name):
    path = hub.root / name
    data = bytearray(path.read_bytes())
    data[4096 : 4096 + 512] = b"\xff" * 512  # the second page: a b-tree page SQLite can no longer read
    path.write_bytes(bytes(data))
    result = run_doctor(hub.root)
    assert result.exit_code == 1, result.output
    line = line_of(result.output, f"数据库 {name}")
    assert line.startswith("[需处理]") and "已损坏" in line, line
    assert ("kiosk build --full" if name == "kiosk.db" else "kiosk restore") in line
    assert "\n" not in line


def test_a_missing_index_says_to_build(hub):
    shutil.rmtree(hub.index)
    result = run_doctor(hub.root)
    assert result.exit_code == 1, result.output
    assert line_of(result.output, "检索库") == "[需处理] 检索库：还没有建立：运行 kiosk build"


def test_a_damaged_index_says_to_rebuild(hub):
    toc = next(hub.index.glob("_MAIN_*.toc"))
    toc.write_bytes(toc.read_bytes()[:40])
    result = run_doctor(hub.root)
    assert result.exit_code == 1, result.output
    assert "kiosk build --full" in line_of(result.output, "检索库")


@pytest.fixture
def read_only(hub, tmp_path):
    """The hub's data dir seen through a read-only bind mount (root ignores mode bits, not a read-only mount)."""
    target = tmp_path / "ro"
    target.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command here, so no read-only data dir can be made")
    mounted = subprocess.run(
        ["mount", "--bind", str(hub.root), str(target)], check=False, capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot bind-mount here (needs root and CAP_SYS_ADMIN): {mounted.stderr.strip()}")
    try:
        remounted = subprocess.run(
            ["mount", "-o", "remount,bind,ro", str(target)], check=False, capture_output=True, text=True
        )
        if remounted.returncode != 0:
            pytest.skip(f"cannot remount read-only here: {remounted.stderr.strip()}")
        yield target
    finally:
        subprocess.run(["umount", str(target)], check=True)


def test_a_read_only_data_dir_is_found_by_writing(read_only):
    result = run_doctor(read_only)
    assert result.exit_code == 1, result.output
    line = line_of(result.output, "数据目录")
    assert line.startswith("[需处理]") and "不能写入" in line and "只读" in line, line
    for name in ("kiosk.db", "editor.db", "usage.db"):  # still readable: not mistaken for damage
        assert line_of(result.output, f"数据库 {name}") == f"[正常] 数据库 {name}：完整"


def test_an_empty_voice_folder_names_the_missing_model_files(hub, tmp_path, monkeypatch):
    empty = tmp_path / "asset"
    empty.mkdir()
    monkeypatch.setattr(doctor, "voice_folder", lambda: empty)
    result = run_doctor(hub.root, engine="auto")
    assert result.exit_code == 1, result.output
    line = line_of(result.output, "语音")
    assert line.startswith("[需处理]"), line
    if doctor.voice("auto", doctor.voice_folder()).text.startswith("自然人声缺少"):
        return  # the neural packages themselves are missing here: that line is the one to fix first
    assert "fastspeech2_quan.tflite" in line and str(empty) in line and "pip install" in line, line


def test_a_truncated_model_file_is_found(tmp_path):
    folder = tmp_path / "asset"
    shutil.copytree(doctor.voice_folder() or pytest.skip("the neural voice is not installed here"), folder)
    (folder / "mb_melgan.tflite").write_bytes(b"")
    finding = doctor.voice("neural", folder)
    assert not finding.ok and "mb_melgan.tflite" in finding.text


def test_espeak_alone_needs_no_neural_files(tmp_path):
    finding = doctor.voice("pyttsx3", tmp_path)
    assert finding.ok == (shutil.which("espeak-ng") is not None), finding.line()


def test_a_clock_before_2024_means_a_flat_battery():
    finding = doctor.clock(dt.date(2001, 1, 1))
    assert not finding.ok and "2001-01-01" in finding.text and "电池" in finding.text
    assert doctor.clock().ok


def test_too_little_disk_space_is_a_problem(hub):
    assert doctor.disk(hub).ok
    finding = doctor.disk(hub, minimum=1 << 60)
    assert not finding.ok and "kiosk cache gc" in finding.text


def test_a_missing_data_dir_is_one_line_not_a_traceback(tmp_path):
    result = run_doctor(tmp_path / "nowhere")
    assert result.exit_code == 1, result.output
    assert "不存在" in line_of(result.output, "数据目录")
    assert not (tmp_path / "nowhere").exists()  # the doctor looks, it does not create


def test_healthz_reports_the_essentials_cached_for_a_minute(hub, content_dir, make_app, monkeypatch):
    client = make_app(content=(content_dir,), data=hub).test_client()
    calls = []
    real = doctor.databases

    def counted(data):
        calls.append(1)
        return real(data)

    monkeypatch.setattr(doctor, "databases", counted)
    body = client.get("/healthz").get_json()
    assert body["ok"] is True and body["problems"] == []
    usage = hub.root / "usage.db"
    usage.write_bytes(b"\xff" * usage.stat().st_size)
    assert client.get("/healthz").get_json()["problems"] == []  # checked again only after a minute
    assert len(calls) == 1
    checked, found = doctor._health[hub.root]
    doctor._health[hub.root] = (checked - doctor.HEALTH_SECONDS - 1, found)
    response = client.get("/healthz")
    body = response.get_json()
    assert len(calls) == 2 and response.status_code == 200 and body["ok"] is True  # still serving
    assert len(body["problems"]) == 1 and "usage.db" in body["problems"][0], body
