"""A real kiosk server over the bundled content, and Chromium driven by Playwright, for the browser tests."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask

from indexer.datadir import DataDir
from kiosk.settings import BUNDLED_CONTENT, PROJECT_ROOT
from tests.sites import TEST_CONTENT, TEST_PASSWORD, AppMaker, close_app, indexed, open_app

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
KIOSK_VIEWPORT = {"width": 1080, "height": 1920}
PHONE_VIEWPORT = {"width": 390, "height": 844}


def build_bundled(root: Path) -> DataDir:
    """An index of the bundled content in ``root``, without pre-rendered audio (the server renders on demand)."""
    return indexed(DataDir.create(root), [BUNDLED_CONTENT])


class LiveServer:
    """An app served by waitress on a free loopback port, in a daemon thread, until the ``with`` block ends; the
    app stays open for whoever made it."""

    def __init__(self, app: Flask, per_address: int | None = None):
        from kiosk.web.server import CONNECTIONS_PER_ADDRESS, create_server

        self.app = app
        self.server = create_server(
            app, per_address or CONNECTIONS_PER_ADDRESS, host="127.0.0.1", port=0, threads=8, ident="kiosk-test"
        )
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self._closing = False
        self.thread = threading.Thread(target=self._serve, daemon=True, name="kiosk-test-server")
        self.thread.start()

    @property
    def content(self) -> Path:
        """The app's first content root, where the editor writes."""
        return self.app.config["SETTINGS"].content[0]

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _serve(self) -> None:
        try:
            self.server.run()
        except OSError:
            if not self._closing:  # closing the sockets under a waiting select() is how this loop ends
                raise

    def close(self) -> None:
        self._closing = True
        self.server.close()
        self.thread.join(timeout=5)


@contextmanager
def live_server(
    data: DataDir | Path, content: Sequence[Path] = (BUNDLED_CONTENT,), **settings: Any
) -> Iterator[LiveServer]:
    """A running server over ``data`` (the bundled content unless told) with these setting overrides; its app is
    closed with it."""
    app = open_app(data, content, **settings)
    try:
        with LiveServer(app) as server:
            yield server
    finally:
        close_app(app)


def sign_in_with_the_form(page: Page, name: str) -> None:
    """On the editor's sign-in page: type the account's name and the test password, press 登录."""
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()


@pytest.fixture(scope="module")
def editor_server(make_module_app: AppMaker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server over a writable copy of the test content, with the editor's account, for the editor's pages."""
    content = tmp_path_factory.mktemp("editor-site") / "content"
    shutil.copytree(TEST_CONTENT, content)
    with LiveServer(make_module_app(content=(content,), build=True, accounts=("editor",))) as server:
        yield server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that drives Chromium (through the `browser` fixture) is marked `browser`, and is skipped where
    Chromium is not installed, without each module saying so."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                item.add_marker(pytest.mark.skip(reason=f"Chromium not installed at {CHROMIUM}"))


def launch_chromium(playwright):
    """Debian's Chromium; Playwright's own browser download is not reachable here."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module that drives pages; its pages get fresh contexts."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()
