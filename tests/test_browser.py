"""The kiosk and phone pages in a real Chromium against a real server: search, playback, resume, idle reset, QR,
offline."""

from __future__ import annotations

import io
import json
import re
import time
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser_fixtures import KIOSK_VIEWPORT, PHONE_VIEWPORT, SCREENSHOTS, build_bundled, live_server

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
VIEWPORTS = {"kiosk": KIOSK_VIEWPORT, "phone": PHONE_VIEWPORT}
TIMINGS = SCREENSHOTS.parent / "timings.json"
PLAY = '[data-action="play"]'


@pytest.fixture(scope="session")
def bundled(tmp_path_factory):
    """The bundled content, indexed once; audio is rendered on demand by the servers."""
    return build_bundled(tmp_path_factory.mktemp("bundled"))


# Servers and their speech workers stop with this module, so later test modules see no stray worker processes.
@pytest.fixture(scope="module")
def server(bundled):
    """The site as phones see it."""
    with live_server(bundled) as running:
        yield running


@pytest.fixture(scope="module")
def kiosk_server(bundled):
    """The site as the touchscreen sees it (`serve --kiosk`)."""
    with live_server(bundled, kiosk_mode=True) as running:
        yield running


@pytest.fixture(scope="module")
def catalog(server):
    """Every document, shortest first."""
    with server.app.test_client() as client:
        body = client.get("/api/shelves").get_json()
    docs = [d for shelf in body["shelves"] for volume in shelf["volumes"] for d in volume["docs"]]
    return sorted(docs, key=lambda d: d["chars"])


@pytest.fixture(scope="session")
def timings():
    """Numbers for the lead's notes, written to test-artifacts/timings.json at the end."""
    numbers: dict = {}
    yield numbers
    TIMINGS.parent.mkdir(parents=True, exist_ok=True)
    TIMINGS.write_text(json.dumps(numbers, ensure_ascii=False, indent=2), encoding="utf-8")


def open_page(browser, viewport: str):
    """A fresh context (own storage, own service worker) and a page that fails the test on a JavaScript error."""
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="zh-CN", has_touch=viewport == "kiosk")
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return context, page


@pytest.fixture
def kiosk(browser):
    context, page = open_page(browser, "kiosk")
    yield page
    context.close()
    assert not page.errors, page.errors


@pytest.fixture
def phone(browser):
    context, page = open_page(browser, "phone")
    yield page
    context.close()
    assert not page.errors, page.errors


def shoot(page, viewport: str, name: str, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{viewport}-{name}.png"), full_page=full_page)


def assert_fits_width(page, what: str) -> None:
    """Nothing sticks out sideways (a phone would scroll the whole page left and right)."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{what}: {overflow}px wider than the screen"


def wait_for_segments(page) -> None:
    page.wait_for_function("() => window.kioskPlayer && window.kioskPlayer.segments.length > 0")


def wait_until_sounding(page, timeout: float = 30_000) -> None:
    """The player's audio is really playing: its clock has started and then moves on (or the next sentence began)."""
    page.wait_for_function("() => window.kioskPlayer && window.kioskPlayer.audio.currentTime > 0", timeout=timeout)
    start = page.evaluate("[window.kioskPlayer.current, window.kioskPlayer.audio.currentTime]")
    page.wait_for_function(
        "([i, t]) => window.kioskPlayer.current > i || window.kioskPlayer.audio.currentTime > t + 0.2",
        arg=start,
        timeout=timeout,
    )


def reading(page) -> dict:
    """The highlighted sentence and the segment the player is on."""
    return page.evaluate("""() => {
        const span = document.querySelector('.s.reading');
        const seg = window.kioskPlayer.segments[window.kioskPlayer.current];
        return {p: span && span.dataset.p, i: span && Number(span.dataset.i),
                count: document.querySelectorAll('.s.reading').length,
                segment: seg && {passage: seg.passage, index: seg.index, url: seg.url},
                src: window.kioskPlayer.audio.src};
    }""")


@pytest.mark.parametrize("how", ["letters", "chip"])
def test_kiosk_keyboard_search_opens_and_plays_the_hit(kiosk, kiosk_server, how):
    """Tap w-y-f (or a topic chip) on the screen keyboard, tap the first hit: it reads aloud from the hit's passage."""
    kiosk.goto(kiosk_server.url + "/")
    kiosk.locator("#q").tap()
    expect(kiosk.locator("#keyboard")).to_be_visible()
    if how == "letters":
        for key in "wyf":
            kiosk.locator(f'#keyboard [data-key="{key}"]').tap()
        expect(kiosk.locator("#q")).to_have_value("wyf")
        hit = kiosk.locator("#results .hit").first
    else:
        kiosk.locator('#keyboard [data-topic="维修资金"]').tap()
        hit = kiosk.locator('#results .hit[href*="p=p"]').first  # a hit inside the text, not the whole document
    expect(hit).to_be_visible()
    # The results are not hidden under the keyboard: the first hit sits above it.
    assert hit.bounding_box()["y"] + hit.bounding_box()["height"] < kiosk.locator("#keyboard").bounding_box()["y"]
    href = hit.get_attribute("href")
    assert "kiosk=1" in href and "play=1" in href
    passage = parse_qs(urlparse(href).query).get("p", ["title"])[0]
    hit.tap()
    kiosk.wait_for_url("**/doc/**")
    wait_until_sounding(kiosk)
    now = reading(kiosk)
    assert now["count"] == 1
    assert now["segment"]["passage"] == passage == now["p"]
    assert now["src"].endswith(now["segment"]["url"]) or now["segment"]["index"] > 0


@pytest.mark.parametrize("viewport", ["kiosk", "phone"])
def test_a_question_leads_with_one_answer_ready_to_play(browser, server, kiosk_server, viewport):
    """A question's page (the kiosk's as rendered, the phone's as typed) opens with the best passage, big, above the
    fold and ready to play; the rest follow under their own heading. Tapping it reads that passage aloud."""
    context, page = open_page(browser, viewport)
    try:
        if viewport == "kiosk":
            page.goto(kiosk_server.url + "/search?q=" + "物业服务太差了能不能不交物业费" + "&kiosk=1")
        else:
            page.goto(server.url + "/")
            page.locator("#q").fill("物业服务太差了能不能不交物业费")
        lead = page.locator("#results .answer .hit.lead")
        expect(lead).to_be_visible()
        expect(lead.locator(".play-answer")).to_have_text("▶ 听这一条")
        assert page.locator("#results .hit").first.get_attribute("class") == "hit lead"
        expect(page.locator("#results .more-hits")).to_have_text("其他相关内容")
        box = lead.bounding_box()
        assert box["y"] + box["height"] <= VIEWPORTS[viewport]["height"], "the answer is below the fold"
        assert page.locator("#results .hits .hit").count() >= 1
        href = lead.get_attribute("href")
        assert "play=1" in href and ("kiosk=1" in href) == (viewport == "kiosk")
        shoot(page, viewport, "search-answer")
        lead.click()
        page.wait_for_url("**/doc/**")
        wait_until_sounding(page)
        assert reading(page)["segment"]["passage"] == parse_qs(urlparse(href).query)["p"][0]
    finally:
        context.close()
    assert not page.errors, page.errors


def test_speed_applies_and_persists(phone, server, catalog):
    """1.5× is applied to the audio and still chosen after a reload."""
    phone.goto(f"{server.url}/doc/{catalog[1]['id']}")
    wait_for_segments(phone)
    phone.select_option("#speed", "1.5")
    phone.locator(PLAY).click()
    wait_until_sounding(phone)
    assert phone.evaluate("window.kioskPlayer.audio.playbackRate") == 1.5
    phone.reload()
    wait_for_segments(phone)
    expect(phone.locator("#speed")).to_have_value("1.5")
    phone.locator(PLAY).click()
    wait_until_sounding(phone)
    assert phone.evaluate("window.kioskPlayer.audio.playbackRate") == 1.5


def test_resume_after_reload_marks_the_same_sentence(phone, server, catalog):
    """Play, skip ahead a few sentences, pause, reload: the player is where the listener stopped."""
    phone.goto(f"{server.url}/doc/{catalog[2]['id']}")
    wait_for_segments(phone)
    phone.locator(PLAY).click()
    wait_until_sounding(phone)
    for _ in range(3):
        before = phone.evaluate("window.kioskPlayer.current")
        phone.locator('[data-action="next"]').click()
        phone.wait_for_function("i => window.kioskPlayer.current > i", arg=before)
    phone.locator(PLAY).click()  # pause
    stopped = reading(phone)
    assert stopped["segment"]["passage"] == stopped["p"] and stopped["count"] == 1
    assert phone.evaluate("window.kioskPlayer.current") >= 3
    phone.reload()
    wait_for_segments(phone)
    expect(phone.locator(".s.reading")).to_have_count(1)
    again = reading(phone)
    assert (again["p"], again["i"]) == (stopped["p"], stopped["i"])
    assert again["segment"] == stopped["segment"]


def test_idle_reset_on_kiosk_forgets_the_visitor(browser, bundled):
    """After the idle time the kiosk goes home and forgets search, place and settings; while it reads aloud it waits
    longer, but a visitor who walked away does not leave it reading to the next one."""
    with live_server(
        bundled, kiosk_mode=True, idle_minutes=0.05, listening_idle_minutes=0.2
    ) as idle_server:  # 3 s, 12 s
        context, page = open_page(browser, "kiosk")
        try:
            page.goto(idle_server.url + "/")
            page.locator("#q").tap()
            for key in "wyf":
                page.locator(f'#keyboard [data-key="{key}"]').tap()
            page.locator("#results .hit").first.tap()
            touched = time.monotonic()
            page.wait_for_url("**/doc/**")
            wait_until_sounding(page)
            page.wait_for_timeout(4_000)  # longer than the idle time, but someone is listening
            assert "/doc/" in page.url
            assert page.evaluate("localStorage.length") > 0
            page.wait_for_url(idle_server.url + "/?kiosk=1", timeout=30_000)  # still reading, nobody touched it
            assert time.monotonic() - touched >= 12
            assert page.evaluate("localStorage.length") == 0
            expect(page.locator("#q")).to_have_value("")
            expect(page.locator("#continue")).to_be_hidden()
            expect(page.locator("#keyboard")).to_be_hidden()
            assert not page.errors, page.errors
        finally:
            context.close()


def test_document_qr_decodes_to_the_document_link(phone, server, catalog):
    """The QR on the page, read from a screenshot, is this document's address (with the passage when one was asked
    for)."""
    zxingcpp = pytest.importorskip("zxingcpp")
    image = pytest.importorskip("PIL.Image")
    doc = catalog[0]["id"]
    with server.app.test_client() as client:
        passage = client.get(f"/api/docs/{doc}").get_json()["document"]["passages"][3]["id"]
    for query in ("", f"?p={passage}"):
        phone.goto(f"{server.url}/doc/{doc}{query}")
        qr = phone.locator(".qr")
        qr.scroll_into_view_if_needed()
        found = zxingcpp.read_barcodes(image.open(io.BytesIO(qr.screenshot())))
        assert len(found) == 1 and found[0].format == zxingcpp.BarcodeFormat.QRCode
        link = found[0].text
        assert link == qr.get_attribute("data-link")
        assert urlparse(link).path == f"/doc/{doc}"
        assert urlparse(link).port == urlparse(server.url).port
        assert parse_qs(urlparse(link).query).get("p") == ([passage] if query else None)


def test_kiosk_hands_the_sentence_being_read_to_a_phone(kiosk, kiosk_server, catalog):
    """用手机接着听 shows a QR of this document at the sentence being read; the phone opens it there, playing."""
    zxingcpp = pytest.importorskip("zxingcpp")
    image = pytest.importorskip("PIL.Image")
    doc = catalog[2]["id"]
    kiosk.goto(f"{kiosk_server.url}/doc/{doc}?kiosk=1")
    wait_for_segments(kiosk)
    sentence = kiosk.locator(".passages .s").nth(3)
    sentence.tap()
    wait_until_sounding(kiosk)
    now = reading(kiosk)
    kiosk.locator('[data-action="handoff"]').tap()
    dialog = kiosk.locator("#handoff")
    expect(dialog).to_be_visible()
    kiosk.wait_for_function(
        "() => document.querySelector('#handoff img').complete && "
        "document.querySelector('#handoff img').naturalWidth > 0"
    )
    shoot(kiosk, "kiosk", "handoff")
    found = zxingcpp.read_barcodes(image.open(io.BytesIO(dialog.locator("img").screenshot())))
    assert len(found) == 1
    link = urlparse(found[0].text)
    assert (link.path, link.port) == (f"/doc/{doc}", urlparse(kiosk_server.url).port)
    query = parse_qs(link.query)
    assert query["p"] == [now["segment"]["passage"]] and query["play"] == ["1"]
    assert int(query.get("i", ["0"])[0]) == now["segment"]["index"]
    kiosk.locator('[data-action="close-handoff"]').tap()
    expect(dialog).to_be_hidden()


def test_bookmarks_are_listed_on_home_and_can_be_removed(phone, server, catalog):
    """The bookmark button and a long press each keep a sentence; home lists them; delete removes them."""
    phone.goto(f"{server.url}/doc/{catalog[3]['id']}")
    wait_for_segments(phone)
    phone.locator(".passages .s").nth(2).click()
    bookmark = phone.locator('[data-action="bookmark"]')
    bookmark.click()
    expect(bookmark).to_have_attribute("aria-pressed", "true")
    expect(phone.locator(".s.bookmarked")).to_have_count(1)
    phone.locator(".passages .s").nth(5).dispatch_event("contextmenu")  # what a long press fires on a phone
    expect(phone.locator(".s.bookmarked")).to_have_count(2)
    texts = phone.locator(".s.bookmarked").all_text_contents()
    phone.goto(server.url + "/")
    items = phone.locator("#bookmarks li")
    expect(items).to_have_count(2)
    for text in texts:
        expect(phone.locator("#bookmarks")).to_contain_text(text[:12])
    items.first.locator("a").click()
    phone.wait_for_url("**/doc/**")
    wait_until_sounding(phone)
    phone.goto(server.url + "/")
    phone.locator("#bookmarks .remove").first.click()
    phone.locator("#bookmarks .remove").first.click()
    expect(phone.locator("#bookmarks")).to_be_hidden()


TAP_TO_SOUND = """() => new Promise((resolve) => {
    const audio = window.kioskPlayer.audio, t0 = performance.now();
    const check = () => audio.currentTime > 0 ? resolve(performance.now() - t0) : setTimeout(check, 5);
    document.querySelector('[data-action="play"]').click(); check();
})"""
# Milliseconds from the tap on a search hit (kept in sessionStorage across the page change) to each step and to sound.
BREAKDOWN = """() => {
    const tap = Number(sessionStorage.getItem('tap')) - performance.timeOrigin;
    const nav = performance.getEntriesByType('navigation')[0];
    const first = (re) => performance.getEntriesByType('resource').find((e) => re.test(e.name));
    const api = first(/\\/api\\/docs\\//), audio = first(/\\/audio\\//);
    const at = (t) => Math.round(t - tap);
    return {page_received: at(nav.responseEnd), page_ready: at(nav.domContentLoadedEventEnd),
            api_received: api && at(api.responseEnd), audio_requested: audio && at(audio.startTime),
            audio_received: audio && at(audio.responseEnd), sound: at(performance.now())};
}"""


def test_play_start_latency(kiosk, phone, kiosk_server, server, bundled, catalog, timings, capsys):
    """Time to sound on documents nobody opened yet; printed and kept in test-artifacts/timings.json."""
    # 1. A phone, page open: tap play.
    phone.goto(f"{server.url}/doc/{catalog[-1]['id']}")
    wait_for_segments(phone)
    tap_play = phone.evaluate(TAP_TO_SOUND)
    # 2. The kiosk: tap a topic, tap the hit; the document opens with ?play=1.
    kiosk.goto(kiosk_server.url + "/")
    kiosk.locator("#q").tap()
    kiosk.locator('#keyboard [data-topic="高空抛物"]').tap()
    hit = kiosk.locator("#results .hit").first
    expect(hit).to_be_visible()
    kiosk.evaluate(
        "() => document.addEventListener('pointerdown', () => sessionStorage.setItem('tap', "
        "String(performance.timeOrigin + performance.now())), {capture: true})"
    )
    hit.tap()
    kiosk.wait_for_url("**/doc/**")
    kiosk.wait_for_function("() => window.kioskPlayer && window.kioskPlayer.audio.currentTime > 0", timeout=30_000)
    steps = kiosk.evaluate(BREAKDOWN)
    # 3. The first listener after the server started: the speech worker process is not running yet.
    with live_server(bundled) as fresh:
        context, page = open_page(kiosk.context.browser, "phone")
        try:
            page.goto(f"{fresh.url}/doc/{catalog[-2]['id']}")
            wait_for_segments(page)
            cold_play = page.evaluate(TAP_TO_SOUND)
        finally:
            context.close()
    timings.update(
        tap_play_to_sound_ms=round(tap_play),
        kiosk_tap_hit_steps_ms=steps,
        first_play_after_server_start_ms=round(cold_play),
    )
    with capsys.disabled():
        print(
            f"\n  time to sound, uncached documents: tap play on an open page {tap_play:.0f} ms; "
            f"kiosk tap on a hit {steps['sound']} ms {steps}; first play after server start {cold_play:.0f} ms"
        )
    assert tap_play < 5_000 and steps["sound"] < 10_000


def test_home_page_transfer_is_small(phone, server, timings, capsys):
    """What a first visit to the home page costs, including what the service worker fetches to work offline:
    < 300 KB."""
    requests = []
    phone.on("requestfinished", lambda request: requests.append(request))
    phone.goto(server.url + "/", wait_until="networkidle")
    phone.evaluate("navigator.serviceWorker.ready")
    page_bytes = sum(r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"] for r in requests)
    # The service worker's own requests are not reported to the page: count its install fetches from the server.
    with server.app.test_client() as client:
        worker = client.get("/sw.js").get_data()
        shell_files = re.search(r"SHELL_FILES = \[(.*?)\]", worker.decode(), re.S)
        assert shell_files is not None, "sw.js lists its SHELL_FILES"
        shell = shell_files.group(1)
        worker_bytes = len(worker) + sum(len(client.get(path).get_data()) for path in re.findall(r'"([^"]+)"', shell))
    total = page_bytes + worker_bytes
    timings.update(home_page_bytes=page_bytes, home_page_requests=len(requests), home_service_worker_bytes=worker_bytes)
    with capsys.disabled():
        print(
            f"\n  home page first visit: {len(requests)} requests, {page_bytes / 1024:.1f} KB; "
            f"service worker and its offline copy {worker_bytes / 1024:.1f} KB; total {total / 1024:.1f} KB"
        )
    assert total < 300 * 1024


def test_download_then_listen_offline(browser, server, catalog):
    """Download a document on the phone, go offline: the page, the text and every sentence still play from the cache."""
    context, page = open_page(browser, "phone")
    try:
        doc = catalog[0]
        page.goto(f"{server.url}/doc/{doc['id']}")
        page.evaluate("navigator.serviceWorker.ready")
        wait_for_segments(page)
        sentences = page.evaluate("new Set(window.kioskPlayer.segments.map(s => s.url)).size")
        page.locator("#download").click()
        expect(page.locator("#download-status")).to_contain_text("正在下载")
        shoot(page, "phone", "downloading")
        expect(page.locator("#download-status")).to_contain_text("已下载", timeout=180_000)
        expect(page.locator("#download")).to_have_text("删除下载")
        cached = page.evaluate("id => caches.open('doc:' + id).then(c => c.keys()).then(k => k.length)", doc["id"])
        assert cached == sentences + 2  # the page, its JSON and every MP3
        mp3 = page.request.get(server.url + page.locator("a[download]").get_attribute("href"))  # for any player
        assert mp3.ok and mp3.headers["content-type"] == "audio/mpeg" and len(mp3.body()) > 10_000
        page.goto(server.url + "/")
        expect(page.locator("#downloads li")).to_have_count(1)
        expect(page.locator("#downloads")).to_contain_text(doc["title"])
        expect(page.locator("#downloads")).to_contain_text("MB")
        shoot(page, "phone", "downloads", full_page=True)

        context.set_offline(True)
        from_worker = []
        page.on("response", lambda r: from_worker.append(r.from_service_worker) if "/audio/" in r.url else None)
        page.goto(f"{server.url}/doc/{doc['id']}")
        wait_for_segments(page)
        expect(page.locator("#offline-banner")).to_be_visible()
        page.locator(PLAY).click()
        wait_until_sounding(page)
        page.locator('[data-action="next"]').click()
        wait_until_sounding(page)
        assert from_worker and all(from_worker)
        shoot(page, "phone", "offline-document")
        page.goto(server.url + "/shelf/有声党建")  # not downloaded: home stands in, listing what is
        expect(page.locator("#downloads li")).to_have_count(1)

        context.set_offline(False)
        page.goto(server.url + "/")
        page.locator("#downloads .remove").click()
        expect(page.locator("#downloads")).to_be_hidden()
        assert not page.evaluate("id => caches.has('doc:' + id)", doc["id"])
        assert not page.errors, page.errors
    finally:
        context.close()


SCREENS = {
    "home": "/",
    "shelf": "/shelf/有声物业",
    "search": "/search?q=维修资金",
    "nothing-found": "/search?q=zzqqxx",
    "error": "/doc/no-such-document",
}


@pytest.mark.parametrize("viewport", ["kiosk", "phone"])
def test_screenshots_of_every_main_screen(browser, server, kiosk_server, catalog, viewport):
    """Pictures of each screen for people to look at; also checks the fixed player never hides the end of the text."""
    site = kiosk_server if viewport == "kiosk" else server
    context, page = open_page(browser, viewport)
    try:
        for name, path in SCREENS.items():
            page.goto(site.url + path)
            assert_fits_width(page, name)
            shoot(page, viewport, name, full_page=name == "home")
        page.goto(f"{site.url}/doc/{catalog[4]['id']}")
        wait_for_segments(page)
        page.locator(PLAY).click()
        wait_until_sounding(page)
        shoot(page, viewport, "document-player")
        page.locator(PLAY).click()
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        page.wait_for_timeout(300)
        qr = page.locator(".qr").bounding_box()
        assert qr["y"] + qr["height"] <= page.locator("#player").bounding_box()["y"], "the player covers the QR code"
        shoot(page, viewport, "document-end")
        page.locator('[data-action="bookmark"]').click()
        page.goto(site.url + "/")
        expect(page.locator("#continue")).to_be_visible()
        expect(page.locator("#bookmarks li")).to_have_count(1)
        shoot(page, viewport, "home-returning", full_page=True)
        page.go_back()
        wait_for_segments(page)
        page.locator('[data-toggle="high-contrast"]').click()
        page.locator('[data-toggle="large-text"]').click()
        assert_fits_width(page, "document in large text")
        shoot(page, viewport, "document-large-high-contrast")
        if viewport == "kiosk":
            page.goto(site.url + "/")
            page.locator("#q").tap()
            for key in "wy":
                page.locator(f'#keyboard [data-key="{key}"]').tap()
            expect(page.locator("#results .hit").first).to_be_visible()
            shoot(page, viewport, "keyboard-open")
        assert not page.errors, page.errors
    finally:
        context.close()
