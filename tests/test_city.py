"""The city wall: a hub's report made from records written through the real API, the centre's checks on what hubs
send, reports sent twice counting once, and the 大屏 in a real Chromium at 1920×1080, refreshing by itself."""

from __future__ import annotations

import copy
import json
import re
import time
from pathlib import Path

import pytest
from flask import Flask
from nacl.signing import SigningKey

from indexer.datadir import DataDir
from kiosk.city import hub_report
from kiosk.city.database import CITY_DB, CityDB
from kiosk.city.validate import MAX_LEARNERS, MAX_MINUTES, MAX_PLAYS, MAX_SEARCHES, checked
from kiosk.city.views import REPORT_LIMIT, REPORT_MAX_BYTES
from kiosk.city.wall import OwnReport
from kiosk.desk.database import DESK_DB, DeskDB
from kiosk.desk.events import FORMAT as EVENTS_FORMAT
from kiosk.desk.workflow import Asked, Rules, act, rate, register
from kiosk.hubs.enrolment import enrol, remove
from kiosk.hubs.messages import signed_headers
from kiosk.hubs.names import HubNameError
from kiosk.library.keys import public_text
from kiosk.places import Community
from kiosk.settings import BUNDLED_CONTENT
from kiosk.training.learner.database import LEARNING_DB
from kiosk.visitors.usage import USAGE_DB, days_back, today

from .browser_fixtures import SCREENSHOTS, live_server
from .sites import ZHANG, AppMaker, Clock, enrolled_hub, hub_signing_key, learner_signed_in, post_report
from .test_learning import answer, attempt, report

CENTRE = "市物业港服务中心"
SCREENSHOT = SCREENSHOTS / "wall-1920x1080.png"


@pytest.fixture(scope="module")
def site(make_module_app: AppMaker) -> Flask:
    """The centre: one app on the bundled index for the module; each test starts from forget_everything."""
    return make_module_app(content=(BUNDLED_CONTENT,), build=True, hub_name=CENTRE)


@pytest.fixture(scope="module")
def bundled(site: Flask) -> DataDir:
    """The centre's data dir, for the wall's servers."""
    return site.extensions["kiosk"].data


def forget_everything(app) -> None:
    """No counts, records or reports on disk, full allowances, the centre's own report not filed yet."""
    root = app.extensions["kiosk"].data.root
    for name in (USAGE_DB, LEARNING_DB, CITY_DB, DESK_DB):
        for suffix in ("", "-wal", "-shm"):
            (root / f"{name}{suffix}").unlink(missing_ok=True)
    app.extensions.pop("client_limits", None)
    app.extensions["city"] = OwnReport()


@pytest.fixture
def client(site):
    forget_everything(site)
    clock = Clock(time.time() - 24 * 3600)  # the learners sign up yesterday, so today they may have heard a course
    site.config["LEARNING_CLOCK"] = clock
    return site.test_client()


@pytest.fixture(scope="module")
def docs(site) -> dict[str, dict]:
    """Bundled documents by title."""
    shelves = site.test_client().get("/api/shelves").get_json()["shelves"]
    return {d["title"]: d for shelf in shelves for volume in shelf["volumes"] for d in volume["docs"]}


def listen(client, doc: dict, seconds: float) -> None:
    body = {"kind": "listen", "doc": doc["id"], "seconds": seconds, "passage": "p1", "position": 0, "total": 5}
    assert client.post("/api/usage", json=body).status_code == 204


def search(client, query: str, hits: int) -> None:
    assert client.post("/api/usage", json={"kind": "search", "q": query, "hits": hits}).status_code == 204


def complete_course(site, client, course: str, **who) -> None:
    """A learner signs in on a phone and hears and answers the whole course, through the learners' API."""
    token = learner_signed_in(client, **who)
    services = site.extensions["kiosk"]
    with services.store() as store:
        found = site.extensions["learning"].get(store, services.speech, [BUNDLED_CONTENT])
    plan = found.courses[course]
    # the course's first sentence as it starts playing: its listening clock starts there, then a day of listening
    assert report(client, token, plan.id, list(plan.units[0].sentences[:1])).status_code == 200
    site.config["LEARNING_CLOCK"].advance(24 * 3600)
    for unit in plan.units:
        assert report(client, token, plan.id, list(unit.sentences)).status_code == 200
    answer(
        client, token, *[attempt(q, found.questions[q].answer, plan.id) for unit in plan.units for q in unit.questions]
    )
    assert client.get("/api/learner").get_json()["courses"][course]["completed"]
    site.config["LEARNING_CLOCK"].now -= 24 * 3600  # the next learner signs up yesterday too


def empty_report(tmp_path: Path, hub: str, days: int = 14) -> dict:
    """hub_report's shape with every day zero: the starting point of a hand-made report."""
    return hub_report(tmp_path / "nothing-here", hub, days)


def day(back: int) -> str:
    return days_back(back + 1)


# -- the hub's side ---------------------------------------------------------------------------------------------------


def test_a_hub_reports_its_days_from_the_counts_and_records_the_api_wrote(site, client, docs):
    lift, fund = docs["电梯和供水设施的管理"], docs["专项维修资金怎么用"]
    listen(client, lift, 60)
    listen(client, lift, 30)
    listen(client, fund, 120)
    search(client, "楼顶漏水 13812345678", 0)
    search(client, "楼顶漏水 13812345678", 0)
    search(client, "物业费", 5)
    complete_course(site, client, "网格员入门")
    complete_course(site, client, "网格员入门", name="李网格", pin="1357")
    root = site.extensions["kiosk"].data.root

    body = hub_report(root, "幸福社区", days=3)

    assert json.loads(json.dumps(body)) == body
    assert (body["format"], body["hub"]) == (1, "幸福社区")
    assert [row["day"] for row in body["days"]] == [day(2), day(1), today()]
    assert body["days"][0] == {"day": day(2), "plays": 0, "minutes": 0.0, "searches": 0, "unanswered": 0}
    assert body["days"][-1] == {"day": today(), "plays": 3, "minutes": 3.5, "searches": 3, "unanswered": 2}
    assert body["texts"] == [
        {"day": today(), "doc": lift["id"], "title": "电梯和供水设施的管理", "plays": 2, "minutes": 1.5},
        {"day": today(), "doc": fund["id"], "title": "专项维修资金怎么用", "plays": 1, "minutes": 2.0},
    ]
    assert body["questions"] == [{"day": today(), "query": "楼顶漏水 …", "times": 2}]
    assert body["completions"] == [
        {"day": today(), "town": ZHANG["town"], "community": ZHANG["community"], "course": "网格员入门", "learners": 2}
    ]
    sent = json.dumps(body, ensure_ascii=False)
    assert "张网格" not in sent and "李网格" not in sent and "物业费" not in sent  # no names, no answered searches
    assert post_report(client, body).get_json() == {"ok": True, "hub": "幸福社区", "days": 3}


def test_a_hub_with_nothing_recorded_reports_quiet_days_and_creates_no_database(tmp_path):
    body = hub_report(tmp_path, "新站点", days=100)
    assert len(body["days"]) == 31 and body["days"][-1]["day"] == today()  # at most a month
    assert not any(row["plays"] or row["searches"] for row in body["days"])
    assert (body["texts"], body["questions"], body["completions"]) == ([], [], [])
    assert list(tmp_path.iterdir()) == []


# -- the centre's checks ----------------------------------------------------------------------------------------------


def spoiled(change) -> dict:
    body = copy.deepcopy(GOOD)
    change(body)
    return body


PEACE = "和平社区"  # the hub of GOOD
GOOD = {
    "format": 1,
    "hub": PEACE,
    "days": [
        {"day": day(1), "plays": 4, "minutes": 9.5, "searches": 2, "unanswered": 1},
        {"day": today(), "plays": 1, "minutes": 2, "searches": 0, "unanswered": 0},
    ],
    "texts": [{"day": today(), "doc": "0123456789ab", "title": "物业服务合同", "plays": 1, "minutes": 2}],
    "questions": [{"day": day(1), "query": "停车位被占", "times": 1}],
    "completions": [
        {"day": day(1), "town": "城关街道", "community": "和平社区", "course": "物业管理篇", "learners": 1}
    ],
}
BAD = {
    "another format": lambda b: b.update(format=2),
    "a format that is only truthy": lambda b: b.update(format=True),
    "a part missing": lambda b: b.pop("texts"),
    "a part too many": lambda b: b.update(visitors=[]),
    "an empty hub name": lambda b: b.update(hub=""),
    "a hub name on two lines": lambda b: b.update(hub="和平\n社区"),
    "a hub name too long": lambda b: b.update(hub="社" * 41),
    "a hub name that is a number": lambda b: b.update(hub=7),
    "plays as text": lambda b: b["days"][0].update(plays="4"),
    "plays as a boolean": lambda b: b["days"][0].update(plays=True),
    "plays as a fraction": lambda b: b["days"][0].update(plays=1.5),
    "negative searches": lambda b: b["days"][0].update(searches=-1),
    "a count past any hub's": lambda b: b["days"][0].update(plays=10**7),
    "a made-up 999999 learners": lambda b: b["completions"][0].update(learners=999_999),
    "learners of one course past a class": lambda b: b["completions"][0].update(learners=MAX_LEARNERS + 1),
    "a made-up 999999 plays": lambda b: b["days"][0].update(plays=999_999),
    "plays of one text past a day's": lambda b: b["texts"][0].update(plays=MAX_PLAYS + 1),
    "minutes past a day's": lambda b: b["days"][0].update(minutes=MAX_MINUTES + 0.5),
    "searches past a day's": lambda b: b["days"][0].update(searches=MAX_SEARCHES + 1),
    "a search asked past a day's": lambda b: b["questions"][0].update(times=999_999),
    "more unanswered searches than searches": lambda b: b["days"][0].update(searches=1, unanswered=2),
    "minutes not a number": lambda b: b["days"][0].update(minutes=float("nan")),
    "a day that does not exist": lambda b: b["days"][0].update(day="2026-02-30"),
    "a day in words": lambda b: b["days"][0].update(day="yesterday"),
    "a day from a flat clock battery": lambda b: b["days"][0].update(day="2000-01-01"),
    "the same day twice": lambda b: b["days"].append(dict(b["days"][0])),
    "a row of a day not reported": lambda b: b["texts"][0].update(day=day(5)),
    "a row with a field too many": lambda b: b["texts"][0].update(reader="张三"),
    "a row that is not an object": lambda b: b["questions"].append("停车"),
    "a title too long": lambda b: b["texts"][0].update(title="题" * 101),
    "an empty search": lambda b: b["questions"][0].update(query="  "),
    "a community name too long": lambda b: b["completions"][0].update(community="社" * 31),
    "the same text twice": lambda b: b["texts"].append(dict(b["texts"][0])),
    "too many texts": lambda b: b["texts"].extend({**b["texts"][0], "doc": f"{n:012x}"} for n in range(1, 621)),
    "no days": lambda b: b.update(days=[], texts=[], questions=[], completions=[]),
}


def test_a_good_report_is_filed(client):
    assert post_report(client, GOOD).status_code == 200


@pytest.mark.parametrize("change", BAD.values(), ids=BAD.keys())
def test_a_bad_report_is_refused_in_the_apis_error_shape_and_files_nothing(client, change):
    response = post_report(client, spoiled(change), hub=PEACE)
    body = response.get_json()
    assert response.status_code == 400, body
    assert body == {"ok": False, "error": body["error"], "status": 400} and body["error"].startswith("报告的格式不对")
    assert all(hub["centre"] for hub in client.get("/api/city/wall").get_json()["hubs"])


@pytest.mark.parametrize(
    "send, status",
    [
        (
            lambda c: c.post(
                "/api/city/report", data="[" + "0," * REPORT_MAX_BYTES + "0]", content_type="application/json"
            ),
            413,
        ),
        (lambda c: c.post("/api/city/report", data=json.dumps(GOOD), content_type="text/plain"), 415),
        (lambda c: c.post("/api/city/report", data="{not json", content_type="application/json"), 400),
        (lambda c: c.post("/api/city/report", json=[GOOD]), 400),
        (lambda c: c.get("/api/city/report"), 405),
    ],
)
def test_oversized_unreadable_or_misnamed_reports_are_refused(client, send, status):
    response = send(client)
    assert response.status_code == status
    assert response.get_json() == {"ok": False, "error": response.get_json()["error"], "status": status}


def test_one_address_may_report_a_few_times_a_minute(client):
    for _ in range(REPORT_LIMIT.burst):
        assert post_report(client, GOOD).status_code == 200
    refused = post_report(client, GOOD)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


def test_markup_in_names_titles_and_searches_stays_text_on_the_wall(client):
    markup = "<img src=x onerror=alert(1)>"
    body = spoiled(
        lambda b: (
            b.update(hub=markup),
            b["texts"][0].update(title="<script>alert(2)</script>"),
            b["questions"][0].update(query="<b>停车</b>"),
        )
    )
    assert post_report(client, body).status_code == 200
    numbers = client.get("/api/city/wall").get_json()
    assert markup in [hub["name"] for hub in numbers["hubs"]]
    page = client.get("/wall").get_data(as_text=True)
    assert "<img" not in page and "<script>alert" not in page and "<b>停车" not in page
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in page  # inside the page's JSON, which wall.js puts as text


# -- who may report ---------------------------------------------------------------------------------------------------


def wall_names(client) -> set[str]:
    return {row["name"] for row in client.get("/api/city/wall").get_json()["hubs"]}


def refused(response, status: int, reason: str) -> str:
    """The refusal's message, once its status, shape and reason are as told."""
    body = response.get_json()
    assert response.status_code == status, body
    assert body == {"ok": False, "error": body["error"], "status": status, "refused": reason}
    return body["error"]


def test_a_report_without_a_signature_is_refused(client):
    message = refused(client.post("/api/city/report", json=GOOD), 401, "unsigned")
    assert "kiosk sync" in message and PEACE not in wall_names(client)


def test_a_hub_the_centre_has_not_enrolled_is_told_how_to_enrol(client):
    message = refused(post_report(client, GOOD, key=hub_signing_key(PEACE)), 403, "unknown-hub")
    assert "kiosk hub key" in message and "kiosk hub enrol" in message and "和平社区" in message
    assert PEACE not in wall_names(client)


def test_a_report_signed_with_another_key_is_refused(client):
    enrolled_hub(client.application, PEACE)
    forged = post_report(client, GOOD, key=SigningKey.generate())
    assert "签名" in refused(forged, 403, "signature") and PEACE not in wall_names(client)


def test_a_body_changed_after_signing_is_refused(client):
    key = enrolled_hub(client.application, PEACE)
    raw = json.dumps(GOOD, ensure_ascii=False).encode("utf-8")
    headers = signed_headers(key, PEACE, "POST", "/api/city/report", raw)
    changed = json.dumps(spoiled(lambda b: b["days"][0].update(plays=400)), ensure_ascii=False).encode("utf-8")
    response = client.post("/api/city/report", data=changed, content_type="application/json", headers=headers)
    refused(response, 403, "signature")
    elsewhere = signed_headers(key, PEACE, "POST", "/api/other", raw)  # the path is signed too
    response = client.post("/api/city/report", data=raw, content_type="application/json", headers=elsewhere)
    refused(response, 403, "signature")
    assert PEACE not in wall_names(client)


def test_a_replayed_report_is_refused_and_counts_once(client):
    key = enrolled_hub(client.application, PEACE)
    raw = json.dumps(GOOD, ensure_ascii=False).encode("utf-8")
    headers = signed_headers(key, PEACE, "POST", "/api/city/report", raw)
    sent = client.post("/api/city/report", data=raw, content_type="application/json", headers=headers)
    assert sent.status_code == 200, sent.get_json()
    again = client.post("/api/city/report", data=raw, content_type="application/json", headers=headers)
    assert "已经收到过" in refused(again, 403, "replay")
    assert post_report(client, GOOD).status_code == 200  # the hub itself sends the same counts again: a new message


@pytest.mark.parametrize("minutes", [-11, 11])
def test_a_report_signed_too_long_ago_or_ahead_is_refused(client, minutes):
    response = post_report(client, GOOD, at=time.time() + minutes * 60)
    assert "时钟" in refused(response, 403, "clock") and PEACE not in wall_names(client)
    assert post_report(client, GOOD, at=time.time() - 9 * 60).status_code == 200  # a clock a little off is fine


def test_a_hub_reports_only_under_its_own_name(client):
    other = spoiled(lambda b: b.update(hub="幸福社区"))
    assert post_report(client, other).status_code == 200
    before = hub(client.get("/api/city/wall").get_json(), "幸福社区")
    posing = spoiled(lambda b: (b.update(hub="幸福社区"), b["days"][0].update(plays=999)))
    response = post_report(client, posing, hub=PEACE)  # signed by 和平社区, naming 幸福社区
    body = response.get_json()
    assert response.status_code == 403 and "只能报自己的" in body["error"], body
    assert hub(client.get("/api/city/wall").get_json(), "幸福社区") == before
    assert PEACE not in wall_names(client)


def test_a_hub_is_filed_under_its_enrolled_name(client):
    """A hub whose KIOSK_HUB_NAME differs from its enrolment only in width or surrounding space is the same hub."""
    enrolled_hub(client.application, "ABC社区")
    wide = spoiled(lambda b: b.update(hub="ＡＢＣ社区"))
    response = post_report(client, wide, hub="ＡＢＣ社区", key=hub_signing_key("ABC社区"))
    assert response.get_json() == {"ok": True, "hub": "ABC社区", "days": 2}
    assert "ABC社区" in wall_names(client) and "ＡＢＣ社区" not in wall_names(client)


def test_a_hub_enrolled_under_the_centres_name_is_not_filed_as_the_centre(client):
    """Enrolment refuses the centre's name; a centre renamed since to an enrolled hub's name still keeps its row."""
    with CityDB(client.application.extensions["kiosk"].data.root) as db:
        with pytest.raises(HubNameError, match="中心自己的名称"):
            enrol(db, CENTRE, public_text(hub_signing_key(CENTRE)), CENTRE)
        enrol(db, CENTRE, public_text(hub_signing_key(CENTRE)), "中心改名以前")
    response = post_report(client, spoiled(lambda b: b.update(hub=CENTRE)))
    assert response.status_code == 409 and "KIOSK_HUB_NAME" in response.get_json()["error"]
    events = json.dumps({"format": EVENTS_FORMAT, "cursor": 0, "events": []}).encode()  # the desk's sync: refused too
    headers = signed_headers(hub_signing_key(CENTRE), CENTRE, "POST", "/api/desk/hub/events", events)
    response = client.post("/api/desk/hub/events", data=events, content_type="application/json", headers=headers)
    assert response.status_code == 409 and response.get_json()["refused"] == "own-name", response.get_json()


def test_only_the_centre_and_hubs_enrolled_now_are_on_the_wall(client):
    """Reports filed before hubs were enrolled (a lookalike of the centre's name, a made-up 999999 among them) and
    those of a hub removed since are kept but not counted; a hub enrolled again shows again."""
    root = client.application.extensions["kiosk"].data.root
    lookalike = spoiled(lambda b: (b.update(hub=CENTRE + "\ufe0f"), b["completions"][0].update(learners=999)))
    with CityDB(root) as db:
        db.file(checked(lookalike))  # as the centre before this version took it, unsigned
    assert post_report(client, GOOD).status_code == 200
    numbers = client.get("/api/city/wall").get_json()
    assert wall_names(client) == {CENTRE, PEACE}
    assert numbers["totals"]["period"]["completed"] == 1 and numbers["completions"][0]["learners"] == 1
    with CityDB(root) as db:
        remove(db, PEACE)
    emptied = client.get("/api/city/wall").get_json()
    assert wall_names(client) == {CENTRE} and emptied["totals"]["period"]["completed"] == 0
    assert emptied["texts"] == [] and emptied["questions"] == []
    enrolled_hub(client.application, PEACE)
    assert wall_names(client) == {CENTRE, PEACE}


# -- sent twice, counted once -----------------------------------------------------------------------------------------


def hub(numbers: dict, name: str) -> dict:
    return next(row for row in numbers["hubs"] if row["name"] == name)


def test_a_report_sent_again_replaces_its_days_and_never_adds_up(client, tmp_path):
    first = empty_report(tmp_path, "幸福社区", days=3)
    for row, plays in zip(first["days"], (5, 7, 11), strict=False):  # the three oldest days
        row.update(plays=plays, minutes=plays * 2, searches=plays, unanswered=1)
    first["texts"] = [{"day": today(), "doc": "0123456789ab", "title": "物业服务合同", "plays": 11, "minutes": 22}]
    first["questions"] = [{"day": today(), "query": "停车位被占", "times": 1}]
    for _ in range(2):
        assert post_report(client, first).status_code == 200
    twice = client.get("/api/city/wall").get_json()
    assert hub(twice, "幸福社区")["period"] == {"plays": 23, "minutes": 46, "searches": 23}
    assert hub(twice, "幸福社区")["today"] == {"plays": 11, "minutes": 22, "searches": 11}
    assert twice["texts"] == [{"title": "物业服务合同", "plays": 11, "minutes": 22}]
    assert twice["questions"] == [{"query": "停车位被占", "times": 1}]

    later = empty_report(tmp_path, "幸福社区", days=1)  # today again, with more heard since
    later["days"][0].update(plays=12, minutes=25)
    assert post_report(client, later).status_code == 200
    now = client.get("/api/city/wall").get_json()
    assert hub(now, "幸福社区")["period"] == {"plays": 24, "minutes": 49, "searches": 12}
    assert (now["texts"], now["questions"]) == ([], [])  # today's rows were replaced by the new report's (none)


# -- the wall in Chromium ---------------------------------------------------------------------------------------------


def city_report(
    tmp_path: Path,
    name: str,
    daily: list[int],
    texts: dict[str, int],
    questions: dict[str, int],
    completions: list[tuple[str, str, str, int]],
    docs: dict[str, dict],
) -> dict:
    """A hub's report of 14 days: ``daily`` plays oldest first (searches a third of them), today's texts by title,
    today's unanswered searches, and (town, community, course, learners) completed today."""
    body = empty_report(tmp_path, name)
    for row, plays in zip(body["days"], daily, strict=True):
        row.update(plays=plays, minutes=round(plays * 2.4, 1), searches=plays // 3, unanswered=min(1, plays // 3))
    body["texts"] = [
        {"day": today(), "doc": docs[title]["id"], "title": title, "plays": plays, "minutes": plays * 3}
        for title, plays in texts.items()
    ]
    body["questions"] = [{"day": today(), "query": query, "times": times} for query, times in questions.items()]
    body["completions"] = [
        {"day": today(), "town": town, "community": community, "course": course, "learners": learners}
        for town, community, course, learners in completions
    ]
    return body


SECRET_NAME, SECRET_PHONE, SECRET_TEXT = "欧阳秘密", "13987654321", "楼上的紫色水管天天往我家滴水"
RULES = Rules((2, 3, 5), (5, 10, 15))


def desk_month(app: Flask) -> None:
    """This month at the desk, through the desk's own workflow: five disputes in two 乡镇/街道 and a legal question;
    three answered (in one, two and three days) and rated, one overdue at the community."""
    start = time.time() - 3600 * 24 * min(dt_day() - 1, 3)  # early in the month, never before its first day
    with DeskDB(app.extensions["kiosk"].data.root) as db:
        made = [
            register(
                db,
                RULES,
                Asked("dispute", Community(town, name), category, SECRET_TEXT, "", SECRET_NAME, SECRET_PHONE),
                start,
            )
            for town, name, category in (
                ("城关街道", "幸福社区", "漏水"),
                ("城关街道", "幸福社区", "漏水"),
                ("城关街道", "和平社区", "电梯"),
                ("东城街道", "光明社区", "漏水"),
                ("东城街道", "光明社区", "停车"),
            )
        ]
        register(db, RULES, Asked("consult", Community("城关街道", "幸福社区"), "物业费", SECRET_TEXT), start)
        for request, days, rating in zip(made[:3], (1, 2, 3), ("满意", "基本满意", "不满意"), strict=True):
            request = act(db, RULES, request, "accept", "社区小李", "", start + 60)
            request = act(db, RULES, request, "answer", "社区小李", "已上门处理", start + days * 86400)
            rate(db, RULES, request, rating, "", start + days * 86400 + 60)
        act(db, RULES, made[3], "escalate", "社区小王", "要街道协调", start + 60)


def dt_day() -> int:
    return time.localtime().tm_mday


def test_the_wall_counts_this_months_requests_by_level_and_never_shows_who_asked_or_what(client):
    desk_month(client.application)
    desk = client.get("/api/city/wall").get_json()["desk"]
    assert desk["total"]["registered"] == 6
    community, township, centre = desk["levels"]
    assert (community["registered"], community["answered"], community["satisfied"]) == (4, 3, 67)
    assert community["median_days"] == 2.0
    assert (township["registered"], centre["registered"]) == (1, 1)  # the escalated dispute, the legal question
    assert desk["categories"][0] == {"category": "漏水", "count": 3}
    assert [town["town"] for town in desk["towns"]] == ["城关街道", "东城街道"]
    everything = client.get("/api/city/wall").get_data(as_text=True) + client.get("/wall").get_data(as_text=True)
    for secret in (SECRET_NAME, SECRET_PHONE, SECRET_TEXT, "已上门处理", "要街道协调", "社区小李"):
        assert secret not in everything


def test_the_wall_shows_two_hubs_and_the_centre_at_1920_by_1080_and_refreshes_itself(browser, bundled, docs, tmp_path):
    expect = pytest.importorskip("playwright.sync_api").expect
    east = city_report(
        tmp_path,
        "城关街道物业港",
        [3, 5, 8, 6, 9, 12, 4, 7, 10, 14, 9, 11, 13, 12],
        {"电梯和供水设施的管理": 5, "专项维修资金怎么用": 4, "欠缴物业费纠纷怎么处理": 3, "业主大会和业主委员会": 2},
        {"电梯坏了谁来修": 3, "楼上漏水不赔怎么办": 2, "小区停车费谁来定": 2, "物业费能不能打折": 1},
        [("城关街道", "幸福社区", "网格员入门", 12), ("城关街道", "和平社区", "物业管理篇", 4)],
        docs,
    )
    west = city_report(
        tmp_path,
        "东城街道光明社区",
        [0, 2, 1, 0, 3, 2, 1, 4, 2, 0, 3, 5, 2, 3],
        {"电梯和供水设施的管理": 2, "红色物业是什么": 2, "物业服务合同怎么签怎么履行": 1},
        {"电梯坏了谁来修": 1, "停车位被别人占了": 1},
        [("东城街道", "光明社区", "网格员入门", 6)],
        docs,
    )
    # What the wall must say: today's listening city-wide (12 + 3 + the centre's own 1), the listening of 14 days.
    east_days, west_days = sum(row["plays"] for row in east["days"]), sum(row["plays"] for row in west["days"])
    with live_server(bundled, hub_name=CENTRE) as server:
        forget_everything(server.app)
        server.app.config.update(WALL_REFRESH_SECONDS=1)
        with server.app.test_client() as client:
            for body in (east, west):
                assert post_report(client, body).status_code == 200
            listen(client, docs["电梯和供水设施的管理"], 90)  # at the centre itself
        desk_month(server.app)
        context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(server.url + "/wall")

        expect(page.locator('[data-field="today-plays"]')).to_have_text("16")
        expect(page.locator('[data-field="period-plays"]')).to_have_text(str(east_days + west_days + 1))
        expect(page.locator('[data-field="period-completed"]')).to_have_text("22")
        rows = page.locator("#hubs tr")
        expect(rows).to_have_count(3)
        expect(rows.nth(0).locator("th")).to_contain_text("城关街道物业港")
        expect(rows.nth(0).locator("td").nth(0)).to_contain_text("12次")
        expect(rows.nth(0).locator("td").nth(2)).to_contain_text(f"{east_days}次")
        expect(rows.nth(2).locator("th")).to_contain_text(CENTRE)
        expect(rows.nth(2).locator("th")).to_contain_text("本机")
        expect(page.locator("#hubs-empty")).to_be_hidden()
        expect(page.locator("#texts li").first).to_contain_text("电梯和供水设施的管理")
        expect(page.locator("#texts li").first).to_contain_text("8次")  # 5 + 2 + the centre's 1
        expect(page.locator("#questions li").first).to_contain_text("电梯坏了谁来修")
        expect(page.locator("#questions li").first).to_contain_text("4次")
        expect(page.locator("#completions li").first).to_contain_text("城关街道 幸福社区")
        expect(page.locator("#completions li").first).to_contain_text("新网格员入门")  # the centre's title for the id
        expect(page.locator("#completions li").first).to_contain_text("12人")
        expect(page.locator('[data-field="desk-month"]')).to_contain_text("共 6 件")
        expect(page.locator("#desk-levels tr").nth(0)).to_contain_text("社区")
        expect(page.locator("#desk-levels tr").nth(0).locator("td").nth(0)).to_have_text("4件")
        expect(page.locator("#desk-levels tr").nth(0).locator("td").nth(3)).to_have_text("2天")
        expect(page.locator("#desk-categories")).to_contain_text("漏水3件")
        expect(page.locator("#desk-towns")).to_contain_text("城关街道4件")
        assert SECRET_NAME not in page.content() and SECRET_TEXT not in page.content()
        fits = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
        assert fits == [1920, 1080], f"the wall scrolls: {fits}"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))

        # A hub syncs again, and a new one appears; the wall shows both without anyone touching it.
        west["days"][-1].update(plays=30, minutes=70)
        newcomer = spoiled(lambda b: b.update(hub="<img src=x onerror=alert(1)>新站点"))
        with server.app.test_client() as client:
            assert post_report(client, west).status_code == 200
            assert post_report(client, newcomer).status_code == 200
        expect(page.locator('[data-field="today-plays"]')).to_have_text("44", timeout=10_000)  # 12 + 30 + 1 + 1
        expect(rows).to_have_count(4)
        expect(page.locator("#hubs")).to_contain_text("<img src=x onerror=alert(1)>新站点")
        assert page.locator("#hubs img").count() == 0

        # The centre does not answer for a while: the numbers stay, with when they were last fresh.
        page.route("**/api/city/wall", lambda route: route.abort())
        expect(page.locator("#wall-stale")).to_have_text(re.compile(r"^上次更新 \d\d:\d\d$"), timeout=10_000)
        expect(page.locator('[data-field="today-plays"]')).to_have_text("44")
        page.unroute("**/api/city/wall")
        expect(page.locator("#wall-stale")).to_be_hidden(timeout=10_000)
        context.close()
        assert not errors, errors


def test_before_any_hub_reports_the_wall_says_so(browser, bundled):
    expect = pytest.importorskip("playwright.sync_api").expect
    with live_server(bundled) as server:
        forget_everything(server.app)
        context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
        page = context.new_page()
        page.goto(server.url + "/wall")
        expect(page.locator("#hubs-empty")).to_be_visible()
        for part in ("texts", "questions", "completions"):
            expect(page.locator(f"#{part}-empty")).to_be_visible()
        expect(page.locator('[data-field="today-plays"]')).to_have_text("0")
        page.screenshot(path=str(SCREENSHOTS / "wall-1920x1080-empty.png"))
        context.close()
