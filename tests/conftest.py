"""Shared fixtures: a tiny content folder, apps on it (`make_app`, `app`, `client`), browsers of the editor signed in
per role (`signed_in`, `editor`) or not yet (`site`), a built index with a slice of the real law library."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from indexer.datadir import DataDir
from tests.sites import TEST_CONTENT, AppMaker, EditorSession, Indexes, indexed, signed_in_as

pytest_plugins = ["tests.browser_fixtures"]  # `browser` (Chromium) and `editor_server` (the editor over HTTP)
LAW_LIBRARY = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "laws"
LAW_SLICE = [
    "行政法规/物业管理条例(2018-03-19).md",
    "民法典/合同编.md",
    "民法典/物权编.md",
    "宪法相关法/城市居民委员会组织法(2018-12-29).md",
    "DLC/北京地方法规/地方性法规/北京/北京市物业管理条例(2024-03-29).md",
    "DLC/上海地方法规/地方性法规/上海/上海市住宅物业管理规定(2010-12-23).md",
    "DLC/上海地方法规/地方性法规/上海/上海市住宅物业管理规定(2020-12-30).md",
]


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """A writable copy of the test content, for tests that edit files."""
    target = tmp_path / "content"
    shutil.copytree(TEST_CONTENT, target)
    return target


@pytest.fixture
def data(tmp_path: Path) -> DataDir:
    return DataDir.create(tmp_path / "var")


@pytest.fixture(scope="session")
def indexes(tmp_path_factory: pytest.TempPathFactory) -> Indexes:
    """Each set of content roots indexed once for the session; apps get copies."""
    return Indexes(tmp_path_factory.mktemp("indexes"))


@pytest.fixture
def make_app(tmp_path_factory: pytest.TempPathFactory, indexes: Indexes) -> Iterator[AppMaker]:
    """make_app(content=..., data=..., build=True, accounts=("admin",), test_config={...}, **settings): apps for
    one test, closed after it."""
    maker = AppMaker(lambda: tmp_path_factory.mktemp("app"), indexes)
    yield maker
    maker.close()


@pytest.fixture(scope="module")
def make_module_app(tmp_path_factory: pytest.TempPathFactory, indexes: Indexes) -> Iterator[AppMaker]:
    """make_app for apps that a module's tests share (they only read, or reset what they use)."""
    maker = AppMaker(lambda: tmp_path_factory.mktemp("app"), indexes)
    yield maker
    maker.close()


@pytest.fixture
def app(make_app: AppMaker, content_dir: Path) -> Flask:
    """The kiosk over a writable copy of the test content, indexed; modules needing another app override it."""
    return make_app(content=(content_dir,), build=True)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def signed_in(app: Flask) -> Callable[..., EditorSession]:
    """signed_in("admin"): a browser signed in to `app`'s editor as that role's account, made if missing."""
    return lambda role="editor": signed_in_as(app, role)


@pytest.fixture
def editor(signed_in: Callable[..., EditorSession]) -> EditorSession:
    return signed_in("editor")


@pytest.fixture
def site(app: Flask) -> EditorSession:
    """A browser on `app` that has not signed in; its sign_in() uses the form."""
    return EditorSession(app)


@pytest.fixture(scope="session")
def law_slice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few real law-library files with the metadata of the whole library, read from ../shared."""
    if not LAW_LIBRARY.is_dir():
        pytest.skip(f"law library not found at {LAW_LIBRARY}")
    root = tmp_path_factory.mktemp("laws")
    for source in LAW_SLICE:
        (root / source).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(LAW_LIBRARY / source, root / source)
    shutil.copy(LAW_LIBRARY / "metadata.json", root / "metadata.json")
    return root


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, law_slice: Path) -> DataDir:
    """An index over the test content and the law slice, built once for the session."""
    return indexed(DataDir.create(tmp_path_factory.mktemp("var")), [TEST_CONTENT, law_slice])
