"""Hostile input at every door: path traversal, markup in texts, queries, file names and readings, oversized and
malformed requests, floods. Never a file from outside the content, never markup that runs, never a 500, and the
security headers on every kind of response. Counts of the hostile requests are printed at the end of the run."""

from __future__ import annotations

import base64
import copy
import http.client
import io
import json
import re
import shutil
import socket
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pytest
from docx import Document as WordDocument
from flask import Flask
from markupsafe import escape
from werkzeug.test import TestResponse

from indexer.content.importing import MAX_DOCX_ELEMENTS, MAX_DOCX_UNZIPPED_BYTES, MAX_PDF_PAGES, compose_markdown
from indexer.content.parse import MAX_PASSAGES, document_id
from indexer.speech.audio_cache import AudioCache
from indexer.speech.mp3 import encode_mp3
from kiosk.city import hub_report
from kiosk.city.database import CityDB
from kiosk.desk import events as desk_events
from kiosk.desk.database import DeskDB
from kiosk.hubs import messages
from kiosk.hubs.messages import signed_headers
from kiosk.settings import DEFAULT_HUB_NAME
from kiosk.web import limits
from kiosk.web.security import HEADERS
from tests.browser_fixtures import KIOSK_VIEWPORT, SCREENSHOTS, LiveServer, sign_in_with_the_form

from .sites import (
    TEST_CONTENT,
    TEST_PASSWORD,
    AppMaker,
    EditorSession,
    enrolled_hub,
    hub_signing_key,
    list_community,
    signed_in_as,
)

SCRIPT, ATTRIBUTE, JS_URL = "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)"
MARKUP = (SCRIPT, ATTRIBUTE)  # what must never reach a page as it is
RUNS = re.compile(r"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I)
CANARY = "越界的秘密-canary-7f3a"
LEAKS = ("root:x:0:0", "PROJECT_ROOT", CANARY, "-----BEGIN")  # /etc/passwd, kiosk/settings.py, outside/secret.md
MARKED_SOURCE = "政策法规/标记.md"
MARKED_TITLE = f"{SCRIPT}标记{ATTRIBUTE}"
MARKED = document_id(MARKED_SOURCE)
KEY = "ab" * 20  # a sentence's MP3 already in the cache, for the Range requests
TRIED: Counter[str] = Counter()
WORD_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


class HostileSummary:
    """Prints how many hostile requests of each kind were sent (a 500 among them fails its test)."""

    def pytest_terminal_summary(self, terminalreporter):
        if TRIED:
            terminalreporter.write_sep("-", f"hostile requests sent: {sum(TRIED.values())}")
            for kind, count in sorted(TRIED.items()):
                terminalreporter.write_line(f"{kind}: {count}")


@pytest.fixture(scope="module", autouse=True)
def summary(request):
    if not request.config.pluginmanager.has_plugin("hostile-summary"):
        request.config.pluginmanager.register(HostileSummary(), "hostile-summary")


def problem(response, json_route: bool = False) -> str | None:
    """What is wrong with the answer to a hostile request: a 500, a missing security header, another error shape."""
    if response.status_code >= 500:
        return f"{response.status_code}: {response.get_data(as_text=True)[:200]}"
    missing = [name for name, value in HEADERS.items() if response.headers.get(name) != value]
    if missing:
        return f"missing {missing}"
    if json_route and response.status_code >= 400:
        body = response.get_json(silent=True) or {}
        body = {key: value for key, value in body.items() if key != "refused"}  # a hub message's refusal says why
        if body != {"ok": False, "error": body.get("error"), "status": response.status_code} or not re.search(
            r"[\u4e00-\u9fff]", body["error"] or ""
        ):
            return f"not the one error shape in Chinese: {body}"
    return None


def answered(kind: str, response, json_route: bool = False):
    """A hostile request's response, counted: below 500, every security header, for API routes the error shape."""
    TRIED[kind] += 1
    found = problem(response, json_route)
    assert found is None, (kind, found)
    return response


def text_of(response) -> str:
    return response.get_data(as_text=True)


def assert_inert(page: str, where: str) -> None:
    """No payload as it was written, no javascript: link."""
    for payload in MARKUP:
        assert payload not in page, (where, payload)
    runs = RUNS.search(page)
    assert not runs, (where, runs.group())


def assert_no_leak(body: str, where: str) -> None:
    for secret in LEAKS:
        assert secret not in body, (where, secret)


def assert_error_shape(response, status: int) -> None:
    assert response.status_code == status and problem(response, json_route=True) is None, response.get_json()


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A writable copy of the test content holding a text full of markup and a link to ../outside/secret.md."""
    root = tmp_path_factory.mktemp("hostile")
    content, outside = root / "content", root / "outside"
    shutil.copytree(TEST_CONTENT, content)
    outside.mkdir()
    (outside / "secret.md").write_text(f"---\ntitle: 外面的文件\n---\n\n{CANARY}，不应出现在展示端。\n")
    (content / "政策法规" / "外链.md").symlink_to(outside / "secret.md")
    (content / MARKED_SOURCE).write_text(
        compose_markdown(
            {"title": MARKED_TITLE, "collection": "政策法规", "tags": [SCRIPT], "source": JS_URL, "summary": ATTRIBUTE},
            f"## {SCRIPT}小标题\n\n第一条 {ATTRIBUTE}标记的正文，[点我]({JS_URL})。\n\n{SCRIPT}另一段标记。",
        ),
        encoding="utf-8",
    )
    return content


@pytest.fixture(scope="module")
def outside(content: Path) -> Path:
    """The folder beside the content root, which nothing may read or write."""
    return content.parent / "outside"


@pytest.fixture(scope="module")
def app(make_module_app: AppMaker, content: Path) -> Flask:
    """The app over that content (its data dir beside it), with the admin's account and one sentence's MP3 in the
    cache for the Range requests."""
    app = make_module_app(content=(content,), data=content.parent / "var", build=True, accounts=("admin",))
    AudioCache(app.extensions["kiosk"].data.audio).write(KEY, encode_mp3(np.zeros(24000, dtype=np.int16), 24000))
    return app


@pytest.fixture(scope="module")
def admin(app: Flask) -> EditorSession:
    """Signed in once for the module: every sign-in counts against the address's allowance."""
    return signed_in_as(app, "admin")


def sign_in_from(
    session: EditorSession, address: str, name: str = "管理员", password: str = TEST_PASSWORD
) -> TestResponse:
    """The sign-in form sent from this address."""
    return session.sign_in(name, password, environ_base={"REMOTE_ADDR": address})


def outside_files(outside: Path) -> set[str]:
    return {p.name for p in outside.rglob("*")}


# -- path traversal ---------------------------------------------------------------------------------

TRAVERSALS = [
    "../../../../etc/passwd",
    "..%2f..%2f..%2f..%2fetc%2fpasswd",
    "%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%252e%252e%252f%252e%252e%252fetc%252fpasswd",
    "..%00/..%00/etc/passwd",
    "%00",
    "settings.py%00.css",
    "/etc/passwd",
    "//etc/passwd",
    "..\\..\\..\\..\\etc\\passwd",
    "..%5c..%5c..%5c..%5cetc%5cpasswd",
    "....//....//....//etc/passwd",
    "%c0%ae%c0%ae%c0%af%c0%ae%c0%ae%c0%afetc/passwd",
    "..;/..;/etc/passwd",
    "a/../../../../etc/passwd",
    "../kiosk/settings.py",
    "%2e%2e/kiosk/settings.py",
    ".%2e/kiosk/settings.py",
    "../../outside/secret.md",
    "政策法规/外链.md",
    "%E6%94%BF%E7%AD%96%E6%B3%95%E8%A7%84/%E5%A4%96%E9%93%BE.md",
]
FILE_ROUTES = [
    "/static/{}",
    "/static/css/{}",
    "/audio/{}.mp3",
    "/api/docs/{}",
    "/api/docs/{}/audio.mp3",
    "/doc/{}",
    "/doc/{}/qr.svg",
    "/shelf/{}",
    "/editor/stats/{}.csv",
    "/market/photos/{}.jpg",
]


@pytest.mark.parametrize("route", FILE_ROUTES)
def test_no_route_serves_a_file_from_outside(client, admin, route):
    for traversal in TRAVERSALS:
        asking = admin.client if route.startswith("/editor") else client
        response = answered(
            "traversal in a path",
            asking.get(route.format(traversal)),
            json_route=route.startswith(("/api/", "/audio/")),
        )
        assert_no_leak(text_of(response), route.format(traversal))


@pytest.mark.parametrize("route", ["/editor/edit", "/editor/history"])
def test_editor_pages_open_no_source_outside_the_content_root(admin, route):
    for traversal in [*TRAVERSALS, "/etc/passwd.md", "../outside/secret.md", "政策法规/../../outside/secret.md"]:
        for source in {traversal, traversal.replace("%", "%25")}:
            response = answered("traversal in an editor source", admin.get(route, query_string={"source": source}))
            assert response.status_code in (400, 404), (source, response.status_code)
            assert_no_leak(text_of(response), source)


def test_editor_writes_and_deletes_nothing_outside(admin, outside):
    before = outside_files(outside)
    for traversal in [*TRAVERSALS, "../outside/new.md", "政策法规/../../outside/new.md", "/tmp/new.md"]:
        fields = {"source": traversal, "is_new": "1", "title": "越界", "collection": "政策法规", "body": "正文。"}
        saved = answered("traversal in a save", admin.post("/editor/save", fields))
        assert saved.status_code in (302, 400)  # a name made of % signs is just a name, inside the folder
        deleted = answered("traversal in a delete", admin.post("/editor/delete", {"source": traversal}))
        assert deleted.status_code in (302, 400, 404)
    assert outside_files(outside) == before and (outside / "secret.md").is_file()


def test_a_link_out_of_the_content_root_is_never_read(client, admin):
    """The build skips it, the editor refuses it, search never finds what it points to."""
    assert CANARY not in text_of(answered("outside link", client.get("/api/search", query_string={"q": "秘密 canary"})))
    assert CANARY not in text_of(answered("outside link", client.get("/search", query_string={"q": "canary"})))
    assert "外面的文件" not in text_of(answered("outside link", client.get("/api/shelves")))
    assert answered("outside link", client.get(f"/doc/{document_id('政策法规/外链.md')}")).status_code == 404
    listing = text_of(answered("outside link", admin.get("/editor/")))
    assert "外链.md" not in listing and CANARY not in listing
    edit = answered("outside link", admin.get("/editor/edit", query_string={"source": "政策法规/外链.md"}))
    assert edit.status_code == 400 and CANARY not in text_of(edit)


UPLOAD_NAMES = [
    "../../../../etc/passwd.txt",
    "..\\..\\..\\outside\\x.md",
    "/etc/passwd.md",
    "a\x00.md",
    "%2e%2e%2fx.md",
    f"{SCRIPT}.md",
    f"{ATTRIBUTE}.txt",
    f"{JS_URL}.txt",
    "C:\\Windows\\win.ini.txt",
    "....//x.md",
]


def test_upload_names_are_only_shown_and_escaped(admin, outside):
    before = outside_files(outside)
    for name in UPLOAD_NAMES:
        response = answered(
            "upload name",
            admin.post(
                "/editor/upload",
                {"file": (io.BytesIO("通知\n\n各位业主：本周三停水。".encode()), name), "collection": "政策法规"},
                content_type="multipart/form-data",
            ),
        )
        assert response.status_code in (200, 400), name
        assert_inert(text_of(response), name)
    assert outside_files(outside) == before


def test_bulk_import_copies_nothing_from_outside_and_writes_nothing_outside(app, admin, content, outside, tmp_path):
    stick = tmp_path / "U盘"
    stick.mkdir()
    (stick / "通知.md").write_text("---\ntitle: 停水通知\n---\n\n本周三停水。\n", encoding="utf-8")
    (stick / "泄露.md").symlink_to(outside / "secret.md")
    (stick / "metadata.json").symlink_to(outside / "secret.md")
    importer = app.extensions["editor"].importer
    stages: Counter[str] = Counter()
    for folder in ["../../outside", "..", "a/../../b", "/etc", "x\x00y", "..\\..", "%2e%2e"]:
        answered("import folder", admin.post("/editor/import", {"source": str(stick), "folder": folder}))
        deadline = time.monotonic() + 120
        while importer.job.running and time.monotonic() < deadline:
            time.sleep(0.05)
        stages[importer.job.stage] += 1
        if importer.job.stage == "done":  # a name that is only odd ("etc", "%2e%2e") lands inside the root
            copied = content / importer.job.folder
            assert copied.resolve().is_relative_to(content.resolve()), folder
            assert not (copied / "泄露.md").exists() and any("泄露.md" in f for f in importer.job.failures)
        else:
            assert importer.job.stage == "failed" and "不可用" in importer.job.summary, (folder, importer.job)
    assert stages["done"] and stages["failed"]
    assert outside_files(outside) == {"secret.md"}
    assert CANARY not in "".join(
        p.read_text(encoding="utf-8", errors="replace") for p in content.rglob("*.md") if not p.is_symlink()
    )


# -- markup in texts, queries, names, readings ----------------------------------------------------------


def test_markup_in_a_text_is_shown_as_text_on_every_page(client, admin):
    client.post(
        "/api/usage", json={"kind": "listen", "doc": MARKED, "seconds": 40, "passage": "p", "position": 1, "total": 3}
    )  # so the home page lists it among the most heard
    for url in [
        "/",
        "/shelf/政策法规",
        f"/doc/{MARKED}",
        f"/doc/{MARKED}?p={quote(ATTRIBUTE)}",
        "/search?q=标记",
        "/search?q=小标题",
        f"/api/docs/{MARKED}",
        "/editor/",
        f"/editor/edit?source={quote(MARKED_SOURCE)}",
        f"/editor/history?source={quote(MARKED_SOURCE)}",
        "/editor/stats",
        f"/editor/stats?doc={MARKED}",
    ]:
        asking = admin.client if url.startswith("/editor") else client
        page = answered("markup in a text", asking.get(url))
        assert page.status_code == 200, url
        if page.mimetype != "application/json":  # JSON is data, sent with nosniff: the scripts insert it as text
            assert_inert(text_of(page), url)
    assert str(escape(MARKED_TITLE)) in text_of(client.get("/"))  # there, as text
    hits = client.get("/api/search", query_string={"q": "标记"}).get_json()["hits"]
    assert any(hit["doc"] == MARKED for hit in hits)
    assert all("<script" not in hit["snippet"] and "<img" not in hit["snippet"] for hit in hits)


@pytest.mark.parametrize("payload", [SCRIPT, ATTRIBUTE, JS_URL, f"{SCRIPT}物业费", "'><svg onload=alert(1)>"])
def test_markup_in_a_search_is_escaped_in_the_page_the_api_and_the_statistics(client, admin, payload):
    page = answered("markup in a query", client.get("/search", query_string={"q": payload}))
    assert_inert(text_of(page), payload)
    api = answered("markup in a query", client.get("/api/search", query_string={"q": payload}))
    assert api.mimetype == "application/json" and api.get_json()["ok"]
    answered("markup in a query", client.post("/api/usage", json={"kind": "search", "q": payload, "hits": 0}))
    assert_inert(text_of(answered("markup in a query", admin.get("/editor/stats"))), payload)
    assert_inert(
        text_of(answered("markup in a query", admin.get("/editor/new", query_string={"title": payload}))), payload
    )


def test_markup_in_a_title_saved_in_the_editor_is_escaped_in_its_flash_history_and_trash(admin):
    fields = {"is_new": "1", "title": f"新{ATTRIBUTE}{SCRIPT}", "collection": "政策法规", "body": f"正文{SCRIPT}。"}
    saved = answered("markup in a title", admin.post("/editor/save", fields, follow_redirects=True))
    assert saved.status_code == 200 and "已保存并发布" in text_of(saved)
    assert_inert(text_of(saved), "edit page after saving")
    named = re.search(r'name="source" value="([^"]+)"', text_of(saved))
    assert named is not None, text_of(saved)
    source = named.group(1)
    for url in (f"/editor/history?source={quote(source)}", "/editor/"):
        assert_inert(text_of(answered("markup in a title", admin.get(url))), url)
    deleted = answered("markup in a title", admin.post("/editor/delete", {"source": source}, follow_redirects=True))
    assert "已移到回收站" in text_of(deleted)
    assert_inert(text_of(deleted), "flash after deleting")
    assert_inert(text_of(answered("markup in a title", admin.get("/editor/trash"))), "trash")


def test_markup_in_a_pronunciation_is_escaped(admin):
    for payload in (SCRIPT, ATTRIBUTE, JS_URL):
        reading = {"term": payload, "pinyin": payload}
        refused = answered("markup in a reading", admin.post("/editor/pronunciations", reading))
        assert refused.status_code == 400
        assert_inert(text_of(refused), payload)
        shown = answered("markup in a reading", admin.get("/editor/pronunciations", query_string={"term": payload}))
        assert_inert(text_of(shown), payload)
        answered("markup in a reading", admin.post("/editor/users/unlock", {"name": payload}, follow_redirects=True))


def test_digits_that_are_not_numbers_are_refused_not_crashed_on(client, admin):
    """² and ١ pass str.isdigit(), and int() refuses the first: an order, a reading's tone, a Host port."""
    for order in ("²", "١٢", "３"):
        fields = {"is_new": "1", "title": "排序试验", "collection": "政策法规", "body": "正文。", "order": order}
        refused = answered("a digit that is no number", admin.post("/editor/save", fields))
        assert refused.status_code == 400 and "排序请填数字" in text_of(refused), order
    reading = admin.post("/editor/pronunciations", {"term": "行长", "pinyin": "hang² zhang³"})
    assert answered("a tone that is no digit", reading).status_code in (200, 302, 400)
    page = answered("a port that is no number", client.get("/", headers={"Host": "kiosk.local:²"}))
    assert page.status_code == 200


PINYIN_PROBES = [
    "a" * 100_000,
    "wyf" * 5_000,
    "z" * 40,  # every z- and zh- syllable at each of forty places
    "shishishishishishishishishishishishishi",
    SCRIPT,
    ATTRIBUTE,
    "\x00wyf",
    "ｗｙｆ",
    "wyf\u202e",
    "' OR 1=1 --",
    "%",
    "١٢",
]


@pytest.mark.parametrize("limit", ["", "0", "-1", "99999999999999999999", "1e9", "abc", "²"])
def test_pinyin_candidates_take_anything_bounded_and_as_data(client, limit):
    """Any input to the keyboard's candidates is answered at once with a short list (empty for what is not
    pinyin), never an error; markup searched and found is never offered back as a word."""
    found = {"kind": "search", "q": f"{SCRIPT}物业费", "hits": 3}
    answered("pinyin input", client.post("/api/usage", json=found, environ_base={"REMOTE_ADDR": "127.0.0.52"}))
    for query in PINYIN_PROBES:
        started = time.monotonic()
        response = answered("pinyin input", client.get("/api/pinyin", query_string={"q": query, "limit": limit}))
        assert time.monotonic() - started < 1.0, query[:40]
        body = response.get_json()
        assert response.status_code == 200 and body["ok"] and len(body["candidates"]) <= 20, (query[:40], body)
        assert all(re.fullmatch(r"[\u3400-\u9fff]+", c["text"]) for c in body["candidates"]), body
    offered = client.get("/api/pinyin", query_string={"q": "wyf", "limit": limit}).get_json()["candidates"]
    assert offered and offered[0]["text"] == "物业费"


def test_spreadsheet_formulas_in_searches_stay_text_in_the_csv(client, admin):
    for query in ('=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(1)"):
        client.post("/api/usage", json={"kind": "search", "q": query, "hits": 0})
    csv = text_of(answered("formula in a query", admin.get("/editor/stats/searches.csv")))
    assert "'=HYPERLINK" in csv and "'+1+1" in csv and "'-2+3" in csv and "'@SUM(1)" in csv
    assert not re.search(r"(^|,)[=+\-@]", csv, re.M)


# -- oversized and malformed requests -----------------------------------------------------------------

RANGES = [
    "bytes=abc",
    "bytes=5-1",
    "bytes=0-0,1-1",
    "bytes=99999999-",
    "bytes=-0",
    "bytes=0-",
    "bytes=",
    "items=0-1",
    "bytes=0-1,",
    "bytes=" + ",".join(["0-0"] * 200),
    "bytes=-99999999999999999999",
    "bytes=1-2-3",
    "bytes=0x10-",
    "bytes=\u4e00-",
]


@pytest.mark.parametrize("url", ["/audio/{key}.mp3", "/static/css/kiosk.css", "/sw.js", "/static/icon.svg"])
def test_bad_and_multiple_ranges(client, url):
    url = url.format(key=KEY)
    whole = client.get(url).data
    for value in RANGES:
        response = answered("range header", client.get(url, headers={"Range": value}))
        assert response.status_code in (200, 206, 416), (value, response.status_code)
        if response.status_code == 200:
            assert response.data == whole
        elif response.status_code == 206:
            span = re.match(r"bytes (\d+)-(\d+)/", response.headers["Content-Range"])
            assert span is not None, response.headers["Content-Range"]
            first, last = map(int, span.groups())
            assert response.data == whole[first : last + 1]
        else:
            assert response.headers["Content-Range"] == f"bytes */{len(whole)}", value
            if url.startswith("/audio/"):
                assert_error_shape(response, 416)


def test_huge_bodies_are_refused_in_chinese(client, admin):
    huge = b"x" * (21 * 1024 * 1024)
    beacon = answered("huge body", client.post("/api/usage", data=b"{" + b" " * 5000 + b"}"))
    assert_error_shape(beacon, 413)
    preview = answered(
        "huge body",
        admin.client.post(
            "/editor/api/preview", data=huge, content_type="application/json", headers={"X-CSRF-Token": admin.token()}
        ),
    )
    assert_error_shape(preview, 413)
    upload = answered(
        "huge body",
        admin.post("/editor/upload", {"file": (io.BytesIO(huge), "大.txt")}, content_type="multipart/form-data"),
    )
    assert upload.status_code == 413 and "上传的文件太大了" in text_of(upload)


def written_under(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under a folder with its size and modification time: what a refused request must leave alone."""
    return {p.relative_to(root).as_posix(): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in root.rglob("*")}


def docx_of(paragraphs: list[str]) -> bytes:
    """A Word document holding these paragraphs, its XML written directly: python-docx takes seconds for 20,000."""
    body = "".join(f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>" for text in paragraphs)
    return docx_with_xml(f'<w:document xmlns:w="{WORD_NS}"><w:body>{body}</w:body></w:document>'.encode())


def docx_with_xml(document_xml: bytes) -> bytes:
    """python-docx's own blank document with word/document.xml replaced."""
    blank, out = io.BytesIO(), io.BytesIO()
    WordDocument().save(blank)
    with zipfile.ZipFile(blank) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = document_xml if item.filename == "word/document.xml" else source.read(item)
            target.writestr(item.filename, data)
    return out.getvalue()


def upload(admin: EditorSession, name: str, data: bytes) -> TestResponse:
    return answered(
        f"upload {Path(name).suffix}",
        admin.post("/editor/upload", {"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"),
    )


def test_a_text_of_too_many_paragraphs_is_refused_at_every_door(admin, content):
    """Identical paragraphs once made parsing quadratic; past the limit a text is refused before it costs much."""
    too_long = f"正文太长：超过 {MAX_PASSAGES} 段"
    before = written_under(content)
    paragraphs = ["同一段话。"] * (MAX_PASSAGES + 1)
    preview = answered(
        "too many paragraphs",
        admin.api("/editor/api/preview", {"title": "重复", "collection": "政策法规", "body": "\n\n".join(paragraphs)}),
        json_route=True,
    )
    assert_error_shape(preview, 400)
    assert too_long in preview.get_json()["error"]
    for name, data in (("重复.txt", "\n\n".join(paragraphs).encode()), ("重复.docx", docx_of(paragraphs))):
        response = upload(admin, name, data)
        assert response.status_code == 400 and too_long in text_of(response), name
    assert written_under(content) == before


def docx_claiming_a_small_document(document_xml: bytes, claimed: int) -> bytes:
    """A Word document whose zip entries say word/document.xml is ``claimed`` bytes, whatever it holds."""
    data = bytearray(docx_with_xml(document_xml))
    name = b"word/document.xml"
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # local header, central directory
        start = data.find(signature)
        while start != -1:
            name_at = start + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at : name_at + len(name)] == name:
                data[start + size_at : start + size_at + 4] = claimed.to_bytes(4, "little")
            start = data.find(signature, start + 4)
    return bytes(data)


def raw_pdf(objects: list[bytes], xref_count: int | None = None) -> bytes:
    """A PDF of these objects (1 is the catalog); xref_count, if given, is what its table claims to hold."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (xref_count or len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def pdf_naming_one_page(times: int, xref_count: int | None = None) -> bytes:
    kids = b"3 0 R " * times
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % times,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            b"<< /Length 35 >>\nstream\nBT /F1 12 Tf 40 800 Td (Hi) Tj ET\nendstream",
        ],
        xref_count,
    )


EMPTY_PARAGRAPHS = f'<w:document xmlns:w="{WORD_NS}"><w:body>'.encode() + b"<w:p/>" * (MAX_DOCX_ELEMENTS + 1)
BOMBS = [
    pytest.param(
        "炸弹.docx",
        lambda: docx_with_xml(b" " * (MAX_DOCX_UNZIPPED_BYTES + 1)),
        "解压后太大",
        id="docx inflating past the size limit",
    ),
    pytest.param(
        "炸弹.docx",
        lambda: docx_with_xml(EMPTY_PARAGRAPHS + b"</w:body></w:document>"),
        "结构过于复杂",
        id="docx of too many elements",
    ),
    pytest.param(
        "炸弹.docx",
        lambda: docx_claiming_a_small_document(b" " * (MAX_DOCX_UNZIPPED_BYTES + 1), 1000),
        "文件可能已损坏",
        id="docx whose zip understates a part",
    ),
    pytest.param(
        "页.pdf", lambda: pdf_naming_one_page(20_000), f"最多 {MAX_PDF_PAGES} 页", id="pdf naming one page 20000 times"
    ),
    pytest.param(
        "表.pdf",
        lambda: pdf_naming_one_page(1, xref_count=99_999_999),
        "PDF 文件无法读取",
        id="pdf past a pypdf limit",
    ),
]


@pytest.mark.parametrize(("name", "make", "reason"), BOMBS)
def test_uploads_that_would_cost_memory_or_time_are_refused(admin, content, name, make, reason):
    """Small files that unpack or multiply into a lot of work: a Chinese reason, a 400, nothing written."""
    data = make()
    assert len(data) < 1024 * 1024
    before = written_under(content)
    response = upload(admin, name, data)
    assert response.status_code == 400 and reason in text_of(response), text_of(response)[-500:]
    assert written_under(content) == before


def test_control_and_bidi_characters_never_reach_a_title(admin):
    """ESC, BEL and a right-to-left override in a file name or front matter would garble or disguise the title."""
    hidden = ("\x1b", "\x07", "\u202e", "\x00")
    from_name = upload(admin, "停\x1b[2J水\x07通知\u202etxt.exe.txt", "各位业主：本周三停水。".encode())
    assert from_name.status_code == 200 and "停[2J水通知txt.exe" in text_of(from_name)
    markdown = '---\ntitle: "停\\e水\\a通\\u202e知\\0"\n---\n\n各位业主：本周三停水。\n'
    from_front_matter = upload(admin, "通知.md", markdown.encode())
    assert from_front_matter.status_code == 200 and "停水通知" in text_of(from_front_matter)
    for response in (from_name, from_front_matter):
        assert not any(char in text_of(response) for char in hidden)


@pytest.mark.parametrize(
    ("text", "encoding"),
    [("第一條 業主應當按時繳納物業費。逾期不繳的，可以催告。", "big5"), ("本日は断水します。", "shift_jis")],
)
def test_texts_in_big5_or_shift_jis_are_refused_not_turned_into_garbage(admin, content, text, encoding):
    before = written_under(content)
    response = upload(admin, "通知.txt", text.encode(encoding))
    assert response.status_code == 400 and "编码看起来是" in text_of(response) and "UTF-8" in text_of(response)
    assert written_under(content) == before


BAD_JSON = [
    "{",
    "[1, 2]",
    '"text"',
    "null",
    "123",
    "1e999",
    "NaN",
    '{"kind": ["search"]}',
    '{"text": ["x"]}',
    '{"title": {"a": 1}, "body": [1, 2]}',
    '{"kind": "search", "q": {}, "hits": 1e999}',
    '{"kind": "search", "q": "x", "hits": 99999999999999999999999}',
    '{"kind": "listen", "doc": "x", "seconds": NaN, "passage": "p", "position": 1e999, "total": -1}',
    "[" * 1500 + "]" * 1500,
    "\ufeff{}",
    b"\xff\xfe\x00{",
    "",
    " " * 100,
    r'{"kind": "search", "q": "\ud800", "hits": 0}',
    r'{"text": "\udfff好", "title": "\ud800"}',
    r'{"\ud800": 1}',
]


def post_endpoints(app) -> list[str]:
    """Every POST route of the app (with a placeholder for URL parts), so new ones are covered as they come."""
    return sorted(
        {
            re.sub(r"<[^>]+>", "x", rule.rule)
            for rule in app.url_map.iter_rules()
            if "POST" in rule.methods and rule.endpoint not in ("editor.sign_out",)
        }
    )


def test_malformed_and_mistyped_json_to_every_post_endpoint(app, admin):
    endpoints = post_endpoints(app)
    assert "/api/usage" in endpoints and "/editor/api/preview" in endpoints and "/editor/save" in endpoints
    failures: dict[str, str] = {}
    for url in endpoints:
        for body in BAD_JSON:
            data = body.encode() if isinstance(body, str) else body
            for content_type in ("application/json", "text/plain;charset=UTF-8"):
                response = admin.client.post(
                    url,
                    data=data,
                    content_type=content_type,
                    headers={"X-CSRF-Token": admin.token()},
                    environ_base={"REMOTE_ADDR": "127.0.0.50"},
                )
                TRIED["malformed JSON"] += 1
                found = problem(response, json_route=url.startswith(("/api/", "/editor/api/")))
                if found:
                    failures.setdefault(url, f"{body[:40]!r}: {found}")
    assert not failures, failures
    assert admin.get("/editor/").status_code == 200  # still signed in


def test_wrong_numbers_in_a_beacon_are_refused_not_stored(client):
    for event in (
        {"kind": "search", "q": "x", "hits": 10**30},
        {"kind": "listen", "doc": MARKED, "seconds": 1e308, "passage": "p", "position": 10**30, "total": 3},
    ):
        response = answered(
            "malformed JSON", client.post("/api/usage", json=event, environ_base={"REMOTE_ADDR": "127.0.0.51"})
        )
        assert_error_shape(response, 400)


# -- hub messages ---------------------------------------------------------------------------------------------

HUB = "和平社区"
B64_ZEROS = base64.b64encode(bytes(64)).decode()
# Each: the signed headers of a good report, changed as an outsider would.
FORGED_HEADERS: dict[str, Callable[[dict[str, str]], dict[str, str]]] = {
    "no signature at all": lambda h: {},
    "only the hub's name": lambda h: {messages.HUB: h[messages.HUB]},
    "a signature of zeros": lambda h: {**h, messages.SIGNATURE: B64_ZEROS},
    "a signature not in base64": lambda h: {**h, messages.SIGNATURE: "!" * 86 + "=="},
    "a signature cut short": lambda h: {**h, messages.SIGNATURE: h[messages.SIGNATURE][:40]},
    "another message's signature": lambda h: {
        **h,
        messages.SIGNATURE: signed_headers(hub_signing_key(HUB), HUB, "POST", "/api/city/report", b"{}")[
            messages.SIGNATURE
        ],
    },
    "the time moved after signing": lambda h: {**h, messages.SENT: str(int(h[messages.SENT]) + 1)},
    "a negative time": lambda h: {**h, messages.SENT: "-1"},
    "a time in exponent form": lambda h: {**h, messages.SENT: "1e9"},
    "a time past the year 30000": lambda h: {**h, messages.SENT: "9" * 13},
    "a nonce in capitals": lambda h: {**h, messages.NONCE: h[messages.NONCE].upper()},
    "a nonce too long": lambda h: {**h, messages.NONCE: h[messages.NONCE] + "0"},
    "another nonce": lambda h: {**h, messages.NONCE: "0" * 32},
    "a name in latin-1": lambda h: {**h, messages.HUB: "h\xe9"},
    "a name in broken percent-encoding": lambda h: {**h, messages.HUB: "%ff%fe"},
    "a lone percent": lambda h: {**h, messages.HUB: "%"},
    "a name of 10,000 characters": lambda h: {**h, messages.HUB: "a" * 10_000},
    "another enrolled hub's name": lambda h: {**h, messages.HUB: quote("幸福社区")},
    "the hub's name with U+FE0F": lambda h: {**h, messages.HUB: quote(HUB + "\ufe0f")},
    "the hub's name with a zero-width joiner": lambda h: {**h, messages.HUB: quote("和平\u200d社区")},
    "a path for a name": lambda h: {**h, messages.HUB: quote("../../etc/passwd")},
    "the centre's name": lambda h: {**h, messages.HUB: quote(DEFAULT_HUB_NAME)},
}
# Each: a report signed by the enrolled hub, with what no hub may send.
FORGED_BODIES: dict[str, Callable[[dict], None]] = {
    "another hub's name": lambda b: b.update(hub="幸福社区"),
    "the centre's name": lambda b: b.update(hub=DEFAULT_HUB_NAME),
    "the name with U+FE0F": lambda b: b.update(hub=HUB + "\ufe0f"),
    "999999 learners": lambda b: b["completions"].append(
        {"day": b["days"][-1]["day"], "town": "城关街道", "community": HUB, "course": "c1", "learners": 999_999}
    ),
    "999999 plays": lambda b: b["days"][-1].update(plays=999_999),
    "999999 minutes": lambda b: b["days"][-1].update(minutes=999_999),
    "999999 searches": lambda b: b["days"][-1].update(searches=999_999),
    "more unanswered than searched": lambda b: b["days"][-1].update(searches=1, unanswered=5),
}


def send_signed(
    app: Flask, body: bytes, headers: dict[str, str], address: str, path: str = "/api/city/report"
) -> TestResponse:
    return app.test_client().post(
        path,
        data=body,
        content_type="application/json",
        headers=headers,
        environ_base={"REMOTE_ADDR": address},  # each its own address: the point is the signature, not the limit
    )


def refused_hub_message(response: TestResponse, kind: str, what: str) -> None:
    """A 4xx in the error shape, in Chinese; the hub-message refusals say why in ``refused`` too."""
    answered(kind, response)
    body = response.get_json()
    assert 400 <= response.status_code < 500, (what, body)
    assert {key: value for key, value in body.items() if key != "refused"} == {
        "ok": False,
        "error": body["error"],
        "status": response.status_code,
    }
    assert re.search(r"[\u4e00-\u9fff]", body["error"]), body


def test_forged_replayed_and_inflated_hub_reports_file_nothing(app):
    key = enrolled_hub(app, HUB)
    enrolled_hub(app, "幸福社区")
    report = hub_report(Path("/nonexistent"), HUB, 2)
    raw = json.dumps(report, ensure_ascii=False).encode("utf-8")
    for number, (kind, forge) in enumerate(FORGED_HEADERS.items()):
        headers = forge(signed_headers(key, HUB, "POST", "/api/city/report", raw))
        refused_hub_message(send_signed(app, raw, headers, f"127.0.2.{number}"), "forged hub message", kind)
    for number, minutes in enumerate((-60 * 24, -11, 11, 60 * 24 * 365)):
        headers = signed_headers(key, HUB, "POST", "/api/city/report", raw, at=time.time() + minutes * 60)
        refused_hub_message(send_signed(app, raw, headers, f"127.0.3.{number}"), "forged hub message", "stale")
    for number, (kind, change) in enumerate(FORGED_BODIES.items()):
        body = copy.deepcopy(report)
        change(body)
        forged = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = signed_headers(key, HUB, "POST", "/api/city/report", forged)
        refused_hub_message(send_signed(app, forged, headers, f"127.0.4.{number}"), "hostile hub report", kind)
    with CityDB(app.extensions["kiosk"].data.root) as db:
        assert db.conn.execute("SELECT hub FROM hubs").fetchall() == []
    headers = signed_headers(key, HUB, "POST", "/api/city/report", raw)
    assert send_signed(app, raw, headers, "127.0.5.1").status_code == 200
    for number in range(3):
        replayed = send_signed(app, raw, headers, f"127.0.5.{number + 2}")
        refused_hub_message(replayed, "forged hub message", "replayed")
        assert replayed.get_json()["refused"] == "replay"


EVENTS = "/api/desk/hub/events"
GOOD_EVENT: dict[str, Any] = {
    "id": "6f1c2b9e-3a4d-4e5f-8a7b-1c2d3e4f5a6b",
    "request": {
        "id": "0b7e3c1a-2d4f-4a6b-9c8d-7e6f5a4b3c2d",
        "number": "123456",
        "kind": "dispute",
        "community": HUB,
        "town": "城关街道",
        "category": "漏水",
        "text": "楼上漏水",
        "company": "",
        "name": "",
        "phone": "",
        "consent": 0,
        "status": "registered",
        "level": "community",
        "joint": 0,
        "reopened": 0,
        "handler": "",
        "answer": "",
        "rating": "",
        "created": 1.7e9,
        "arrived": 1.7e9,
        "due": 1.7e9 + 86400,
        "answered": None,
        "anonymised": 0,
    },
    "change": {
        "at": 1.7e9,
        "actor": "居民",
        "action": "register",
        "status": "registered",
        "level": "community",
        "note": "",
    },
    "articles": [],
}
# Each: a hub's message, signed by the enrolled hub, that is not one a hub sends.
HOSTILE_EVENTS: dict[str, Callable[[dict], None]] = {
    "another format": lambda m: m.update(format=desk_events.FORMAT + 1),
    "a cursor below zero": lambda m: m.update(cursor=-1),
    "a cursor in words": lambda m: m.update(cursor="0"),
    "a cursor of true": lambda m: m.update(cursor=True),
    "events as an object": lambda m: m.update(events={}),
    "101 events": lambda m: m.update(events=[GOOD_EVENT] * 101),
    "an event as a list": lambda m: m.update(events=[[]]),
    "an event with one more field": lambda m: m["events"][0].update(more=1),
    "an id in capitals": lambda m: m["events"][0].update(id=GOOD_EVENT["id"].upper()),
    "an id of a path": lambda m: m["events"][0].update(id="../../desk.db"),
    "a request without its status": lambda m: m["events"][0]["request"].pop("status"),
    "a status of its own": lambda m: m["events"][0]["request"].update(status="done"),
    "a level above the centre": lambda m: m["events"][0]["request"].update(level="province"),
    "a rating of its own": lambda m: m["events"][0]["request"].update(rating="好"),
    "a flag of 2": lambda m: m["events"][0]["request"].update(joint=2),
    "a time of infinity": lambda m: m["events"][0]["request"].update(arrived=float("inf")),
    "a time as text": lambda m: m["events"][0]["request"].update(created="2026-12-01"),
    "a number in fullwidth digits": lambda m: m["events"][0]["request"].update(number="１２３４５６"),
    "a description of 10,000 characters": lambda m: m["events"][0]["request"].update(text="漏" * 10_000),
    "a name of 1,000 characters": lambda m: m["events"][0]["request"].update(name="张" * 1000),
    "a category that is empty": lambda m: m["events"][0]["request"].update(category=""),
    "an action of its own": lambda m: m["events"][0]["change"].update(action="delete"),
    "no one acting": lambda m: m["events"][0]["change"].update(actor=""),
    "six articles": lambda m: m["events"][0].update(articles=[{"doc": f"d{n}", "title": "t"} for n in range(6)]),
    "an article without a document": lambda m: m["events"][0].update(articles=[{"doc": "", "title": "t"}]),
    "a kind as a list": lambda m: m["events"][0]["request"].update(kind=["dispute"]),
    "a company of 41 characters": lambda m: m["events"][0]["request"].update(company="物" * 41),
    "a company as a number": lambda m: m["events"][0]["request"].update(company=1),
}


def test_forged_and_hostile_desk_events_change_nothing(app):
    key = enrolled_hub(app, HUB)
    good = {"format": desk_events.FORMAT, "cursor": 0, "events": [copy.deepcopy(GOOD_EVENT)]}
    raw = json.dumps(good, ensure_ascii=False).encode("utf-8")
    for number, (kind, forge) in enumerate(FORGED_HEADERS.items()):
        headers = forge(signed_headers(key, HUB, "POST", EVENTS, raw))
        refused_hub_message(send_signed(app, raw, headers, f"127.0.6.{number}", EVENTS), "forged desk events", kind)
    for number, (kind, change) in enumerate(HOSTILE_EVENTS.items()):
        body = copy.deepcopy(good)
        change(body)
        forged = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = signed_headers(key, HUB, "POST", EVENTS, forged)
        answer = send_signed(app, forged, headers, f"127.0.7.{number}", EVENTS)
        refused_hub_message(answer, "hostile desk events", kind)
        assert answer.status_code == 400, (kind, answer.get_json())
    with DeskDB(app.extensions["kiosk"].data.root) as db:
        assert db.all() == []
    # Signed and well formed, yet a move the table does not allow, or another hub's request: taken apart, refused.
    headers = signed_headers(key, HUB, "POST", EVENTS, raw)
    assert send_signed(app, raw, headers, "127.0.8.1", EVENTS).get_json()["taken"] == [GOOD_EVENT["id"]]
    leap = copy.deepcopy(GOOD_EVENT)
    leap["id"] = "6f1c2b9e-3a4d-4e5f-8a7b-000000000001"
    leap["request"].update(status="rated", rating="满意", answer="已办结")
    leap["change"].update(action="answer", status="rated", note="已办结")
    other = copy.deepcopy(leap)
    other["id"] = "6f1c2b9e-3a4d-4e5f-8a7b-000000000002"
    other["request"].update(status="accepted")
    other["change"].update(action="accept", status="accepted", note="")
    for number, (signer, event) in enumerate(((HUB, leap), ("幸福社区", other))):
        message = json.dumps({"format": desk_events.FORMAT, "cursor": 0, "events": [event]}, ensure_ascii=False).encode(
            "utf-8"
        )
        headers = signed_headers(enrolled_hub(app, signer), signer, "POST", EVENTS, message)
        answer = send_signed(app, message, headers, f"127.0.8.{number + 2}", EVENTS).get_json()
        assert answer["taken"] == [] and len(answer["rejected"]) == 1, answer
        assert re.search(r"[\u4e00-\u9fff]", answer["rejected"][0]["reason"]), answer
    with DeskDB(app.extensions["kiosk"].data.root) as db:
        (only,) = db.all()
        assert (only.status, only.hub, len(db.history(only.id))) == ("registered", HUB, 1)


def test_hostile_company_corrections_are_refused_in_chinese_and_markup_stays_text(make_app):
    """The desk's 更正物业公司 form sent what no one types: a message in Chinese, never a 500, nothing stored; and
    markup that is a company's name (it may be) or a reason is shown as text on the staff and resident pages."""
    app = make_app(build=True, accounts=("admin",))
    root = app.extensions["kiosk"].data.root
    list_community(root, "城关街道", HUB)
    dispute = {"kind": "dispute", "community": HUB, "category": "漏水", "text": "楼上漏水", "company": "青松物业"}
    created = app.test_client().post("/api/desk/requests", json=dispute).get_json()
    admin = signed_in_as(app, "admin")
    url = f"/editor/desk/r/{created['id']}/company"
    for form in (
        {"company": "物" * 100_000, "reason": "核实"},
        {"company": "青松\x00物业", "reason": "核实"},
        {"company": "\u202e业物松青", "reason": "核实"},
        {"company": "青松\u200b物业", "reason": "核实"},
        {"company": "别的物业", "reason": SCRIPT * 1000},
        {"company": "别的物业"},
    ):
        response = answered("company correction", admin.post(url, form))
        assert response.status_code == 302, form
        page = text_of(admin.get(response.headers["Location"]))
        assert re.search(r'class="flash flash-error"[^>]*>[^<]*[\u4e00-\u9fff]', page), str(form)[:60]
        assert_inert(page, str(form)[:40])
    with DeskDB(root) as db:
        assert (db.get(created["id"]).company, len(db.history(created["id"]))) == ("青松物业", 1)
    assert answered("company correction", admin.post(url, {"company": SCRIPT, "reason": ATTRIBUTE})).status_code == 302
    follow = "/desk/f/" + created["follow"].rsplit("/", 1)[-1]
    for asking, page_url in ((admin.client, f"/editor/desk/r/{created['id']}"), (app.test_client(), follow)):
        page = text_of(answered("company correction", asking.get(page_url)))
        assert str(escape(ATTRIBUTE)) in page
        assert_inert(page, page_url)


# -- the 物业超市 -------------------------------------------------------------------------------------------

HOSTILE_COMPANY = {
    "name": f"{SCRIPT}示例物业",
    "registration": "示例-敌意-1",
    "qualification": ATTRIBUTE,
    "estates": "<script>alert`1`</script>小区（<img src=x onerror=alert`1`>社区）",  # no () : they end an estate
    "contact": SCRIPT,
    "phone": "13800000000",
    "party_org": ATTRIBUTE,
    "party_link": JS_URL,
    "intro": f"{SCRIPT}简介{ATTRIBUTE}",
}


def market_company(admin: EditorSession) -> int:
    """The hostile company's id, added once for the module."""
    added = admin.post("/editor/market/new", HOSTILE_COMPANY)
    if added.status_code == 302:
        return int(added.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    listing = text_of(admin.get("/editor/market/"))
    found = re.search(r"/editor/market/c/(\d+)", listing)
    assert found, text_of(added)[-500:]
    return int(found.group(1))


def test_markup_in_a_company_is_shown_as_text_on_every_market_page(client, admin):
    company = market_company(admin)
    admin.post(f"/editor/market/c/{company}/decide", {"decision": "admit", "decided": "2026-12-01", "reason": SCRIPT})
    admin.post(
        f"/editor/market/c/{company}/assess",
        {
            "unit": SCRIPT,
            "note": ATTRIBUTE,
            **dict.fromkeys(("service", "fees", "safety", "complaints", "community"), "10"),
        },
    )
    for url in [
        "/market/",
        f"/market/c/{company}",
        "/editor/market/",
        f"/editor/market/c/{company}",
        f"/editor/market/c/{company}/edit",
        f"/editor/market/c/{company}/assess",
    ]:
        asking = admin.client if url.startswith("/editor") else client
        page = answered("markup in a company", asking.get(url))
        assert page.status_code == 200, url
        assert_inert(text_of(page), url)
    assert str(escape(HOSTILE_COMPANY["name"])) in text_of(client.get(f"/market/c/{company}"))


def test_markup_and_formulas_in_an_imported_sheet_stay_text(admin):
    rows = f"企业名称,备案号,简介\n{SCRIPT}乙物业,示例-敌意-2,=1+1\n{ATTRIBUTE},,{SCRIPT}\n"
    name = f"{SCRIPT}.csv"
    response = answered(
        "market import",
        admin.post(
            "/editor/market/import", {"file": (io.BytesIO(rows.encode()), name)}, content_type="multipart/form-data"
        ),
    )
    assert response.status_code == 200 and "第 3 行" in text_of(response)
    assert_inert(text_of(response), "import report")
    exported = text_of(admin.get("/editor/market/export?format=csv"))
    assert "'=1+1" in exported  # a formula in a cell is made inert for Excel


def zip_bomb_xlsx() -> bytes:
    """A small .xlsx whose one part inflates past the import's limit."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (41 * 1024 * 1024))
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("炸弹.xlsx", zip_bomb_xlsx, "解压后太大"),
        ("多.csv", lambda: ("企业名称,备案号\n" + "甲,1\n" * 2001).encode(), "最多导入 2000 行"),
        ("坏.xlsx", lambda: b"PK\x03\x04" + b"\x00" * 100, "不是能打开的 Excel 文件"),
        ("坏.csv", lambda: b'\xef\xbb\xbf"unclosed\x00', "不认识的列"),
        ("无名", lambda: b"x", "不是 .xlsx 或 .csv"),
    ],
)
def test_market_imports_that_would_cost_memory_or_are_not_sheets_are_refused(admin, name, make, reason):
    data = make()
    assert len(data) < 1024 * 1024
    response = answered(
        "market import",
        admin.post("/editor/market/import", {"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"),
    )
    assert response.status_code == 400 and reason in text_of(response), text_of(response)[-500:]


@pytest.mark.parametrize(
    ("method", "url", "form"),
    [
        ("get", "/market/c/-1", {}),
        ("get", "/market/c/99999999999999999999999", {}),
        ("get", "/market/c/abc", {}),
        ("post", "/market/c/1/rate", {"stars": "5" * 10_000}),
        ("post", "/market/c/1/rate", {"stars": "5\x00"}),
        ("get", "/editor/market/c/1?quarter=../../etc", {}),
        ("get", "/editor/market/c/1?quarter=2026Q9", {}),
        ("get", "/editor/market/export?format=exe", {}),
        ("post", "/editor/market/c/1/edit", {"name": "x" * 100_000, "registration": "a"}),
        ("post", "/editor/market/c/1/edit", {"name": "甲\u202e物业", "registration": "示例-敌意-3"}),
        ("post", "/editor/market/c/1/assess", {"service": "1e9", "unit": "部门"}),
        ("post", "/editor/market/c/1/decide", {"decision": "admit", "decided": "9999-99-99", "reason": "理由"}),
        ("post", "/editor/market/import", {}),
    ],
)
def test_bad_input_on_every_market_route_is_a_4xx_in_chinese(client, admin, method, url, form):
    market_company(admin)
    asking = admin if url.startswith("/editor") else client
    if method == "get":
        response = asking.get(url)
    elif asking is admin:
        response = admin.post(url, form)
    else:
        client.get("/market/c/1")
        response = client.post(url, data=form)
    answered("bad market input", response)
    assert 400 <= response.status_code < 500, (url, response.status_code)
    assert re.search(r"[\u4e00-\u9fff]", text_of(response)), url


# -- floods -------------------------------------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(limits, "clock", lambda: now[0])
    return now


def test_a_flood_of_beacons_is_cut_down_with_retry_after(client, clock):
    address = {"REMOTE_ADDR": "127.0.0.60"}
    statuses = [
        client.post("/api/usage", json={"kind": "search", "q": "洪水", "hits": 1}, environ_base=address)
        for _ in range(200)
    ]
    accepted = [r for r in statuses if r.status_code == 204]
    refused = [answered("beacon flood", r) for r in statuses if r.status_code == 429]
    assert len(accepted) == 30 and len(refused) == 170
    assert_error_shape(refused[0], 429)
    wait = int(refused[0].headers["Retry-After"])
    assert 1 <= wait <= 2
    other = client.post(
        "/api/usage", json={"kind": "search", "q": "邻居", "hits": 1}, environ_base={"REMOTE_ADDR": "127.0.0.61"}
    )
    assert other.status_code == 204  # another phone is not held back
    clock[0] += wait
    assert (
        client.post("/api/usage", json={"kind": "search", "q": "洪水", "hits": 1}, environ_base=address).status_code
        == 204
    )


def test_a_phone_sending_its_usual_beacons_is_never_refused(client, clock):
    address = {"REMOTE_ADDR": "127.0.0.62"}
    for minute in range(120):  # two hours of listening: a search and a page view every minute, some in a burst
        for _ in range(5 if minute % 10 == 0 else 2):
            response = client.post(
                "/api/usage",
                json={"kind": "listen", "doc": MARKED, "seconds": 30, "passage": "p", "position": 0, "total": 3},
                environ_base=address,
            )
            assert response.status_code == 204, minute
        clock[0] += 60


def test_a_flood_of_sign_ins_is_cut_down_and_an_editor_who_mistypes_gets_in(app, clock):
    honest = EditorSession(app)
    assert sign_in_from(honest, "127.0.0.70", password="wrong").status_code == 401
    assert sign_in_from(honest, "127.0.0.70").status_code == 302  # mistyped once, then in
    guesser = EditorSession(app)
    # Guessing across names: the lock-out of each name never sees more than a few tries.
    statuses = [
        sign_in_from(guesser, "127.0.0.71", name=f"编辑{n % 8}", password=f"guess-{n}").status_code for n in range(40)
    ]
    assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}
    refused = answered("sign-in flood", sign_in_from(guesser, "127.0.0.71"))
    assert refused.status_code == 429 and "太频繁" in text_of(refused) and int(refused.headers["Retry-After"]) >= 1
    assert sign_in_from(EditorSession(app), "127.0.0.72").status_code == 302  # others still sign in
    clock[0] += int(refused.headers["Retry-After"])
    assert sign_in_from(guesser, "127.0.0.71").status_code == 302


def test_a_flood_from_many_addresses_cannot_grow_memory(clock):
    buckets = limits.Buckets(limits.Limit("test", burst=2, per_minute=1), clients=100)
    for n in range(5000):
        buckets.take(f"127.{n // 65536}.{n // 256 % 256}.{n % 256}")
    assert len(buckets) == 100
    for _ in range(2):
        assert buckets.take("127.0.0.1") == 0
    assert buckets.take("127.0.0.1") == pytest.approx(60)  # the one seen last is remembered


# -- security headers on every kind of response --------------------------------------------------------


def test_security_headers_on_every_kind_of_response(app, client, admin, monkeypatch):
    kinds = {
        "page": client.get("/"),
        "document page": client.get(f"/doc/{MARKED}"),
        "API": client.get("/api/shelves"),
        "health": client.get("/healthz"),
        "audio": client.get(f"/audio/{KEY}.mp3"),
        "audio part": client.get(f"/audio/{KEY}.mp3", headers={"Range": "bytes=0-9"}),
        "static": client.get("/static/js/app.js"),
        "service worker": client.get("/sw.js"),
        "QR": client.get(f"/doc/{MARKED}/qr.svg"),
        "404 page": client.get("/没有"),
        "404 JSON": client.get("/api/docs/没有"),
        "405": client.post("/api/search"),
        "editor page": admin.get("/editor/stats"),
        "editor CSV": admin.get("/editor/stats/listens.csv"),
        "editor redirect": app.test_client().get("/editor/"),
        "editor sign-in": app.test_client().get("/editor/signin"),
        "editor 401 JSON": app.test_client().get("/editor/api/progress"),
    }
    assert kinds["405"].headers["Allow"]
    assert kinds["static"].headers["Content-Type"].startswith("text/javascript")
    monkeypatch.setattr("indexer.search.searcher.Searcher.search", lambda *args, **kwargs: 1 / 0)
    kinds["500 page"], kinds["500 JSON"] = client.get("/search?q=x"), client.get("/api/search?q=x")
    for kind, response in kinds.items():
        for name, value in HEADERS.items():
            assert response.headers.get(name) == value, (kind, name)
    assert kinds["500 page"].status_code == 500 and "服务器出了点问题" in text_of(kinds["500 page"])
    assert kinds["500 JSON"].get_json() == {"ok": False, "error": "服务器出了点问题，请稍后再试。", "status": 500}


# -- over a real HTTP server -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(make_module_app: AppMaker, app: Flask, content: Path) -> Iterator[LiveServer]:
    """The same site behind waitress, for requests the test client would tidy up first."""
    with LiveServer(make_module_app(content=(content,), data=app.extensions["kiosk"].data)) as server:
        yield server


def raw_request(server, request: bytes) -> tuple[int, dict, bytes]:
    """Send bytes as they are (a NUL, a backslash, a bad Range); (status, headers, body) of the answer."""
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers, body


def test_answers_waitress_makes_itself_carry_the_headers_too(server):
    """A request the app never sees (waitress refuses it while parsing) is answered with the same headers."""
    for request in (
        b"GET / HTTP/1.1\r\nHost: k\r\nContent-Length: abc\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: k\r\nTransfer-Encoding: gzip, chunked, chunked\r\n\r\n",
    ):
        status, headers, _ = raw_request(server, request)
        assert status >= 400, (request, status)  # 400 and 501 from waitress
        for name, value in HEADERS.items():
            assert headers.get(name) == value, (request, name, headers)


def test_traversal_and_ranges_over_http(server):
    for route in FILE_ROUTES[:6]:
        for traversal in TRAVERSALS:
            path = re.sub(r"[^\x21-\x7e]", lambda c: quote(c.group()), route.format(traversal))  # as a browser sends it
            status, headers, body = raw_request(
                server, f"GET {path} HTTP/1.1\r\nHost: k\r\nConnection: close\r\n\r\n".encode()
            )
            TRIED["traversal over HTTP"] += 1
            assert status < 500 and headers.get("X-Content-Type-Options") == "nosniff", (path, status)
            assert_no_leak(body.decode("utf-8", "replace"), path)
    for value in RANGES[:6]:
        status, headers, body = raw_request(
            server,
            f"GET /audio/{KEY}.mp3 HTTP/1.1\r\nHost: k\r\nRange: {value}\r\nConnection: close\r\n\r\n".encode(),
        )
        TRIED["range header over HTTP"] += 1
        assert status in (200, 206, 416) and "Content-Security-Policy" in headers, (value, status)


def test_a_huge_body_over_http_is_refused(server):
    connection = http.client.HTTPConnection("127.0.0.1", int(server.url.rsplit(":", 1)[1]), timeout=60)
    connection.request("POST", "/api/usage", body=b"x" * (21 * 1024 * 1024), headers={"Content-Type": "text/plain"})
    response = connection.getresponse()
    TRIED["huge body over HTTP"] += 1
    assert response.status == 413 and "太大" in response.read().decode("utf-8")
    assert response.getheader("Content-Security-Policy") == HEADERS["Content-Security-Policy"]
    connection.close()


# -- in a real Chromium: the pages work under the policy, and the kiosk keyboard is readable in high contrast ----


def watched_page(browser, viewport=None):
    """A page recording policy violations, console errors, script errors and dialogs (an alert() that ran)."""
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.problems = []
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', (e) => "
        "(window.__violations = window.__violations || []).push(e.violatedDirective + ' ' + e.blockedURI))"
    )
    page.on("console", lambda message: message.type == "error" and page.problems.append(f"console: {message.text}"))
    page.on("pageerror", lambda error: page.problems.append(f"script: {error}"))
    page.on("dialog", lambda dialog: (page.problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    return context, page


def violations(page) -> list[str]:
    return page.evaluate("window.__violations || []")


@pytest.fixture(scope="module")
def browser_server(make_module_app: AppMaker, app: Flask, content: Path) -> Iterator[LiveServer]:
    """A fresh server (its own sign-in allowance) with some listening, so the statistics page draws its charts."""
    for position in (0, 1, 2):
        app.test_client().post(
            "/api/usage",
            json={"kind": "listen", "doc": MARKED, "seconds": 40, "passage": "p", "position": position, "total": 3},
            environ_base={"REMOTE_ADDR": "127.0.0.80"},
        )
    with LiveServer(make_module_app(content=(content,), data=app.extensions["kiosk"].data)) as server:
        yield server


def test_pages_run_under_the_content_security_policy(browser, browser_server):
    from playwright.sync_api import expect

    context, page = watched_page(browser)
    url = browser_server.url
    visited = {}
    for path in [
        "/",
        "/search?q=物业",
        "/search?q=" + quote(SCRIPT),
        f"/doc/{document_id('政策法规/业主委员会.md')}",
        f"/doc/{MARKED}",
        "/market/",
        "/editor/signin",
    ]:
        response = page.goto(url + path)
        assert response.headers["content-security-policy"] == HEADERS["Content-Security-Policy"]
        page.wait_for_load_state("networkidle")
        visited[path] = violations(page)
    page.goto(url + "/")
    page.locator("#q").fill("维修")  # live search: fetch and innerHTML under the policy
    expect(page.locator("#results .hit").first).to_be_visible()
    visited["live search"] = violations(page)
    page.goto(url + "/editor/signin")
    sign_in_with_the_form(page, "管理员")
    expect(page.get_by_role("heading", name="文章列表")).to_be_visible()
    page.goto(url + "/editor/stats")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("typeof Chart") == "function"  # the vendored Chart.js ran
    assert page.evaluate("!!Chart.getChart(document.getElementById('chart-stops'))")
    with page.expect_navigation():
        page.locator("select[name=days]").select_option("7")  # was an inline onchange: now editor.js
    assert "days=7" in page.url
    visited["/editor/stats"] = violations(page)
    page.goto(url + "/editor/edit?source=" + quote("没有这篇.md"))  # an error page: 返回上一页 was a javascript: link
    page.get_by_role("link", name="返回上一页").click()
    expect(page).to_have_url(re.compile(r"/editor/stats\?days=7"))
    visited["editor error page"] = violations(page)
    for path in ("/editor/market/", *(f"/editor/market/c/{n}" for n in (1, 2)), *(f"/market/c/{n}" for n in (1, 2))):
        page.goto(url + path)  # the hostile company, when the market's tests above added it
        page.wait_for_load_state("networkidle")
        visited[path] = violations(page)
    policy_errors = [p for p in page.problems if "Content Security Policy" in p or "Refused to" in p]
    scripts_and_dialogs = [p for p in page.problems if p.startswith(("script:", "dialog:"))]
    context.close()
    assert all(found == [] for found in visited.values()), visited
    assert policy_errors == [] and scripts_and_dialogs == []


def test_kiosk_keyboard_keys_are_readable_in_high_contrast(browser, browser_server):
    context, page = watched_page(browser, KIOSK_VIEWPORT)
    page.goto(browser_server.url + "/?kiosk=1")
    page.locator('[data-toggle="high-contrast"]').click()
    page.locator("#q").click()
    keyboard = page.locator("#keyboard")
    keyboard.wait_for(state="visible")
    for key in "wyf":  # and the pinyin candidates above the keys
        keyboard.locator(f'[data-key="{key}"]').click()
    keyboard.locator(".candidate").first.wait_for(state="visible")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "kiosk-keyboard-high-contrast.png"))
    colours = page.evaluate("""() => [...document.querySelectorAll('#keyboard :is(.key, .chip, .candidate)')]
        .map((key) => {
        const style = getComputedStyle(key); return [key.textContent, style.color, style.backgroundColor]; })""")
    assert violations(page) == [] and not page.problems, page.problems  # the kiosk's pages run under the policy too
    context.close()
    for label, colour, background in colours:
        assert contrast(colour, background) >= 7, (label, colour, background)


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two CSS rgb() colours."""

    def luminance(css: str) -> float:
        channels = [int(v) / 255 for v in re.findall(r"\d+", css)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


# -- 实训轮次: rounds, sign-ups and scans ----------------------------------------------------------------------------


def test_hostile_round_forms_sign_ups_and_scans_are_refused_in_chinese(make_app, tmp_path):
    """A round's form with numbers and dates no one means, a learner's phone reaching for another's seat or for
    rounds that do not exist, and scans of anything at all: a 4xx with the reason, never a 500, nothing stored."""
    from kiosk.training.learner.database import LearningDB
    from kiosk.training.practical.rounds import list_rounds, signups

    from .practical_content import practical_content
    from .sites import Clock, learner_signed_in
    from .test_practical_rounds import DOORS, FORM, START

    clock = Clock(START)
    app = make_app(
        content=(practical_content(tmp_path),), build=True, accounts=("trainer",), test_config={"LEARNING_CLOCK": clock}
    )
    trainer = signed_in_as(app, "trainer")
    bad_forms = [
        {"seats": "9" * 5000},
        {"seats": "-1"},
        {"seats": "1e9"},
        {"seats": "nan"},
        {"seats": "²"},
        {"day": "2027-02-30"},
        {"day": "0001-01-01"},
        {"day": "9999-12-31", "start": "23:00", "end": "23:59"},
        {"day": "1" * 10000},
        {"start": "24:00"},
        {"end": "\x00"},
        {"course": "../../etc/passwd"},
        {"area": SCRIPT},
        {"place": "\u202e区楼二地基训实"},
        {"place": "楼" * 100_000},
        {"note": SCRIPT * 1000},
    ]
    for changes in bad_forms:
        response = answered("round form", trainer.post("/editor/training/practical/new", {**FORM, **changes}))
        assert response.status_code == 400 and "没有保存" in text_of(response), changes
        assert_inert(text_of(response), str(changes)[:40])
    marked = trainer.post("/editor/training/practical/new", {**FORM, "place": SCRIPT, "note": ATTRIBUTE})
    assert marked.status_code == 302
    round_id = int(marked.headers["Location"].rsplit("/", 1)[1])
    for url in ("/editor/training/practical/", f"/editor/training/practical/{round_id}"):
        assert_inert(trainer.page(url), url)
    with LearningDB(app.extensions["kiosk"].data.root) as db:
        assert len(list_rounds(db)) == 1

    zhang, li = app.test_client(), app.test_client()
    zhang_token, li_token = learner_signed_in(zhang), learner_signed_in(li, name="李网格")
    assert zhang.post(f"/api/practical/rounds/{round_id}/signup", json={}, headers={"X-CSRF-Token": zhang_token}).json
    for url in (
        f"/api/practical/rounds/{round_id}/cancel",  # 张's seat, from 李's phone
        "/api/practical/rounds/0/signup",
        "/api/practical/rounds/99999999999999999999999999/signup",
        "/api/practical/rounds/9223372036854775807/cancel",
        "/api/practical/rounds/-1/signup",
    ):
        response = answered("round sign-up", li.post(url, json={}, headers={"X-CSRF-Token": li_token}), True)
        assert response.status_code in (404, 409), (url, response.status_code)
    huge = li.post(
        f"/api/practical/rounds/{round_id}/signup",
        data="{" * 100_000,
        content_type="application/json",
        headers={"X-CSRF-Token": li_token},
    )
    assert answered("round sign-up", huge, True).status_code in (400, 413)
    with LearningDB(app.extensions["kiosk"].data.root) as db:
        assert [person.name for person in signups(db, round_id)] == ["张网格"]

    clock.now = DOORS  # the round's morning: the scans are refused for what they are, not for the hour
    scans = [
        SCRIPT,
        "\x00" * 10,
        "楼" * 200_000,
        "http://evil.example/learn/card/" + "A" * 22,
        "/learn/card/../../x",
        JS_URL,
    ]
    for code in scans:
        response = answered(
            "round scan", trainer.post(f"/editor/training/practical/{round_id}/attendance", {"code": code})
        )
        assert response.status_code in (400, 404) and "学习卡" in text_of(response), code[:40]
        assert_inert(text_of(response), code[:40])
    for url in ("/editor/training/practical/99999999999999999999999", "/editor/training/practical/0/attendance"):
        assert answered("round page", trainer.get(url)).status_code == 404
    forged = trainer.client.post(f"/editor/training/practical/{round_id}/attendance", data={"code": SCRIPT})
    assert answered("round scan", forged).status_code == 400
