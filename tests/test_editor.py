"""The content editor through Flask's test client: accounts, CSRF, safe paths, upload → review → publish,
live rebuild timing, audio re-rendered only where the text changed, history, trash, pronunciations."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import stat
import time
from collections import Counter
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document as WordDocument
from flask import Flask
from flask.testing import FlaskClient

from indexer.build import build_index
from indexer.content.fields import FIELDS
from indexer.content.numerals import int_to_chinese
from indexer.content.parse import document_id
from indexer.datadir import DataDir
from indexer.search.searcher import Searcher
from indexer.speech.audio_cache import AudioCache
from indexer.speech.engines import EngineChoice, engine_settings
from indexer.speech.narration import missing_audio, narrate, render
from indexer.speech.synthesis import SynthesisPool
from indexer.store import Store
from kiosk.cli import main
from kiosk.editor import accounts as accounts_module
from kiosk.editor.accounts import Accounts, SignInError, User
from kiosk.library.keys import public_text

from .sites import (
    TEST_PASSWORD,
    AppMaker,
    EditorSession,
    add_account,
    csrf_field,
    enrolled_hub,
    in_one_burst,
    signed_in_as,
)

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
REPAIR_FUND = "有声物业/物业管理篇/维修资金.md"


@pytest.fixture
def app(make_app: AppMaker, content_dir: Path) -> Flask:
    """The editor on a writable copy of the test content, with an editor's and an admin's account."""
    return make_app(content=(content_dir,), build=True, accounts=("editor", "admin"))


@pytest.fixture
def admin(signed_in: Callable[..., EditorSession]) -> EditorSession:
    return signed_in("admin")


def search(session: EditorSession, query: str) -> list[dict]:
    return session.client.get("/api/search", query_string={"q": query}).get_json()["hits"]


def catalog(data: DataDir) -> dict[str, str]:
    store = Store(data.database)
    try:
        return {entry.id: entry.title for entry in store.catalog()}
    finally:
        store.close()


def content_hashes(content: Path) -> dict[str, str]:
    return {
        p.relative_to(content).as_posix(): hashlib.sha1(p.read_bytes()).hexdigest()
        for p in sorted(content.rglob("*"))
        if p.is_file()
    }


class FormFields(HTMLParser):
    """The fields of the edit form as a browser would submit them."""

    def __init__(self, form_id: str = "edit-form"):
        super().__init__()
        self.form_id, self.inside = form_id, False
        self.fields: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None
        self._option_selected, self._first_option = False, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and attrs.get("name") and attrs.get("type") not in ("submit", "button", "file"):
            self.fields[attrs["name"]] = attrs.get("value") or ""
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.fields[self._textarea] = ""
        elif tag == "select":
            self._select, self._first_option = attrs["name"], None
        elif tag == "option" and self._select:
            self._option_selected = "selected" in attrs

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data
        elif self._select and self.lasttag == "option":
            text = data.strip()
            if text and (self._option_selected or self._first_option is None):
                self.fields[self._select] = text
            self._first_option = self._first_option or text

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    @classmethod
    def of(cls, html: str) -> dict:
        parser = cls()
        parser.feed(html)
        body = parser.fields.get("body", "")
        parser.fields["body"] = body[1:] if body.startswith("\n") else body  # HTML drops a textarea's first newline
        return parser.fields


# -- accounts and sign-in ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/editor/",
        "/editor/new",
        f"/editor/edit?source={REPAIR_FUND}",
        "/editor/upload",
        "/editor/trash",
        "/editor/pronunciations",
        "/editor/users",
        "/editor/hubs",
        f"/editor/history?source={REPAIR_FUND}",
        "/editor/stats",
        "/editor/stats/searches.csv",
    ],
)
def test_editor_pages_send_strangers_to_sign_in(site, path):
    response = site.client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/editor/signin?next=")


@pytest.mark.parametrize(
    "method, path", [("post", "/editor/api/preview"), ("post", "/editor/api/speak"), ("get", "/editor/api/progress")]
)
def test_editor_api_answers_401_in_the_one_error_shape(site, method, path):
    response = getattr(site.client, method)(path, json={})
    assert response.status_code == 401
    assert response.get_json() == {"ok": False, "error": "请先登录", "status": 401}


def test_posts_without_a_session_change_nothing(site):
    before = content_hashes(site.content)
    response = site.client.post("/editor/delete", data={"source": REPAIR_FUND})
    assert response.status_code == 302 and "/editor/signin" in response.headers["Location"]
    assert content_hashes(site.content) == before


def test_listeners_never_need_an_account(site):
    assert site.client.get("/").status_code == 200
    assert search(site, "维修资金")


def test_sign_in_goes_back_where_asked_and_sign_out_ends_the_session(site):
    page = site.client.get("/editor/signin").get_data(as_text=True)
    token = csrf_field(page)
    response = site.client.post(
        "/editor/signin?next=/editor/trash", data={"name": "王编辑", "password": TEST_PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"] == "/editor/trash"
    assert site.client.get("/editor/").status_code == 200
    assert site.post("/editor/signout").status_code == 302
    assert site.client.get("/editor/").status_code == 302


def test_the_editor_cookie_has_its_own_name_and_stays_off_other_sites_and_scripts(site):
    cookies = site.client.get("/editor/signin").headers.get_all("Set-Cookie")  # the form's CSRF token
    cookies += site.sign_in().headers.get_all("Set-Cookie")
    cookies += site.post("/editor/signout").headers.get_all("Set-Cookie")
    assert len(cookies) == 3
    for cookie in cookies:
        assert cookie.startswith("kiosk_editor=") and "; HttpOnly" in cookie and "; SameSite=Lax" in cookie, cookie


def saved_cookie(session: EditorSession) -> str:
    """The editor cookie as someone who copied it from the browser would keep it."""
    cookie = session.client.get_cookie("kiosk_editor")
    assert cookie is not None
    return cookie.value


def replayed(app: Flask, cookie: str) -> FlaskClient:
    """Another browser that sends a saved editor cookie."""
    client = app.test_client()
    client.set_cookie("kiosk_editor", cookie)
    return client


def kiosk_user(session: EditorSession, *args: str) -> None:
    """`kiosk user …` on the app's data dir, the test password typed twice where one is asked for."""
    env = {"KIOSK_DATA": str(session.data.root), "KIOSK_CONTENT": str(session.content), "KIOSK_ENGINE": "pyttsx3"}
    result = CliRunner().invoke(main, ["user", *args], input=f"{TEST_PASSWORD}\n{TEST_PASSWORD}\n", env=env)
    assert result.exit_code == 0, result.output


def test_a_saved_editor_cookie_opens_nothing_after_signing_out(editor):
    cookie = saved_cookie(editor)
    assert replayed(editor.app, cookie).get("/editor/").status_code == 200
    assert editor.post("/editor/signout").status_code == 302
    for path in ("/editor/", "/editor/new"):
        assert replayed(editor.app, cookie).get(path).headers["Location"].startswith("/editor/signin")
    assert editor.sign_in().status_code == 302 and editor.get("/editor/").status_code == 200  # signing in again


def test_a_new_password_ends_the_accounts_sessions(editor, signed_in):
    cookie = saved_cookie(editor)
    admin = signed_in("admin")
    kiosk_user(editor, "password", "王编辑")
    assert replayed(editor.app, cookie).get("/editor/").status_code == 302
    assert editor.get("/editor/").status_code == 302
    assert admin.get("/editor/").status_code == 200  # another account's session goes on
    assert editor.sign_in().status_code == 302 and editor.get("/editor/").status_code == 200


def test_a_removed_account_added_again_as_admin_is_not_opened_by_its_old_cookie(editor):
    cookie = saved_cookie(editor)
    assert replayed(editor.app, cookie).get("/editor/users").status_code == 403  # an editor, not an admin
    kiosk_user(editor, "remove", "王编辑")
    kiosk_user(editor, "add", "王编辑", "--role", "admin")
    for path in ("/editor/users", "/editor/"):
        assert replayed(editor.app, cookie).get(path).headers["Location"].startswith("/editor/signin"), path
    assert editor.sign_in().status_code == 302 and editor.get("/editor/users").status_code == 200


def test_sign_in_never_redirects_off_site(site):
    page = site.client.get("/editor/signin").get_data(as_text=True)
    token = csrf_field(page)
    response = site.client.post(
        "/editor/signin?next=//evil.example/x", data={"name": "王编辑", "password": TEST_PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"] == "/editor/"


def test_five_wrong_passwords_lock_the_name_for_15_minutes(site, signed_in, monkeypatch):
    now = [time.time()]
    monkeypatch.setattr(accounts_module, "clock", lambda: now[0])
    for attempt in range(1, 5):
        page = site.sign_in(password="wrong password").get_data(as_text=True)
        assert f"还可以再试 {5 - attempt} 次" in page
    response = site.sign_in(password="wrong password")
    assert response.status_code == 401 and "锁定 15 分钟" in response.get_data(as_text=True)
    locked = site.sign_in()  # even the right password, while locked
    assert locked.status_code == 401 and "已暂时锁定" in locked.get_data(as_text=True)
    assert site.client.get("/editor/").status_code == 302
    signed_in("admin")  # another name is not affected
    now[0] += 15 * 60 + 1
    assert site.sign_in().status_code == 302
    assert site.client.get("/editor/").status_code == 200


WRONG_LEFT = "用户名或密码不对（还可以再试 {} 次）。"
WRONG_LOCKS = "用户名或密码不对。已连续输错 5 次，这个账号锁定 15 分钟。"
WHILE_LOCKED = "这个账号连续输错 5 次密码，已暂时锁定。请 15 分钟后再试，或请管理员解锁。"


def try_password(data: DataDir, password: str) -> Callable[[], object]:
    """One sign-in of 王编辑 on its own connection, as a request of its own makes it."""

    def attempt() -> object:
        with Accounts(data.root) as accounts:
            return accounts.authenticate("王编辑", password)

    return attempt


def answers(outcomes: list) -> Counter:
    return Counter(str(outcome) if isinstance(outcome, Exception) else "signed in" for outcome in outcomes)


def test_a_burst_of_wrong_passwords_counts_every_one_and_locks_at_the_fifth(data):
    add_account(data, "editor")
    outcomes = in_one_burst([try_password(data, f"wrong {n}") for n in range(10)])
    expected = [*(WRONG_LEFT.format(left) for left in (4, 3, 2, 1)), WRONG_LOCKS, *[WHILE_LOCKED] * 5]
    assert answers(outcomes) == Counter(expected)
    with Accounts(data.root) as accounts:
        (state,) = accounts.states()
    assert state.failures == 5 and state.locked


def test_the_right_password_in_a_burst_of_wrong_ones_past_the_limit_does_not_sign_in(data):
    add_account(data, "editor")
    for _ in range(4):
        with pytest.raises(SignInError):
            try_password(data, "wrong")()
    outcomes = in_one_burst([*(try_password(data, f"wrong {n}") for n in range(9)), try_password(data, TEST_PASSWORD)])
    if outcomes[-1] == User("王编辑", "editor"):  # decided before every wrong one: the nine then count from zero
        expected = [*(WRONG_LEFT.format(left) for left in (4, 3, 2, 1)), WRONG_LOCKS, *[WHILE_LOCKED] * 4, "signed in"]
    else:  # the first wrong one locked the name: everything after it, the right password too, is refused
        expected = [WRONG_LOCKS, *[WHILE_LOCKED] * 9]
    assert answers(outcomes) == Counter(expected)


def test_unknown_names_are_counted_and_answered_like_known_ones(site):
    page = site.sign_in(name="没有这个人", password="whatever1").get_data(as_text=True)
    assert "用户名或密码不对（还可以再试 4 次）" in page


def test_admin_sees_accounts_and_can_unlock_editor_cannot(site, signed_in):
    for _ in range(5):
        site.sign_in(password="wrong password")
    admin = signed_in("admin")
    page = admin.client.get("/editor/users").get_data(as_text=True)
    assert "王编辑" in page and "已锁定" in page
    assert admin.post("/editor/users/unlock", {"name": "王编辑"}).status_code == 302
    assert site.sign_in().status_code == 302
    assert site.client.get("/editor/users").status_code == 403


def test_admin_sees_the_enrolled_hubs_editor_cannot(site, signed_in):
    admin = signed_in("admin")
    assert "还没有登记站点" in admin.client.get("/editor/hubs").get_data(as_text=True)
    key = enrolled_hub(site.app, "<b>东城</b>物业港")
    page = admin.client.get("/editor/hubs").get_data(as_text=True)
    assert "&lt;b&gt;东城&lt;/b&gt;物业港" in page and public_text(key) in page and "kiosk hub enrol" in page
    assert site.sign_in().status_code == 302 and site.client.get("/editor/hubs").status_code == 403


def test_secret_key_is_made_once_and_private(site, make_app):
    path = site.data.root / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = make_app(content=(site.content,), data=site.data)
    assert again.secret_key == site.app.secret_key == path.read_text().strip()


# -- CSRF and paths -----------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_posts_without_this_sessions_token_are_refused(editor, token):
    before = content_hashes(editor.content)
    data = {"source": REPAIR_FUND}
    if token is not None:
        data["csrf_token"] = token
    response = editor.client.post("/editor/delete", data=data)
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    api = editor.client.post(
        "/editor/api/speak", json={"text": "你好。"}, headers={} if token is None else {"X-CSRF-Token": token}
    )
    assert api.status_code == 400 and api.get_json()["ok"] is False
    assert content_hashes(editor.content) == before


def test_sign_in_form_needs_its_token_too(site):
    response = site.client.post("/editor/signin", data={"name": "王编辑", "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert site.client.get("/editor/").status_code == 302


BAD_SOURCES = [
    "../outside.md",
    "/etc/passwd",
    "有声物业/../../outside.md",
    "..\\outside.md",
    ".hidden.md",
    "_draft.md",
    "a//b.md",
    "script.py",
    "有声物业/./维修资金.md",
    "nul\x00.md",
]


@pytest.mark.parametrize("source", BAD_SOURCES)
def test_path_traversal_file_names_are_refused(editor, source, tmp_path):
    before = content_hashes(editor.content)
    assert editor.client.get("/editor/edit", query_string={"source": source}).status_code == 400
    assert editor.client.get("/editor/history", query_string={"source": source}).status_code == 400
    assert editor.post("/editor/delete", {"source": source}).status_code == 400
    response = editor.post(
        "/editor/save",
        {
            "is_new": "1",
            "source": source,
            "title": "越界",
            "collection": "政策法规",
            "status": "现行",
            "body": "正文。",
        },
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and ("文件名不可用" in text or "应以 .md 结尾" in text)
    assert content_hashes(editor.content) == before
    assert not (tmp_path / "outside.md").exists() and not Path("/etc/passwd.md").exists()


def test_titles_and_upload_names_cannot_climb_out_of_the_content_folder(editor, tmp_path):
    response = editor.post(
        "/editor/save",
        {
            "is_new": "1",
            "title": "../../逃出去",
            "collection": "../..",
            "volume": "/etc",
            "status": "现行",
            "body": "正文在这里。",
        },
    )
    assert response.status_code == 302
    written = list(editor.content.rglob("*逃出去*"))
    assert len(written) == 1 and editor.content in written[0].parents
    upload = editor.post(
        "/editor/upload",
        {"file": (io.BytesIO("标题\n\n正文。".encode()), "../../../evil.txt"), "collection": "政策法规"},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 200 and not list(tmp_path.glob("evil*"))


# -- upload → review → publish ---------------------------------------------------------------------

GBK_NOTICE = """关于开展楼道堆物清理的通知

各位业主：

为消除消防隐患，物业服务中心将于本周六集中清理楼道内堆放的杂物。请各位业主在周五前自行搬离楼道里的纸箱和旧家具。

特此通知。

示例社区居民委员会
2024年4月12日
"""


def review(site: EditorSession, name: str, data: bytes, shelf: str = "政策法规") -> dict:
    response = site.post(
        "/editor/upload", {"file": (io.BytesIO(data), name), "collection": shelf}, content_type="multipart/form-data"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "核对上传的文件" in page and "保存并发布" in page
    return FormFields.of(page)


def test_gbk_text_upload_is_reviewed_then_published_and_searchable(editor):
    fields = review(editor, "楼道通知.txt", GBK_NOTICE.encode("gbk"))
    assert fields["title"] == "关于开展楼道堆物清理的通知"
    assert fields["issuer"] == "示例社区居民委员会" and fields["effective"] == "2024-04-12"
    assert "纸箱和旧家具" in fields["body"] and fields["is_new"] == "1"
    assert not any(h["title"] == fields["title"] for h in search(editor, "楼道堆物清理"))  # not before saving
    response = editor.post("/editor/save", fields)
    assert response.status_code == 302
    hits = search(editor, "楼道堆物清理")
    assert hits and hits[0]["title"] == "关于开展楼道堆物清理的通知"
    assert hits[0]["source"] == "政策法规/关于开展楼道堆物清理的通知.md"
    saved = (editor.content / hits[0]["source"]).read_text(encoding="utf-8")
    assert saved.startswith("---\ntitle: 关于开展楼道堆物清理的通知\ncollection: 政策法规\n")
    page = editor.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已保存并发布" in page


def make_docx() -> bytes:
    word = WordDocument()
    word.add_heading("小区公共收益公示办法", level=0)
    word.add_heading("第一章 总则", level=1)
    word.add_paragraph("第一条　电梯广告、公共车位出租等公共收益，归全体业主共有。")
    word.add_paragraph("第二条　物业服务企业应当每季度公示公共收益的收支情况。")
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def test_docx_upload_is_reviewed_then_published_and_searchable(editor):
    fields = review(editor, "公共收益.docx", make_docx(), shelf="有声物业")
    assert fields["title"] == "小区公共收益公示办法"
    assert "## 第一章 总则" in fields["body"] and "第二条 物业服务企业应当每季度公示" in fields["body"]
    assert editor.post("/editor/save", fields).status_code == 302
    hits = search(editor, "公共收益每季度公示")
    assert hits and hits[0]["title"] == "小区公共收益公示办法" and hits[0]["article"] == "第二条"
    assert hits[0]["collection"] == "有声物业"


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("大文件.txt", "物业".encode() * (2 * 1024 * 1024), "文件太大"),
        ("空文件.txt", b"", "文件是空的"),
        ("程序.txt", bytes(range(256)) * 64, "二进制文件"),
        ("照片.pdf", b"\x89PNG\r\n\x1a\n" + bytes(64), "图片"),
        ("旧文档.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "另存为"),
        ("表格.xlsx", b"PK\x03\x04", "只能上传"),
    ],
)
def test_bad_uploads_are_refused_with_a_message_and_nothing_published_is_lost(editor, name, data, message):
    before_files, before_catalog = content_hashes(editor.content), catalog(editor.data)
    response = editor.post("/editor/upload", {"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert content_hashes(editor.content) == before_files and catalog(editor.data) == before_catalog
    assert search(editor, "维修资金")[0]["source"] == REPAIR_FUND


def test_an_upload_over_the_servers_limit_gets_a_chinese_page(editor):
    response = editor.post(
        "/editor/upload",
        {"file": (io.BytesIO(b"x" * (21 * 1024 * 1024)), "巨大.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413 and "太大" in response.get_data(as_text=True)


# -- edit, publish, audio --------------------------------------------------------------------------


def test_the_edit_page_has_a_box_for_every_front_matter_field(editor):
    page = editor.client.get("/editor/edit", query_string={"source": REPAIR_FUND}).get_data(as_text=True)
    fields = FormFields.of(page)
    assert {field.name for field in FIELDS} <= fields.keys()
    assert (fields["issuer"], fields["tags"], fields["order"]) == ("测试编写", "专项维修资金、电梯", "1")


def test_a_save_the_parser_refuses_keeps_the_published_text(editor):
    before = content_hashes(editor.content)
    page = editor.client.get("/editor/edit", query_string={"source": REPAIR_FUND}).get_data(as_text=True)
    fields = FormFields.of(page)
    for change, message in [
        ({"body": "  "}, "正文是空的"),
        ({"title": ""}, "请填写标题"),
        ({"effective": "去年"}, "2025-01-01"),
        ({"status": "作废"}, "状态只能是"),
    ]:
        response = editor.post("/editor/save", {**fields, **change})
        assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert content_hashes(editor.content) == before
    assert search(editor, "维修资金")[0]["source"] == REPAIR_FUND


def test_a_save_over_someone_elses_newer_save_is_refused(editor):
    page = editor.client.get("/editor/edit", query_string={"source": REPAIR_FUND}).get_data(as_text=True)
    fields = FormFields.of(page)
    path = editor.content / REPAIR_FUND
    theirs = path.read_text(encoding="utf-8") + "\n另一位编辑加的一段。\n"
    path.write_text(theirs, encoding="utf-8")
    response = editor.post("/editor/save", {**fields, "body": fields["body"] + "\n\n我加的一段。"})
    assert response.status_code == 409 and "已被别人修改" in response.get_data(as_text=True)
    assert path.read_text(encoding="utf-8") == theirs


def test_preview_uses_the_kiosks_parser(editor):
    response = editor.api(
        "/editor/api/preview",
        {"title": "预览", "collection": "政策法规", "body": "## 第一章 总则\n\n第一条 先说原则。\n\n具体的款项。"},
    )
    body = response.get_json()
    assert body["ok"] and [p["kind"] for p in body["passages"]] == ["heading", "heading", "article"]
    assert body["passages"][2]["text"] == "第一条 先说原则。\n具体的款项。"
    bad = editor.api("/editor/api/preview", {"title": "预览", "collection": "政策法规", "body": ""})
    assert bad.status_code == 400 and bad.get_json() == {"ok": False, "error": "正文是空的", "status": 400}


@needs_espeak
def test_a_paragraph_can_be_heard_before_publishing(editor):
    response = editor.api("/editor/api/speak", {"text": "第三条 业主应当按时交纳物业费。逾期不交的，可以催告。"})
    body = response.get_json()
    assert body["ok"] and len(body["segments"]) == 2
    audio = editor.client.get(body["segments"][0]["url"])
    assert audio.status_code == 200 and audio.mimetype == "audio/mpeg" and len(audio.data) > 1000
    assert editor.api("/editor/api/speak", {"text": "……"}).status_code == 400


def hundred_articles() -> str:
    articles = [
        f"第{int_to_chinese(n)}条 业主应当遵守管理规约第{int_to_chinese(n)}项约定，共同维护小区的秩序。"
        for n in range(1, 101)
    ]
    return "---\ntitle: 示例小区管理规约\ncollection: 政策法规\n---\n\n" + "\n\n".join(articles) + "\n"


@needs_espeak
def test_editing_one_article_of_100_is_searchable_within_2s_and_only_it_needs_new_audio(
    tmp_path, content_dir, make_app
):
    source = "政策法规/示例小区管理规约.md"
    (content_dir / source).write_text(hundred_articles(), encoding="utf-8")
    doc_id = document_id(source)
    data = DataDir.create(tmp_path / "var")
    build_index(data, [content_dir])
    speech = engine_settings(EngineChoice("pyttsx3", 1.0, str(data.root)))
    pool = SynthesisPool(
        EngineChoice("pyttsx3", 1.0, str(data.root)), AudioCache(data.audio), workers=os.cpu_count() or 1
    )
    try:
        report = render(data, pool, missing_audio(data, speech, [doc_id]))
    finally:
        pool.close()
    assert not report.failed and missing_audio(data, speech, [doc_id]) == []
    cached_before = AudioCache(data.audio).keys()

    editor = signed_in_as(make_app(content=(content_dir,), data=data))
    # A listener's search first: the searcher is warm, as on the kiosk; the new words are not in the text yet.
    assert not any(hit["doc"] == doc_id for hit in search(editor, "楼道电动自行车充电"))
    page = editor.client.get("/editor/edit", query_string={"source": source}).get_data(as_text=True)
    fields = FormFields.of(page)
    old = "第五十条 业主应当遵守管理规约第五十项约定，共同维护小区的秩序。"
    new = "第五十条 电动自行车不得在楼道内停放或者充电，应当到小区集中充电点充电。"
    assert old in fields["body"]
    fields["body"] = fields["body"].replace(old, new)

    started = time.perf_counter()
    response = editor.post("/editor/save", fields)
    hits = search(editor, "楼道电动自行车充电")
    elapsed = time.perf_counter() - started
    print(f"\nsave → searchable: {elapsed * 1000:.0f} ms")
    assert response.status_code == 302
    assert hits and hits[0]["doc"] == doc_id and hits[0]["article"] == "第五十条"
    assert elapsed < 2.0

    store = Store(data.database)
    try:
        doc = store.document(doc_id)
        assert doc is not None, doc_id
        lines = narrate(doc, speech)
    finally:
        store.close()
    edited = {line.key for line in lines if line.passage == "a50"}
    missing = {key for key, _ in missing_audio(data, speech, [doc_id])}
    assert edited and not edited & cached_before  # the new article really needs new audio
    assert missing <= edited  # and nothing else does: the other 99 articles and the title are still cached
    assert {line.key for line in lines} - edited <= cached_before
    deadline = time.monotonic() + 60
    while missing_audio(data, speech, [doc_id]) and time.monotonic() < deadline:
        time.sleep(0.2)  # publishing queued the new article's audio
    assert missing_audio(data, speech, [doc_id]) == []


@needs_espeak
def test_the_list_shows_audio_progress_per_document(editor):
    fields = review(editor, "楼道通知.txt", GBK_NOTICE.encode("gbk"))
    editor.post("/editor/save", fields)
    doc_id = document_id("政策法规/关于开展楼道堆物清理的通知.md")
    page = editor.client.get("/editor/", query_string={"shelf": "政策法规"}).get_data(as_text=True)
    assert re.search(r"\d+ / \d+ 句", page)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        count = editor.client.get("/editor/api/progress", query_string={"id": doc_id}).get_json()["progress"][doc_id]
        if count["cached"] == count["total"]:
            break
        time.sleep(0.3)
    assert count["total"] >= 5 and count["cached"] == count["total"]


def test_list_filters_by_shelf_and_text(editor):
    page = editor.client.get("/editor/", query_string={"shelf": "有声物业"}).get_data(as_text=True)
    assert "专项维修资金怎么用" in page and "业主委员会的成立" not in page
    page = editor.client.get("/editor/", query_string={"q": "业主委员会"}).get_data(as_text=True)
    assert "业主委员会的成立" in page and "专项维修资金怎么用" not in page


def test_a_broken_file_dropped_in_by_hand_is_listed_with_its_reason(editor):
    (editor.content / "政策法规" / "坏的.md").write_text("---\nstatus: 作废\n---\n正文\n", encoding="utf-8")
    page = editor.client.get("/editor/").get_data(as_text=True)
    assert "没有发布的文件" in page and "坏的.md" in page and "只能是" in page


# -- history, trash ---------------------------------------------------------------------------------


def test_every_save_is_a_version_with_a_diff_and_restore(editor):
    path = editor.content / REPAIR_FUND
    original = path.read_text(encoding="utf-8")
    for sentence in ("第一次加的一段话。", "第二次加的一段话。"):
        page = editor.client.get("/editor/edit", query_string={"source": REPAIR_FUND}).get_data(as_text=True)
        fields = FormFields.of(page)
        assert editor.post("/editor/save", {**fields, "body": fields["body"] + "\n\n" + sentence}).status_code == 302
    page = editor.client.get("/editor/history", query_string={"source": REPAIR_FUND}).get_data(as_text=True)
    assert page.count("第 ") >= 3 and "编辑前" in page and "王编辑" in page
    ids = sorted({int(i) for i in re.findall(r"diff\?id=(\d+)", page)})
    diff = editor.client.get("/editor/history/diff", query_string={"id": ids[-1]}).get_data(as_text=True)
    assert "第二次加的一段话" in diff and 'class="diff_add"' in diff
    assert search(editor, "第二次加的一段话")
    assert editor.post("/editor/history/restore", {"id": ids[0]}).status_code == 302
    assert path.read_text(encoding="utf-8") == original
    fresh = Searcher(editor.data)  # the index itself, apart from the kiosk's warm searcher
    try:
        assert not any(h.source == REPAIR_FUND for h in fresh.search("第二次加的一段话").hits)
    finally:
        fresh.close()
    page = editor.client.get("/editor/history", query_string={"source": REPAIR_FUND}).get_data(as_text=True)
    assert "恢复旧版" in page


def test_the_kiosks_warm_searcher_forgets_text_edited_away(editor):
    for sentence in ("第一次加的一段话。", "第二次加的一段话。"):
        page = editor.client.get("/editor/edit", query_string={"source": REPAIR_FUND}).get_data(as_text=True)
        fields = FormFields.of(page)
        editor.post("/editor/save", {**fields, "body": fields["body"] + "\n\n" + sentence})
        assert search(editor, "第二次加的一段话") is not None  # the kiosk searched after each publish
    page = editor.client.get("/editor/edit", query_string={"source": REPAIR_FUND}).get_data(as_text=True)
    fields = FormFields.of(page)
    editor.post("/editor/save", {**fields, "body": fields["body"].replace("第二次加的一段话。", "")})
    assert not any("第二次" in h["snippet"] for h in search(editor, "第二次加的一段话"))


def test_delete_moves_to_the_trash_and_restore_brings_it_back(editor):
    path = editor.content / REPAIR_FUND
    text = path.read_bytes()
    doc_id = document_id(REPAIR_FUND)
    response = editor.post("/editor/delete", {"source": REPAIR_FUND})
    assert response.status_code == 302
    assert not path.exists() and doc_id not in catalog(editor.data)
    assert not any(h["source"] == REPAIR_FUND for h in search(editor, "专项维修资金"))
    assert list((editor.data.root / "trash").glob("*.md"))
    page = editor.client.get("/editor/trash").get_data(as_text=True)
    found = re.search(r'name="id" value="(\d+)"', page)
    assert found is not None, page
    entry = found.group(1)
    assert "专项维修资金怎么用" in page
    assert editor.post("/editor/trash/restore", {"id": entry}).status_code == 302
    assert path.read_bytes() == text and doc_id in catalog(editor.data)
    assert search(editor, "专项维修资金")[0]["source"] == REPAIR_FUND


def test_a_new_text_cannot_overwrite_an_existing_one(editor):
    before = content_hashes(editor.content)
    response = editor.post(
        "/editor/save",
        {
            "is_new": "1",
            "title": "维修资金",
            "collection": "有声物业",
            "volume": "物业管理篇",
            "status": "现行",
            "body": "覆盖的企图。",
        },
    )
    assert response.status_code == 409 and "已经有一篇" in response.get_data(as_text=True)
    assert content_hashes(editor.content) == before


# -- pronunciations ---------------------------------------------------------------------------------


def test_pronunciations_are_added_validated_and_removed(editor):
    old_speech = editor.app.extensions["kiosk"].speech
    response = editor.post("/editor/pronunciations", {"term": "行长", "pinyin": "háng zhǎng"})
    assert response.status_code == 302
    user_file = editor.data.root / "pronunciations.tsv"
    assert "行长\thang2 zhang3" in user_file.read_text(encoding="utf-8")
    new_speech = editor.app.extensions["kiosk"].speech
    assert new_speech is not old_speech and new_speech.settings.readings["行长"] == ("hang2", "zhang3")
    for term, pinyin, message in [
        ("行长", "hagn2 zhang3", "不是拼音音节"),
        ("行长", "hang2", "有 2 个字"),
        ("ab", "a1 b1", "只能有汉字"),
        ("", "a1", "请填写"),
    ]:
        response = editor.post("/editor/pronunciations", {"term": term, "pinyin": pinyin})
        assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert "行长\thang2 zhang3" in user_file.read_text(encoding="utf-8")
    page = editor.client.get("/editor/pronunciations").get_data(as_text=True)
    assert "行长" in page and "hang2 zhang3" in page
    assert editor.post("/editor/pronunciations", {"term": "行长", "remove": "1"}).status_code == 302
    assert "行长" not in user_file.read_text(encoding="utf-8")


@needs_espeak
def test_a_corrected_reading_revoices_only_the_sentences_with_that_term(editor):
    data = editor.data
    choice = EngineChoice("pyttsx3", 1.0, str(data.root))
    pool = SynthesisPool(choice, AudioCache(data.audio), workers=os.cpu_count() or 1)
    try:
        assert not render(data, pool, missing_audio(data, engine_settings(choice))).failed
    finally:
        pool.close()
    cached_before = AudioCache(data.audio).keys()
    response = editor.post("/editor/pronunciations", {"term": "共有", "pinyin": "gong4 you3"}, follow_redirects=True)
    assert "重新合成" in response.get_data(as_text=True)
    corrected = engine_settings(choice)
    store = Store(data.database)
    try:
        lines = []
        for doc_id in store.document_ids():
            doc = store.document(doc_id)
            assert doc is not None, doc_id
            lines += narrate(doc, corrected)
    finally:
        store.close()
    affected = {line.key for line in lines if "共有" in line.spoken}
    assert affected and not affected & cached_before
    assert {line.key for line in lines} - affected <= cached_before  # every other sentence keeps its audio
    deadline = time.monotonic() + 60
    while missing_audio(data, corrected) and time.monotonic() < deadline:
        time.sleep(0.2)  # the change queued the affected sentences
    assert missing_audio(data, corrected) == []


# -- bulk import from the editor -------------------------------------------------------------------------


def wait_for_import(site: EditorSession, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = site.client.get("/editor/api/import").get_json()["job"]
        if not job["running"]:
            return job
        time.sleep(0.1)
    raise AssertionError(f"the import did not finish: {job}")


def test_an_admin_imports_a_folder_from_the_editor_with_progress(admin, tmp_path, content_dir):
    folder = tmp_path / "街道来文"
    folder.mkdir()
    (folder / "通知.txt").write_bytes(GBK_NOTICE.encode("gbk"))
    (folder / "办法.docx").write_bytes(make_docx())
    (folder / "照片.jpg").write_bytes(b"\xff\xd8\xff" + b"0" * 100)
    assert "批量导入" in admin.client.get("/editor/").get_data(as_text=True)
    assert admin.post("/editor/import", {"source": str(folder), "folder": "来文"}).status_code == 302
    job = wait_for_import(admin)
    assert job["stage"] == "done" and job["total"] == 2, job
    assert "复制 1 个，转换 1 个" in job["summary"] and "新增 2 篇" in job["summary"]
    assert (content_dir / "来文" / "办法.md").is_file()
    assert any(hit["source"] == "来文/办法.md" for hit in search(admin, "公共收益每季度公示"))
    page = admin.client.get("/editor/import").get_data(as_text=True)
    assert "已完成" in page and str(folder) in page
    again = admin.post("/editor/import", {"source": str(folder), "folder": "来文"})
    assert again.status_code == 302 and "未变 2 个" in wait_for_import(admin)["summary"]


@pytest.mark.parametrize(
    "source, message", [("", "请填写"), ("相对/路径", "以 / 开头"), ("/没有/这个/文件夹", "U 盘插好了吗")]
)
def test_import_of_a_folder_that_is_not_there_says_why(admin, source, message):
    response = admin.post("/editor/import", {"source": source})
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_only_admins_import(editor, tmp_path):
    assert editor.client.get("/editor/import").status_code == 403
    assert editor.post("/editor/import", {"source": str(tmp_path)}).status_code == 403
    assert editor.client.get("/editor/api/import").get_json()["status"] == 403


# -- statistics ----------------------------------------------------------------------------------------


def report_listening(site: EditorSession, doc_id: str, position: int, total: int, seconds: float = 40) -> None:
    response = site.client.post(
        "/api/usage",
        json={
            "kind": "listen",
            "doc": doc_id,
            "seconds": seconds,
            "passage": f"p{position}",
            "position": position,
            "total": total,
        },
    )
    assert response.status_code == 204


def test_statistics_show_what_was_not_found_what_was_heard_and_where_it_stopped(editor):
    titles = {title: doc_id for doc_id, title in catalog(editor.data).items()}
    fund = titles["专项维修资金怎么用"]
    for query in ("充电桩安装", "充电桩安装", "维修基金"):
        editor.client.get("/search", query_string={"q": query})
    for position in (0, 0, 1, 9):
        report_listening(editor, fund, position, total=10)
    report_listening(editor, titles["业主委员会的成立"], 2, total=4)
    page = editor.client.get("/editor/stats").get_data(as_text=True)
    unanswered = page[page.index("没有搜到内容的搜索") : page.index("每天的收听")]
    assert "充电桩安装" in unanswered and "维修基金" not in unanswered  # that one found its answer
    assert (
        "title=%E5%85%85%E7%94%B5%E6%A1%A9" in unanswered
    )  # 写一篇 starts a text with the searched words as its title
    popular = page[page.index("最常听的文章") : page.index("各书架的收听")]
    assert popular.index("专项维修资金怎么用") < popular.index("业主委员会的成立")
    chart_data = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', page, re.S)
    assert chart_data is not None, page
    charts = json.loads(chart_data.group(1))
    assert charts["stops"]["counts"] == [2, 1, 0, 0, 0, 0, 0, 0, 0, 1]  # the most-heard text is chosen first
    assert sum(charts["daily"]["plays"]) == 5 and charts["shelves"]["plays"] == [4, 1]
    assert "vendor/chart.js/chart.umd.min.js" in page
    other = editor.client.get("/editor/stats", query_string={"doc": titles["业主委员会的成立"], "shelf": "有声党建"})
    assert "最常听的文章" in other.get_data(as_text=True) and other.status_code == 200


def test_statistics_export_csv_that_excel_reads(editor):
    fund = next(doc_id for doc_id, title in catalog(editor.data).items() if title == "专项维修资金怎么用")
    editor.client.get("/search", query_string={"q": "没有的东西嘿嘿"})
    report_listening(editor, fund, 3, total=10, seconds=90)
    listens = editor.client.get("/editor/stats/listens.csv", query_string={"days": 7})
    assert listens.mimetype == "text/csv" and "attachment" in listens.headers["Content-Disposition"]
    text = listens.data.decode("utf-8")
    assert text.startswith("\ufeff日期,书架,文章,标题,播放次数,收听分钟,听完次数")
    assert f",{fund},专项维修资金怎么用,1,1.5,0" in text
    searches = editor.client.get("/editor/stats/searches.csv").data.decode("utf-8")
    assert "没有的东西嘿嘿,0,1" in searches
    assert editor.client.get("/editor/stats/passwords.csv").status_code == 404


# -- the command line ---------------------------------------------------------------------------------


@pytest.fixture
def runner(monkeypatch, tmp_path, content_dir):
    monkeypatch.setenv("KIOSK_DATA", str(tmp_path / "var"))
    monkeypatch.setenv("KIOSK_CONTENT", str(content_dir))
    monkeypatch.setenv("KIOSK_ENGINE", "pyttsx3")
    return CliRunner()


def test_user_add_asks_for_the_password_twice(runner, tmp_path):
    result = runner.invoke(
        main, ["user", "add", "李编辑", "--role", "admin"], input=f"{TEST_PASSWORD}\n{TEST_PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "已创建管理员账号「李编辑」" in result.output and TEST_PASSWORD not in result.output
    with Accounts(tmp_path / "var") as accounts:
        assert accounts.authenticate("李编辑", TEST_PASSWORD).role == "admin"
    again = runner.invoke(main, ["user", "add", "李编辑"], input=f"{TEST_PASSWORD}\n{TEST_PASSWORD}\n")
    assert again.exit_code == 1 and "已经存在" in again.output
    short = runner.invoke(main, ["user", "add", "赵编辑"], input="short\nshort\n")
    assert short.exit_code == 1 and "至少要 8 个字符" in short.output
    listed = runner.invoke(main, ["user", "list"])
    assert listed.exit_code == 0 and "李编辑\t管理员" in listed.output


def test_import_copies_a_folder_and_builds(runner, tmp_path, content_dir):
    folder = tmp_path / "街道来文"
    folder.mkdir()
    (folder / "通知.txt").write_bytes(GBK_NOTICE.encode("gbk"))
    (folder / "办法.docx").write_bytes(make_docx())
    result = runner.invoke(main, ["import", str(folder)])
    assert result.exit_code == 0, result.output
    assert "复制 1，转换 1" in result.output and "新增 5" in result.output  # the 3 test texts and the 2 imported
    assert (content_dir / "街道来文" / "办法.md").is_file()
    found = runner.invoke(main, ["search", "公共收益每季度公示", "--json"])
    assert "街道来文/办法.md" in found.output
