"""实训轮次 in a real Chromium: the trainer (desktop 1280×800) makes a round, a learner signs up on her phone (390×844),
the trainer's attendance page gets her card's URL typed by a scanner in keyboard mode and shows her name, her phone
then shows 已签到; the trainer signs off both areas (one skill failed, then passed on the re-test), her phone shows
her standing and what to practise, and the certificate and the Excel export show the areas and the scan.
Screenshots in test-artifacts/screenshots/ for a person to look at."""

from __future__ import annotations

import datetime as dt
import io
import time
from pathlib import Path

import openpyxl
import pytest

from kiosk.training.learner import learners
from kiosk.training.learner.cards import list_learners
from kiosk.training.learner.database import LearningDB
from kiosk.training.practical.rounds import RoundForm, add_round, check_form, sign_up
from tests.browser_fixtures import KIOSK_VIEWPORT, PHONE_VIEWPORT, LiveServer, sign_in_with_the_form
from tests.sites import ACCOUNTS, ZHANG, AppMaker, list_community

from .practical_content import AREAS, BRIEFINGS, PRACTICAL, bundled_skills, practical_content
from .test_course_browser import fits_width, shoot, tall_enough, watch

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
DESKTOP = {"width": 1280, "height": 800}
PRINTED_HUB = "http://192.168.1.20:8000"  # the address the cards were printed with: the scan needs only the token


class MovedClock:
    """The hub's clock, running as the real one until the test moves it forward to the round's morning."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def __call__(self) -> float:
        return time.time() + self.ahead

    def move_to(self, at: dt.datetime) -> None:
        self.ahead = at.timestamp() - time.time()


def test_a_round_from_making_it_to_the_learner_scanned_in_signed_off_and_certified(
    browser, make_app: AppMaker, tmp_path
):
    clock = MovedClock()
    content = practical_content(tmp_path)
    (content / "_courses" / "焊工实训.yaml").write_text(  # a second practical course, with an area of its own
        "title: 焊工实训\nkind: practical\nunits:\n  - title: 焊接作业\n"
        f"    items: [{BRIEFINGS[0]}]\n    skills: [戴好面罩]\n",
        encoding="utf-8",
    )
    app = make_app(
        content=(content,),
        build=True,
        accounts=("trainer",),
        public_url=PRINTED_HUB,
        test_config={"LEARNING_CLOCK": clock},
    )
    data = app.extensions["kiosk"].data
    list_community(data, ZHANG["town"], ZHANG["community"])
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    with LiveServer(app) as server:
        desk = browser.new_context(viewport=DESKTOP, locale="zh-CN")
        trainer = desk.new_page()
        seen_trainer = watch(trainer)
        trainer.goto(server.url + "/editor/training/practical/new")
        sign_in_with_the_form(trainer, ACCOUNTS["trainer"])
        trainer.goto(server.url + "/editor/training/practical/new")
        area = trainer.get_by_label("实训区")
        trainer.get_by_label("实训课程").select_option(label="焊工实训")
        assert area.locator("option:enabled").all_inner_texts() == ["全部实训区", "焊接作业"]  # its own areas only
        trainer.get_by_label("实训课程").select_option(label=PRACTICAL)
        assert "焊接作业" not in area.locator("option:enabled").all_inner_texts()
        area.select_option("登高作业")
        trainer.get_by_label("日期").fill(tomorrow.isoformat())
        trainer.get_by_label("开始").fill("09:00")
        trainer.get_by_label("结束").fill("11:30")
        trainer.get_by_label("地点").fill("实训基地二楼 登高区")
        trainer.get_by_label("座位数（1–200）").fill("12")
        trainer.get_by_label("备注").fill("穿工作鞋，带手套")
        shoot(trainer, "practical-round-form-desktop", full_page=True)
        trainer.get_by_role("button", name="添加这一轮").click()
        expect(trainer.locator("#round-sheet")).to_contain_text("还没有人报名")
        round_url = trainer.url
        trainer.goto(server.url + "/editor/training/practical/")
        expect(trainer.locator("#coming-rounds")).to_contain_text("0 / 12")
        shoot(trainer, "practical-rounds-desktop", full_page=True)

        phone = browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN", has_touch=True, is_mobile=True)
        learner = phone.new_page()
        seen_learner = watch(learner)
        signed = phone.request.post(server.url + "/api/learner/signin", data=ZHANG)
        assert signed.ok, signed.text()
        learner.goto(server.url + "/learn")
        learner.get_by_role("link", name="实训报名").tap()
        expect(learner.locator("#open-rounds")).to_contain_text("还剩 12 个座位（共 12 个）")
        tall_enough(learner, ".round-card button", 44)
        fits_width(learner, "phone 实训报名")
        shoot(learner, "practical-signup-phone", full_page=True)
        learner.locator("#open-rounds").get_by_role("button", name="报名").tap()
        expect(learner.locator("#my-rounds")).to_contain_text("已报名")
        expect(learner.locator("#my-rounds")).to_contain_text("实训基地二楼 登高区")
        shoot(learner, "practical-signed-up-phone", full_page=True)

        with LearningDB(data.root) as db:
            ((zhang_id, card),) = [(person.id, person.card) for person in list_learners(db)]
            walk_in_card = learners.sign_in(db, "李网格", ZHANG["town"], ZHANG["community"], "1357", 0)[0].card
        clock.move_to(dt.datetime.combine(tomorrow, dt.time(8, 50)))  # the round's morning, at the door
        trainer.goto(round_url + "/attendance")
        scan_box = trainer.locator("#scan-code")
        expect(scan_box).to_be_focused()
        barcode = trainer.evaluate("() => 'BarcodeDetector' in window && !!navigator.mediaDevices?.getUserMedia")
        assert trainer.locator("#scan-camera").is_visible() == barcode  # 用摄像头扫码 only where it can work
        trainer.keyboard.type(f"{PRINTED_HUB}/learn/card/{card}")  # a scanner in keyboard mode types, then Enter
        trainer.keyboard.press("Enter")
        expect(trainer.locator(".scan-name")).to_have_text("张网格")
        expect(trainer.locator(".scan-ok")).to_contain_text("签到成功")
        expect(trainer.locator("#present-count")).to_have_text("已签到 1 人 / 报名 1 人")
        expect(scan_box).to_be_focused()
        expect(scan_box).to_have_value("")
        shoot(trainer, "practical-attendance-scanned-desktop")
        trainer.keyboard.type(card)
        trainer.keyboard.press("Enter")
        expect(trainer.locator(".scan-ok")).to_contain_text("已经签到过了")
        trainer.keyboard.type("6901234567892")
        trainer.keyboard.press("Enter")
        expect(trainer.locator(".scan-bad")).to_contain_text("扫到的不是学习卡的二维码")
        shoot(trainer, "practical-attendance-not-a-card-desktop")
        trainer.keyboard.type(walk_in_card)  # 李 came without signing up: 加入并签到 while seats remain
        trainer.keyboard.press("Enter")
        expect(trainer.locator(".scan-warn")).to_contain_text("没有报名这一轮")
        shoot(trainer, "practical-attendance-walk-in-desktop")
        trainer.get_by_role("button", name="加入并签到").click()
        expect(trainer.locator(".scan-name")).to_have_text("李网格")
        expect(trainer.locator("#present-count")).to_have_text("已签到 2 人 / 报名 2 人")
        expect(scan_box).to_be_focused()
        desk.clear_cookies()  # signed out meanwhile (the editor's 12 hours ran out): the page says it, never silent
        trainer.keyboard.type(card)
        trainer.keyboard.press("Enter")
        expect(trainer.locator(".scan-bad")).to_contain_text("登录已经过期")
        trainer.goto(round_url)
        sign_in_with_the_form(trainer, ACCOUNTS["trainer"])
        trainer.goto(round_url)
        expect(trainer.locator("#signups")).to_contain_text("✓")
        shoot(trainer, "practical-round-sheet-desktop", full_page=True)

        learner.reload()
        expect(learner.locator("#my-rounds .round-present")).to_contain_text("已签到")
        expect(learner.locator("#my-rounds")).not_to_contain_text("取消报名")
        shoot(learner, "practical-attended-phone", full_page=True)

        # Two areas signed off, one skill failed first: her phone says what to practise; then the certificate and
        # the Excel export show the areas and the scan at the door.
        trainer.goto(server.url + f"/editor/training/practical/{PRACTICAL}/learners/{zhang_id}")
        retested = trainer.locator("#skill-1-0")
        retested.get_by_label("说明").fill("验电笔没先试")
        retested.get_by_role("button", name="✗ 不合格").click()
        expect(trainer.locator("#skill-1-0")).to_contain_text("验电笔没先试")
        learner.reload()
        expect(learner.locator(".practical-standing")).to_contain_text("培训老师说：验电笔没先试")
        shoot(learner, "practical-standing-phone", full_page=True)
        for unit, area in enumerate(AREAS):
            for skill in range(len(bundled_skills()[area])):
                trainer.locator(f"#skill-{unit}-{skill}").get_by_role("button", name="✓ 合格").click()
                expect(trainer.locator(f"#skill-{unit}-{skill}")).to_have_class("so-skill so-passed")
        learner.reload()
        expect(learner.locator(".standing-done")).to_have_count(2)
        expect(learner.locator(".standing-again")).to_have_count(0)
        trainer.get_by_role("link", name="结业证书").click()
        for area in AREAS:
            expect(trainer.locator(".tr-cert-areas").get_by_role("row").filter(has_text=area)).to_contain_text("合格")
        trainer.goto(server.url + "/editor/training/?period=all")
        with trainer.expect_download() as download:
            trainer.get_by_role("link", name="⇩ Excel 表格").click()
        book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
        came = {row[2]: row for row in book["实训签到"].iter_rows(min_row=2, values_only=True)}
        assert came["张网格"][4:7] == ("登高作业", dt.datetime.combine(tomorrow, dt.time(9)), "实训基地二楼 登高区")
        assert isinstance(came["张网格"][7], dt.datetime)  # scanned in at the door
        results = [row[2:6] for row in book["实训成绩"].iter_rows(min_row=2, values_only=True)]
        assert results == [("张网格", "实训两区", 2, 2)]
        trainer.locator("#table-attendance").scroll_into_view_if_needed()
        shoot(trainer, "practical-attendance-export-desktop")
        # The touchscreen shows the rounds, and where to sign up, but no 报名 button.
        kiosk = browser.new_context(viewport=KIOSK_VIEWPORT, locale="zh-CN", has_touch=True)
        screen = kiosk.new_page()
        screen.goto(server.url + f"/course/{PRACTICAL}?kiosk=1")
        screen.get_by_role("link", name="实训报名：选一轮到实训基地上课").tap()
        expect(screen.locator(".notice")).to_contain_text("报名请用自己的手机")
        expect(screen.locator("#open-rounds")).to_contain_text("还剩 10 个座位（共 12 个）")
        expect(screen.get_by_role("button", name="报名")).to_have_count(0)
        shoot(screen, "practical-rounds-kiosk")
        kiosk.close()
        assert not seen_trainer["errors"] and not seen_trainer["csp"], seen_trainer
        assert not seen_learner["errors"] and not seen_learner["csp"], seen_learner
        desk.close()
        phone.close()


# Headless Chromium on Linux has no camera and no QR reader (BarcodeDetector): both are stood in for, and the page's
# own script runs as on a tablet. The stand-in reader sees whatever code the test holds up (window.shownCode).
CAMERA_STAND_INS = """
window.shownCode = "";
window.BarcodeDetector = class {
  constructor(options) { window.readerFormats = options.formats; }
  async detect() { return window.shownCode ? [{ rawValue: window.shownCode }] : []; }
};
navigator.mediaDevices.getUserMedia = async () => {
  if (window.cameraRefused) throw new DOMException("refused", "NotAllowedError");
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 64;
  canvas.getContext("2d").fillRect(0, 0, 64, 64);
  window.cameraStream = canvas.captureStream(5);
  return window.cameraStream;
};
"""


def test_the_camera_signs_a_card_in_once_while_it_is_held_up_and_stops_when_closed(
    browser, make_app: AppMaker, tmp_path
):
    """A tablet at the door without a scanner: 用摄像头扫码 opens the camera; a card held up is signed in once, not
    again with every frame; 关闭摄像头 stops the camera; a camera the browser refuses is said so."""
    clock = MovedClock()
    app = make_app(
        content=(practical_content(tmp_path),),
        build=True,
        accounts=("trainer",),
        public_url=PRINTED_HUB,
        test_config={"LEARNING_CLOCK": clock},
    )
    data = app.extensions["kiosk"].data
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    nine = dt.datetime.combine(tomorrow, dt.time(9, 0)).timestamp()
    form = RoundForm(PRACTICAL, AREAS[0], nine, nine + 9000, "实训基地二楼", 12, "")
    with LearningDB(data.root) as db:
        round_id = add_round(db, check_form(form, clock()), "刘老师", clock())
        zhang = learners.sign_in(db, ZHANG["name"], ZHANG["town"], ZHANG["community"], ZHANG["pin"], clock())[0]
        sign_up(db, round_id, zhang.id, clock())
    clock.move_to(dt.datetime.combine(tomorrow, dt.time(8, 50)))
    with LiveServer(app) as server:
        tablet = browser.new_context(viewport=DESKTOP, locale="zh-CN")
        tablet.add_init_script(CAMERA_STAND_INS)
        trainer = tablet.new_page()
        attendance = f"{server.url}/editor/training/practical/{round_id}/attendance"
        trainer.goto(attendance)
        sign_in_with_the_form(trainer, ACCOUNTS["trainer"])
        trainer.goto(attendance)
        camera = trainer.get_by_role("button", name="用摄像头扫码")
        camera.click()
        expect(trainer.locator("#scan-video")).to_be_visible()
        assert trainer.evaluate("window.readerFormats") == ["qr_code"]
        trainer.evaluate(f"window.shownCode = '{PRINTED_HUB}/learn/card/{zhang.card}'")  # the card held up
        expect(trainer.locator(".scan-name")).to_have_text("张网格")
        expect(trainer.locator("#present-count")).to_have_text("已签到 1 人 / 报名 1 人")
        expect(trainer.locator(".scan-name")).to_be_in_viewport()  # beside the camera's picture, not below it
        expect(trainer.locator("#scan-video")).to_be_in_viewport()
        shoot(trainer, "practical-attendance-camera-desktop")
        trainer.wait_for_timeout(1500)  # six more frames see the same card: no second scan, no 已经签到过了
        expect(trainer.locator(".scan-ok")).to_contain_text("签到成功")
        trainer.get_by_role("button", name="关闭摄像头").click()
        expect(trainer.locator("#scan-video")).to_be_hidden()
        assert trainer.evaluate("window.cameraStream.getTracks().every((track) => track.readyState === 'ended')")
        expect(camera).to_be_visible()
        trainer.evaluate("window.cameraRefused = true")
        camera.click()
        expect(trainer.locator(".scan-bad")).to_contain_text("打不开摄像头")
        expect(trainer.locator("#scan-video")).to_be_hidden()
        expect(trainer.locator("#present-count")).to_have_text("已签到 1 人 / 报名 1 人")
        tablet.close()
        phone = browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN", has_touch=True, is_mobile=True)
        phone.add_init_script(CAMERA_STAND_INS)
        trainer = phone.new_page()
        trainer.goto(attendance)
        sign_in_with_the_form(trainer, ACCOUNTS["trainer"])
        trainer.goto(attendance)
        trainer.get_by_role("button", name="用摄像头扫码").tap()
        trainer.evaluate(f"window.shownCode = '{zhang.card}'")
        expect(trainer.locator(".scan-ok")).to_contain_text("已经签到过了")
        expect(trainer.locator(".scan-name")).to_be_in_viewport()  # scrolled to, below the short picture
        shoot(trainer, "practical-attendance-camera-phone")
        phone.close()
