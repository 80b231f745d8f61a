"""Choosing in the 物业超市, in Chromium: on the kiosk (1080×1920) a resident goes from the home page to the market,
filters, picks three companies and sees them side by side; on a phone (390×844) an owners' committee registers its
estate's need. Screenshots go to test-artifacts/screenshots/market-choose-*.png."""

from __future__ import annotations

import pytest

from kiosk.market.database import MarketDB
from kiosk.market.quarters import quarter_of

from . import test_market_browser
from .browser_fixtures import KIOSK_VIEWPORT, PHONE_VIEWPORT, SCREENSHOTS, sign_in_with_the_form
from .sites import MONDAY
from .test_market_compare import admitted

pytest.importorskip("playwright")
server = test_market_browser.server  # the market's live server, with the hub's communities and staff


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"market-choose-{name}.png"), full_page=True)


def test_the_kiosk_compares_three_companies(browser, server):
    root = server.app.extensions["kiosk"].data.root
    qingsong = admitted(root)["示例备-001"]
    with MarketDB(root) as db:  # two residents rated 青松 this quarter: 4 and 5 stars
        for phone, stars in (("a", 4), ("b", 5)):
            db.rate(qingsong.id, quarter_of(MONDAY.timestamp()), phone, stars, MONDAY.timestamp())
    kiosk = browser.new_context(viewport=KIOSK_VIEWPORT, has_touch=True).new_page()
    kiosk.goto(f"{server.url}/?kiosk=1")
    shot(kiosk, "0-kiosk-home")
    kiosk.get_by_role("link", name="物业超市：选物业").click()
    kiosk.select_option("select[name=qualification]", "二级")
    with kiosk.expect_navigation():
        kiosk.get_by_role("button", name="筛选").click()
    assert kiosk.locator("input[name=c]").count() == 1  # only 示例·安居 is 二级
    shot(kiosk, "1-kiosk-filtered")
    kiosk.select_option("select[name=qualification]", "")
    with kiosk.expect_navigation():
        kiosk.get_by_role("button", name="筛选").click()
    assert "示例·场外物业有限公司" not in kiosk.content()  # on file, not admitted
    for name in ("示例·青松物业服务有限公司", "示例·安居物业管理有限公司", "示例·和园物业服务有限公司"):
        kiosk.locator(".market-choices label.choice", has_text=name).tap()
    with kiosk.expect_navigation():
        kiosk.get_by_role("button", name="并排对比").tap()
    columns = kiosk.locator(".market-column")
    assert columns.count() == 3
    tops = {round(columns.nth(n).bounding_box()["y"]) for n in range(3)}
    assert len(tops) == 1  # side by side, not one under another
    assert kiosk.locator(".market-column dt", has_text="居民评价").count() == 3
    assert kiosk.get_by_role("button", name="▶ 听简介").count() == 3
    assert "在管小区 2 个" in columns.nth(0).inner_text()
    scored = kiosk.locator(".market-column", has_text=qingsong.name)
    assert "87.5" in scored.locator(".market-scores").inner_text()  # (4.5 stars - 1) × 25, the only source
    width = kiosk.evaluate("document.documentElement.scrollWidth")
    assert width <= KIOSK_VIEWPORT["width"], width
    kiosk.locator(".market-compare").scroll_into_view_if_needed()
    shot(kiosk, "2-kiosk-three-side-by-side")
    phone = browser.new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True).new_page()
    phone.goto(kiosk.url.replace("kiosk=1&", ""))
    assert phone.locator(".market-column").count() == 3
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_VIEWPORT["width"], width  # on a phone the three stack, nothing wider than it
    shot(phone, "2b-phone-three")


def test_a_committee_registers_its_need_on_a_phone(browser, server):
    root = server.app.extensions["kiosk"].data.root
    phone = browser.new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True).new_page()
    phone.goto(f"{server.url}/market/compare")
    phone.get_by_role("link", name="登记小区的物业需求").click()
    phone.fill("input[name=estate]", "示例·梧桐苑")
    phone.select_option("select[name=community]", "幸福里社区")
    phone.fill("input[name=households]", "420")
    phone.locator("label.choice", has_text="电梯维保").tap()
    phone.fill("input[name=contact]", "业委会刘主任")
    phone.fill("input[name=phone]", "13912345678")
    shot(phone, "3-phone-need-form")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_VIEWPORT["width"], width
    phone.get_by_role("button", name="提交登记").tap()
    phone.wait_for_selector(".market-sent")
    assert "13912345678" not in phone.content()
    shot(phone, "4-phone-need-sent")
    with MarketDB(root) as db:
        (need,) = db.needs()
    desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    desk.goto(f"{server.url}/editor/market/needs")
    sign_in_with_the_form(desk, "中心老王")
    desk.goto(f"{server.url}/editor/market/needs")
    assert "13912345678" in desk.inner_text(".market-contact") and "在找物业" in desk.content()
    shot(desk, "5-desktop-centre-needs")
    assert (need.estate, need.community, need.wants, need.phone) == (
        "示例·梧桐苑",
        "幸福里社区",
        ("电梯维保",),
        "13912345678",
    )
