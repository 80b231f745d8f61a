"""The kiosk's on-screen keyboard with pinyin candidates, in a real Chromium at 1080×1920 against a real server over
the bundled content: typed letters offer the library's words, a tap searches (or, in a description field, types)."""

from __future__ import annotations

import re

import pytest

from tests.browser_fixtures import KIOSK_VIEWPORT, SCREENSHOTS, build_bundled, live_server

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
BAR = "#candidates .candidate"


@pytest.fixture(scope="module")
def kiosk_server(tmp_path_factory):
    with live_server(build_bundled(tmp_path_factory.mktemp("bundled")), kiosk_mode=True) as running:
        yield running


@pytest.fixture
def kiosk(browser):
    context = browser.new_context(viewport=KIOSK_VIEWPORT, locale="zh-CN", has_touch=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, errors


def type_on_screen(page, letters: str) -> None:
    for key in letters:
        page.locator(f'#keyboard [data-key="{key}"]').tap()


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"kiosk-{name}.png"))


def test_wyf_offers_the_fee_and_a_tap_searches_it(kiosk, kiosk_server):
    """w-y-f shows 物业费 among the first three words, big and above the keys; tapping it searches 物业费."""
    kiosk.goto(kiosk_server.url + "/")
    kiosk.locator("#q").tap()
    type_on_screen(kiosk, "wyf")
    expect(kiosk.locator(BAR).first).to_be_visible()
    first_three = kiosk.locator(BAR).all_inner_texts()[:3]
    assert "物业费" in first_three, first_three
    word = kiosk.locator(BAR, has_text="物业费").first
    box = word.bounding_box()
    assert box["height"] >= 80 and box["width"] >= 80, box  # a target for one finger of an unsteady hand
    assert box["y"] + box["height"] <= kiosk.locator('#keyboard [data-key="q"]').bounding_box()["y"]
    shoot(kiosk, "pinyin-wyf")
    word.tap()
    expect(kiosk.locator("#q")).to_have_value("物业费")
    expect(kiosk).to_have_url(re.compile(r"/search\?q=%E7%89%A9%E4%B8%9A%E8%B4%B9"))  # the characters, not wyf
    expect(kiosk.locator("#results .hit").first).to_contain_text("物业费")
    expect(kiosk.locator(BAR)).to_have_count(0)  # nothing typed is left to offer words for


@pytest.mark.parametrize("letters", ["tsd", "tingshuitingdian"])
def test_initials_and_full_pinyin_of_a_phrase_lead_to_its_text(kiosk, kiosk_server, letters):
    """tsd (停水电, as people shorten it) and tingshuitingdian both offer 停水停电; its search finds the text on
    cutting off water and power to collect fees."""
    kiosk.goto(kiosk_server.url + "/")
    kiosk.locator("#q").tap()
    type_on_screen(kiosk, letters)
    kiosk.locator(BAR, has_text="停水停电").first.tap()
    expect(kiosk.locator("#q")).to_have_value("停水停电")
    expect(kiosk).to_have_url(re.compile(r"/search\?q=%E5%81%9C%E6%B0%B4%E5%81%9C%E7%94%B5"))
    hits = kiosk.locator("#results .hit")
    expect(hits.first).to_be_visible()
    assert any("停水" in text or "停电" in text for text in hits.all_inner_texts()[:3])
    shoot(kiosk, f"pinyin-{letters}-found")


def test_letters_without_a_word_still_search_by_pinyin(kiosk, kiosk_server):
    """Letters the library has no word for leave the bar with its hint, and the letters are searched as before."""
    kiosk.goto(kiosk_server.url + "/")
    kiosk.locator("#q").tap()
    type_on_screen(kiosk, "lsls")
    expect(kiosk.locator("#results .hit").first).to_be_visible()
    expect(kiosk.locator("#q")).to_have_value("lsls")
    type_on_screen(kiosk, "qqq")
    expect(kiosk.locator(BAR)).to_have_count(0)
    expect(kiosk.locator("#candidates")).to_contain_text("打拼音")


def test_in_a_description_field_a_word_is_typed_and_typing_goes_on(kiosk, kiosk_server):
    """The front desk's description (a field marked data-keyboard) gets the keyboard: a tapped word replaces its
    letters and typing goes on after it; the page does not search."""
    kiosk.goto(kiosk_server.url + "/desk/new/dispute")
    describe = kiosk.locator("textarea[name=text]")
    describe.tap()
    expect(kiosk.locator("#keyboard")).to_be_visible()
    type_on_screen(kiosk, "lous")
    kiosk.locator(BAR, has_text="漏水").first.tap()
    type_on_screen(kiosk, "tsd")
    kiosk.locator(BAR, has_text="停水停电").first.tap()
    expect(describe).to_have_value("漏水停水停电")
    expect(kiosk.locator("#q")).to_have_value("")
    assert "/search" not in kiosk.url


@pytest.mark.parametrize("view", ["high-contrast", "large-text"])
def test_the_bar_stays_usable_in_high_contrast_and_large_type(kiosk, kiosk_server, view):
    """In either view the words keep their contrast and size, and the keys do not move when words appear."""
    kiosk.goto(kiosk_server.url + "/")
    kiosk.locator(f'[data-toggle="{view}"]').click()
    kiosk.locator("#q").tap()
    key = kiosk.locator('#keyboard [data-key="q"]')
    before = key.bounding_box()
    type_on_screen(kiosk, "wyf")
    expect(kiosk.locator(BAR).first).to_have_text("物业费")
    assert key.bounding_box() == before, "the keys moved under the finger"
    colours = kiosk.locator(BAR).first.evaluate("b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]")
    assert colours == ["rgb(0, 0, 0)", "rgb(255, 241, 118)"], colours
    bar = kiosk.locator("#candidates").bounding_box()
    for word in kiosk.locator(BAR).all():
        box = word.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= KIOSK_VIEWPORT["width"], "a word is cut off sideways"
        if box["y"] < bar["y"] + bar["height"]:  # in the row shown (the rest wraps out of sight, whole)
            assert bar["y"] <= box["y"] and box["y"] + box["height"] <= bar["y"] + bar["height"], "a word is cut off"
    shoot(kiosk, f"pinyin-{view}")


def test_idle_reset_forgets_what_was_typed_in_any_field(browser, tmp_path):
    """A description typed with the keyboard, the keyboard closed, the page left on the home screen: the idle reset
    still starts afresh, so the next visitor sees neither the text nor its words."""
    with live_server(build_bundled(tmp_path / "var"), kiosk_mode=True, idle_minutes=0.05) as idle_server:  # 3 s
        context = browser.new_context(viewport=KIOSK_VIEWPORT, locale="zh-CN", has_touch=True)
        page = context.new_page()
        try:
            page.goto(idle_server.url + "/")
            page.evaluate("""() => {
                const field = document.createElement("textarea");
                field.id = "describe"; field.dataset.keyboard = "";
                document.getElementById("main").prepend(field);
            }""")
            page.locator("#describe").tap()
            type_on_screen(page, "lous")
            page.locator(BAR, has_text="漏水").first.tap()
            page.locator('#keyboard [data-key="close"]').tap()
            page.wait_for_function("() => !document.getElementById('describe')", timeout=15_000)
            assert page.url == idle_server.url + "/?kiosk=1"
            expect(page.locator(BAR)).to_have_count(0)
            expect(page.locator("#q")).to_have_value("")
        finally:
            context.close()
