"""Serving many listeners at once: no request waits long for speech, and speech yields to everything else."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask

from indexer.datadir import DataDir
from indexer.speech.audio_cache import segment_key
from indexer.speech.narration import missing_audio
from indexer.store import Store
from kiosk import services

from .sites import AppMaker


@pytest.fixture
def app(make_app: AppMaker) -> Flask:
    """One speech worker, as on a hub's two cores; a new app and cache for every test."""
    return make_app(build=True, speech_workers=1)


def duration_of(data: DataDir, key: str) -> float | None:
    with Store(data.database) as store:
        return store.durations([key]).get(key)


def first_segment(client) -> dict:
    shelves = client.get("/api/shelves").get_json()["shelves"]
    doc = shelves[0]["volumes"][0]["docs"][0]["id"]
    return client.get(f"/api/docs/{doc}").get_json()["segments"][0]


def test_a_sentence_not_ready_is_answered_at_once_as_preparing_then_served(app, monkeypatch):
    monkeypatch.setattr(services, "AUDIO_WAIT", 0.0)  # as if fifty other listeners were ahead in the queue
    client = app.test_client()
    url = first_segment(client)["url"]
    started = time.monotonic()
    response = client.get(url, headers={"Range": "bytes=0-"})
    assert time.monotonic() - started < 1.0
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert "no-store" in response.headers["Cache-Control"]
    body = response.get_json()
    assert body["preparing"] is True and body["ok"] is False and "准备" in body["error"]
    deadline = time.monotonic() + 30
    while (response := client.get(url, headers={"Range": "bytes=0-"})).status_code == 503:
        assert time.monotonic() < deadline, "the sentence never got rendered"
        time.sleep(0.2)
    assert response.status_code == 206 and response.data[:2] == b"\xff\xf3"  # an MPEG-2 layer III frame


def test_only_a_few_requests_wait_for_speech_the_rest_are_told_preparing_at_once(make_app, monkeypatch):
    """The request threads stay free for searches and pages however many phones ask for unrendered audio."""
    monkeypatch.setattr(services, "AUDIO_WAITERS", 1)
    monkeypatch.setattr(services, "AUDIO_WAIT", 200.0)  # the 150 sentences ahead take long on a busy machine
    app = make_app(build=True, speech_workers=1)
    speech, data = app.extensions["kiosk"].speech, app.extensions["kiosk"].data
    first, second = missing_audio(data, speech.settings)[:2]
    busy = [f"第{n}句，业主大会决定共有部分的用途，应当经专有部分面积和人数双过半的业主同意。" for n in range(150)]
    ahead = [(segment_key(text, speech.settings), text) for text in busy]
    speech.queue(ahead, priority=services.ON_DEMAND - len(ahead))  # the single worker is busy for a while
    waiting = ThreadPoolExecutor(1).submit(app.test_client().get, f"/audio/{first[0]}.mp3")
    deadline = time.monotonic() + 30
    while speech._waiting._value and time.monotonic() < deadline:  # until the first listener holds the only place
        time.sleep(0.05)
    response = app.test_client().get(f"/audio/{second[0]}.mp3")
    assert response.status_code == 503 and response.get_json()["preparing"] is True
    assert not waiting.done()
    assert waiting.result(timeout=240).status_code == 200


def test_a_sentence_rendered_within_the_wait_is_served_by_the_same_request(app):
    client = app.test_client()
    client.get("/healthz")
    app.extensions["kiosk"].speech.pool()  # a warm worker, as `kiosk serve` keeps one
    response = client.get(first_segment(client)["url"])
    assert response.status_code == 200 and len(response.data) > 1000


def test_read_ahead_takes_everyone_s_next_sentence_before_anyone_s_later_ones():
    older, newer = 1, 2
    assert services.read_ahead_priority(1, older) < services.read_ahead_priority(2, newer)
    assert services.read_ahead_priority(3, newer) < services.read_ahead_priority(3, older)
    nearest, farthest = services.read_ahead_priority(0, 10**6), services.read_ahead_priority(40, 1)
    assert services.ON_DEMAND < services.DOWNLOAD < nearest < farthest < services.PUBLISH < services.BACKGROUND


def test_speech_workers_yield_the_cpu_to_request_threads(app):
    client = app.test_client()
    url = first_segment(client)["url"]
    deadline = time.monotonic() + 30
    while client.get(url).status_code == 503 and time.monotonic() < deadline:  # workers start with their first job
        time.sleep(0.2)
    pids = app.extensions["kiosk"].speech.pool().worker_pids()
    assert pids
    assert all(
        os.getpriority(os.PRIO_PROCESS, pid) == os.getpriority(os.PRIO_PROCESS, 0) + services.WORKER_NICENESS
        for pid in pids
    )


def test_the_background_build_renders_every_missing_sentence(app):
    speech = app.extensions["kiosk"].speech
    data = app.extensions["kiosk"].data
    missing = len(missing_audio(data, speech.settings))
    assert missing > 10
    thread = speech.render_missing_in_background()
    thread.join(timeout=240)
    assert not thread.is_alive()
    assert missing_audio(data, speech.settings) == []


def test_a_plain_serve_voices_only_every_text_s_opening_in_the_background(app):
    speech = app.extensions["kiosk"].speech
    data = app.extensions["kiosk"].data
    openings = missing_audio(data, speech.settings, openings_only=True)
    later = len(missing_audio(data, speech.settings)) - len(openings)
    assert openings and later > 0
    thread = speech.render_missing_in_background(openings_only=True)
    thread.join(timeout=240)
    assert not thread.is_alive()
    assert missing_audio(data, speech.settings, openings_only=True) == []
    assert len(missing_audio(data, speech.settings)) == later


def test_a_listener_s_sentence_jumps_a_publish_queued_before_it_and_its_duration_is_recorded(app):
    speech = app.extensions["kiosk"].speech
    data = app.extensions["kiosk"].data
    *published_jobs, (key, spoken) = missing_audio(data, speech.settings)[:8]
    published = speech.queue(published_jobs, priority=services.PUBLISH)
    speech.queue([(key, spoken)], priority=services.ON_DEMAND)[0].result(timeout=120)
    assert not published[-1].done()  # one worker: the listener's sentence was not left behind the publish
    deadline = time.monotonic() + 10
    while duration_of(data, key) is None:  # recorded just after the waiter was answered
        assert time.monotonic() < deadline, "the listener's sentence has no duration"
        time.sleep(0.05)


def test_a_sentence_asked_for_again_while_it_is_prepared_records_its_duration_once(app, monkeypatch):
    monkeypatch.setattr(services, "AUDIO_WAIT", 0.0)
    client = app.test_client()
    url = first_segment(client)["url"]
    key = url.rsplit("/", 1)[-1].removesuffix(".mp3")
    speech = app.extensions["kiosk"].speech
    sentence = [(key, "物业服务人应当按照约定提供服务。")]
    asked = [speech.queue(sentence, priority=services.ON_DEMAND)[0] for _ in range(20)]
    assert len({id(future) for future in asked}) == 1
    assert len(asked[0]._done_callbacks) == 1  # not one more per time a waiting listener asked


def test_a_cached_sentence_is_answered_before_flask_with_caching_headers(app):
    client = app.test_client()
    url = first_segment(client)["url"]
    deadline = time.monotonic() + 30
    while (whole := client.get(url)).status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert "immutable" in whole.headers["Cache-Control"] and whole.headers["Content-Security-Policy"]
    etag = whole.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    head = client.head(url)
    assert head.status_code == 200 and head.data == b"" and int(head.headers["Content-Length"]) == len(whole.data)
    part = client.get(url, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.data == whole.data[:100]
