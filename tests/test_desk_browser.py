"""The front desk in Chromium: a resident registers a dispute at the kiosk (1080×1920) and follows it on a phone
(390×844); the community does not accept it in time, `kiosk desk tick` sends it to the township, which answers on
the staff desktop; the resident is not satisfied, it is reopened once, answered again and rated 满意. Screenshots of
each step go to test-artifacts/screenshots/desk-*.png."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from click.testing import CliRunner

from kiosk.cli import main

from .browser_fixtures import KIOSK_VIEWPORT, PHONE_VIEWPORT, SCREENSHOTS, LiveServer, sign_in_with_the_form
from .sites import MONDAY, Clock
from .test_desk import seed
from .test_market import import_samples

expect = pytest.importorskip("playwright.sync_api").expect
DESKTOP = {"width": 1280, "height": 900}
IDLE_MINUTES = 0.25  # the kiosk forgets the visitor after 15 seconds untouched


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"desk-{name}.png"), full_page=True)


def test_a_dispute_goes_up_a_level_is_answered_reopened_and_rated(browser, make_app):
    clock = Clock(MONDAY)
    app = make_app(build=True, idle_minutes=IDLE_MINUTES, test_config={"LEARNING_CLOCK": clock})
    root = app.extensions["kiosk"].data.root
    seed(root)
    import_samples(root)  # 物业超市's sample companies: 青松 manages 青松苑 in 幸福里社区, 安居 an estate elsewhere
    with LiveServer(app) as server:
        kiosk = browser.new_context(viewport=KIOSK_VIEWPORT).new_page()
        kiosk.goto(f"{server.url}/?kiosk=1")
        kiosk.get_by_role("link", name=re.compile("我要反映")).first.click()
        companies = kiosk.locator("#desk-companies")
        expect(companies).to_be_hidden()  # no community chosen yet
        kiosk.locator("label.choice", has_text="幸福里社区").click()
        expect(companies.get_by_role("button", name="示例·安居物业管理有限公司")).to_be_hidden()
        companies.get_by_role("button", name="示例·青松物业服务有限公司").click()  # tapped, not typed
        assert kiosk.get_by_label("物业公司名称（知道的话）").input_value() == "示例·青松物业服务有限公司"
        kiosk.locator("label.choice", has_text="漏水").click()
        kiosk.get_by_role("button", name="楼上漏水到我家").click()
        kiosk.get_by_role("button", name="物业不给维修").click()
        kiosk.get_by_label("电话").click()
        for digit in "13812345678":
            kiosk.locator(f'#keyboard [data-key="{digit}"]').click()
        assert kiosk.get_by_label("电话").input_value() == "13812345678"
        assert kiosk.locator("#q").input_value() == ""  # the keyboard typed into the form, not the search
        kiosk.locator("#keyboard [data-key=close]").click()
        shot(kiosk, "1-kiosk-form")
        kiosk.get_by_role("button", name="提交登记").click()
        kiosk.wait_for_selector(".desk-done")
        number = kiosk.locator(".desk-number").inner_text()
        link = kiosk.locator(".desk-qr .qr").get_attribute("data-link")
        assert re.fullmatch(r"\d{6}", number) and link and "/desk/f/" in link
        assert "13812345678" not in kiosk.content()
        shot(kiosk, "2-kiosk-registered")

        # The idle reset leaves nothing of the request on the kiosk's screen.
        kiosk.wait_for_url(re.compile(r"/\?kiosk=1$"), timeout=40_000)
        assert number not in kiosk.content() and "登记成功" not in kiosk.content()
        shot(kiosk, "2b-kiosk-after-idle-reset")

        phone = browser.new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True).new_page()
        phone.goto(f"{server.url}/desk/{link.split('/desk/', 1)[1]}")  # the QR's link, on this test's loopback server
        assert "已登记，等待受理" in phone.content() and "13812345678" not in phone.content()
        shot(phone, "3-phone-registered")

        desk = browser.new_context(viewport=DESKTOP).new_page()
        desk.goto(f"{server.url}/editor/signin")
        sign_in_with_the_form(desk, "社区小李")
        desk.wait_for_url(re.compile("/editor/desk/$"))
        assert number in desk.content()
        shot(desk, "4-community-queue")
        desk.context.clear_cookies()

        # Two working days pass without the community accepting it: the tick sends it up.
        late = (MONDAY + dt.timedelta(days=2, hours=1)).isoformat()
        result = CliRunner().invoke(main, ["--data", str(root), "desk", "tick", "--now", late])
        assert result.output.splitlines()[-1] == "1", result.output
        clock.now = (MONDAY + dt.timedelta(days=2, hours=2)).timestamp()

        desk.goto(f"{server.url}/editor/signin")
        sign_in_with_the_form(desk, "街道老张")
        desk.wait_for_url(re.compile("/editor/desk/$"))
        desk.get_by_role("link", name=number).click()
        assert "自动转交乡镇/街道" in desk.content() and "13812345678" in desk.content()
        assert "示例·青松物业服务有限公司" in desk.content()  # the registered name: it counts on 青松's scorecard
        shot(desk, "5-township-request")
        desk.get_by_role("button", name="受理").click()
        desk.get_by_role("button", name="开始办理").click()
        desk.get_by_label(re.compile("答复")).fill("已约楼上业主和物业到场，物业三天内修好楼上防水层。")
        desk.get_by_role("button", name="答复", exact=True).click()
        desk.wait_for_selector("text=已答复，等待评价")
        shot(desk, "6-township-answered")

        phone.reload()
        assert "物业三天内修好" in phone.content() and "乡镇/街道" in phone.content()
        phone.locator("label.choice", has_text="不满意").click()
        phone.locator("textarea[name=reason]").fill("防水层修了还是漏")
        shot(phone, "7-phone-unhappy")
        phone.get_by_role("button", name="提交评价").click()
        phone.wait_for_selector("text=重新办理，等待受理")
        shot(phone, "8-phone-reopened")

        desk.reload()
        assert "防水层修了还是漏" in desk.content()
        desk.get_by_role("button", name="受理").click()
        desk.get_by_label(re.compile("答复")).fill("重新做了防水，并请专业人员检测，已不再渗水。")
        desk.get_by_role("button", name="答复", exact=True).click()
        desk.wait_for_selector("text=已答复，等待评价")

        phone.reload()
        assert "（会重新办理一次）" not in phone.content()  # reopened once already: not promised again
        phone.locator("label.choice", has_text=re.compile("^满意$")).click()
        phone.get_by_role("button", name="提交评价").click()
        phone.wait_for_selector("text=您的评价：满意")
        history = phone.locator(".desk-history li").all_inner_texts()
        assert len(history) == 9 and "系统" in history[1]
        shot(phone, "9-phone-rated")

        wall = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
        wall.goto(f"{server.url}/wall")
        panel = wall.locator("section.desk")
        expect(panel).to_contain_text("共 1 件")
        expect(panel.locator("#desk-levels")).to_contain_text("100")  # rated 满意: all of the month's answers
        expect(panel).to_contain_text("漏水")
        assert "13812345678" not in wall.content() and "防水层" not in wall.content()
        shot(wall, "10-wall")


def test_counsel_answers_with_two_articles_and_the_resident_hears_it(browser, make_app, content_dir):
    app = make_app(content=(content_dir,), build=True)
    seed(app.extensions["kiosk"].data.root)
    with LiveServer(app) as server:
        phone = browser.new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True).new_page()
        phone.goto(f"{server.url}/desk/new/consult")
        phone.locator("label.choice", has_text="花园社区").click()
        phone.locator("label.choice", has_text="业委会").click()
        phone.locator("textarea[name=text]").fill("业主委员会怎么成立？要多少业主同意？")
        phone.locator("label.choice.wide").click()  # consent to publish, anonymised
        shot(phone, "c1-phone-question")
        phone.get_by_role("button", name="提交登记").click()
        phone.wait_for_selector(".desk-done")
        follow = phone.url.split("?", 1)[0]

        desk = browser.new_context(viewport=DESKTOP).new_page()
        desk.goto(f"{server.url}/editor/signin")
        sign_in_with_the_form(desk, "律师小陈")
        desk.locator(".desk-queue a").first.click()
        desk.get_by_role("button", name="受理").click()
        desk.get_by_label("在文库中查找相关条文").fill("业主")
        desk.get_by_role("button", name="查找").click()
        boxes = desk.locator("input[name=attach]")
        assert boxes.count() >= 2
        boxes.nth(0).check()
        boxes.nth(1).check()
        desk.get_by_label(re.compile("答复")).fill("成立业主委员会要先开业主大会，由业主投票选举。")
        shot(desk, "c2-counsel-answer")
        desk.get_by_role("button", name="答复", exact=True).click()
        desk.wait_for_selector("text=已答复，等待评价")
        shot(desk, "c3-counsel-answered")

        phone.goto(follow)
        assert phone.locator(".desk-articles a").count() == 2
        phone.evaluate(  # the player's sounds, as they start
            """() => {
              window.heard = [];
              const play = HTMLMediaElement.prototype.play;
              HTMLMediaElement.prototype.play = function () { window.heard.push(this.src); return play.call(this); };
            }"""
        )
        phone.get_by_role("button", name="听答复").click()
        phone.wait_for_function("window.heard.some((src) => src.includes('/audio/'))", timeout=60_000)
        shot(phone, "c4-phone-answer")


def test_staff_correct_a_typed_company_to_the_registered_one(browser, make_app):
    """A resident typed the company her own way; the community's staff pick the registered name from the list, with
    a reason, and the history says old → new."""
    app = make_app(test_config={"LEARNING_CLOCK": Clock(MONDAY)})
    root = app.extensions["kiosk"].data.root
    seed(root)
    import_samples(root)
    typed = {
        "kind": "dispute",
        "community": "幸福里社区",
        "category": "漏水",
        "text": "楼上漏水",
        "company": "青松物业",
    }
    registered = app.test_client().post("/api/desk/requests", json=typed)
    assert registered.status_code == 201, registered.get_json()
    with LiveServer(app) as server:
        desk = browser.new_context(viewport=DESKTOP).new_page()
        desk.goto(f"{server.url}/editor/signin")
        sign_in_with_the_form(desk, "社区小李")
        desk.wait_for_url(re.compile("/editor/desk/$"))
        desk.locator(".desk-queue a").first.click()
        form = desk.locator("section.desk-company")
        expect(form).to_contain_text("示例·青松物业服务有限公司")  # the community's registered company, offered
        expect(form).not_to_contain_text("安居")  # another community's
        assert desk.locator("#desk-company-names option").evaluate_all("els => els.map(e => e.value)") == [
            "示例·青松物业服务有限公司"
        ]
        form.get_by_label("物业公司").fill("示例·青松物业服务有限公司")
        form.get_by_label(re.compile("理由")).fill("居民写的简称，按登记名称更正")
        shot(desk, "11-company-correction")
        form.get_by_role("button", name="更正物业公司").click()
        expect(desk.locator(".desk-history")).to_contain_text(
            "青松物业 → 示例·青松物业服务有限公司：居民写的简称，按登记名称更正"
        )
        shot(desk, "12-company-corrected")
