"""The phone's sign-in in a real Chromium: the 社区 chosen with big buttons from the hub's list (never typed), the
plain message while the list is empty, and the touchscreen, which signs nobody in. Screenshots for a person to
look at: phone 390×844, kiosk 1080×1920."""

from __future__ import annotations

import pytest

from indexer.datadir import DataDir
from kiosk.places import add_community
from kiosk.training.learner import learners
from kiosk.training.learner.database import LearningDB
from tests.browser_fixtures import KIOSK_VIEWPORT, PHONE_VIEWPORT, live_server
from tests.sites import TEST_CONTENT, indexed

from .test_course_browser import fits_width, shoot, tall_enough, watch

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
PLACES = [
    ("城关街道", "幸福社区"),
    ("城关街道", "和平社区"),
    ("城关街道", "光明社区"),
    ("城关街道", "幸福里社区"),
    ("东城街道", "花园社区"),
    ("东城街道", "东门社区"),
    ("西城街道", "新华社区"),
]


@pytest.fixture
def data(tmp_path) -> DataDir:
    return indexed(DataDir.create(tmp_path / "var"), [TEST_CONTENT])


def test_a_phone_signs_in_by_choosing_town_and_community_with_big_buttons(browser, data):
    with live_server(data, content=(TEST_CONTENT,)) as server:
        context = browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN", has_touch=True, is_mobile=True)
        page = context.new_page()
        seen = watch(page)
        page.goto(server.url + "/learn")
        expect(page.locator("#no-communities")).to_contain_text("社区名单还是空的")
        expect(page.locator("#signin")).to_be_hidden()
        shoot(page, "phone-learn-no-communities")

        for town, name in PLACES:
            add_community(data.root, town, name)
        page.goto(server.url + "/learn")
        expect(page.locator("#signin")).to_be_visible()
        expect(page.locator("#no-communities")).to_have_count(0)
        expect(page.locator("#pick-town-first")).to_be_visible()
        expect(page.locator(".choice-group:visible")).to_have_count(0)  # no 社区 before a 乡镇/街道
        page.locator("#f-name").fill("张晓梅")
        page.locator("#pick-town").get_by_text("东城街道", exact=True).tap()
        expect(page.locator("#pick-community .choice:visible")).to_have_count(2)
        page.locator("#pick-community").get_by_text("花园社区", exact=True).tap()
        page.locator("#pick-town").get_by_text("城关街道", exact=True).tap()  # changing the town clears the 社区
        expect(page.locator("#pick-community .choice:visible")).to_have_count(4)
        expect(page.locator('input[name="community"]:checked')).to_have_count(0)
        page.locator("#pick-community").get_by_text("幸福里社区", exact=True).tap()
        page.locator("#f-pin").fill("2468")
        tall_enough(page, "#signin .choice span, #signin input:not([type=radio]), #signin button", 56)
        fits_width(page, "phone sign-in")
        shoot(page, "phone-learn-choose-community", full_page=True)
        page.locator('#signin button[type="submit"]').tap()
        expect(page.locator("#me-where")).to_have_text("城关街道 · 幸福里社区")
        with LearningDB(data.root) as db:
            assert learners.units(db) == [("城关街道", "幸福里社区")]
        assert not seen["errors"] and not seen["csp"], seen
        context.close()

        # The same page on a screen the size of the kiosk's (a tablet at the front desk): the buttons keep their size.
        big = browser.new_context(viewport=KIOSK_VIEWPORT, locale="zh-CN", has_touch=True)
        page = big.new_page()
        page.goto(server.url + "/learn")
        page.locator("#pick-town").get_by_text("城关街道", exact=True).tap()
        tall_enough(page, "#signin .choice span", 56)
        shoot(page, "big-screen-learn-choose-community")
        big.close()


def test_the_touchscreen_signs_nobody_in_and_says_where_to(browser, data):
    for town, name in PLACES:
        add_community(data.root, town, name)
    with live_server(data, content=(TEST_CONTENT,), kiosk_mode=True) as server:
        context = browser.new_context(viewport=KIOSK_VIEWPORT, locale="zh-CN", has_touch=True)
        page = context.new_page()
        seen = watch(page)
        page.goto(server.url + "/learn?kiosk=1")
        expect(page.locator("#signin")).to_have_count(0)
        expect(page.get_by_text("学习记录请在自己的手机上登录")).to_be_visible()
        fits_width(page, "kiosk learn")
        shoot(page, "kiosk-learn-communities")
        assert not seen["errors"] and not seen["csp"], seen
        context.close()
