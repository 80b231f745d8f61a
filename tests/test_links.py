"""Links and QR codes for phones point at this hub, whatever Host header a client sends."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask import Flask

from kiosk.settings import BUNDLED_CONTENT
from kiosk.web.links import lan_addresses
from tests.sites import AppMaker

ROGUE = "evil.example"


@pytest.fixture(scope="module")
def app(make_module_app: AppMaker) -> Flask:
    return make_module_app(content=(BUNDLED_CONTENT,), build=True)


@pytest.fixture(scope="module")
def doc(app: Flask) -> str:
    return app.test_client().get("/api/shelves").get_json()["shelves"][0]["volumes"][0]["docs"][0]["id"]


def test_a_documents_qr_ignores_the_host_header(app: Flask, doc: str):
    answer = app.test_client().get(f"/doc/{doc}/qr.svg", headers={"Host": f"{ROGUE}:8443"})
    link = answer.headers["X-Link"]
    assert ROGUE not in link and "8443" not in link
    expected = lan_addresses()[0] if lan_addresses() else "127.0.0.1"
    assert link.startswith(f"http://{expected}/doc/{doc}")  # the test client serves on port 80
    page = app.test_client().get(f"/doc/{doc}", headers={"Host": ROGUE}).get_data(as_text=True)
    assert ROGUE not in page


def test_the_configured_public_address_wins(make_app: AppMaker, doc: str):
    configured = make_app(content=(BUNDLED_CONTENT,), build=True, public_url="http://192.0.2.7:8000/")
    link = configured.test_client().get(f"/doc/{doc}/qr.svg", headers={"Host": ROGUE}).headers["X-Link"]
    assert link.startswith(f"http://192.0.2.7:8000/doc/{doc}")


def test_the_course_pages_qr_ignores_the_host_header(app: Flask):
    """Learning cards and the trainer's exports take their links from the same base_url()."""
    course = app.test_client().get("/api/courses").get_json()["courses"][0]["id"]
    page = app.test_client().get(f"/course/{course}?kiosk=1", headers={"Host": ROGUE})  # the big screen's QR
    assert page.status_code == 200 and f"/course/{quote(course)}" in page.get_data(as_text=True)
    assert ROGUE not in page.get_data(as_text=True)
