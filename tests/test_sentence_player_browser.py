"""The sentence player (static/js/sentence-player.js) in a real Chromium against a real server: the document page and
the course page wait for a sentence by the one retry policy (the hub still voicing it, the network dropped, the phone
offline), play it as soon as it comes, and give up on a sentence that is gone."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.browser_fixtures import PHONE_VIEWPORT, SCREENSHOTS, build_bundled, live_server

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
COURSE = "网格员入门"
PAGES = ["document", "course"]
STATUS = {"document": "#now", "course": "#cp-status"}
PLAY = {"document": '#player [data-action="play"]', "course": '#course-player [data-action="play"]'}
PREPARING = {
    "ok": False,
    "error": "正在准备这一句的声音，请稍等",
    "status": 503,
    "preparing": True,
}  # as the hub says it


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with live_server(build_bundled(tmp_path_factory.mktemp("sentence-player"))) as running:
        yield running


@pytest.fixture(scope="module")
def sentences(server) -> dict[str, tuple[str, list[str]]]:
    """Per page: its path and its sentences' URLs in reading order, as the page's player lists them."""
    with server.app.test_client() as client:
        shelves = client.get("/api/shelves").get_json()["shelves"]
        doc = next(
            d["id"]
            for shelf in shelves
            for volume in shelf["volumes"]
            for d in volume["docs"]
            if len(client.get(f"/api/docs/{d['id']}").get_json()["segments"]) >= 5
        )
        units = client.get(f"/api/courses/{COURSE}").get_json()["course"]["units"]
        return {
            "document": (f"/doc/{doc}", [s["url"] for s in client.get(f"/api/docs/{doc}").get_json()["segments"]]),
            "course": (f"/course/{COURSE}", [s["url"] for unit in units for s in unit["segments"]]),
        }


def voiced(server, url: str) -> None:
    """The hub has voiced this sentence (so what a test measures is the player's waiting, not the voice's)."""
    deadline = time.monotonic() + 60
    with server.app.test_client() as client:
        while client.get(url).status_code == 503:
            assert time.monotonic() < deadline, f"{url} was not voiced within a minute"
            time.sleep(0.2)


@pytest.fixture
def phone(browser):
    """A phone without a service worker (it would answer from its cache), failing the test on a JavaScript error."""
    context = browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN", service_workers="block")
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, errors


def open_player(page, server, path: str) -> None:
    page.goto(server.url + path)
    page.wait_for_function("() => window.kioskPlayer && window.kioskPlayer.segments.length > 0")


def wait_until_sounding(page, i: int) -> None:
    """Sentence i is the one playing, and its clock moves on."""
    page.wait_for_function(
        "i => window.kioskPlayer.current === i && window.kioskPlayer.audio.currentTime > 0.2", arg=i, timeout=30_000
    )


def still_trying(page, kind: str) -> None:
    """Waiting is not stopping: the player still counts as playing (the kiosk waits) and its button says 暂停."""
    assert page.evaluate("() => window.kioskPlayer.playing")
    expect(page.locator(PLAY[kind])).to_have_attribute("aria-label", "暂停")


def shows_the_sentence(page, kind: str) -> None:
    """Once it sounds, the waiting message gives way: to the sentence (document) or to nothing (course)."""
    if kind == "document":
        expect(page.locator("#now")).to_have_text(page.locator(".s.reading").text_content())
    else:
        expect(page.locator("#cp-status")).to_have_text("")


@pytest.mark.parametrize("kind", PAGES)
def test_a_sentence_is_waited_for_through_a_dropped_network_and_the_hub_voicing_it(phone, server, sentences, kind):
    """The first sentence's requests fail (no answer at all), then the hub answers 503 preparing with Retry-After:
    the page says which, keeps asking, and plays the sentence as soon as the hub has it."""
    path, urls = sentences[kind]
    hub: dict[str, Any] = {"state": "dropped", "asked": 0}

    def answer(route):
        hub["asked"] += 1
        if hub["state"] == "dropped":
            route.abort("internetdisconnected")
        elif hub["state"] == "preparing":
            route.fulfill(
                status=503,
                content_type="application/json",
                body=json.dumps(PREPARING),
                headers={"Retry-After": "1", "Cache-Control": "no-store"},
            )
        else:
            route.continue_()

    phone.route(f"**{urls[0]}", answer)
    open_player(phone, server, path)
    phone.locator(PLAY[kind]).click()
    status = phone.locator(STATUS[kind])
    expect(status).to_contain_text("网络不稳，正在重新连接")
    still_trying(phone, kind)
    asked = hub["asked"]
    phone.wait_for_timeout(3_500)  # it asks again after 1 s, then after 2 s more
    assert hub["asked"] >= asked + 2, "it keeps asking while the network is down"

    hub["state"] = "preparing"
    expect(status).to_contain_text("正在准备这一句的声音", timeout=10_000)
    asked = hub["asked"]
    phone.wait_for_timeout(2_000)
    assert hub["asked"] >= asked + 2, "it keeps asking while the hub voices the sentence"
    expect(status).to_contain_text("正在准备这一句的声音")
    still_trying(phone, kind)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SCREENSHOTS / f"phone-{kind}-preparing.png"))

    hub["state"] = "ready"
    wait_until_sounding(phone, 0)
    shows_the_sentence(phone, kind)


@pytest.mark.parametrize("kind", PAGES)
def test_offline_it_waits_and_plays_as_soon_as_the_network_is_back(phone, server, sentences, kind):
    """A phone that lost its network mid-course: the page says so and keeps waiting (however long its pauses between
    tries have grown), and the sentence plays the moment the network is back."""
    path, urls = sentences[kind]
    voiced(server, urls[3])
    open_player(phone, server, path)
    phone.context.set_offline(True)
    phone.evaluate("() => window.kioskPlayer.play(3)")  # not fetched ahead: the page only fetched sentences 0 and 1
    expect(phone.locator(STATUS[kind])).to_contain_text("现在没有网络，网络恢复后接着播放")
    phone.wait_for_timeout(8_000)  # it has asked again after 1, 2 and 4 s; now it waits 8 s before the next try
    still_trying(phone, kind)
    phone.context.set_offline(False)
    back = time.monotonic()
    wait_until_sounding(phone, 3)
    assert time.monotonic() - back < 4, "it tried again when the network came back, not at its next planned try"
    shows_the_sentence(phone, kind)


@pytest.mark.parametrize("kind", PAGES)
def test_a_sentence_that_is_gone_is_given_up_at_once_and_plays_when_asked_again(phone, server, sentences, kind):
    """A 404 (the text was edited since the page opened) is not waited for: the page says so and stops; play, once the
    sentence is there again, plays it (the failed sentence is loaded afresh)."""
    path, urls = sentences[kind]
    hub = {"gone": True}
    phone.route(f"**{urls[0]}", lambda route: route.fulfill(status=404, body="") if hub["gone"] else route.continue_())
    open_player(phone, server, path)
    phone.locator(PLAY[kind]).click()
    expect(phone.locator(STATUS[kind])).to_have_text("这一句暂时放不出来，请稍后再试。", timeout=3_000)
    expect(phone.locator("#toast")).to_have_text("这一句暂时放不出来，请稍后再试。")
    expect(phone.locator(PLAY[kind])).to_have_attribute("aria-label", "播放")
    assert not phone.evaluate("() => window.kioskPlayer.playing")

    hub["gone"] = False
    phone.locator(PLAY[kind]).click()
    wait_until_sounding(phone, 0)
    shows_the_sentence(phone, kind)
