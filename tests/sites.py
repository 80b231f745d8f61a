"""Kiosk apps as the tests run them, and signing in as people do: one test password, one editor account per role
signing in through the real form with its CSRF token, learners through /api/learner/signin."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import threading
from collections.abc import Callable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask
from flask.testing import FlaskClient
from nacl.signing import SigningKey
from werkzeug.test import TestResponse

from indexer.build import build_index
from indexer.datadir import DataDir
from indexer.errors import KioskError
from kiosk import create_app
from kiosk.city.database import CityDB
from kiosk.editor.accounts import Accounts
from kiosk.hubs.enrolment import enrol, find
from kiosk.hubs.messages import signed_headers
from kiosk.library.keys import public_text
from kiosk.places import PlaceError, add_community, find_community
from kiosk.settings import Settings

TEST_CONTENT = Path(__file__).parent / "data" / "content"
TEST_PASSWORD = "长城永不倒-2025"
ACCOUNTS = {"editor": "王编辑", "admin": "管理员", "trainer": "刘老师"}  # the one account of each role
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
T = TypeVar("T")
MONDAY = dt.datetime(2026, 12, 7, 9, 0)  # the desk's and 物业超市's today: a Monday of 2026Q4, local time
CHENGGUAN = (("城关街道", "幸福里社区"), ("城关街道", "花园社区"))  # the 社区 those tests' staff serve
ZHANG = {"name": "张网格", "town": "城关街道", "community": "幸福社区", "pin": "2468"}  # the learner unless told


def root_of(data: DataDir | Path) -> Path:
    """A data dir's folder, given as a DataDir or as a path."""
    return data.root if isinstance(data, DataDir) else Path(data)


def open_app(data: DataDir | Path, content: Sequence[Path], test_config: dict | None = None, **settings: Any) -> Flask:
    """The kiosk app as tests run it: espeak-ng for speech (real and quick), these content roots and setting
    overrides, ``test_config`` on top."""
    chosen = Settings(data=root_of(data), content=tuple(content), engine="pyttsx3", **settings)
    return create_app({"SETTINGS": chosen, "TESTING": True, **(test_config or {})})


def close_app(app: Flask) -> None:
    """Stop the app's speech workers and release its index (safe to call again)."""
    app.extensions["kiosk"].close()


def indexed(data: DataDir, content: Sequence[Path]) -> DataDir:
    """``data`` with its index brought in line with ``content``; a build that skipped a file fails the test."""
    report = build_index(data, list(content))
    assert report.ok, report.skipped
    return data


class Indexes:
    """Indexes built once a session per set of content roots: an app gets a copy, brought up to date (the roots may
    be a test's own folder, changed since)."""

    def __init__(self, root: Path):
        self.root = root
        self._templates: dict[tuple[Path, ...], DataDir] = {}

    def copy(self, content: Sequence[Path], target: Path) -> DataDir:
        """A data dir at ``target`` with the index of ``content``."""
        key = tuple(root.resolve() for root in content)
        if key not in self._templates:
            self._templates[key] = indexed(DataDir.create(self.root / f"index-{len(self._templates)}"), content)
        shutil.copytree(self._templates[key].root, target)
        return indexed(DataDir.create(target), content)


class AppMaker:
    """The `make_app` factory: apps on new data dirs (or given ones), every one closed when the scope ends."""

    def __init__(self, new_folder: Callable[[], Path], indexes: Indexes):
        self._new_folder = new_folder
        self._indexes = indexes
        self._apps: list[Flask] = []

    def __call__(
        self,
        content: Sequence[Path] = (TEST_CONTENT,),
        data: DataDir | Path | None = None,
        build: bool = False,
        accounts: Sequence[str] = (),
        test_config: dict | None = None,
        **settings: Any,
    ) -> Flask:
        """An app over ``content`` on ``data`` as it is, else on a new data dir; ``build`` indexes the content
        first, ``accounts`` are the roles whose accounts exist from the start."""
        if data is None:
            folder = self._new_folder() / "var"
            data = self._indexes.copy(content, folder) if build else DataDir.create(folder)
        elif build:
            indexed(DataDir.create(root_of(data)), content)
        app = open_app(data, content, test_config, **settings)
        self._apps.append(app)
        for role in accounts:
            add_account(data, role)
        return app

    def close(self) -> None:
        while self._apps:
            close_app(self._apps.pop())


def add_account(data: DataDir | Path, role: str) -> str:
    """The name of the role's account in this data dir, made with the test password if it was not there."""
    name = ACCOUNTS[role]
    with Accounts(root_of(data)) as accounts:
        if accounts.get(name) is None:
            accounts.add(name, TEST_PASSWORD, role=role)
    return name


def add_staff(data: DataDir | Path, staff: dict[str, tuple[str, str]], communities: Sequence[tuple[str, str]]) -> None:
    """The hub's 社区 (town, community) and one account per staff name (role, unit), with the test password: the
    desk's and the 物业超市's people."""
    root = root_of(data)
    for town, community in communities:
        add_community(root, town, community)
    with Accounts(root) as accounts:
        for name, (role, unit) in staff.items():
            accounts.add(name, TEST_PASSWORD, role, unit)


def staffed_app(make_app: Callable[..., Flask], clock: Clock, staff: dict[str, tuple[str, str]]) -> Flask:
    """A kiosk on this clock with the editor accounts, these desk and 物业超市 staff, and 城关街道's two 社区."""
    app = make_app(accounts=("admin", "editor", "trainer"), test_config={"LEARNING_CLOCK": clock})
    add_staff(app.extensions["kiosk"].data.root, staff, CHENGGUAN)
    return app


class Clock:
    """The hub's clock as the app sees it (LEARNING_CLOCK), moved by the test instead of sleeping."""

    def __init__(self, start: dt.datetime | float):
        self.now = start.timestamp() if isinstance(start, dt.datetime) else float(start)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def csrf_field(page: str) -> str:
    """The CSRF token in a form's hidden field."""
    found = CSRF_FIELD.search(page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


class EditorSession:
    """One browser on one app: its own cookies, the editor's sign-in form, and the session's CSRF token sent with
    every form and script POST. ``data`` and ``content`` are the app's."""

    def __init__(self, app: Flask):
        self.app = app
        self.client: FlaskClient = app.test_client()

    @property
    def data(self) -> DataDir:
        return self.app.extensions["kiosk"].data

    @property
    def content(self) -> Path:
        """The first content root: the editors' own folder, where new texts are written."""
        return self.app.config["SETTINGS"].content[0]

    def sign_in(self, name: str = ACCOUNTS["editor"], password: str = TEST_PASSWORD, **request: Any) -> TestResponse:
        """Fill in the sign-in form and send it; ``request`` options (e.g. the address) go with the POST."""
        token = csrf_field(self.client.get("/editor/signin").get_data(as_text=True))
        return self.client.post(
            "/editor/signin", data={"name": name, "password": password, "csrf_token": token}, **request
        )

    def token(self) -> str:
        with self.client.session_transaction() as session:
            return session["editor_csrf"]

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict | None = None, **kwargs: Any) -> TestResponse:
        """A form POST with this session's token."""
        return self.client.post(url, data={**(data or {}), "csrf_token": self.token()}, **kwargs)

    def api(self, url: str, payload: dict) -> TestResponse:
        """A script's JSON POST, the token in its header."""
        return self.client.post(url, json=payload, headers={"X-CSRF-Token": self.token()})

    def page(self, url: str) -> str:
        """A page that must answer 200, as text."""
        response = self.get(url)
        assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:500])
        return response.get_data(as_text=True)


def signed_in_as(app: Flask, role: str = "editor") -> EditorSession:
    """A browser signed in to the app's editor as the role's account (made if missing), through the real form."""
    session = EditorSession(app)
    response = session.sign_in(add_account(session.data, role))
    assert response.status_code == 302, response.get_data(as_text=True)
    return session


def list_community(data: DataDir | Path, town: str, community: str) -> None:
    """Put a 社区 on the hub's list, as a trainer does before learners sign in from it; one already listed, or a
    name the list refuses (a test of bad input), is left to the sign-in to answer."""
    root = root_of(data)
    if find_community(root, community) is None:
        with suppress(PlaceError):
            add_community(root, town, community)


def learner_sign_in(client: FlaskClient, **changes: str) -> TestResponse:
    """A phone's sign-in on /api/learner/signin as 张网格, or with these fields changed; the 社区 is listed first."""
    fields = {**ZHANG, **changes}
    list_community(client.application.extensions["kiosk"].data, fields.get("town", ""), fields.get("community", ""))
    return client.post("/api/learner/signin", json=fields)


def learner_signed_in(client: FlaskClient, **changes: str) -> str:
    """Sign a learner in and return the session's CSRF token."""
    response = learner_sign_in(client, **changes)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["csrf"]


def in_one_burst(calls: Sequence[Callable[[], T]]) -> list[T | Exception]:
    """Each call on its own thread, all let go at once: what each returned or the KioskError it raised, in the
    calls' order (any other exception is left as "did not finish")."""
    start = threading.Barrier(len(calls))
    outcomes: list[T | Exception] = [RuntimeError("did not finish")] * len(calls)

    def run(index: int, call: Callable[[], T]) -> None:
        start.wait()
        try:
            outcomes[index] = call()
        except KioskError as exc:  # a refusal is an outcome under test, kept rather than raised in the thread
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def hub_signing_key(name: str) -> SigningKey:
    """The key of the test hub ``name``: the same in every test, so a test can sign as that hub again."""
    return SigningKey(hashlib.sha256(f"test hub {name}".encode()).digest())


def enrolled_hub(app: Flask, name: str) -> SigningKey:
    """The hub ``name`` enrolled at the centre ``app`` (unless it is already), as `kiosk hub enrol` does; its key."""
    key = hub_signing_key(name)
    with CityDB(app.extensions["kiosk"].data.root) as db:
        if find(db, name) is None:
            enrol(db, name, public_text(key), app.config["SETTINGS"].hub_name)
    return key


def post_report(
    client: FlaskClient, body: dict, hub: str | None = None, key: SigningKey | None = None, at: float | None = None
) -> TestResponse:
    """POST ``body`` to /api/city/report as `kiosk sync` does: signed as ``hub`` (the body's own unless told) with
    ``key`` (that hub's, enrolled, unless told) at ``at`` (now unless told)."""
    hub = body["hub"] if hub is None else hub
    key = enrolled_hub(client.application, hub) if key is None else key
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    headers = signed_headers(key, hub, "POST", "/api/city/report", raw, at)
    return client.post("/api/city/report", data=raw, content_type="application/json", headers=headers)
