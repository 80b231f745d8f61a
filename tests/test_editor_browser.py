"""The editor in a real Chromium against a real server: sign in, upload a GBK notice and a Word file, review,
publish, find them on the kiosk and hear them, then see that listening in the statistics."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser_fixtures import KIOSK_VIEWPORT, SCREENSHOTS, sign_in_with_the_form

from .test_editor import GBK_NOTICE, make_docx

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
EDITOR_VIEWPORT = {"width": 1366, "height": 900}


@pytest.fixture
def editor(browser, editor_server):
    context = browser.new_context(viewport=EDITOR_VIEWPORT, locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(editor_server.url + "/editor/")
    expect(page).to_have_url(f"{editor_server.url}/editor/signin?next=/editor/")
    sign_in_with_the_form(page, "王编辑")
    expect(page.get_by_role("heading", name="文章列表")).to_be_visible()
    yield page
    assert errors == []
    context.close()


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"editor-{name}.png"), full_page=True)


def upload(page, server, name: str, data: bytes, mime: str, shelf: str) -> None:
    """Upload through the form, check the review page, then publish."""
    page.goto(server.url + "/editor/upload")
    page.get_by_label("选择文件").set_input_files(files=[{"name": name, "mimeType": mime, "buffer": data}])
    page.get_by_label("放到哪个书架").fill(shelf)
    page.get_by_role("button", name="上传并转换").click()
    expect(page.get_by_text(f"来自上传的文件「{name}」")).to_be_visible()


def test_upload_review_publish_then_the_kiosk_finds_and_plays_it(editor, editor_server, browser):
    upload(editor, editor_server, "堆物清理通知.txt", GBK_NOTICE.encode("gbk"), "text/plain", "有声物业")
    expect(editor.locator("#edit-form [name=title]")).to_have_value("关于开展楼道堆物清理的通知")
    shoot(editor, "review-gbk-upload")
    editor.get_by_role("button", name="保存并发布").click()
    expect(editor.get_by_text("已保存并发布")).to_be_visible()

    upload(
        editor,
        editor_server,
        "公共收益.docx",
        make_docx(),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "政策法规",
    )
    expect(editor.locator("#edit-form [name=title]")).to_have_value("小区公共收益公示办法")
    editor.get_by_role("button", name="保存并发布").click()
    expect(editor.get_by_text("已保存并发布")).to_be_visible()
    assert (editor_server.content / "政策法规").is_dir()

    editor.goto(editor_server.url + "/editor/")
    expect(editor.get_by_role("link", name="关于开展楼道堆物清理的通知")).to_be_visible()
    shoot(editor, "list")

    kiosk = browser.new_context(viewport=KIOSK_VIEWPORT, locale="zh-CN", has_touch=True)
    try:
        page = kiosk.new_page()
        page.goto(editor_server.url + "/search?kiosk=1&q=" + "楼道堆放的杂物")
        hit = page.locator(".hit").first
        expect(hit).to_contain_text("关于开展楼道堆物清理的通知")
        hit.click()
        expect(page.locator(".s.reading")).to_be_visible()
        page.wait_for_function("() => window.kioskPlayer && window.kioskPlayer.audio.currentTime > 0.3", timeout=30_000)
        page.wait_for_timeout(3200)  # long enough to count as listening
        page.goto(editor_server.url + "/search?kiosk=1&q=" + "快递柜收费")  # found nothing: the editors will see it
        expect(page.locator(".empty")).to_be_visible()
        for _ in range(20):  # leaving the document sent its count as a beacon, which may land a moment later
            page.goto(editor_server.url + "/?kiosk=1")
            if page.locator(".popular").count():
                break
            page.wait_for_timeout(250)
        expect(page.locator(".popular")).to_contain_text("关于开展楼道堆物清理的通知")
    finally:
        kiosk.close()

    editor.goto(editor_server.url + "/editor/stats")
    expect(editor.locator("#stops")).to_contain_text("关于开展楼道堆物清理的通知")
    expect(editor.get_by_role("cell", name="快递柜收费")).to_be_visible()
    editor.wait_for_function(
        "() => document.querySelector('#chart-stops') && Chart.getChart(document.querySelector('#chart-stops'))"
    )
    shoot(editor, "statistics")
    with editor.expect_download() as download:
        editor.get_by_role("link", name="⇩ 收听记录 CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "关于开展楼道堆物清理的通知" in text


def test_a_bad_upload_gets_a_message_and_the_list_is_intact(editor, editor_server):
    before = sorted(p.relative_to(editor_server.content).as_posix() for p in editor_server.content.rglob("*.md"))
    editor.goto(editor_server.url + "/editor/upload")
    editor.get_by_label("选择文件").set_input_files(files=[{"name": "空.txt", "mimeType": "text/plain", "buffer": b""}])
    editor.get_by_role("button", name="上传并转换").click()
    expect(editor.get_by_role("alert")).to_contain_text("没有上传")
    shoot(editor, "bad-upload")
    after = sorted(p.relative_to(editor_server.content).as_posix() for p in editor_server.content.rglob("*.md"))
    assert after == before
