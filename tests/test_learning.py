"""The learners' API through Flask's test client, on the bundled courses with their real sentences: sign-in and
lock-out, QR cards, listening credit and its clock, quiz answers checked on the hub, completion, removal, the
touchscreen refusing sign-in, and bad requests answered in the API's error shape."""

from __future__ import annotations

import math
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from kiosk.settings import BUNDLED_CONTENT
from kiosk.training.learner import learners
from kiosk.training.learner.cards import list_learners, new_card
from kiosk.training.learner.database import LEARNING_DB, LearningDB
from kiosk.training.learner.listening import ALLOWANCE_SECONDS, FASTEST_SPEED
from kiosk.training.practical.rounds import RoundForm, add_round, sign_up
from kiosk.training.practical.signoffs import sign_off

from .sites import ZHANG, AppMaker, Clock, in_one_burst, learner_sign_in, learner_signed_in

START = 1_800_000_000.0  # the hub's clock in these tests: 2027-01-15


@pytest.fixture(scope="module")
def site(make_module_app: AppMaker) -> Flask:
    """One app on the bundled index for the module (its course catalog is built once)."""
    return make_module_app(content=(BUNDLED_CONTENT,), build=True)


@pytest.fixture
def clock(site) -> Clock:
    """A fresh learning.db, sign-in allowance and clock for every test."""
    for suffix in ("", "-wal", "-shm"):
        (site.extensions["kiosk"].data.root / f"{LEARNING_DB}{suffix}").unlink(missing_ok=True)
    site.extensions.pop("client_limits", None)
    site.config["LEARNING_CLOCK"] = fake = Clock(START)
    return fake


@pytest.fixture
def client(site, clock):
    return site.test_client()


@pytest.fixture
def catalog(site):
    services = site.extensions["kiosk"]
    with services.store() as store:
        return site.extensions["learning"].get(store, services.speech, [BUNDLED_CONTENT])


def db(site) -> LearningDB:
    return LearningDB(site.extensions["kiosk"].data.root)


def report(client, token: str, course: str, keys: list[str], report_id: str | None = None):
    return client.post(
        "/api/learner/heard",
        json={"course": course, "keys": keys, "report": report_id or str(uuid.uuid4())},
        headers={"X-CSRF-Token": token},
    )


def answer(client, token: str | None, *attempts: dict):
    headers = {"X-CSRF-Token": token} if token else {}
    return client.post("/api/learner/attempts", json={"attempts": list(attempts)}, headers=headers)


def attempt(question: str, given: str, course: str = "", attempt_id: str | None = None, **extra) -> dict:
    return {"id": attempt_id or str(uuid.uuid4()), "question": question, "course": course, "answer": given, **extra}


def wrong_answer(question) -> str:
    if question.kind == "truefalse":
        return "错" if question.answer == "对" else "对"
    return next(letter for letter, _ in question.options if letter != question.answer)


def begin(client, token: str, plan) -> None:
    """The phone reports the first sentence it played in the course: the course's listening clock starts."""
    assert report(client, token, plan.id, [plan.units[0].sentences[0]]).get_json()["credited"] == 1


def listened(site) -> float:
    with db(site) as learning:
        return learning.conn.execute("SELECT listened FROM learners").fetchone()[0]


# -- signing in ---------------------------------------------------------------------------------------------------


def test_a_new_combination_creates_the_learner_and_a_long_lived_session_of_its_own(client):
    first = learner_sign_in(client)
    assert first.status_code == 200
    body = first.get_json()
    assert body["ok"] and body["created"] is True and body["csrf"]
    assert body["learner"] == {"name": "张网格", "town": "城关街道", "community": "幸福社区"}
    [cookie] = first.headers.get_all("Set-Cookie")  # the learner's own, and no editor session beside it
    assert cookie.startswith("kiosk_learner=")
    assert "Max-Age=15552000" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    me = client.get("/api/learner").get_json()
    assert me["learner"]["name"] == "张网格" and me["csrf"] == body["csrf"]
    assert set(me["courses"]) >= {"网格员入门", "物业管理篇"}
    course = me["courses"]["网格员入门"]
    assert course["heard"] == 0 and course["total"] > 0 and course["completed"] is None and course["seconds"] == 0
    assert [set(unit) for unit in course["units"]] == [{"heard", "total", "done", "quiz"}] * len(course["units"])
    assert not any(unit["done"] for unit in course["units"])


def test_an_existing_learner_needs_their_pin_and_five_wrong_ones_lock_them_for_15_minutes(site, client, clock):
    learner_signed_in(client)
    again = learner_sign_in(site.test_client())
    assert again.status_code == 200 and again.get_json()["created"] is False
    other = site.test_client()
    for tries_left in (4, 3, 2, 1):
        wrong = learner_sign_in(other, pin="1111")
        assert wrong.status_code == 401 and f"还可以再试 {tries_left} 次" in wrong.get_json()["error"]
        assert wrong.get_json() == {"ok": False, "error": wrong.get_json()["error"], "status": 401}
    locked = learner_sign_in(other, pin="1111")
    assert locked.status_code == 401 and "15 分钟" in locked.get_json()["error"]
    right_but_locked = learner_sign_in(other)
    assert right_but_locked.status_code == 401 and "锁定" in right_but_locked.get_json()["error"]
    clock.advance(15 * 60 + 1)
    assert learner_sign_in(other).status_code == 200
    with db(site) as learning:
        assert learning.conn.execute("SELECT COUNT(*) FROM learners").fetchone()[0] == 1


PIN_LEFT = "PIN 不对（还可以再试 {} 次）。忘了 PIN 请找培训老师。"
PIN_LOCKS = "PIN 不对。已连续输错 5 次，15 分钟内不能再登录。"
PIN_WHILE_LOCKED = "连续输错 5 次 PIN，已暂时锁定。请 15 分钟后再试，或请培训老师帮忙。"


def try_pin(root: Path, pin: str) -> Callable[[], object]:
    """One sign-in of 张网格 on its own connection, as a request of its own makes it."""

    def attempt() -> object:
        with LearningDB(root) as learning:
            return learners.sign_in(learning, ZHANG["name"], ZHANG["town"], ZHANG["community"], pin, START)

    return attempt


def pin_answers(outcomes: list) -> Counter:
    return Counter(str(outcome) if isinstance(outcome, Exception) else "signed in" for outcome in outcomes)


def test_a_burst_of_wrong_pins_counts_every_one_and_locks_at_the_fifth(tmp_path):
    try_pin(tmp_path, ZHANG["pin"])()  # signs 张网格 up
    outcomes = in_one_burst([try_pin(tmp_path, f"{1000 + n}") for n in range(10)])
    expected = [*(PIN_LEFT.format(left) for left in (4, 3, 2, 1)), PIN_LOCKS, *[PIN_WHILE_LOCKED] * 5]
    assert pin_answers(outcomes) == Counter(expected)
    with LearningDB(tmp_path) as learning:
        assert tuple(learning.conn.execute("SELECT failures, locked_until FROM learners").fetchone()) == (
            5,
            START + 15 * 60,
        )


def test_the_right_pin_in_a_burst_of_wrong_ones_past_the_limit_does_not_sign_in(tmp_path):
    try_pin(tmp_path, ZHANG["pin"])()
    for _ in range(4):
        with pytest.raises(learners.SignInError):
            try_pin(tmp_path, "1111")()
    outcomes = in_one_burst([*(try_pin(tmp_path, f"{1000 + n}") for n in range(9)), try_pin(tmp_path, ZHANG["pin"])])
    if not isinstance(outcomes[-1], Exception):  # decided before every wrong one: the nine then count from zero
        expected = [*(PIN_LEFT.format(left) for left in (4, 3, 2, 1)), PIN_LOCKS, *[PIN_WHILE_LOCKED] * 4, "signed in"]
    else:  # the first wrong one locked the learner: everything after it, the right PIN too, is refused
        expected = [PIN_LOCKS, *[PIN_WHILE_LOCKED] * 9]
    assert pin_answers(outcomes) == Counter(expected)


@pytest.mark.parametrize("pin", ["x", "", "12", "123456789", "12ab", "２４６"])
def test_a_malformed_pin_gets_the_same_answer_whether_or_not_the_learner_exists(site, client, clock, pin):
    learner_signed_in(client)
    existing = learner_sign_in(site.test_client(), pin=pin)
    unknown = learner_sign_in(site.test_client(), name="没有这个人", pin=pin)
    assert existing.status_code == unknown.status_code == 400
    assert existing.get_json() == unknown.get_json() == {"ok": False, "error": "PIN 要 4 到 8 位数字", "status": 400}
    with db(site) as learning:
        assert [tuple(row) for row in learning.conn.execute("SELECT name, failures FROM learners")] == [("张网格", 0)]


def test_full_width_and_spaced_input_is_the_same_learner(client):
    learner_signed_in(client)
    again = learner_sign_in(client, name=" 张网格 ", community="幸福社区", pin="２４６８")
    assert again.status_code == 200 and again.get_json()["created"] is False


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"pin": "12"}, "PIN 要 4 到 8 位数字"),
        ({"pin": "12345678901"}, "PIN 要 4 到 8 位数字"),
        ({"pin": "abcd"}, "PIN 要 4 到 8 位数字"),
        ({"name": "  "}, "请填写姓名"),
        ({"community": " "}, "请从名单里选您的社区"),
        ({"community": "社" * 31}, "社区最多 30 个字"),
    ],
)
def test_a_new_learner_needs_a_name_a_community_and_a_pin_of_4_to_8_digits(client, changes, message):
    response = learner_sign_in(client, **changes)
    assert response.status_code == 400 and message in response.get_json()["error"]


def test_signing_out_ends_the_session(client):
    token = learner_signed_in(client)
    assert client.post("/api/learner/signout", json={}).status_code == 400  # without the session's token
    assert (
        client.post(
            "/api/learner/signout", content_type="application/json", headers={"X-CSRF-Token": token}
        ).status_code
        == 200
    )
    assert client.get("/api/learner").get_json()["learner"] is None


def test_a_saved_learner_cookie_opens_nothing_after_signing_out(site, client):
    token = learner_signed_in(client)
    cookie = client.get_cookie("kiosk_learner")
    assert cookie is not None
    other_phone = site.test_client()
    learner_signed_in(other_phone)
    saved = site.test_client()
    saved.set_cookie("kiosk_learner", cookie.value)
    assert saved.get("/api/learner").get_json()["learner"]["name"] == "张网格"
    signed_out = client.post("/api/learner/signout", json={}, headers={"X-CSRF-Token": token})
    assert signed_out.status_code == 200
    [deleted] = signed_out.headers.get_all("Set-Cookie")
    assert deleted.startswith("kiosk_learner=;") and "HttpOnly" in deleted and "SameSite=Lax" in deleted
    assert saved.get("/api/learner").get_json()["learner"] is None
    report = {"course": "网格员入门", "keys": [], "report": str(uuid.uuid4())}
    assert saved.post("/api/learner/heard", json=report, headers={"X-CSRF-Token": token}).status_code == 401
    assert other_phone.get("/api/learner").get_json()["learner"] is None  # signing out ends every phone's session
    assert learner_sign_in(client).status_code == 200  # the PIN still signs them in
    assert client.get("/api/learner").get_json()["learner"]["name"] == "张网格"


# -- QR cards -----------------------------------------------------------------------------------------------------


def test_a_card_signs_its_learner_in_and_a_new_card_revokes_the_old_one(site, client):
    learner_signed_in(client)
    with db(site) as learning:
        (learner,) = list_learners(learning)
    phone = site.test_client()
    opened = phone.get(f"/learn/card/{learner.card}")
    assert opened.status_code == 302 and opened.headers["Location"] == "/learn"
    assert phone.get("/api/learner").get_json()["learner"]["name"] == "张网格"
    with db(site) as learning:
        token = new_card(learning, learner.id)
    revoked = site.test_client().get(f"/learn/card/{learner.card}")
    assert revoked.status_code == 404 and "作废" in revoked.get_data(as_text=True)
    assert phone.get("/api/learner").get_json()["learner"] is None  # a lost card's finder is signed out too
    assert site.test_client().get(f"/learn/card/{token}").status_code == 302


# -- listening credit ---------------------------------------------------------------------------------------------


def test_heard_credits_exactly_the_new_sentences_of_the_course(client, clock, catalog):
    token = learner_signed_in(client)
    begin(client, token, catalog.courses["网格员入门"])
    clock.advance(3600)
    unit = catalog.courses["网格员入门"].units[0].sentences
    first = report(client, token, "网格员入门", list(unit[:10]))
    body = first.get_json()
    assert first.status_code == 200 and body["credited"] == 9 and body["refused"] == 0
    assert body["progress"]["heard"] == 10 and body["progress"]["units"][0]["heard"] == 10
    more = report(client, token, "网格员入门", list(unit[:15])).get_json()
    assert (more["credited"], more["refused"], more["progress"]["heard"]) == (5, 0, 15)
    assert client.get("/api/learner").get_json()["courses"]["网格员入门"]["units"][0]["heard"] == 15


def test_replaying_a_sentence_adds_nothing(site, client, clock, catalog):
    token = learner_signed_in(client)
    clock.advance(600)
    key = catalog.courses["网格员入门"].units[0].sentences[0]
    assert report(client, token, "网格员入门", [key]).get_json()["credited"] == 1
    clock_after_first = listened(site)
    for _ in range(3):
        again = report(client, token, "网格员入门", [key, key]).get_json()
        assert (again["credited"], again["refused"], again["progress"]["heard"]) == (0, 0, 1)
    assert listened(site) == clock_after_first


def test_an_hour_reported_a_minute_after_the_course_s_first_sentence_is_capped_by_the_clock(
    site, client, clock, catalog
):
    token = learner_signed_in(client)
    plan = catalog.courses["物业管理篇"]
    keys = [key for unit in plan.units for key in unit.sentences]
    assert sum(plan.seconds.values()) > 3000
    begin(client, token, plan)
    clock.advance(60)
    body = report(client, token, "物业管理篇", keys).get_json()
    allowed = FASTEST_SPEED * 60 + ALLOWANCE_SECONDS
    assert 0 < body["credited"] < len(keys) and body["credited"] + body["waiting"] == len(keys) - 1
    assert body["refused"] == 0
    assert listened(site) <= allowed
    # Credited in course order: the first sentences of the first unit, none further on.
    heard = body["credited"] + 1
    assert body["progress"]["units"][0]["heard"] == min(heard, len(plan.units[0].sentences))
    assert (
        sum(plan.seconds[key] for key in keys[:heard]) <= allowed < sum(plan.seconds[key] for key in keys[: heard + 1])
    )
    clock.advance(60)  # a minute later the clock allows about two minutes more, not the rest of the hour
    later = report(client, token, "物业管理篇", keys).get_json()
    assert 0 < later["credited"] < later["waiting"] and listened(site) <= FASTEST_SPEED * 120 + ALLOWANCE_SECONDS


def test_an_hour_heard_offline_before_the_course_s_first_report_is_credited_later_not_lost(client, clock, catalog):
    """No signal from the first sentence on: the whole hour arrives as the course's first report. The hub keeps
    what the clock does not allow yet and credits it as time passes, when the learner next looks."""
    token = learner_signed_in(client)
    plan = catalog.courses["物业管理篇"]
    keys = [key for unit in plan.units for key in unit.sentences]
    clock.advance(3600)
    first = report(client, token, "物业管理篇", keys).get_json()
    assert first["credited"] < 10 and first["credited"] + first["waiting"] == len(keys) and first["refused"] == 0
    clock.advance(60)
    partly = client.get("/api/learner").get_json()["courses"]["物业管理篇"]
    assert first["credited"] < partly["heard"] < len(keys)
    clock.advance(1800)  # half an hour at double speed covers the hour
    assert client.get("/api/learner").get_json()["courses"]["物业管理篇"]["heard"] == len(keys)


def test_an_hour_heard_offline_and_sent_at_once_is_fully_credited(client, clock, catalog):
    token = learner_signed_in(client)
    plan = catalog.courses["物业管理篇"]
    keys = [key for unit in plan.units for key in unit.sentences]
    heard_seconds = sum(plan.seconds[key] for key in keys)
    assert 3000 < heard_seconds <= 3600
    begin(client, token, plan)  # at the bus stop, with signal
    clock.advance(3600)  # an hour on the bus at normal speed, without signal
    body = report(client, token, "物业管理篇", keys).get_json()
    assert (body["credited"], body["refused"]) == (len(keys) - 1, 0)
    assert body["progress"]["heard"] == body["progress"]["total"] == len(keys)


def test_keys_of_another_course_and_unknown_keys_are_refused(client, clock, catalog):
    token = learner_signed_in(client)
    clock.advance(3600)
    ours = set(catalog.courses["网格员入门"].position)
    elsewhere = [key for key in catalog.courses["案例汇编"].units[0].sentences if key not in ours][:3]
    body = report(client, token, "网格员入门", [*elsewhere, "0" * 40, "不是句子"]).get_json()
    assert (body["credited"], body["refused"], body["progress"]["heard"]) == (0, 5, 0)
    unknown_course = report(client, token, "没有这门课", elsewhere)
    assert unknown_course.status_code == 404 and unknown_course.get_json()["status"] == 404


def test_a_report_sent_twice_counts_once_and_is_answered_as_the_first_time(site, client, clock, catalog):
    token = learner_signed_in(client)
    begin(client, token, catalog.courses["网格员入门"])
    clock.advance(3600)
    unit = catalog.courses["网格员入门"].units[0].sentences
    report_id = str(uuid.uuid4())
    first = report(client, token, "网格员入门", [*unit[1:5], "0" * 40], report_id).get_json()
    again = report(client, token, "网格员入门", list(unit[:20]), report_id).get_json()
    assert (first["credited"], first["refused"]) == (again["credited"], again["refused"]) == (4, 1)
    assert again["progress"]["heard"] == 5
    with db(site) as learning:
        assert learning.conn.execute("SELECT COUNT(*) FROM heard").fetchone()[0] == 5


def test_heard_needs_a_signed_in_learner_and_the_session_s_token(client, clock, catalog):
    key = catalog.courses["网格员入门"].units[0].sentences[0]
    anonymous = report(client, "", "网格员入门", [key])
    assert anonymous.status_code == 401 and anonymous.get_json()["error"].startswith("请先登录")
    learner_signed_in(client)
    forged = report(client, "not-the-token", "网格员入门", [key])
    assert forged.status_code == 400 and "页面已过期" in forged.get_json()["error"]


# -- quiz answers -------------------------------------------------------------------------------------------------


def test_answers_are_checked_on_the_hub_whatever_the_phone_claims(site, client, catalog):
    token = learner_signed_in(client)
    question = catalog.questions[catalog.courses["网格员入门"].units[0].questions[0]]
    body = answer(client, token, attempt(question.id, wrong_answer(question), "网格员入门", right=True)).get_json()
    (result,) = body["results"]
    assert body["accepted"] == 1 and result["right"] is False
    assert result["answer"] == question.answer and result["explanation"] == question.explanation
    given = question.answer[::-1].lower()  # letters in any order and case are the same answer
    assert answer(client, token, attempt(question.id, given)).get_json()["results"][0]["right"] is True
    with db(site) as learning:
        assert [row[0] for row in learning.conn.execute("SELECT right FROM attempts ORDER BY rowid")] == [0, 1]


def test_an_answer_sent_twice_counts_once(site, client, catalog):
    token = learner_signed_in(client)
    question = catalog.questions[catalog.courses["网格员入门"].units[0].questions[0]]
    queued = attempt(question.id, question.answer, "网格员入门")
    first = answer(client, token, queued).get_json()
    again = answer(client, token, queued, queued).get_json()
    assert (first["accepted"], first["duplicates"]) == (1, 0)
    assert (again["accepted"], again["duplicates"]) == (0, 2) and again["results"][0]["right"] is True
    with db(site) as learning:
        assert learning.conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] == 1


def test_a_visitor_s_answer_is_checked_and_nothing_is_stored(site, client, catalog):
    question = next(iter(catalog.questions.values()))
    body = answer(client, None, attempt(question.id, question.answer)).get_json()
    assert (body["accepted"], body["duplicates"], body["results"][0]["right"]) == (0, 0, True)
    kiosk = client.post("/api/learner/attempts?kiosk=1", json={"attempts": [attempt(question.id, "对")]})
    assert kiosk.status_code == 200 and kiosk.get_json()["accepted"] == 0
    with db(site) as learning:
        assert learning.conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] == 0


def test_an_unknown_question_or_course_is_refused_and_the_rest_of_the_batch_kept(client, catalog):
    token = learner_signed_in(client)
    question = next(iter(catalog.questions.values()))
    body = answer(
        client,
        token,
        attempt("000000000000", "A"),
        attempt(question.id, "A", "没有这门课"),
        attempt(question.id, question.answer),
    ).get_json()
    assert (body["accepted"], body["refused"]) == (1, 2)
    assert [r["right"] for r in body["results"]] == [None, None, True]
    assert body["results"][0]["error"] == "这道题已经不在题库里了"


# -- completion ---------------------------------------------------------------------------------------------------


def test_a_course_is_complete_once_every_unit_is_heard_to_90_percent_and_its_quiz_answered(client, clock, catalog):
    token = learner_signed_in(client)
    plan = catalog.courses["网格员入门"]
    begin(client, token, plan)
    clock.advance(24 * 3600)
    for unit in plan.units:  # exactly 90% of every unit, rounded up
        report(client, token, plan.id, list(unit.sentences[: math.ceil(0.9 * len(unit.sentences))]))
    questions = [q for unit in plan.units for q in unit.questions]
    needed = math.ceil(0.6 * len(questions))  # the default pass mark: 60% of the questions right
    assert 1 < needed < len(questions)
    right_then_wrong = [
        attempt(q, catalog.questions[q].answer if number < needed - 1 else wrong_answer(catalog.questions[q]), plan.id)
        for number, q in enumerate(questions[:-1])
    ]
    answer(client, token, *right_then_wrong)
    course = client.get("/api/learner").get_json()["courses"][plan.id]
    assert course["completed"] is None and course["pass"] == {"mark": 60, "right": needed - 1, "needed": needed}
    # A unit is done once 90% heard and its quiz answered: all but the last, whose last question is still open.
    assert [unit["done"] for unit in course["units"]] == [True] * (len(plan.units) - 1) + [False]
    heard = {key for unit in plan.units for key in unit.sentences[: math.ceil(0.9 * len(unit.sentences))]}
    assert course["seconds"] == round(sum(plan.seconds[key] for key in heard))  # what 我的学习 shows as minutes
    last = catalog.questions[questions[-1]]
    answer(client, token, attempt(last.id, last.answer))  # as 每日一题: an answer given anywhere counts
    course = client.get("/api/learner").get_json()["courses"][plan.id]
    assert course["completed"] and course["completed"].startswith("2027-01-16T")
    assert course["pass"]["right"] == needed and all(unit["done"] for unit in course["units"])
    quiz = course["units"][-1]["quiz"]
    assert quiz["answered"] == quiz["total"]


def test_a_course_needs_its_pass_mark_on_the_learner_s_best_answers(client, clock, catalog):
    token = learner_signed_in(client)
    plan = catalog.courses["网格员入门"]
    begin(client, token, plan)
    clock.advance(24 * 3600)
    for unit in plan.units:
        report(client, token, plan.id, list(unit.sentences))
    questions = [catalog.questions[q] for unit in plan.units for q in unit.questions]
    answer(client, token, *[attempt(q.id, wrong_answer(q), plan.id) for q in questions])
    course = client.get("/api/learner").get_json()["courses"][plan.id]
    assert course["heard"] == course["total"] and course["completed"] is None  # heard and answered, all wrong
    needed = course["pass"]["needed"]
    answer(client, token, *[attempt(q.id, q.answer, plan.id) for q in questions[: needed - 1]])
    assert client.get("/api/learner").get_json()["courses"][plan.id]["completed"] is None
    # Tried again: right once is right for good, even if a later answer to it is wrong.
    answer(client, token, attempt(questions[needed - 1].id, questions[needed - 1].answer, plan.id))
    answer(client, token, *[attempt(q.id, wrong_answer(q), plan.id) for q in questions[:needed]])
    assert client.get("/api/learner").get_json()["courses"][plan.id]["completed"]


def test_every_key_of_a_course_in_one_request_6_5_minutes_after_sign_up_completes_nothing(site, client, clock, catalog):
    """Issue #23: on a hub with no audio, every key of 培训总纲 at once and every answer 「A」 completed the course."""
    token = learner_signed_in(client)
    plan = catalog.courses["培训总纲"]
    keys = [key for unit in plan.units for key in unit.sentences]
    clock.advance(6.5 * 60)
    body = report(client, token, plan.id, keys).get_json()
    assert body["credited"] + body["waiting"] == len(keys) and 0 < body["credited"] < len(keys) // 10
    assert listened(site) <= ALLOWANCE_SECONDS  # the course's first report: the first sentence's allowance only
    answer(client, token, *[attempt(q, "A", plan.id) for unit in plan.units for q in unit.questions])
    assert client.get("/api/learner").get_json()["courses"][plan.id]["completed"] is None


def test_a_learner_signed_up_long_ago_cannot_complete_a_course_in_one_request(site, client, clock, catalog):
    token = learner_signed_in(client)
    plan = catalog.courses["网格员入门"]
    clock.advance(365 * 24 * 3600)
    body = report(client, token, plan.id, [key for unit in plan.units for key in unit.sentences]).get_json()
    assert listened(site) <= ALLOWANCE_SECONDS and body["progress"]["heard"] == body["credited"]
    answer(
        client,
        token,
        *[attempt(q, catalog.questions[q].answer, plan.id) for unit in plan.units for q in unit.questions],
    )
    assert client.get("/api/learner").get_json()["courses"][plan.id]["completed"] is None


def test_a_learner_who_listens_for_real_completes_the_course(site, client, clock, catalog):
    token = learner_signed_in(client)
    plan = catalog.courses["培训总纲"]
    keys = [key for unit in plan.units for key in unit.sentences]
    clock.advance(365 * 24 * 3600)  # signed up long ago: only the time since the course's first sentence counts
    # The phone reports the first sentence as it ends, then five at a time, each batch once it has played at
    # normal speed: the course's length on the hub's clock, every sentence credited.
    for batch in [keys[:1], *(keys[start : start + 5] for start in range(1, len(keys), 5))]:
        clock.advance(sum(plan.seconds[key] for key in batch))
        assert report(client, token, plan.id, batch).get_json()["refused"] == 0
    answer(
        client,
        token,
        *[attempt(q, catalog.questions[q].answer, plan.id) for unit in plan.units for q in unit.questions],
    )
    course = client.get("/api/learner").get_json()["courses"][plan.id]
    assert course["heard"] == course["total"] == len(keys) and course["completed"]


def test_a_course_heard_below_90_percent_in_one_unit_is_not_complete(client, clock, catalog):
    token = learner_signed_in(client)
    clock.advance(24 * 3600)
    plan = catalog.courses["网格员入门"]
    for number, unit in enumerate(plan.units):
        share = math.ceil(0.9 * len(unit.sentences)) - (1 if number == 1 else 0)
        report(client, token, plan.id, list(unit.sentences[:share]))
    answer(
        client,
        token,
        *[attempt(q, catalog.questions[q].answer, plan.id) for unit in plan.units for q in unit.questions],
    )
    assert client.get("/api/learner").get_json()["courses"][plan.id]["completed"] is None


# -- removing a learner -------------------------------------------------------------------------------------------


def test_removing_a_learner_deletes_every_record_of_theirs(site, client, clock, catalog):
    token = learner_signed_in(client)
    learner_signed_in(site.test_client(), name="李网格")  # someone else, whose records stay
    plan = catalog.courses["网格员入门"]
    begin(client, token, plan)
    clock.advance(24 * 3600)
    for unit in plan.units:
        report(client, token, plan.id, list(unit.sentences))
    answer(
        client,
        token,
        *[attempt(q, catalog.questions[q].answer, plan.id) for unit in plan.units for q in unit.questions],
    )
    assert client.get("/api/learner").get_json()["courses"][plan.id]["completed"]
    other = next(course for course in catalog.courses.values() if course.id != plan.id)
    started = report(client, token, other.id, [key for unit in other.units for key in unit.sentences]).get_json()
    assert started["waiting"]  # another course begun with more than its clock allows yet
    with db(site) as learning:
        zhang = next(person for person in list_learners(learning) if person.name == "张网格")
        practical = RoundForm("实训基地", "", START + 86400 * 30, START + 86400 * 30 + 3600, "实训基地二楼", 10, "")
        sign_up(learning, add_round(learning, practical, "刘老师", START), zhang.id, START)
        sign_off(learning, zhang.id, catalog.courses["实训基地"], 0, 0, "合格", "", "刘老师", clock.now)
        counts = {
            table: learning.conn.execute(f"SELECT COUNT(*) FROM {table} WHERE learner = ?", (zhang.id,)).fetchone()[0]
            for table in LearningDB.LEARNER_TABLES
        }
        assert all(counts.values()), counts
        assert learners.remove(learning, zhang.id) is True
        for table in LearningDB.LEARNER_TABLES:
            assert (
                learning.conn.execute(f"SELECT COUNT(*) FROM {table} WHERE learner = ?", (zhang.id,)).fetchone()[0] == 0
            )
        assert [person.name for person in list_learners(learning)] == ["李网格"]
    assert client.get("/api/learner").get_json()["learner"] is None


# -- the touchscreen ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["query", "referer", "cookie"])
def test_the_touchscreen_never_signs_a_learner_in(client, how):
    url, headers = "/api/learner/signin", {}
    if how == "query":
        url += "?kiosk=1"
    elif how == "referer":
        headers["Referer"] = "http://127.0.0.1:8000/course/%E7%BD%91?kiosk=1"
    else:
        client.set_cookie("kiosk", "1")
    refused = client.post(url, json=ZHANG, headers=headers)
    assert refused.status_code == 403 and "触摸屏" in refused.get_json()["error"]
    assert refused.get_json()["status"] == 403 and "kiosk_learner" not in refused.headers.get("Set-Cookie", "")


def test_a_kiosk_mode_server_refuses_sign_in_and_card_links(site, make_app, clock):
    app = make_app(
        content=(BUNDLED_CONTENT,),
        data=site.extensions["kiosk"].data,
        kiosk_mode=True,
        test_config={"LEARNING_CLOCK": clock},
    )
    client = app.test_client()
    assert client.post("/api/learner/signin", json=ZHANG).status_code == 403
    assert client.get("/learn/card/anything").status_code == 403


# -- bad requests -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, kwargs, status",
    [
        ("/api/learner/signin", {"data": "{not json", "content_type": "application/json"}, 400),
        ("/api/learner/signin", {"data": "[1, 2]", "content_type": "application/json"}, 400),
        ("/api/learner/signin", {"data": {"name": "张"}}, 415),  # a form, as another site could send
        ("/api/learner/signin", {"json": {**ZHANG, "pin": 2468}}, 400),
        ("/api/learner/signin", {"json": {"name": "张" * 2000, "town": "", "community": "", "pin": ""}}, 413),
        ("/api/learner/heard", {"data": "x" * 300_000, "content_type": "application/json"}, 413),
        ("/api/learner/attempts", {"data": b"\xff\xfe", "content_type": "application/json"}, 400),
        ("/api/learner/attempts", {"json": {"attempts": "A"}}, 400),
        ("/api/learner/attempts", {"json": {"attempts": [{"id": "x", "question": "q", "answer": "A"}]}}, 400),
        ("/api/learner/attempts", {"json": {"attempts": [{"id": str(uuid.uuid4()), "question": "q"}] * 201}}, 400),
        ("/api/learner/attempts", {"json": {"attempts": [{"id": "x" * 70, "question": "q", "answer": "A"}]}}, 400),
    ],
)
def test_bad_requests_are_answered_in_the_api_s_error_shape(client, url, kwargs, status):
    response = client.post(url, **kwargs)
    body = response.get_json()
    assert response.status_code == status and body == {"ok": False, "error": body["error"], "status": status}
    assert not body["error"].isascii()


@pytest.mark.parametrize(
    "payload",
    [
        {"course": "网格员入门", "keys": "abc", "report": str(uuid.uuid4())},
        {"course": "网格员入门", "keys": [1, 2], "report": str(uuid.uuid4())},
        {"course": "网格员入门", "keys": ["a"] * 5001, "report": str(uuid.uuid4())},
        {"course": "网格员入门", "keys": [], "report": "短"},
        {"course": 3, "keys": [], "report": str(uuid.uuid4())},
    ],
)
def test_a_malformed_heard_report_is_a_400(client, payload):
    token = learner_signed_in(client)
    response = client.post("/api/learner/heard", json=payload, headers={"X-CSRF-Token": token})
    assert response.status_code == 400 and response.get_json()["status"] == 400


def test_too_many_sign_ins_from_one_address_are_slowed(client):
    statuses = [learner_sign_in(client, pin="9999").status_code for _ in range(12)]
    assert statuses[:10].count(429) == 0 and statuses[-1] == 429


@pytest.mark.parametrize("url", ["/api/learner/signin", "/api/learner/heard", "/api/learner/attempts"])
@pytest.mark.parametrize(
    "body",
    [
        "[" * 1500 + "]" * 1500,
        '{"name": "\\ud800", "town": "城关街道", "community": "幸福社区", "pin": "2468"}',
        '{"course": "网格员入门", "keys": ["\\ud800"], "report": "report-0001"}',
        '{"attempts": [{"id": "attempt-0001", "question": "q", "answer": "\\udfff"}]}',
    ],
)
def test_json_python_cannot_hold_is_a_400_not_a_server_error(client, url, body):
    token = learner_signed_in(client)
    response = client.post(url, data=body, content_type="application/json", headers={"X-CSRF-Token": token})
    assert 400 <= response.status_code < 500 and response.get_json()["status"] == response.status_code


def test_a_pin_python_cannot_encode_is_a_wrong_pin(client):
    learner_signed_in(client)
    response = client.post(
        "/api/learner/signin",
        data='{"name": "张网格", "town": "城关街道", "community": "幸福社区", "pin": "\\ud800"}',
        content_type="application/json",
    )
    assert response.status_code == 400 and response.get_json()["status"] == 400


def test_a_damaged_learning_database_is_a_503_in_the_error_shape(site, client, clock):
    path = site.extensions["kiosk"].data.root / LEARNING_DB
    path.write_bytes(b"this is not a database" * 100)
    response = learner_sign_in(client)
    assert response.status_code == 503 and response.get_json()["error"].startswith("learning.db 已损坏")
    path.unlink()
