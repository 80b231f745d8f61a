"""Course and question pages and JSON: what the course player and the spoken quizzes are given."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskClient

from indexer.content.quiz import load_questions
from kiosk.settings import BUNDLED_CONTENT
from kiosk.training.views import daily_question

from .sites import AppMaker


@pytest.fixture(scope="module")
def client(make_module_app: AppMaker) -> FlaskClient:
    """The tests only read: one app on the indexed bundled content for the module."""
    return make_module_app(content=(BUNDLED_CONTENT,), build=True).test_client()


def test_course_list_json_has_every_course(client):
    body = client.get("/api/courses").get_json()
    assert body["ok"] and {c["id"] for c in body["courses"]} >= {"物业管理篇", "网格员入门"}


def test_a_course_gives_its_sentences_unit_by_unit_with_text_and_audio(client):
    body = client.get("/api/courses/网格员入门").get_json()
    course = body["course"]
    first = course["units"][0]
    assert first["title"] == "先认路" and first["parts"][0]["section"] == "二、按岗位推荐的收听顺序"
    assert first["parts"][0]["url"].startswith("/doc/") and "?p=" in first["parts"][0]["url"]
    segment = first["segments"][0]
    assert segment["url"] == f"/audio/{segment['key']}.mp3" and segment["text"] and segment["duration"] > 0
    assert all(unit["questions"] for unit in course["units"])
    assert set(body["prompts"]) >= {"right", "wrong"} and body["prompts"]["right"][0].startswith("/audio/")
    assert client.get("/api/courses/没有这门课").get_json() == {
        "ok": False,
        "error": "没有找到这个页面或内容，它可能已被删除。",
        "status": 404,
    }


def test_a_question_is_spoken_option_by_option_and_its_sound_is_served(client):
    course = client.get("/api/courses/物业管理篇").get_json()["course"]
    body = client.get(f"/api/questions/{course['units'][0]['questions'][0]}").get_json()
    question = body["question"]
    assert question["kind_label"] in ("单选题", "多选题", "判断题") and question["answer"] and question["explanation"]
    assert question["audio"]["question"] and question["audio"]["answer"]
    if question["kind"] != "truefalse":
        assert [o["letter"] for o in question["options"]][:2] == ["A", "B"] and question["options"][0]["audio"]
    assert question["source"]["url"].startswith(f"/doc/{question['source']['doc']}?play=1&p=")
    audio = client.get(question["audio"]["question"][0])  # remembered, so the hub can voice it on demand
    assert audio.status_code in (200, 503)


def test_the_daily_question_is_the_same_all_day_and_changes_the_next():
    questions, problems = load_questions([BUNDLED_CONTENT])
    assert not problems
    today = dt.date(2026, 12, 2)
    assert daily_question(questions, today) == daily_question(list(reversed(questions)), today)
    assert daily_question(questions, today) != daily_question(questions, today + dt.timedelta(days=1))
    assert daily_question([], today) is None


def test_course_pages_read_without_javascript(client):
    listing = client.get("/courses").get_data(as_text=True)
    assert "新网格员入门" in listing and "/course/" in listing
    page = client.get("/course/网格员入门").get_data(as_text=True)
    assert "第1单元" in page and "先认路" in page and "二、按岗位推荐的收听顺序" in page
    assert client.get("/course/没有").status_code == 404
