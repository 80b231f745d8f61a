"""Every blueprint's errors in one shape: walk every route of the app with the wrong method, missing things, bad
bodies, bodies over their limit, floods and a broken service, and check that each error is the API's JSON
({"ok": false, "error": "<Chinese>", "status": N}) on API paths and a page of the error-page family elsewhere."""

from __future__ import annotations

import json
import re
from collections import defaultdict

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.test import TestResponse

from kiosk.market.companies import Company
from kiosk.market.database import MarketDB
from kiosk.web.errors import is_api_path
from tests.sites import AppMaker, csrf_field, signed_in_as

METHODS = ("GET", "POST", "PUT", "DELETE")
PLACEHOLDER = "没有这个"
# What each blueprint must show at least once: every route can be asked with the wrong method (405); each shows the
# other statuses its routes can give. offline serves one static file and cannot fail otherwise.
EXPECTED = {
    "pages": {404, 405, 500},
    "api": {400, 404, 405, 413, 429, 500},
    "training": {404, 405, 500},
    "learning": {400, 404, 405, 413, 415, 429, 500},
    "places": {405, 500},
    "city": {400, 405, 413, 429, 500},
    "editor": {400, 404, 405, 413, 429, 500},
    "library": {404, 405, 500},
    "offline": {405},
    "desk": {400, 404, 405, 429, 500},
    "desk_api": {400, 405, 413, 415, 429, 500},
    "open311": {400, 404, 405, 413, 429, 500},
    "market": {400, 403, 404, 405, 409, 429, 500},
    "practical": {400, 405, 415, 500},
}


class Walk:
    """The app and what its error paths answered, by blueprint and status."""

    def __init__(self, app: Flask):
        self.app = app
        self.seen: dict[str, set[int]] = defaultdict(set)
        self.visitor = app.test_client()
        admin = signed_in_as(app, "admin")
        self.editor, self.token = admin.client, admin.token()

    def client(self, path: str) -> FlaskClient:
        return self.editor if path.startswith("/editor/") else self.visitor

    def ask(self, method: str, path: str, **kwargs) -> TestResponse:
        """Send one request; an error answer must have its path's shape, and is counted for its blueprint."""
        headers = {"X-CSRF-Token": self.token, **kwargs.pop("headers", {})}
        response = self.client(path).open(path, method=method, headers=headers, **kwargs)
        if response.status_code >= 400:
            assert_error_shape(response, path)
            self.seen[self.blueprint(method, path)].add(response.status_code)
        return response

    def blueprint(self, method: str, path: str) -> str:
        """The blueprint whose rule the path matches (with whichever method it allows); "app" for none."""
        urls = self.app.url_map.bind("localhost")
        try:
            endpoint, _ = urls.match(path.split("?")[0], method=method)
        except MethodNotAllowed as wrong:
            endpoint, _ = urls.match(path.split("?")[0], method=sorted(wrong.valid_methods or ["GET"])[0])
        except NotFound:
            return "app"
        return endpoint.partition(".")[0] if "." in endpoint else "app"


def assert_error_shape(response: TestResponse, path: str) -> None:
    status = response.status_code
    if is_api_path(path):
        body = response.get_json()
        assert body is not None, (path, status, response.get_data(as_text=True)[:200])
        assert body["ok"] is False and body["status"] == status, (path, body)
        assert isinstance(body["error"], str) and body["error"] and not body["error"].isascii(), (path, body)
        assert set(body) <= {"ok", "error", "status", "preparing"}, (path, body)
    else:
        page = response.get_data(as_text=True)
        assert response.mimetype == "text/html", (path, status, response.mimetype)
        if status in (400, 401) and "<form" in page and 'role="alert"' in page:
            return  # a form shown again with what was wrong, keeping what was typed: not an error page
        assert f'data-error-status="{status}"' in page, (path, status, page[:300])
        message = re.search(r"<h1>(.*?)</h1>", page, re.S)
        assert message and message[1].strip() and not message[1].isascii(), (path, status)
        assert "Traceback" not in page and "Werkzeug" not in page


@pytest.fixture(scope="module")
def app(make_module_app: AppMaker) -> Flask:
    return make_module_app(build=True)


@pytest.fixture(scope="module")
def walk(app: Flask) -> Walk:
    return Walk(app)


def concrete(rule) -> str:
    """The rule's path with every variable given a value no route knows."""
    return re.sub(r"<[^>]+>", PLACEHOLDER, rule.rule)


def test_every_route_refuses_a_wrong_method_in_its_shape(app: Flask, walk: Walk):
    allowed: dict[str, set[str]] = defaultdict(set)
    for rule in app.url_map.iter_rules():
        allowed[concrete(rule)] |= rule.methods or set()
    for path, methods in allowed.items():
        wrong = next(method for method in METHODS if method not in methods)
        assert walk.ask(wrong, path).status_code == 405, path


def test_every_route_with_a_variable_answers_a_missing_thing_in_its_shape(app: Flask, walk: Walk):
    for rule in app.url_map.iter_rules():
        if rule.arguments and "GET" in (rule.methods or set()):
            assert walk.ask("GET", concrete(rule)).status_code < 500, rule.rule
    for path in ("/没有", "/api/没有", "/editor/没有", "/editor/api/没有", "/library/没有"):
        assert walk.ask("GET", path).status_code == 404, path


def test_every_post_route_refuses_a_body_that_is_no_object_in_its_shape(app: Flask, walk: Walk):
    for rule in app.url_map.iter_rules():
        if "POST" in (rule.methods or set()) and rule.endpoint != "editor.sign_out":
            for body, kind in (("[1, 2]", "application/json"), ("{", "application/json"), ("{}", "text/plain")):
                status = walk.ask("POST", concrete(rule), data=body, content_type=kind).status_code
                assert status < 500, (rule.rule, body, kind)
    walk.ask("POST", "/api/learner/signin", data="{}", content_type="text/plain")
    assert 415 in walk.seen["learning"] and 400 in walk.seen["editor"] and 400 in walk.seen["api"]


@pytest.mark.parametrize(
    ("path", "size"),
    [
        ("/api/usage", 4 * 1024),
        ("/api/learner/signin", 4 * 1024),
        ("/api/learner/heard", 512 * 1024),
        ("/api/city/report", 3 * 1024 * 1024),
        ("/editor/api/preview", 11 * 1024 * 1024),
        ("/editor/upload", 21 * 1024 * 1024),
        ("/api/desk/requests", 20 * 1024),
        ("/api/desk/open311/requests.json", 20 * 1024),
    ],
)
def test_a_body_over_its_routes_limit_is_refused_in_its_shape(walk: Walk, path: str, size: int):
    body = json.dumps({"text": "字" * (size // 3)})
    assert walk.ask("POST", path, data=body, content_type="application/json").status_code == 413


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/api/usage", None),
        ("/api/learner/signin", None),
        ("/api/city/report", None),
        ("/editor/signin", True),
        ("/api/desk/requests", None),
        ("/api/desk/open311/requests.json", None),
        ("/desk/find", None),
    ],
)
def test_a_flood_is_slowed_in_its_shape(app: Flask, walk: Walk, path: str, form: bool | None):
    client = app.test_client()  # its own client: the sign-in flood must not end the walk's editor session
    if form:
        body = {"name": "谁", "password": "不对", "csrf_token": csrf_field(client.get(path).get_data(as_text=True))}
    for _ in range(40):
        if form:
            response = client.post(path, data=body)
        else:
            response = client.post(path, json={"kind": "search", "q": "电梯", "hits": 1})
        if response.status_code == 429:
            break
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1, path
    assert_error_shape(response, path)
    walk.seen[walk.blueprint("POST", path)].add(429)


def test_a_residents_rating_refused_for_each_reason_in_its_shape(app: Flask, walk: Walk):
    with MarketDB(app.extensions["kiosk"].data.root) as db:
        company, _ = db.save(Company(name="示例·错误页物业", registration="示例-错误"), "测试", "add", 0.0)
    path = f"/market/c/{company.id}/rate"
    assert walk.ask("POST", f"{path}?kiosk=1", data={"stars": "5"}).status_code == 403
    assert walk.ask("POST", path, data={"stars": "5"}).status_code == 400  # no phone id: the page was never opened
    walk.visitor.get(f"/market/c/{company.id}")
    assert walk.ask("POST", path, data={"stars": "5"}).status_code == 303
    assert walk.ask("POST", path, data={"stars": "4"}).status_code == 409
    for _ in range(40):
        if walk.ask("POST", path, data={"stars": "5"}).status_code == 429:
            break
    assert 429 in walk.seen["market"]


class Broken:
    """Services that fail on any use, as a bug in one would."""

    def __getattr__(self, name: str):
        raise RuntimeError(f"broken on purpose: {name}")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/search?q=电梯",
        "/api/shelves",
        "/api/courses",
        "/courses",
        "/api/learner",
        "/api/communities",
        "/wall",
        "/api/city/wall",
        "/editor/",
        "/editor/api/progress",
        "/library/manifest",
        "/desk/new/dispute",
        "/api/desk/communities",
        "/api/desk/open311/services.json",
        "/market/",
        "/learn/practical",
    ],
)
def test_an_unexpected_failure_is_a_500_in_its_shape(app: Flask, walk: Walk, monkeypatch, path: str):
    monkeypatch.setitem(app.extensions, "kiosk", Broken())
    assert walk.ask("GET", path).status_code == 500, path


def test_every_blueprint_showed_each_of_its_errors_in_its_shape(app: Flask, walk: Walk):
    """Runs last in this file: what the walk above saw covers every blueprint."""
    assert set(app.blueprints) == set(EXPECTED), "a new blueprint: add what its errors are to EXPECTED"
    missing = {
        name: sorted(statuses - walk.seen[name]) for name, statuses in EXPECTED.items() if statuses - walk.seen[name]
    }
    assert not missing, missing
