"""The course editor in a real Chromium against a real server: an editor builds a two-text course by clicking,
moves one up, saves, and the kiosk's course page plays them in that order."""

from __future__ import annotations

import pytest

from tests.browser_fixtures import SCREENSHOTS, sign_in_with_the_form

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"course-editor-{name}.png"), full_page=True)


def test_an_editor_builds_a_course_by_clicking_and_the_kiosk_plays_it_in_that_order(browser, editor_server):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(editor_server.url + "/editor/signin")
    sign_in_with_the_form(page, "王编辑")

    page.get_by_role("link", name="课程", exact=True).click()
    page.get_by_role("link", name="＋ 新建课程").click()
    page.evaluate("window.stillTheSamePage = true")  # the buttons below must not reload the page
    page.get_by_label("课程名称").fill("维修和业委会")
    page.get_by_label("查找文章").fill("维修")
    page.get_by_label("查找文章").press("Enter")
    page.get_by_role("button", name="加入：专项维修资金怎么用", exact=True).click()
    page.get_by_label("查找文章").fill("业主委员会")
    page.get_by_role("button", name="查找").click()
    page.get_by_role("button", name="加入：业主委员会的成立").click()
    items = page.locator(".cf-items .cf-text")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("专项维修资金怎么用")
    expect(page.locator("#cf-total")).to_contain_text("共 1 个单元 · 2 篇 · 预计收听")

    page.get_by_role("button", name="上移：业主委员会的成立").click()
    expect(items.first).to_contain_text("业主委员会的成立")
    expect(page.get_by_role("button", name="下移：业主委员会的成立")).to_be_focused()
    assert page.evaluate("window.stillTheSamePage") is True
    expect(page.get_by_label("课程名称")).to_have_value("维修和业委会")
    shoot(page, "built")

    page.get_by_role("button", name="保存课程").click()
    expect(page.get_by_text("已保存「维修和业委会」")).to_be_visible()
    page.get_by_role("link", name="课程列表").click()
    expect(page.get_by_role("link", name="维修和业委会")).to_be_visible()
    shoot(page, "list")
    page.goto(editor_server.url + "/course/维修和业委会")
    parts = page.locator(".units .parts a")
    expect(parts).to_have_count(2)
    expect(parts.nth(0)).to_have_text("业主委员会的成立")
    expect(parts.nth(1)).to_have_text("专项维修资金怎么用")
    shoot(page, "kiosk-course")
    assert errors == []
    context.close()
