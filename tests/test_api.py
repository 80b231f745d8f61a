"""The JSON API and pages through Flask's test client, on an index of the test content."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from .sites import AppMaker


@pytest.fixture(scope="module")
def client(make_module_app: AppMaker) -> FlaskClient:
    """The tests only read: one app on the indexed test content for the module."""
    return make_module_app(build=True).test_client()


def doc_id(client, title):
    shelves = client.get("/api/shelves").get_json()["shelves"]
    return next(d["id"] for s in shelves for v in s["volumes"] for d in v["docs"] if d["title"] == title)


def test_search_api_returns_hits_with_document_ids(client):
    body = client.get("/api/search?q=维修基金").get_json()
    assert body["ok"] and body["hits"][0]["doc"] and body["hits"][0]["url"].startswith("/doc/")


def test_document_has_passages_and_audio_segments(client):
    doc = doc_id(client, "专项维修资金怎么用")
    body = client.get(f"/api/docs/{doc}").get_json()
    assert body["document"]["title"] == "专项维修资金怎么用"
    assert body["document"]["origin"] == "测试编写" and "issuer" not in body["document"]  # the API's name for it
    assert "测试编写" in client.get(f"/doc/{doc}").get_data(as_text=True)
    seg = body["segments"][0]
    assert seg["url"].startswith("/audio/") and seg["end"] > seg["start"]


def test_audio_is_rendered_on_demand_and_served_with_ranges(client):
    body = client.get(f"/api/docs/{doc_id(client, '业主委员会的成立')}").get_json()
    url = body["segments"][1]["url"]
    full = client.get(url)
    assert full.status_code == 200 and full.mimetype == "audio/mpeg" and len(full.data) > 1000
    assert "immutable" in full.headers["Cache-Control"]
    part = client.get(url, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.data) == 100


@pytest.mark.parametrize(
    "path", ["/api/docs/nope", "/audio/" + "0" * 40 + ".mp3", "/audio/..%2F..%2Fetc.mp3", "/api/nothing"]
)
def test_one_json_error_shape(client, path):
    response = client.get(path)
    body = response.get_json()
    assert response.status_code == 404 and body == {"ok": False, "error": body["error"], "status": 404}


@pytest.mark.parametrize("path", ["/doc/unknown", "/shelf/没有这个书架"])
def test_pages_say_not_found_in_chinese(client, path):
    response = client.get(path)
    assert response.status_code == 404 and "没有找到" in response.get_data(as_text=True)


def test_stale_passage_link_opens_the_document_with_a_note(client):
    response = client.get(f"/doc/{doc_id(client, '业主委员会的成立')}?p=p-gone")
    assert response.status_code == 200 and "已经不在了" in response.get_data(as_text=True)


def test_pages_render(client):
    home = client.get("/").get_data(as_text=True)
    assert "有声物业" in home and "政策法规" in home
    page = client.get("/search?q=业主委员会").get_data(as_text=True)
    assert "业主委员会的成立" in page
    assert "没有找到" in client.get("/search?q=zzzzqqq").get_data(as_text=True)


def test_health(client):
    body = client.get("/healthz").get_json()
    assert body["ok"] and body["documents"] == 3 and body["engine"] == "pyttsx3"
    assert (body["search"], body["vectors"]) == ("lexical", 0) and "kiosk build" in body["search_note"]


def test_health_without_index_is_503(make_app):
    app = make_app()
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["index"] is False
    assert "kiosk build" in app.test_client().get("/api/search?q=x").get_json()["error"]


def test_whole_document_download_is_one_tagged_mp3(client):
    from mutagen.id3 import ID3

    from indexer.speech.mp3 import mp3_duration

    doc = doc_id(client, "业主委员会的成立")
    response = client.get(f"/api/docs/{doc}/audio.mp3")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    segments = client.get(f"/api/docs/{doc}").get_json()["segments"]
    assert mp3_duration(response.data) == pytest.approx(sum(s["duration"] for s in segments), rel=0.01)
    import io

    tag = ID3(io.BytesIO(response.data))
    assert str(tag["TIT2"]) == "业主委员会的成立" and str(tag["TALB"]) == "政策法规"
