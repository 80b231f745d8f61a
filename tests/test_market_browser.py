"""The 物业超市 in Chromium: a centre editor imports a spreadsheet with one bad row at desktop size and sees that row
named; a community enters its quarterly assessment; a resident rates a company on a phone (390×844), and the
touchscreen offers a QR code instead. Screenshots go to test-artifacts/screenshots/market-*.png."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import Workbook

from kiosk.market.database import MarketDB

from .browser_fixtures import KIOSK_VIEWPORT, PHONE_VIEWPORT, SCREENSHOTS, LiveServer, sign_in_with_the_form
from .sites import MONDAY, Clock, add_staff
from .test_market import BAD_CSV, SAMPLES, STAFF

pytest.importorskip("playwright")
DESKTOP = {"width": 1280, "height": 900}


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"market-{name}.png"), full_page=True)


@pytest.fixture
def server(make_app, tmp_path):
    app = make_app(build=True, test_config={"LEARNING_CLOCK": Clock(MONDAY)})
    add_staff(app.extensions["kiosk"].data.root, STAFF, (("城关街道", "幸福里社区"),))
    with LiveServer(app) as live:
        yield live


def spreadsheet(path) -> None:
    """The sample rows and one without its 备案号, as an .xlsx."""
    book = Workbook()
    for line in SAMPLES.read_text(encoding="utf-8").splitlines():
        book.active.append(next(csv.reader([line])))
    book.active.append(next(csv.reader(io.StringIO(BAD_CSV.splitlines()[2]))))
    book.save(path)


def test_a_centre_editor_imports_a_sheet_and_sees_the_bad_row_named(browser, server, tmp_path):
    path = tmp_path / "企业档案.xlsx"
    spreadsheet(path)
    page = browser.new_context(viewport=DESKTOP).new_page()
    page.goto(f"{server.url}/editor/signin")
    sign_in_with_the_form(page, "中心老王")
    page.goto(f"{server.url}/editor/market/")
    shot(page, "1-centre-empty-file")
    page.get_by_label("导入 Excel 或 CSV 文件").set_input_files(str(path))
    page.get_by_role("button", name="导入", exact=True).click()
    page.wait_for_selector(".market-rejected")
    assert "导入 3 行，未导入 1 行" in page.inner_text(".market-summary")
    assert page.locator(".market-rejected tbody tr").count() == 1
    assert page.locator(".market-rejected tbody tr").inner_text().split() == ["第", "5", "行", "请填写「备案号」"]
    shot(page, "2-centre-import-report")
    page.get_by_role("link", name="回到企业档案").click()
    page.get_by_role("link", name="示例·安居物业管理有限公司").click()
    page.get_by_label("理由（例如中心会议的决定和依据）").fill("示例：中心会议决定入驻")
    page.get_by_role("button", name="入驻物业超市").click()
    assert "已入驻物业超市" in page.content() and "示例联系人乙" in page.content()
    shot(page, "3-centre-company")


def test_a_community_assesses_and_a_resident_rates_on_a_phone(browser, server):
    with MarketDB(server.app.extensions["kiosk"].data.root) as db:
        from kiosk.market.sheets import import_file

        import_file(db, SAMPLES.read_bytes(), SAMPLES.name, "测试", MONDAY.timestamp())
        company = db.by_registration("示例备-001")
    assert company is not None
    desk = browser.new_context(viewport=DESKTOP).new_page()
    desk.goto(f"{server.url}/editor/signin")
    sign_in_with_the_form(desk, "社区小李")
    desk.goto(f"{server.url}/editor/market/c/{company.id}/assess")
    points = {"日常服务": 22, "收费和公开": 13, "安全和应急": 18, "投诉处理": 15, "配合社区和部门工作": 19}
    for label, given in points.items():
        desk.get_by_label(label, exact=True).fill(str(given))
    shot(desk, "4-community-assessment-form")
    desk.get_by_role("button", name="提交考核").click()
    assert "已提交幸福里社区" in desk.content() and "87 分" in desk.content()
    assert "示例联系人甲" not in desk.content()  # contacts are the centre's
    shot(desk, "5-community-scorecard")

    phone = browser.new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True).new_page()
    phone.goto(f"{server.url}/market/c/{company.id}")
    assert phone.get_by_role("button", name="听简介").is_visible()
    assert "示例联系人甲" not in phone.content()
    shot(phone, "6-phone-company")
    phone.locator(".market-stars label.choice", has_text="4 星").click()
    phone.get_by_role("button", name="提交评价").click()
    phone.wait_for_selector(".desk-rated")
    assert "已经评价过：4 颗星" in phone.inner_text(".desk-rated")
    assert "1 位居民评价，平均 4.0 星" in phone.content()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_VIEWPORT["width"], width  # nothing wider than the phone
    shot(phone, "7-phone-rated")

    kiosk = browser.new_context(viewport=KIOSK_VIEWPORT).new_page()
    kiosk.goto(f"{server.url}/market/c/{company.id}?kiosk=1")
    assert kiosk.locator(".market-rate svg").is_visible() and kiosk.locator("input[name=stars]").count() == 0
    assert re.search("请用自己的手机扫码", kiosk.content())
    shot(kiosk, "8-kiosk-qr-instead-of-stars")
