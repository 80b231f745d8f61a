"""A real kiosk server over the bundled content, and Chromium driven by Playwright, for the browser tests."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

from indexer.build import build_index
from indexer.datadir import DataDir
from kiosk.settings import BUNDLED_CONTENT, PROJECT_ROOT, Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--autoplay-policy=no-user-gesture-required"]
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
KIOSK_VIEWPORT = {"width": 1080, "height": 1920}
PHONE_VIEWPORT = {"width": 390, "height": 844}


def build_bundled(root: Path) -> DataDir:
    """An index of the bundled content in ``root``, without pre-rendered audio (the server renders on demand)."""
    data = DataDir.create(root)
    report = build_index(data, [BUNDLED_CONTENT])
    assert report.ok, report.skipped
    return data


class LiveServer:
    """The kiosk app served by waitress on a free loopback port, in a daemon thread."""

    def __init__(self, settings: Settings):
        from kiosk import create_app
        from kiosk.web.security import create_server

        self.app = create_app({"SETTINGS": settings})
        self.server = create_server(self.app, host="127.0.0.1", port=0, threads=8, ident="kiosk-test")
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self._closing = False
        self.thread = threading.Thread(target=self._serve, daemon=True, name="kiosk-test-server")
        self.thread.start()

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
        self.app.extensions["kiosk"].close()


@contextmanager
def live_server(data: DataDir, **overrides):
    """A running server over ``data`` with pyttsx3 speech and the given setting overrides."""
    server = LiveServer(Settings(data=data.root, engine="pyttsx3", **overrides))
    try:
        yield server
    finally:
        server.close()


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
