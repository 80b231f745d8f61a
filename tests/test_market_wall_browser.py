"""The 形象墙 in Chromium: a centre editor adds a good work with a photo on the company's page, and the corridor
screen at 1920×1080 and 1080×1920 shows it, turns by itself to the next (every second here) and picks up a good work
added while it is on. Screenshots go to test-artifacts/screenshots/market-wall-*.png."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from kiosk.market.database import Decision, MarketDB
from kiosk.market.goodwork import GoodWork
from kiosk.market.photos import store
from kiosk.market.sheets import import_file

from .browser_fixtures import KIOSK_VIEWPORT, SCREENSHOTS, LiveServer, sign_in_with_the_form
from .sites import MONDAY, Clock
from .test_market import SAMPLES

expect = pytest.importorskip("playwright.sync_api").expect
LANDSCAPE = {"width": 1920, "height": 1080}
DESKTOP = {"width": 1280, "height": 900}


def shot(page, name: str, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"market-wall-{name}.png"), full_page=full_page)


def picture(path, colour: str) -> None:
    """A stand-in photo: a sky, a ground and a sun, so a crop or a stretch shows in the screenshots."""
    image = Image.new("RGB", (2400, 1600), "#8ecae6")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 1000, 2400, 1600), fill=colour)
    draw.ellipse((1700, 200, 2100, 600), fill="#ffb703")
    image.save(path, "JPEG")


def photo_loaded(page) -> None:
    """Wait until the photo shown has loaded (the page's CSP allows no script string, so Python polls)."""
    for _ in range(50):
        if page.evaluate("document.getElementById('good-photo').complete"):
            return
        page.wait_for_timeout(100)
    raise AssertionError("the photo did not load")


@pytest.fixture
def server(make_app, tmp_path):
    from kiosk.editor.accounts import Accounts

    from .sites import TEST_PASSWORD

    app = make_app(
        test_config={"LEARNING_CLOCK": Clock(MONDAY), "MARKET_WALL_ROTATE_SECONDS": 1, "MARKET_WALL_REFRESH_SECONDS": 1}
    )
    root = app.extensions["kiosk"].data.root
    with Accounts(root) as accounts:
        accounts.add("中心老王", TEST_PASSWORD, "centre", "")
    with MarketDB(root) as db:
        import_file(db, SAMPLES.read_bytes(), SAMPLES.name, "测试", 0.0)
        for company in db.companies()[:2]:
            db.decide(company.id, Decision(True, "2026-12-01", "中心会议决定", "中心老王", 0.0))
    with LiveServer(app) as live:
        yield live


def test_the_wall_shows_good_work_and_turns_to_the_next_without_touch(browser, server, tmp_path):
    root = server.app.extensions["kiosk"].data.root
    empty = browser.new_context(viewport=LANDSCAPE).new_page()
    empty.goto(f"{server.url}/market/wall")
    assert empty.locator("#good-empty").is_visible()
    shot(empty, "0-empty")

    with MarketDB(root) as db:
        first, second = [company for company in db.companies() if company.in_market]
    photo = tmp_path / "排涝.jpg"
    picture(photo, "#2a9d8f")
    editor = browser.new_context(viewport=DESKTOP).new_page()
    editor.goto(f"{server.url}/editor/signin")
    sign_in_with_the_form(editor, "中心老王")
    editor.goto(f"{server.url}/editor/market/c/{first.id}")
    editor.get_by_label("类别").select_option("应急抢险")
    editor.get_by_label("标题（不超过 24 个字）").fill("暴雨夜排涝保平安")
    editor.get_by_label("第一句说明").fill("连夜抽排地下车库积水六百方")
    editor.get_by_label("第二句说明").fill("八十台业主车辆无一受损")
    editor.get_by_label("日期", exact=True).fill("2026-07-21")
    editor.get_by_label("照片").set_input_files(str(photo))
    editor.get_by_role("button", name="加到形象墙").click()
    assert "已加到形象墙：暴雨夜排涝保平安" in editor.content()
    shot(editor, "1-editor", full_page=True)
    picture(photo, "#bc6c25")
    with MarketDB(root) as db:
        db.add_work(
            GoodWork(
                "帮困助难",
                "为独居老人上门送菜",
                "疫情期间每天送菜到门口",
                "三个月服务四十二户",
                "2026-11-02",
                store(root, photo.read_bytes()),
                second.id,
            ),
            "中心老王",
            0.0,
        )

    for name, viewport in (("landscape", LANDSCAPE), ("portrait", KIOSK_VIEWPORT)):
        page = browser.new_context(viewport=viewport).new_page()
        page.goto(f"{server.url}/market/wall")
        photo_loaded(page)
        title = page.inner_text(".good-title")
        assert title in ("暴雨夜排涝保平安", "为独居老人上门送菜")
        assert page.evaluate("document.documentElement.scrollHeight") <= viewport["height"]  # nothing to scroll
        shot(page, f"2-{name}")
        expect(page.locator(".good-title")).not_to_have_text(title, timeout=5000)  # turned by itself
        photo_loaded(page)
        shot(page, f"3-{name}-next")
        assert page.inner_text(".good-company") in (first.name, second.name)
        assert first.phone not in page.content()
    with MarketDB(root) as db:  # added while the screen is on: it fetches its list again by itself
        db.add_work(
            GoodWork(
                "党建引领",
                "党员先锋岗",
                "小区楼道每周清理",
                "",
                "2026-12-01",
                store(root, photo.read_bytes()),
                first.id,
            ),
            "中心老王",
            0.0,
        )
    expect(page.locator("#good-count")).to_contain_text("/ 3", timeout=5000)
