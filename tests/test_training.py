"""Course and question pages and JSON: what the course player and the spoken quizzes are given."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskClient

from indexer.content.quiz import load_questions
from kiosk.settings import BUNDLED_CONTENT
from kiosk.training.catalog import current_catalog
from kiosk.training.views import daily_pool, daily_question

from .sites import AppMaker, learner_signed_in


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


# -- 每日一题: residents at the touchscreen, learners their own courses -------------------------------------------


def test_the_daily_pool_is_the_resident_questions_unless_a_learner_started_courses(client):
    with client.application.test_request_context("/"):
        catalog = current_catalog()
    residents = daily_pool(catalog)
    assert residents and all(question.for_residents for question in residents)
    assert "结业考核没有通过，该怎么办？" not in {question.text for question in residents}
    mine = daily_pool(catalog, ["网格员入门", "没有这门课"])
    assert {question.id for question in mine} == catalog.courses["网格员入门"].questions


def test_the_kiosk_asks_only_questions_for_residents_every_day(client):
    with client.application.test_request_context("/"):
        pool = daily_pool(current_catalog())
    residents = {question.id for question in pool}
    days = [dt.date(2027, 1, 1) + dt.timedelta(days=day) for day in range(60)]
    asked = {question.id for question in (daily_question(pool, day) for day in days) if question}
    assert asked == residents  # going round all of them, and only them
    body = client.get("/api/questions/daily?kiosk=1").get_json()
    assert body["ok"] and body["question"]["id"] in residents


DAILY_COURSE = "title: 试听课\nunits:\n  - title: 一\n    items:\n      - 有声物业/物业管理篇/维修资金.md\n"
STAFF_QUESTION = (
    "---\ntitle: 题\nvolume: 物业管理篇\n---\n\n## 结业考核没有通过，该怎么办？\n类型：判断\n答案：对\n解析：可以。\n"
    "出处：有声物业/物业管理篇/维修资金.md | 电梯故障危及安全时\n"
)


def test_without_questions_for_residents_the_kiosk_hides_its_daily_question_and_a_learner_gets_their_course(
    make_app, content_dir
):
    (content_dir / "_courses").mkdir()
    (content_dir / "_courses" / "试听.yaml").write_text(DAILY_COURSE, encoding="utf-8")
    (content_dir / "_quiz").mkdir()
    (content_dir / "_quiz" / "题.md").write_text(STAFF_QUESTION, encoding="utf-8")
    app = make_app(content=(content_dir,), build=True)
    kiosk = app.test_client()
    assert kiosk.get("/api/questions/daily?kiosk=1").status_code == 404
    assert 'id="daily"' not in kiosk.get("/?kiosk=1").get_data(as_text=True)
    phone = app.test_client()
    assert phone.get("/api/questions/daily").status_code == 404  # nobody signed in: a visitor, like at the kiosk
    csrf = learner_signed_in(phone)
    catalog = phone.get("/api/courses/试听").get_json()["course"]
    keys = [segment["key"] for segment in catalog["units"][0]["segments"][:2]]
    heard = phone.post(
        "/api/learner/heard",
        json={"course": "试听", "keys": keys, "report": "report-daily-1"},
        headers={"X-CSRF-Token": csrf},
    )
    assert heard.status_code == 200, heard.get_json()
    body = phone.get("/api/questions/daily").get_json()
    assert body["ok"] and body["question"]["text"] == "结业考核没有通过，该怎么办？"
    assert 'id="daily"' in phone.get("/").get_data(as_text=True)
