"""The real espeak-ng through the whole pipeline: worker pool, MP3 cache, keys."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indexer.build import build_index
from indexer.errors import SpeechError
from indexer.speech.audio_cache import AudioCache, segment_key
from indexer.speech.engines import EngineChoice, engine_settings
from indexer.speech.mp3 import mp3_duration
from indexer.speech.narration import OPENING_SENTENCES, missing_audio, narrate, render
from indexer.speech.synthesis import SEGMENT_TIMEOUT, SynthesisPool
from indexer.store import Store

BUNDLED = Path(__file__).resolve().parents[1] / "content"
pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed: make test installs it"
)


@pytest.fixture
def choice(data) -> EngineChoice:
    return EngineChoice("pyttsx3", 1.0, str(data.root))


@pytest.fixture
def pool(choice, data):
    pool = SynthesisPool(choice, AudioCache(data.audio), workers=1)
    yield pool
    pool.close()


def test_rendered_audio_is_valid_mp3_of_plausible_length(pool, choice, data):
    text = "业主应当按照约定向物业服务人支付物业费。"
    key = segment_key(text, engine_settings(choice))
    rendered = pool.submit(key, text).result(timeout=60)
    audio = AudioCache(data.audio).read(key)
    assert audio is not None and mp3_duration(audio) == pytest.approx(rendered.duration)
    # Mandarin is read at roughly 3-6 characters a second.
    assert len(text) / 7 < rendered.duration < len(text) / 2


def test_longer_text_gives_longer_audio_and_faster_rate_shorter(data):
    cache = AudioCache(data.audio)
    durations = {}
    for rate in (1.0, 1.5):
        choice = EngineChoice("pyttsx3", rate, str(data.root))
        pool = SynthesisPool(choice, cache)
        try:
            for text in ("物业费。", "物业服务人不得采取停止供电、供水、供热、供燃气等方式催交物业费。"):
                durations[rate, len(text)] = (
                    pool.submit(segment_key(text, engine_settings(choice)), text).result(60).duration
                )
        finally:
            pool.close()
    assert durations[1.0, 4] < durations[1.0, 32]
    assert durations[1.5, 32] < durations[1.0, 32]


def test_cache_keys_change_exactly_when_the_sound_would(choice, data):
    settings = engine_settings(choice)
    same = segment_key("第七条", settings)
    assert segment_key("第七条", settings) == same
    assert segment_key("第八条", settings) != same
    assert segment_key("第七条", engine_settings(EngineChoice("pyttsx3", 1.25, str(data.root)))) != same
    trade = segment_key("本行业的规范。", settings)
    (data.root / "pronunciations.tsv").write_text("行业\txing2 ye4\n物业\twu4 ye4\n", encoding="utf-8")
    corrected = engine_settings(choice)
    assert segment_key("本行业的规范。", corrected) != trade  # its reading changed
    assert segment_key("第七条", corrected) == same  # no corrected term in it: the cached sound stays good
    (data.root / "pronunciations.tsv").write_text(
        "行业\txing2 ye4\n物业\twu4 ye4\n行长\thang2 zhang3\n", encoding="utf-8"
    )
    assert segment_key("本行业的规范。", engine_settings(choice)) == segment_key("本行业的规范。", corrected)


def test_broken_cache_files_are_never_served(pool, choice, data):
    cache = AudioCache(data.audio)
    text = "专项维修资金属于业主共有。"
    key = segment_key(text, engine_settings(choice))
    pool.submit(key, text).result(60)
    path = cache.path(key)
    assert cache.read(key) is not None  # walked once and remembered as whole by this cache
    path.write_bytes(path.read_bytes()[:-7])
    assert cache.read(key) is None and not path.exists()
    assert pool.submit(key, text).result(60).size > 0 and cache.read(key) is not None


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ABC", "a" * 40 + ".mp3", ""])
def test_cache_refuses_anything_but_a_key(data, bad):
    with pytest.raises(ValueError):
        AudioCache(data.audio).path(bad)


def test_second_build_synthesizes_nothing_and_edit_renders_only_the_change(content_dir, data, pool, choice):
    build_index(data, [content_dir])
    settings = engine_settings(choice)
    jobs = missing_audio(data, settings)
    assert jobs and len({k for k, _ in jobs}) == len(jobs)
    report = render(data, pool, jobs)
    assert not report.failed
    assert missing_audio(data, settings) == []
    path = content_dir / "政策法规/业主委员会.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("要先召开业主大会会议。", "要先召开首次业主大会会议。"),
        encoding="utf-8",
    )
    build_index(data, [content_dir])
    assert [text for _, text in missing_audio(data, settings)] == ["成立业主委员会，要先召开首次业主大会会议。"]


def test_unwritable_cache_gives_a_clear_error(tmp_path, choice):
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "ab").write_text("a file where a folder should be")
    with pytest.raises(SpeechError, match="无法写入音频缓存"):
        AudioCache(locked).write("ab" + "0" * 38, b"x")


def test_unknown_voice_fails_with_a_message_not_a_hang(data):
    pool = SynthesisPool(EngineChoice("pyttsx3", 1.0, str(data.root), voice="no-such-voice"), AudioCache(data.audio))
    try:
        with pytest.raises(SpeechError, match="no-such-voice"):
            pool.submit("0" * 40, "你好。").result(60)
    finally:
        pool.close()


def test_a_killed_worker_is_replaced(pool, choice):
    settings = engine_settings(choice)
    pool.submit(segment_key("第一句。", settings), "第一句。").result(60)
    [pid] = pool.worker_pids()
    os.kill(pid, signal.SIGKILL)
    assert pool.submit(segment_key("第二句。", settings), "第二句。").result(60).duration > 0
    [new_pid] = pool.worker_pids()
    assert new_pid != pid


def test_build_killed_midway_loses_nothing_and_resumes(tmp_path):
    content = tmp_path / "content"
    for source in sorted(BUNDLED.rglob("*.md"), key=lambda p: p.stat().st_size)[:2]:
        target = content / source.relative_to(BUNDLED)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
    env = {**os.environ, "KIOSK_ENGINE": "pyttsx3", "KIOSK_DATA": str(tmp_path / "var")}
    command = [sys.executable, "-m", "kiosk.cli", "build", "--content", str(content)]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    audio = tmp_path / "var" / "audio"
    deadline = time.monotonic() + 120
    while len(list(audio.glob("??/*.mp3"))) < 10 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    cache = AudioCache(audio)
    kept = cache.keys()
    assert kept and all(cache.read(key) is not None for key in kept)
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert "全部已合成" in again.stdout, again.stdout


def test_closing_a_busy_pool_answers_every_waiter_at_once(choice, data):
    settings = engine_settings(choice)
    pool = SynthesisPool(choice, AudioCache(data.audio))
    texts = [f"第{i}句，业主应当按照约定支付物业费。" for i in range(60)]
    futures = [pool.submit(segment_key(t, settings), t) for t in texts]
    futures[0].result(60)
    started = time.monotonic()
    pool.close()
    assert time.monotonic() - started < SEGMENT_TIMEOUT
    assert all(f.done() for f in futures)
    assert any(isinstance(f.exception(), SpeechError) for f in futures)
    with pytest.raises(SpeechError, match="已关闭"):
        pool.submit("0" * 40, "再来一句。")


def test_every_text_s_opening_is_voiced_before_any_text_s_later_sentences(content_dir, data, choice):
    """A build cut short, or a kiosk still voicing its library, has each text's first sound ready first."""
    build_index(data, [content_dir])
    settings = engine_settings(choice)
    store = Store(data.database)
    try:
        texts = [narrate(doc, settings) for doc in map(store.document, store.document_ids()) if doc is not None]
    finally:
        store.close()
    assert len(texts) >= 3 and all(len(lines) > OPENING_SENTENCES for lines in texts)
    openings = {line.key for lines in texts for line in lines[:OPENING_SENTENCES]}
    jobs = [key for key, _ in missing_audio(data, settings)]
    assert set(jobs[: len(openings)]) == openings
    assert set(jobs) == {line.key for lines in texts for line in lines}
    assert [key for key, _ in missing_audio(data, settings, openings_only=True)] == jobs[: len(openings)]
