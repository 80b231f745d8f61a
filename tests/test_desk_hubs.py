"""Requests across hubs: a centre and two community hubs as real `kiosk serve` processes on loopback, each with its
own data dir, exchanging the desk's events with `kiosk desk sync` as a hub's cron (or its server) does. What must
never happen: a request lost or counted twice, a change made by a site that does not hold the request, a forged
message believed."""

from __future__ import annotations

import json
import socket
import sqlite3
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from kiosk.desk import events as desk_events
from kiosk.desk.database import DeskDB
from kiosk.desk.escalation import BACKOFF_MINUTES, TICK_MINUTES, Ticker
from kiosk.desk.workflow import Asked, Rules, register
from kiosk.editor.accounts import Accounts
from kiosk.hubs.messages import signed_headers
from kiosk.library.keys import public_text, signing_key
from kiosk.places import Community, add_community
from kiosk.settings import Settings
from tests.sites import TEST_PASSWORD, csrf_field
from tests.test_faults import (  # noqa: F401 - the fixture stops every server a test started
    Server,
    built,
    environment,
    flashes,
    kiosk,
    no_process_outlives_its_test,
)

PLACES = {"hub-a": ("城关街道", "幸福社区"), "hub-b": ("东城街道", "光明社区")}
STAFF = {"hub-a": "社区小李", "hub-b": "社区小王"}
TOWNSHIP = "街道老张"  # 城关街道's officer, at the centre
EAST = "街道老刘"  # 东城街道's
ADMIN = "管理员老周"  # an administrator, at every site


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Site:
    """One kiosk: its data dir, content root and environment (a hub's names the centre and itself)."""

    def __init__(self, root: Path, name: str, centre_url: str = "", centre_key: str = ""):
        self.name = name
        self.content, self.data = built(root / name)
        extra = {"KIOSK_HUB_NAME": name}
        if centre_url:
            extra |= {"KIOSK_LIBRARY_URL": centre_url, "KIOSK_LIBRARY_KEY": centre_key}
        self.env = environment(KIOSK_CONTENT=str(self.content), **extra)
        self.server: Server | None = None

    def run(self, *args: str):
        return kiosk(self.data, *args, env=self.env)

    def serve(self, port: int = 0) -> Server:
        self.server = Server(self.data, self.content, env=self.env, port=port)
        return self.server

    def staff(self, name: str, role: str, unit: str = "") -> None:
        with Accounts(self.data) as accounts:
            accounts.add(name, TEST_PASSWORD, role=role, unit=unit)

    def requests(self) -> list[dict]:
        listed = self.run("desk", "list", "--json")
        assert listed.returncode == 0, listed.stdout
        return [json.loads(line) for line in listed.stdout.splitlines() if line.startswith("{")]

    def history(self, request_id: str) -> list[tuple]:
        with sqlite3.connect(self.data / "desk.db") as conn:
            return conn.execute(
                "SELECT action, status, level FROM history WHERE request = ? ORDER BY id", (request_id,)
            ).fetchall()


@pytest.fixture
def city(tmp_path):
    """A centre (not started yet: its port is fixed) and two hubs enrolled there, serving, with their 社区."""
    port = free_port()
    centre = Site(tmp_path, "市物业港服务中心")
    for town, community in PLACES.values():
        add_community(centre.data, town, community)
    centre.staff(TOWNSHIP, "township", "城关街道")
    centre.staff(EAST, "township", "东城街道")
    centre.staff(ADMIN, "admin")
    centre_key = public_text(signing_key(centre.data))  # what `kiosk library-key` prints at the centre
    hubs = {}
    for name, (town, community) in PLACES.items():
        hub = Site(tmp_path, name, f"http://127.0.0.1:{port}", centre_key)
        add_community(hub.data, town, community)
        hub.staff(STAFF[name], "community", community)
        hub.staff(ADMIN, "admin")
        printed = hub.run("hub", "key")
        assert printed.returncode == 0, printed.stdout
        public = printed.stdout.split("站点公钥：")[1].split()[0]
        enrolled = centre.run("hub", "enrol", name, public)
        assert enrolled.returncode == 0, enrolled.stdout
        hub.serve()
        hubs[name] = hub
    return centre, port, hubs


def registered_at(hub: Site, text: str, **more: str) -> dict:
    community = PLACES[hub.name][1]
    assert hub.server is not None
    made = hub.server.api(
        "/api/desk/requests", {"kind": "dispute", "community": community, "category": "漏水", "text": text, **more}
    )
    assert made.status == 201, made.text
    return made.json()


def follow(hub: Site, link: str) -> dict:
    """What the resident's phone shows at the follow link (on the hub's own address)."""
    assert hub.server is not None
    path = "/desk/f/" + link.rsplit("/desk/f/", 1)[1]
    request = urllib.request.Request(hub.server.url + path, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def synced(hub: Site) -> str:
    done = hub.run("desk", "sync")
    assert done.returncode == 0, done.stdout
    return done.stdout


def acted(server: Server, request_id: str, action: str, note: str = "", status: int = 200) -> list[str]:
    """Take an action from the request's staff page as a signed-in account does; the page's messages."""
    page = server.get(f"/editor/desk/r/{request_id}")
    assert page.status == 200, page.text
    server.token = csrf_field(page.text)
    answer = server.form(f"/editor/desk/r/{request_id}", {"action": action, "note": note})
    assert answer.status == status, answer.text
    return flashes(answer)


def test_requests_registered_while_the_centre_is_down_arrive_once_and_answers_come_back(city):
    centre_site, port, hubs = city
    a, b = hubs["hub-a"], hubs["hub-b"]
    first = registered_at(a, "楼上漏水到我家两个月了", name="赵阿姨", phone="13911112222")
    second = registered_at(b, "物业不给修电梯")
    down = a.run("desk", "sync")
    assert down.returncode == 1 and "登记没有送到中心" in down.stdout and "不会丢" in down.stdout, down.stdout

    centre = centre_site.serve(port)
    assert "送到中心 1 条" in synced(a)
    assert "送到中心 0 条" in synced(a)  # sent twice: nothing new
    assert "送到中心 1 条" in synced(b)
    with sqlite3.connect(a.data / "desk.db") as conn:  # the hub lost its note of what was taken: all sent again
        conn.execute("UPDATE events SET sent = 0")
    assert "送到中心 1 条" in synced(a)
    at_centre = {row["id"]: row for row in centre_site.requests()}
    assert set(at_centre) == {first["id"], second["id"]}, at_centre
    assert at_centre[first["id"]]["number"] == first["number"]
    assert centre_site.history(first["id"]) == [("register", "registered", "community")], "applied once"

    # At the centre the request is the hub's while it is at the community: the township reads it, cannot move it.
    assert centre.sign_in(TOWNSHIP).status == 200
    page = centre.get(f"/editor/desk/r/{first['id']}")
    assert page.status == 200 and "由社区站点办理" in page.text and "赵阿姨" not in page.text
    acted(centre, first["id"], "accept", status=403)
    assert centre.sign_in(ADMIN).status == 200  # not even an administrator at the centre
    assert "还在社区" in " ".join(acted(centre, first["id"], "accept"))

    # The hub's tick escalates it: the centre holds it from the next exchange on, and the hub no longer moves it.
    ticked = a.run("desk", "tick", "--now", time.strftime("%Y-%m-%dT%H:%M", time.localtime(time.time() + 30 * 86400)))
    assert ticked.returncode == 0 and ticked.stdout.strip().splitlines()[-1] == "1", ticked.stdout
    synced(a)
    assert {row["id"]: row for row in centre_site.requests()}[first["id"]]["level"] == "township"
    assert a.server is not None and a.server.sign_in(ADMIN).status == 200  # not even the hub's administrator
    assert "已转到乡镇/街道或中心" in " ".join(acted(a.server, first["id"], "accept"))

    # The township accepts and answers at the centre; the resident's follow link at the hub shows it.
    assert centre.sign_in(TOWNSHIP).status == 200
    page = centre.get(f"/editor/desk/r/{first['id']}")
    assert "赵阿姨" in page.text and "13911112222" in page.text, "the township handling it can call the resident"
    assert acted(centre, first["id"], "accept") == ["已受理。"]
    assert acted(centre, first["id"], "answer", "已约楼上业主和物业周三上门查漏") == ["已答复。"]
    assert "从中心收到 2 条" in synced(a)
    seen = follow(a, first["follow"])
    assert (seen["status"], seen["level"]) == ("answered", "township")
    assert seen["answer"] == "已约楼上业主和物业周三上门查漏"
    assert [line["action"] for line in seen["history"]] == ["register", "escalate", "accept", "answer"]
    assert "从中心收到 0 条" in synced(a)  # the cursor moved: nothing twice

    # Hub B's community escalates by hand; 东城街道 returns it with a reason; the hub holds it again.
    assert b.server is not None and b.server.sign_in(STAFF["hub-b"]).status == 200
    acted(b.server, second["id"], "escalate", "需要街道协调物业", status=404)  # then above what it may see
    assert [row["level"] for row in b.requests()] == ["township"]
    synced(b)
    assert centre.sign_in(EAST).status == 200
    assert acted(centre, second["id"], "return", "请社区先约物业现场查看") == ["已退回下一级。"]
    synced(b)
    seen = follow(b, second["follow"])
    assert (seen["status"], seen["level"]) == ("returned", "community")
    acted(centre, second["id"], "accept", status=403)
    assert acted(b.server, second["id"], "accept") == ["已受理。"]
    synced(b)
    at_centre = {row["id"]: row for row in centre_site.requests()}
    assert at_centre[second["id"]]["status"] == "accepted"
    assert all(row["id"] != second["id"] for row in a.requests()), "hub A never hears of hub B's requests"


def test_a_forged_or_unenrolled_hub_message_is_refused_and_changes_nothing(city):
    centre_site, port, hubs = city
    centre = centre_site.serve(port)
    registered_at(hubs["hub-a"], "楼上漏水")
    synced(hubs["hub-a"])
    with sqlite3.connect(hubs["hub-a"].data / "desk.db") as conn:
        body = json.loads(conn.execute("SELECT body FROM events ORDER BY seq LIMIT 1").fetchone()[0])
    forged = {**body, "id": "00000000-0000-4000-8000-000000000000"}
    forged["request"] = {**body["request"], "status": "rated", "answer": "已办结", "rating": "满意"}
    message = json.dumps({"format": desk_events.FORMAT, "cursor": 0, "events": [forged]}).encode()
    before = centre_site.requests()
    for hub, key, reason in (
        ("hub-a", SigningKey.generate(), "signature"),
        ("无名站点", SigningKey.generate(), "unknown-hub"),
    ):
        headers = signed_headers(key, hub, "POST", "/api/desk/hub/events", message)
        request = urllib.request.Request(
            centre.url + "/api/desk/hub/events",
            data=message,
            headers={"Content-Type": "application/json", **headers},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        answer = json.loads(refused.value.read())
        assert refused.value.code == 403 and answer["refused"] == reason, answer
    assert centre_site.requests() == before


def test_an_answer_the_centre_did_not_sign_changes_nothing_at_the_hub(city):
    """Someone between hub and centre (or a server posing as the centre) cannot tell the hub what was done: the
    hub believes an answer only with the centre's signature on it, as the answer to the message it sent."""
    centre_site, port, hubs = city
    centre_site.serve(port)
    hub = hubs["hub-a"]
    registered_at(hub, "楼上漏水")
    posing = {**hub.env, "KIOSK_LIBRARY_KEY": public_text(SigningKey.generate())}  # a key that is not the centre's
    refused = kiosk(hub.data, "desk", "sync", env=posing)
    assert refused.returncode == 1 and "没有中心的签名" in refused.stdout and "登记留在本站" in refused.stdout
    with sqlite3.connect(hub.data / "desk.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM events WHERE sent = 0").fetchone()[0] == 1  # still to send
    unsigned = {**hub.env, "KIOSK_LIBRARY_KEY": ""}
    assert "KIOSK_LIBRARY_KEY" in kiosk(hub.data, "desk", "sync", env=unsigned).stdout
    assert "送到中心 1 条" in synced(hub)  # with the centre's own key it goes


def test_while_the_centre_cannot_be_reached_the_server_keeps_the_outbox_and_waits_longer_each_time(tmp_path):
    settings = Settings().with_overrides(data=tmp_path, library_url=f"http://127.0.0.1:{free_port()}")
    with DeskDB(tmp_path) as db:
        register(db, Rules.of(settings), Asked("dispute", Community("城关街道", "幸福社区"), "漏水", "楼上漏水"), 1.7e9)
    ticker = Ticker(tmp_path, settings)
    waits = []
    for _ in range(6):
        before = time.monotonic()
        assert ticker.exchange() is False
        waits.append(round((ticker.next_exchange - before) / 60))
    assert waits == [2 * TICK_MINUTES, 4 * TICK_MINUTES, 8 * TICK_MINUTES, BACKOFF_MINUTES, BACKOFF_MINUTES, 60]
    with DeskDB(tmp_path) as db:
        assert db.waiting() == 1, "nothing is lost while the centre is away"


def test_kiosk_desk_sync_needs_the_centres_address(tmp_path):
    done = kiosk(tmp_path / "var", "desk", "sync")
    assert done.returncode == 2 and "KIOSK_LIBRARY_URL" in done.stdout, done.stdout


def corrected(server: Server, request_id: str, company: str, reason: str) -> list[str]:
    """Correct a dispute's company with the form on its staff page, as a signed-in account does; the messages."""
    server.token = csrf_field(server.get(f"/editor/desk/r/{request_id}").text)
    answer = server.form(f"/editor/desk/r/{request_id}/company", {"company": company, "reason": reason})
    assert answer.status == 200, answer.text
    return flashes(answer)


def company_at(site: Site, request_id: str) -> str:
    with sqlite3.connect(site.data / "desk.db") as conn:
        return conn.execute("SELECT company FROM requests WHERE id = ?", (request_id,)).fetchone()[0]


def copy_database(source: Path, target: Path) -> None:
    """SQLite's own copy, safe while a server has the file open (a backup taken, or one restored)."""
    with sqlite3.connect(source) as old, sqlite3.connect(target) as new:
        old.backup(new)
    old.close()
    new.close()


def test_a_company_is_corrected_by_the_site_that_holds_the_dispute_and_reaches_the_other_once(city, tmp_path):
    centre_site, port, hubs = city
    centre = centre_site.serve(port)
    a = hubs["hub-a"]
    assert a.server is not None
    made = registered_at(a, "物业不给修漏水", company="青松物业")
    synced(a)

    # At the community the hub holds it: its staff correct the company, and the centre takes the line once.
    assert a.server.sign_in(STAFF["hub-a"]).status == 200
    assert corrected(a.server, made["id"], "示例·青松物业服务有限公司", "居民只写了简称") == ["已更正物业公司。"]
    assert "送到中心 1 条" in synced(a)
    with sqlite3.connect(a.data / "desk.db") as conn:  # the hub lost its note of what was taken: all sent again
        conn.execute("UPDATE events SET sent = 0")
    synced(a)
    assert company_at(centre_site, made["id"]) == "示例·青松物业服务有限公司"
    assert centre_site.history(made["id"]) == [
        ("register", "registered", "community"),
        ("company", "registered", "community"),
    ], "applied once, and it moved nothing"
    copy_database(a.data / "desk.db", tmp_path / "hub-a-backup.db")  # the hub's nightly backup, say

    # The centre, which does not hold it yet, offers no correction and refuses one (not even an administrator's).
    assert centre.sign_in(ADMIN).status == 200
    assert f"/editor/desk/r/{made['id']}/company" not in centre.get(f"/editor/desk/r/{made['id']}").text
    assert "还在社区" in " ".join(corrected(centre, made["id"], "别的物业", "试试"))

    # Escalated, the centre holds it: the township corrects it there, and the hub hears of it at the next exchange.
    acted(a.server, made["id"], "escalate", "需要街道协调物业", status=404)  # then above what the community sees
    synced(a)
    assert centre.sign_in(TOWNSHIP).status == 200
    assert corrected(centre, made["id"], "示例·安居物业管理有限公司", "街道核实是安居") == ["已更正物业公司。"]
    assert "从中心收到 1 条" in synced(a)
    assert company_at(a, made["id"]) == "示例·安居物业管理有限公司"
    assert a.history(made["id"])[-1] == ("company", "escalated", "township")
    assert a.server.sign_in(ADMIN).status == 200  # the hub no longer corrects it, not even its administrator
    assert "已转到乡镇/街道或中心" in " ".join(corrected(a.server, made["id"], "别的物业", "试试"))

    # A hub restored from that backup thinks it still holds the dispute: the centre refuses its correction.
    copy_database(tmp_path / "hub-a-backup.db", a.data / "desk.db")
    assert corrected(a.server, made["id"], "示例·和园物业服务有限公司", "再改一次") == ["已更正物业公司。"]
    said = synced(a)
    assert "中心没有收下一条记录：这条登记已在中心办理，站点不能再改动它" in said, said
    assert company_at(centre_site, made["id"]) == "示例·安居物业管理有限公司"
    assert [line[0] for line in centre_site.history(made["id"])] == ["register", "company", "escalate", "company"]
