"""Anonymous usage counts: what is kept (daily totals only), how the pages report it, and the home page's list."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from kiosk.visitors import usage as usage_module
from kiosk.visitors.usage import USAGE_DB, Listen, Usage, clean_query, days_back, today


@pytest.fixture
def counts(tmp_path):
    with Usage(tmp_path) as usage:
        yield usage


def catalog(client) -> dict[str, dict]:
    shelves = client.get("/api/shelves").get_json()["shelves"]
    return {d["title"]: {**d, "shelf": s["name"]} for s in shelves for v in s["volumes"] for d in v["docs"]}


def listen(doc="d1", seconds=60.0, position=3, total=10, passage="p4", collection="有声物业") -> Listen:
    return Listen(doc=doc, collection=collection, seconds=seconds, passage=passage, position=position, total=total)


@pytest.mark.parametrize(
    "query, stored",
    [
        ("  物业费   怎么交 ", "物业费 怎么交"),
        ("我的电话13812345678", "我的电话…"),
        ("身份证 110101199003071234 丢了", "身份证 … 丢了"),
        ("民法典第944条", "民法典第944条"),  # article numbers are short and kept
        ("字" * 500, "字" * 100),
    ],
)
def test_search_words_are_trimmed_and_long_numbers_masked(query, stored):
    assert clean_query(query) == stored


def test_searches_are_daily_totals_with_the_latest_answer(counts):
    counts.record_search("电梯坏了", 0)
    counts.record_search("电梯坏了", 0)
    counts.record_search("物业费", 7)
    counts.record_search("   ", 0)  # nothing typed: nothing counted
    assert [(row["query"], row["times"]) for row in counts.unanswered(today())] == [("电梯坏了", 2)]
    assert counts.search_totals(today()) == (3, 2)
    counts.record_search("电梯坏了", 3)  # an editor wrote about it: now it finds something
    assert counts.unanswered(today()) == []


def test_listens_add_up_per_document_and_remember_where_they_stopped(counts):
    counts.record_listen(listen(seconds=30, position=0))
    counts.record_listen(listen(seconds=90, position=9, passage="p10"))  # the last sentence: heard to the end
    counts.record_listen(listen(doc="d2", seconds=10, position=5))
    top = counts.most_listened(today())
    assert [(r["doc"], r["plays"], round(r["minutes"], 1), r["finished"]) for r in top] == [
        ("d1", 2, 2.0, 1),
        ("d2", 1, 0.2, 0),
    ]
    assert counts.stop_tenths("d1", today()) == [1, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert {r["passage"]: r["times"] for r in counts.stop_passages("d1", today())} == {"p4": 1, "p10": 1}
    assert [(r["collection"], r["plays"]) for r in counts.by_shelf(today())] == [("有声物业", 3)]
    assert counts.most_listened(today(), collection="有声党建") == []


def test_a_stuck_tab_cannot_claim_days_of_listening(counts):
    counts.record_listen(listen(seconds=10**9))
    assert counts.most_listened(today())[0]["minutes"] == usage_module.MAX_LISTEN_SECONDS / 60


def test_counts_older_than_the_keeping_period_are_dropped(tmp_path, counts):
    old = (dt.date.today() - dt.timedelta(days=usage_module.KEEP_DAYS + 1)).isoformat()
    counts.conn.execute("INSERT INTO searches VALUES (?, '旧的', '', 0, 5)", (old,))
    counts.conn.commit()
    counts.record_search("新的", 0)
    assert [row["query"] for row in counts.unanswered(days_back(1000))] == ["新的"]


def test_nothing_personal_is_stored(client):
    doc = catalog(client)["专项维修资金怎么用"]
    client.post(
        "/api/usage",
        json={"kind": "search", "q": "张三 13812345678", "hits": 0},
        headers={"User-Agent": "Phone/1.0", "X-Forwarded-For": "192.0.2.7"},
    )
    client.post(
        "/api/usage",
        json={"kind": "listen", "doc": doc["id"], "seconds": 12, "passage": "p1", "position": 1, "total": 5},
    )
    data_root = client.application.extensions["kiosk"].data.root
    conn = sqlite3.connect(data_root / USAGE_DB)
    dump = "\n".join(conn.iterdump())
    conn.close()
    assert "13812345678" not in dump and "192.0.2.7" not in dump and "Phone" not in dump
    assert "张三 …" in dump


def test_the_pages_report_settled_searches_and_listening(client):
    doc = catalog(client)["专项维修资金怎么用"]
    assert client.post("/api/usage", json={"kind": "search", "q": "楼顶漏水", "hits": 0}).status_code == 204
    # Sent by navigator.sendBeacon: a JSON string with a text/plain content type.
    body = f'{{"kind": "listen", "doc": "{doc["id"]}", "seconds": 42, "passage": "x", "position": 2, "total": 4}}'
    assert client.post("/api/usage", data=body, content_type="text/plain;charset=UTF-8").status_code == 204
    with Usage(client.application.extensions["kiosk"].data.root) as counts:
        assert counts.unanswered(today())[0]["query"] == "楼顶漏水"
        row = counts.most_listened(today())[0]
    assert (row["doc"], row["collection"], row["plays"]) == (doc["id"], doc["shelf"], 1)  # shelf from the catalog


@pytest.mark.parametrize(
    "payload, status",
    [
        ({"kind": "visit"}, 400),
        ({"kind": "search", "hits": 1}, 400),
        ({"kind": "search", "q": "x", "hits": "many"}, 400),
        ({"kind": "listen", "doc": "no-such-document", "seconds": 5, "passage": "p", "position": 0, "total": 1}, 404),
        ("not an object", 400),
    ],
)
def test_bad_reports_are_refused_in_the_one_error_shape(client, payload, status):
    response = client.post("/api/usage", json=payload)
    assert response.status_code == status
    assert response.get_json() == {"ok": False, "error": response.get_json()["error"], "status": status}


def test_an_oversized_report_is_refused(client):
    response = client.post("/api/usage", data="{" + " " * 5000 + "}", content_type="application/json")
    assert response.status_code == 413


def test_a_search_page_counts_itself(client):
    client.get("/search", query_string={"q": "维修基金"})
    client.get("/search", query_string={"q": "火星殖民飞船"})
    with Usage(client.application.extensions["kiosk"].data.root) as counts:
        assert [row["query"] for row in counts.unanswered(today())] == ["火星殖民飞船"]
        assert counts.search_totals(today()) == (2, 1)


def test_the_home_page_lists_what_was_heard_most_this_week(client):
    docs = catalog(client)
    assert "本周大家常听" not in client.get("/").get_data(as_text=True)
    for title, times in (("专项维修资金怎么用", 3), ("业主委员会的成立", 1)):
        for _ in range(times):
            client.post(
                "/api/usage",
                json={
                    "kind": "listen",
                    "doc": docs[title]["id"],
                    "seconds": 30,
                    "passage": "p",
                    "position": 0,
                    "total": 3,
                },
            )
    page = client.get("/").get_data(as_text=True)
    section = page[page.index("本周大家常听") :]
    assert section.index("专项维修资金怎么用") < section.index("业主委员会的成立")
