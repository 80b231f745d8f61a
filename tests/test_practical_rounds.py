"""实训轮次: rounds a trainer schedules, learners sign up for on their phones and attend by their card. The model on
a real learning.db (seats taken race-safe, cancelling until the start, every kind of scan, a merge of two learners
who both signed up), the trainer's pages and the learner's, and who may do what."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from flask import Flask

from kiosk.training.learner import learners
from kiosk.training.learner.cards import card_path, list_learners, new_card
from kiosk.training.learner.database import LEARNING_DB, LearningDB
from kiosk.training.learner.merge import merge
from kiosk.training.practical.rounds import (
    MAX_SEATS,
    Round,
    RoundError,
    RoundForm,
    Scan,
    add_round,
    attended_rounds,
    cancel_round,
    cancel_sign_up,
    card_token,
    change_round,
    check_form,
    check_in,
    get_round,
    learner_rounds,
    list_rounds,
    open_rounds,
    sign_up,
    signups,
)

from .practical_content import PRACTICAL, practical_content
from .sites import AppMaker, Clock, EditorSession, in_one_burst, learner_signed_in, signed_in_as

START = dt.datetime(2027, 3, 1, 8, 0).timestamp()  # "now" in these tests: a Monday morning
ROUND_DAY = "2027-03-08"
NINE = dt.datetime(2027, 3, 8, 9, 0).timestamp()
HALF_ELEVEN = dt.datetime(2027, 3, 8, 11, 30).timestamp()
DOORS = NINE - 600  # the trainer scans cards at the door from 08:50
HUB = "http://192.168.1.20:8000"


def a_round(seats: int = 20, **changes) -> RoundForm:
    fields = {
        "course": PRACTICAL,
        "area": "登高作业",
        "starts": NINE,
        "ends": HALF_ELEVEN,
        "place": "实训基地二楼 登高区",
        "seats": seats,
        "note": "",
    }
    return RoundForm(**{**fields, **changes})


def the_round(db: LearningDB, round_id: int) -> Round:
    found = get_round(db, round_id)
    assert found is not None
    return found


def new_learner(db: LearningDB, name: str, community: str = "幸福社区") -> learners.Learner:
    return learners.sign_in(db, name, "城关街道", community, "2468", START)[0]


# -- the model ----------------------------------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path):
    with LearningDB(tmp_path) as opened:
        yield opened


def test_a_round_counts_its_sign_ups_and_seats_left(db):
    round_id = add_round(db, check_form(a_round(seats=3), START), "刘老师", START)
    zhang, li = new_learner(db, "张网格"), new_learner(db, "李网格")
    assert sign_up(db, round_id, zhang.id, START) is True
    assert sign_up(db, round_id, zhang.id, START + 1) is False  # again: no second seat
    sign_up(db, round_id, li.id, START)
    found = the_round(db, round_id)
    assert (found.signed_up, found.seats_left, found.attended, found.area_name) == (2, 1, 0, "登高作业")
    assert [person.name for person in signups(db, round_id)] == ["张网格", "李网格"]
    assert the_round(db, add_round(db, check_form(a_round(area=""), START), "刘老师", START)).area_name == "全部实训区"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"starts": START - 3600, "ends": START}, "开始时间已经过去了"),
        ({"starts": NINE + 400 * 86400, "ends": HALF_ELEVEN + 400 * 86400}, "日期太远了"),
        ({"ends": NINE - 60}, "结束时间要晚于开始时间"),
        ({"ends": NINE}, "结束时间要晚于开始时间"),
        ({"seats": 0}, "座位数要在 1 到 200 之间"),
        ({"seats": MAX_SEATS + 1}, "座位数要在 1 到 200 之间"),
        ({"seats": 10**30}, "座位数要在 1 到 200 之间"),
        ({"place": "   "}, "请填写地点"),
        ({"place": "二楼" * 40}, "地点太长了"),
        ({"place": "二楼\u202e区"}, "地点里有不能显示的字符"),
        ({"note": "注" * 301}, "备注太长了"),
    ],
)
def test_a_round_that_cannot_be_is_refused_with_the_reason(changes, message):
    with pytest.raises(RoundError, match=message):
        check_form(a_round(**changes), START)


def test_a_round_keeps_at_least_the_seats_taken_and_may_keep_a_start_now_past(db):
    round_id = add_round(db, check_form(a_round(seats=5), START), "刘老师", START)
    for name in ("张网格", "李网格", "王网格"):
        sign_up(db, round_id, new_learner(db, name).id, START)
    with pytest.raises(RoundError, match="已经有 3 人报名，座位数不能少于 3"):
        change_round(db, round_id, a_round(seats=2), START)
    change_round(db, round_id, a_round(seats=3, place="实训基地三楼"), NINE + 60)  # under way: the start stays
    assert (the_round(db, round_id).seats, the_round(db, round_id).place) == (3, "实训基地三楼")
    with pytest.raises(RoundError, match="开始时间已经过去了"):
        change_round(db, round_id, a_round(seats=3, starts=NINE + 30, ends=HALF_ELEVEN), NINE + 60)


def test_two_phones_racing_for_the_last_seat_one_gets_it(db, tmp_path):
    """Eight learners' phones let go at once for a round with one seat: each request its own connection, as the
    server's threads have. Exactly one is signed up; the others hear it is full."""
    round_id = add_round(db, check_form(a_round(seats=1), START), "刘老师", START)
    racers = [new_learner(db, f"学员{n}") for n in range(8)]

    def phone(learner_id: str):
        def call():
            with LearningDB(tmp_path) as own:
                return sign_up(own, round_id, learner_id, START)

        return call

    outcomes = in_one_burst([phone(racer.id) for racer in racers])
    assert outcomes.count(True) == 1, outcomes
    refused = [outcome for outcome in outcomes if outcome is not True]
    assert len(refused) == 7 and all(isinstance(o, RoundError) and "已经满了" in str(o) for o in refused), refused
    assert the_round(db, round_id).signed_up == 1


def test_sign_up_and_cancelling_close_when_the_round_starts(db):
    round_id = add_round(db, check_form(a_round(), START), "刘老师", START)
    zhang, li = new_learner(db, "张网格"), new_learner(db, "李网格")
    sign_up(db, round_id, zhang.id, START)
    cancel_sign_up(db, round_id, zhang.id, NINE - 60)
    assert the_round(db, round_id).signed_up == 0
    sign_up(db, round_id, zhang.id, NINE - 60)
    with pytest.raises(RoundError, match="已经开始了，不能再报名"):
        sign_up(db, round_id, li.id, NINE)
    with pytest.raises(RoundError, match="已经开始了，不能再取消"):
        cancel_sign_up(db, round_id, zhang.id, NINE)
    with pytest.raises(RoundError, match="您没有报名这个轮次"):
        cancel_sign_up(db, round_id, li.id, START)
    assert open_rounds(db, NINE) == [] and [r.id for r in open_rounds(db, NINE - 1)] == [round_id]


def test_cards_are_scanned_from_two_hours_before_a_round_until_two_hours_after_it(db):
    round_id = add_round(db, check_form(a_round(), START), "刘老师", START)
    zhang = new_learner(db, "张网格")
    sign_up(db, round_id, zhang.id, START)
    with pytest.raises(RoundError, match="这一轮 3 月 8 日 09:00 开始，开始前 2 小时起才能扫卡签到"):
        check_in(db, round_id, zhang.card, "刘老师", START)  # the scanner tried out the week before
    with pytest.raises(RoundError, match="已经结束 2 小时以上"):
        check_in(db, round_id, zhang.card, "刘老师", HALF_ELEVEN + 2 * 3600 + 1)
    assert the_round(db, round_id).attended == 0
    assert check_in(db, round_id, zhang.card, "刘老师", NINE - 2 * 3600).outcome == Scan.PRESENT


def test_the_door_page_says_when_scanning_opens(trainer, clock):
    round_id = made_round(trainer)
    early = trainer.page(f"/editor/training/practical/{round_id}/attendance")
    assert "开始前 2 小时起才能扫卡签到" in early
    clock.now = DOORS
    assert "才能扫卡签到" not in trainer.page(f"/editor/training/practical/{round_id}/attendance")


def test_a_cancelled_round_takes_no_sign_up_and_no_scan(db):
    round_id = add_round(db, check_form(a_round(), START), "刘老师", START)
    zhang = new_learner(db, "张网格")
    cancel_round(db, round_id)
    with pytest.raises(RoundError, match="已经取消"):
        sign_up(db, round_id, zhang.id, START)
    with pytest.raises(RoundError, match="已经取消了，不能签到"):
        check_in(db, round_id, zhang.card, "刘老师", NINE)
    assert open_rounds(db, START) == [] and the_round(db, round_id).cancelled


@pytest.mark.parametrize(
    ("scanned", "token"),
    [
        (f"{HUB}/learn/card/abcdefghijklmnopqrstuv", "abcdefghijklmnopqrstuv"),
        ("  http://hub/learn/card/abcdefghijklmnopqrstuv/?kiosk=1\r\n", "abcdefghijklmnopqrstuv"),
        ("abcdefghijklmnopqrstuv", "abcdefghijklmnopqrstuv"),
        ("ab_-CDEFGHIJKLMNOPQRSTU", "ab_-CDEFGHIJKLMNOPQRSTU"),
        ("", None),
        ("6901234567892", None),  # a product's barcode
        ("http://hub/learn/card/", None),
        ("http://hub/learn/card/abc'; DROP TABLE learners;--", None),
        ("WIFI:S:物业港;T:WPA;P:12345678;;", None),
    ],
)
def test_a_card_is_read_from_its_url_or_its_token(scanned, token):
    assert card_token(scanned) == token


def test_every_kind_of_scan_at_the_door(db):
    round_id = add_round(db, check_form(a_round(seats=2), START), "刘老师", START)
    zhang, li, wang = new_learner(db, "张网格"), new_learner(db, "李网格"), new_learner(db, "王网格")
    sign_up(db, round_id, zhang.id, START)

    first = check_in(db, round_id, f"{HUB}{card_path(zhang.card)}", "刘老师", NINE - 300)
    assert (first.outcome, first.learner, first.attended_at) == (Scan.PRESENT, zhang, NINE - 300)
    again = check_in(db, round_id, zhang.card, "王老师", NINE)
    assert (again.outcome, again.attended_at) == (Scan.ALREADY, NINE - 300)  # the first scan's time stays
    assert signups(db, round_id)[0].scanned_by == "刘老师"

    stranger = check_in(db, round_id, li.card, "刘老师", NINE)
    assert (stranger.outcome, stranger.learner, stranger.token) == (Scan.NOT_SIGNED_UP, li, li.card)
    assert the_round(db, round_id).signed_up == 1  # only reported
    walked = check_in(db, round_id, li.card, "刘老师", NINE + 60, walk_in=True)
    assert walked.outcome == Scan.WALKED_IN and the_round(db, round_id).attended == 2
    with pytest.raises(RoundError, match="已经满了"):  # two seats, both taken
        check_in(db, round_id, wang.card, "刘老师", NINE, walk_in=True)

    old_card = wang.card
    new_card(db, wang.id)
    assert check_in(db, round_id, old_card, "刘老师", NINE).outcome == Scan.UNKNOWN_CARD
    assert check_in(db, round_id, "6901234567892", "刘老师", NINE).outcome == Scan.NOT_A_CARD
    assert check_in(db, round_id, "x" * 100_000, "刘老师", NINE).outcome == Scan.NOT_A_CARD
    assert [(r.round, r.area, r.attended_at) for r in attended_rounds(db, zhang.id)] == [
        (round_id, "登高作业", NINE - 300)
    ]
    assert attended_rounds(db, wang.id) == []


def test_a_merge_keeps_one_seat_and_the_earlier_scan(db):
    """Both records of one person signed up for the same round, and the merged one was scanned in: the kept one
    has one sign-up there, attended, and the merged one's other round too."""
    both = add_round(db, check_form(a_round(), START), "刘老师", START)
    other = add_round(db, check_form(a_round(area="电工操作"), START), "刘老师", START)
    kept, merged = new_learner(db, "张网格"), new_learner(db, "张网格", "幸福里社区")
    sign_up(db, both, kept.id, START + 60)
    sign_up(db, both, merged.id, START)
    sign_up(db, other, merged.id, START)
    check_in(db, both, merged.card, "刘老师", NINE)
    merge(db, kept.id, merged.id, [], NINE + 60)
    mine = {found.id: attended for found, attended in learner_rounds(db, kept.id)}
    assert mine == {both: NINE, other: None}
    assert the_round(db, both).signed_up == 1
    (row,) = signups(db, both)
    assert (row.signed_at, row.scanned_by) == (START, "刘老师")
    assert db.conn.execute("SELECT COUNT(*) FROM round_signups WHERE learner = ?", (merged.id,)).fetchone()[0] == 0


def test_a_merge_keeps_the_kept_learners_scan_when_the_merged_one_was_not_scanned(db):
    both = add_round(db, check_form(a_round(), START), "刘老师", START)
    kept, merged = new_learner(db, "张网格"), new_learner(db, "张网格", "幸福里社区")
    for learner in (kept, merged):
        sign_up(db, both, learner.id, START)
    check_in(db, both, kept.card, "王老师", NINE)
    merge(db, kept.id, merged.id, [], NINE + 60)
    (row,) = signups(db, both)
    assert (row.attended_at, row.scanned_by) == (NINE, "王老师")


def test_removing_a_learner_frees_her_seat(db):
    round_id = add_round(db, check_form(a_round(seats=1), START), "刘老师", START)
    zhang = new_learner(db, "张网格")
    sign_up(db, round_id, zhang.id, START)
    learners.remove(db, zhang.id)
    assert the_round(db, round_id).seats_left == 1


# -- the pages ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return practical_content(tmp_path_factory.mktemp("practical"))


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock(START)


@pytest.fixture(scope="module")
def site(make_module_app: AppMaker, content: Path, clock: Clock) -> Flask:
    return make_module_app(
        content=(content,),
        build=True,
        accounts=("trainer", "editor", "admin"),
        public_url=HUB,
        test_config={"LEARNING_CLOCK": clock},
    )


@pytest.fixture(autouse=False)
def fresh(site: Flask, clock: Clock) -> Flask:
    """A fresh learning.db, sign-in allowance and clock for a test of the pages."""
    for suffix in ("", "-wal", "-shm"):
        (site.extensions["kiosk"].data.root / f"{LEARNING_DB}{suffix}").unlink(missing_ok=True)
    site.extensions.pop("client_limits", None)
    clock.now = START
    return site


@pytest.fixture
def trainer(fresh: Flask) -> EditorSession:
    return signed_in_as(fresh, "trainer")


def learning(app: Flask) -> LearningDB:
    return LearningDB(app.extensions["kiosk"].data.root)


FORM = {
    "course": PRACTICAL,
    "area": "登高作业",
    "day": ROUND_DAY,
    "start": "09:00",
    "end": "11:30",
    "place": "实训基地二楼 登高区",
    "seats": "2",
    "note": "穿工作鞋，带手套",
}


def made_round(trainer: EditorSession, **changes: str) -> int:
    response = trainer.post("/editor/training/practical/new", {**FORM, **changes})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def test_a_trainer_makes_a_round_and_sees_it_listed(trainer):
    page = trainer.page("/editor/training/practical/new")
    assert "实训两区" in page and "全部实训区" in page and "登高作业" in page and "电工操作" in page
    round_id = made_round(trainer)
    listed = trainer.page("/editor/training/practical/")
    assert "实训基地二楼 登高区" in listed and "3月8日（周一）09:00–11:30" in listed and "0 / 2" in listed
    sheet = trainer.page(f"/editor/training/practical/{round_id}")
    assert "实训签到表" in sheet and "还没有人报名" in sheet and "穿工作鞋，带手套" in sheet


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"day": "2027-02-28"}, "开始时间已经过去了"),
        ({"day": "2207-03-08"}, "日期太远了"),
        ({"end": "08:30"}, "结束时间要晚于开始时间"),
        ({"seats": "201"}, "座位数要在 1 到 200 之间"),
        ({"seats": "99999999999999999999999"}, "座位数要在 1 到 200 之间"),
        ({"seats": "二十"}, "座位数请填 1 到 200 之间的整数"),
        ({"place": ""}, "请填写地点"),
        ({"day": "明天"}, "请填写日期"),
        ({"start": "25:00"}, "请填写日期"),
        ({"course": "网格员入门"}, "请选一门实训课程"),
        ({"area": "不存在的区"}, "没有这个实训区"),
    ],
)
def test_a_bad_round_form_says_why_and_keeps_what_was_typed(trainer, changes, message):
    response = trainer.post("/editor/training/practical/new", {**FORM, **changes})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page
    assert "穿工作鞋，带手套</textarea>" in page  # the note kept
    assert f'value="{changes.get("place", FORM["place"])}"' in page
    with learning(trainer.app) as db:
        assert list_rounds(db) == []


def test_rounds_to_come_are_listed_first_and_past_ones_below(trainer, clock):
    made_round(trainer, day="2027-03-09", place="三号轮")
    made_round(trainer, place="一号轮")
    made_round(trainer, day="2027-03-02", place="早一轮")
    clock.now = dt.datetime(2027, 3, 3, 8, 0).timestamp()
    page = trainer.page("/editor/training/practical/")
    coming, past = page.split('id="past-rounds"')
    assert coming.index("一号轮") < coming.index("三号轮") and "早一轮" not in coming and "早一轮" in past


def test_a_trainer_edits_and_cancels_a_round(trainer):
    round_id = made_round(trainer)
    form = trainer.page(f"/editor/training/practical/{round_id}/edit")
    assert 'value="2027-03-08"' in form and 'value="09:00"' in form and 'value="11:30"' in form
    response = trainer.post(
        f"/editor/training/practical/{round_id}/edit", {**FORM, "place": "实训基地三楼", "seats": "30"}
    )
    assert response.status_code == 302
    response = trainer.post(f"/editor/training/practical/{round_id}/cancel")
    assert response.status_code == 302
    listed = trainer.page("/editor/training/practical/")
    assert "实训基地三楼" in listed and "已取消" in listed and "0 / 30" in listed
    assert trainer.post("/editor/training/practical/999/cancel").status_code == 404
    assert trainer.get("/editor/training/practical/999").status_code == 404


def test_a_learner_signs_up_on_her_phone_is_scanned_in_and_sees_it(trainer, clock):
    round_id = made_round(trainer)
    phone = trainer.app.test_client()
    token = learner_signed_in(phone)
    shown = phone.get("/learn/practical")
    assert "no-store" in shown.headers["Cache-Control"]  # her name and rounds stay out of the phone's cache
    page = shown.get_data(as_text=True)
    assert "可以报名的轮次" in page and "还剩 2 个座位（共 2 个）" in page and "实训基地二楼 登高区" in page
    response = phone.post(f"/api/practical/rounds/{round_id}/signup", json={}, headers={"X-CSRF-Token": token})
    assert response.get_json() == {"ok": True, "message": "报名成功。请按时到场，带上学习卡。"}
    page = phone.get("/learn/practical").get_data(as_text=True)
    assert "我报名的实训" in page and "已报名" in page and "取消报名" in page and "已签到" not in page

    with learning(trainer.app) as db:
        (card,) = [person.card for person in list_learners(db)]
    clock.now = DOORS
    attendance = trainer.page(f"/editor/training/practical/{round_id}/attendance")
    assert "已签到 0 人 / 报名 1 人" in attendance
    scanned = trainer.post(f"/editor/training/practical/{round_id}/attendance", {"code": f"{HUB}/learn/card/{card}"})
    shown = scanned.get_data(as_text=True)
    assert (
        scanned.status_code == 200 and "张网格" in shown and "签到成功" in shown and "已签到 1 人 / 报名 1 人" in shown
    )
    again = trainer.post(f"/editor/training/practical/{round_id}/attendance", {"code": card})
    assert again.status_code == 200 and "已经签到过了" in again.get_data(as_text=True)
    page = phone.get("/learn/practical").get_data(as_text=True)
    assert "✓ 已签到" in page and "取消报名" not in page
    sheet = trainer.page(f"/editor/training/practical/{round_id}")
    assert "张网格" in sheet and "✓ 08:50" in sheet


def test_the_learner_page_and_the_export_show_who_came_to_which_round(trainer, clock):
    round_id = made_round(trainer)
    with learning(trainer.app) as db:
        came, stayed_away = new_learner(db, "张网格"), new_learner(db, "王网格")
        for person in (came, stayed_away):
            assert sign_up(db, round_id, person.id, START)
    clock.now = DOORS
    assert trainer.post(f"/editor/training/practical/{round_id}/attendance", {"code": came.card}).status_code == 200
    page = trainer.page(f"/editor/training/learners/{came.id}")
    assert "实训签到" in page and "实训基地二楼 登高区" in page and "2027-03-08 09:00" in page
    assert 'id="table-attended"' not in trainer.page(f"/editor/training/learners/{stayed_away.id}")
    text = trainer.get("/editor/training/export/attendance.csv?period=all").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["乡镇/街道", "社区", "姓名", "课程", "实训区", "轮次时间", "地点", "扫卡签到"]
    by_name = {row[2]: row for row in rows[1:]}
    assert by_name["张网格"][4:7] == ["登高作业", "2027-03-08 09:00", "实训基地二楼 登高区"] and by_name["张网格"][7]
    assert by_name["王网格"][7] == ""  # signed up, never scanned in
    assert "实训签到" in trainer.page("/editor/training/?period=all")


def test_a_walk_in_is_offered_while_seats_remain(trainer, clock):
    round_id = made_round(trainer, seats="1")
    clock.now = DOORS
    phones = [trainer.app.test_client() for _ in range(2)]
    learner_signed_in(phones[0], name="李网格")
    learner_signed_in(phones[1], name="王网格")
    with learning(trainer.app) as db:
        li, wang = sorted(list_learners(db), key=lambda person: person.name != "李网格")
    url = f"/editor/training/practical/{round_id}/attendance"
    offered = trainer.post(url, {"code": li.card})
    page = offered.get_data(as_text=True)
    assert offered.status_code == 409 and "没有报名这一轮" in page and "加入并签到" in page and "还剩 1 个座位" in page
    joined = trainer.post(url, {"code": li.card, "walk_in": "1"})
    assert joined.status_code == 200 and "已加入并签到" in joined.get_data(as_text=True)
    full = trainer.post(url, {"code": wang.card})
    assert full.status_code == 409 and "座位已经满了" in full.get_data(as_text=True)
    refused = trainer.post(url, {"code": wang.card, "walk_in": "1"})
    assert refused.status_code == 409 and "已经满了" in refused.get_data(as_text=True)


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [
        ("", 400, "扫到的不是学习卡的二维码"),
        ("6901234567892", 400, "扫到的不是学习卡的二维码"),
        ("<script>alert(1)</script>", 400, "扫到的不是学习卡的二维码"),
        ("x" * 50_000, 400, "扫到的不是学习卡的二维码"),
        ("abcdefghijklmnopqrstuv", 404, "这张学习卡无效或已经作废"),
        (f"{HUB}/learn/card/abcdefghijklmnopqrstuv", 404, "这张学习卡无效或已经作废"),
    ],
)
def test_a_scan_of_no_valid_card_says_so(trainer, clock, code, status, message):
    round_id = made_round(trainer)
    clock.now = DOORS
    response = trainer.post(f"/editor/training/practical/{round_id}/attendance", {"code": code})
    assert response.status_code == status and message in response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


# -- who may do what ----------------------------------------------------------------------------------------------

TRAINER_PAGES = [
    ("GET", "/editor/training/practical/"),
    ("GET", "/editor/training/practical/new"),
    ("POST", "/editor/training/practical/new"),
    ("GET", "/editor/training/practical/{id}"),
    ("GET", "/editor/training/practical/{id}/edit"),
    ("POST", "/editor/training/practical/{id}/edit"),
    ("POST", "/editor/training/practical/{id}/cancel"),
    ("GET", "/editor/training/practical/{id}/attendance"),
    ("POST", "/editor/training/practical/{id}/attendance"),
]


def test_an_editor_without_the_trainer_role_is_refused_every_round_page(fresh):
    round_id = made_round(signed_in_as(fresh, "trainer"))
    editor = signed_in_as(fresh, "editor")
    for method, url in TRAINER_PAGES:
        path = url.format(id=round_id)
        response = editor.get(path) if method == "GET" else editor.post(path, {**FORM, "code": "x"})
        assert response.status_code == 403, (method, path)
        assert "只有培训老师和管理员可以查看" in response.get_data(as_text=True)
    with learning(fresh) as db:
        assert [(one.place, one.cancelled) for one in list_rounds(db)] == [("实训基地二楼 登高区", False)]


def test_an_admin_may_do_what_a_trainer_does(fresh):
    admin = signed_in_as(fresh, "admin")
    round_id = made_round(admin)
    for method, url in TRAINER_PAGES:
        if method == "GET":
            assert admin.get(url.format(id=round_id)).status_code == 200, url


def test_nobody_signed_out_reaches_a_round_page_and_a_post_needs_the_token(fresh):
    round_id = made_round(signed_in_as(fresh, "trainer"))
    stranger = fresh.test_client()
    for method, url in TRAINER_PAGES:
        path = url.format(id=round_id)
        response = stranger.get(path) if method == "GET" else stranger.post(path, data=FORM)
        assert response.status_code == 302 and "/editor/signin" in response.headers["Location"], path
    trainer = signed_in_as(fresh, "trainer")
    forged = trainer.client.post(f"/editor/training/practical/{round_id}/attendance", data={"code": "x"})
    assert forged.status_code == 400 and "页面已过期" in forged.get_data(as_text=True)


def test_a_learner_signs_only_herself_up_and_cancels_only_her_own(trainer):
    round_id = made_round(trainer)
    zhang, li = trainer.app.test_client(), trainer.app.test_client()
    zhang_token, li_token = learner_signed_in(zhang), learner_signed_in(li, name="李网格")
    signup = f"/api/practical/rounds/{round_id}/signup"
    assert zhang.post(signup, json={}, headers={"X-CSRF-Token": zhang_token}).status_code == 200
    # 李's phone cannot cancel 张's seat: only her own session's learner is ever touched
    refused = li.post(f"/api/practical/rounds/{round_id}/cancel", json={}, headers={"X-CSRF-Token": li_token})
    assert refused.status_code == 409 and refused.get_json()["error"] == "您没有报名这个轮次。"
    # 张's token on 李's phone is not 李's token
    assert li.post(signup, json={}, headers={"X-CSRF-Token": zhang_token}).status_code == 400
    assert li.post(signup, json={}).status_code == 400
    stranger = trainer.app.test_client()
    out = stranger.post(signup, json={})
    assert out.status_code == 401 and out.get_json()["error"] == "请先登录，才能报名实训。"
    assert (
        zhang.post("/api/practical/rounds/999/signup", json={}, headers={"X-CSRF-Token": zhang_token}).status_code
        == 404
    )
    with learning(trainer.app) as db:
        assert [person.name for person in signups(db, round_id)] == ["张网格"]
    assert "请先登录" in stranger.get("/learn/practical").get_data(as_text=True)


def test_a_full_round_tells_the_second_phone(trainer):
    round_id = made_round(trainer, seats="1")
    first, second = trainer.app.test_client(), trainer.app.test_client()
    tokens = learner_signed_in(first), learner_signed_in(second, name="李网格")
    signup = f"/api/practical/rounds/{round_id}/signup"
    assert first.post(signup, json={}, headers={"X-CSRF-Token": tokens[0]}).status_code == 200
    late = second.post(signup, json={}, headers={"X-CSRF-Token": tokens[1]})
    assert late.status_code == 409 and late.get_json()["error"] == "这个轮次已经满了，请选别的轮次。"
    assert "已报满（1 个座位）" in second.get("/learn/practical").get_data(as_text=True)


def test_the_touchscreen_shows_the_rounds_but_signs_no_one_up(trainer):
    made_round(trainer)
    kiosk = trainer.app.test_client()
    learner_signed_in(kiosk)
    page = kiosk.get("/learn/practical?kiosk=1").get_data(as_text=True)
    assert "报名请用自己的手机" in page and "实训基地二楼 登高区" in page and 'data-action="signup"' not in page


def test_the_practical_course_page_and_my_learning_link_to_sign_up(trainer):
    client = trainer.app.test_client()
    assert 'href="/learn/practical"' in client.get(f"/course/{PRACTICAL}").get_data(as_text=True)
    assert 'href="/learn/practical"' in client.get("/learn").get_data(as_text=True)


def test_removing_or_merging_a_learner_shows_her_round_sign_ups_first(trainer):
    round_id = made_round(trainer)
    zhang, li = trainer.app.test_client(), trainer.app.test_client()
    for phone, name in ((zhang, "张网格"), (li, "张网格")):
        token = learner_signed_in(phone, name=name, community="幸福社区" if phone is zhang else "幸福里社区")
        phone.post(f"/api/practical/rounds/{round_id}/signup", json={}, headers={"X-CSRF-Token": token})
    with learning(trainer.app) as db:
        kept, merged = sorted(list_learners(db), key=lambda person: person.community != "幸福社区")
    removing = trainer.page(f"/editor/training/learners/{kept.id}/remove")
    assert "实训报名和签到 1 轮" in removing
    merging = trainer.page(f"/editor/training/learners/{kept.id}/merge?other={merged.id}")
    assert '<th scope="row">实训报名</th><td>1</td><td>1</td>' in merging
