"""In Chromium, on a tablet: a trainer signs off both areas of a two-area practical course for a learner (one skill
不合格 first, then 合格 on the re-test), prints the certificate that lists both areas, downloads the Excel export and
finds the sign-offs in it, and prints the areas' A4 posters. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import openpyxl

from kiosk.training.learner import learners
from kiosk.training.learner.database import LearningDB
from tests.browser_fixtures import SCREENSHOTS, LiveServer, launch_chromium, sign_in_with_the_form

from .practical_content import AREAS, PRACTICAL, bundled_skills, practical_content
from .sites import AppMaker

TABLET = {"width": 820, "height": 1180}
DESKTOP = {"width": 1366, "height": 900}
PUBLIC_URL = "http://192.168.1.20:8000"


def folded(text: str) -> str:
    """PDF text as compared: the fonts map some characters to look-alikes (⽹ for 网), and spaces come and go."""
    return unicodedata.normalize("NFKC", text).replace(" ", "").replace("\n", "")


def test_a_trainer_signs_off_two_areas_prints_the_certificate_and_finds_it_in_the_export(make_app: AppMaker, tmp_path):
    from playwright.sync_api import expect, sync_playwright
    from pypdf import PdfReader

    content = practical_content(tmp_path / "content")
    app = make_app(
        content=(content,), build=True, accounts=("trainer",), public_url=PUBLIC_URL, hub_name="幸福市物业港培训基地"
    )
    with LearningDB(app.extensions["kiosk"].data.root) as db:
        learner = learners.sign_in(db, "张网格", "城关街道", "幸福社区", "2468", now=1_800_000_000.0)[0]
    skills = bundled_skills()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with LiveServer(app) as server, sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            context = chromium.new_context(viewport=TABLET, accept_downloads=True)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(server.url + f"/editor/training/learners/{learner.id}")
            sign_in_with_the_form(page, "刘老师")
            expect(page.get_by_text("实训：0 / 2 区合格")).to_be_visible()
            page.get_by_role("link", name="签字确认").click()
            expect(page.locator("#so-done")).to_have_text("0 / 2")

            first = page.locator("#skill-0-0")
            first.get_by_label("说明").fill("下颌带没系好")
            first.get_by_role("button", name="✗ 不合格").click()
            expect(page.locator("#skill-0-0")).to_contain_text("下颌带没系好")
            page.screenshot(path=str(SCREENSHOTS / "practical-signoffs-failed.png"))
            for unit, area in enumerate(AREAS):
                for skill in range(len(skills[area])):
                    page.locator(f"#skill-{unit}-{skill}").get_by_role("button", name="✓ 合格").click()
                    expect(page.locator(f"#skill-{unit}-{skill}")).to_have_class("so-skill so-passed")
            expect(page.locator("#so-done")).to_have_text("2 / 2")
            expect(page.get_by_text("各区全部合格，可以打印结业证书了")).to_be_visible()
            box = page.locator("#skill-1-0").get_by_role("button", name="✓ 合格").bounding_box()
            assert box and box["height"] >= 56 and box["width"] >= 100  # a finger's target on a tablet
            page.goto(page.url.split("#")[0])
            page.screenshot(path=str(SCREENSHOTS / "practical-signoffs-tablet.png"), full_page=True)
            page.set_viewport_size(DESKTOP)
            page.screenshot(path=str(SCREENSHOTS / "practical-signoffs-desktop.png"))
            page.goto(server.url + f"/editor/training/learners/{learner.id}")
            expect(page.get_by_text("实训：2 / 2 区合格")).to_be_visible()
            page.screenshot(path=str(SCREENSHOTS / "practical-learner-desktop.png"))
            page.go_back()
            page.set_viewport_size(TABLET)

            page.get_by_role("link", name="结业证书").click()
            certificate = page.locator(".tr-cert-areas")
            for area in AREAS:
                expect(certificate.get_by_role("row").filter(has_text=area)).to_contain_text("合格")
            expect(certificate).to_contain_text("刘老师")
            page.emulate_media(media="print")
            page.set_viewport_size({"width": 1123, "height": 794})  # A4 landscape
            page.screenshot(path=str(SCREENSHOTS / "practical-certificate-print.png"), full_page=True)
            pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True)))
            assert len(pdf.pages) == 1
            text = folded(pdf.pages[0].extract_text())
            assert "张网格" in text and all(folded(area) in text for area in AREAS) and "刘老师" in text
            page.emulate_media(media="screen")
            page.set_viewport_size(TABLET)

            page.goto(server.url + "/editor/training/?period=all")
            with page.expect_download() as download:
                page.get_by_role("link", name="⇩ Excel 表格").click()
            assert download.value.suggested_filename.endswith(".xlsx")
            book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
            rows = [[cell.value for cell in row] for row in book["实训签字记录"].iter_rows(min_row=2)]
            assert [row[6] for row in rows] == ["不合格", *["合格"] * sum(len(skills[area]) for area in AREAS)]
            assert rows[0][:9] == ["城关街道", "幸福社区", "张网格", "实训两区", "登高作业", skills["登高作业"][0],
                                   "不合格", "下颌带没系好", "刘老师"]  # fmt: skip
            results = [[cell.value for cell in row] for row in book["实训成绩"].iter_rows(min_row=2)]
            assert [row[2:6] for row in results] == [["张网格", "实训两区", 2, 2]]
            page.set_viewport_size(DESKTOP)
            page.locator("#table-signoffs").scroll_into_view_if_needed()
            page.screenshot(path=str(SCREENSHOTS / "practical-overview-desktop.png"))

            page.goto(server.url + f"/editor/training/practical/{PRACTICAL}/posters")
            page.set_viewport_size({"width": 794, "height": 1123})  # A4 portrait
            page.screenshot(path=str(SCREENSHOTS / "practical-posters-screen.png"), full_page=True)
            page.emulate_media(media="print")
            page.screenshot(path=str(SCREENSHOTS / "practical-poster-print.png"))
            pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True)))
            assert len(pdf.pages) == 2
            box = pdf.pages[0].mediabox
            assert round(float(box.width) / 72 * 25.4) == 210 and round(float(box.height) / 72 * 25.4) == 297
            for number, area in enumerate(AREAS):
                assert folded(area) in folded(pdf.pages[number].extract_text())
            assert errors == []
            context.close()
        finally:
            chromium.close()
