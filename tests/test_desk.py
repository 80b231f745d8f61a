"""The front desk end to end on a real app: registering (the contract of issue #22), following by link and by
number, staff acting level by level, deadlines and the tick, rating and reopening, who sees what, exports without
names and phones, the Open311 API, and bad input on every route."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from kiosk.cli import main
from kiosk.desk.database import DeskDB
from kiosk.desk.escalation import Ticker
from kiosk.editor.accounts import Accounts
from kiosk.market.database import MARKET_DB
from kiosk.operations.doctor import databases

from .sites import MONDAY, TEST_PASSWORD, Clock, EditorSession, add_staff, signed_in_as

DESK_STAFF = {
    "社区小李": ("community", "幸福里社区"),
    "别的社区": ("community", "花园社区"),
    "街道老张": ("township", "城关街道"),
    "别的街道": ("township", "东城街道"),
    "中心老王": ("centre", ""),
    "律师小陈": ("counsel", ""),
}
DISPUTE = {
    "kind": "dispute",
    "community": "幸福里社区",
    "category": "漏水",
    "text": "楼上漏水到我家两个月了，物业说不归他们管",
    "company": "示例物业",
    "name": "王阿姨",
    "phone": "13812345678",
}


def seed(root: Path) -> None:
    """The hub's communities and one desk account per role and unit."""
    add_staff(root, DESK_STAFF, (("城关街道", "幸福里社区"), ("城关街道", "花园社区"), ("东城街道", "东湖社区")))


@pytest.fixture
def clock():
    return Clock(MONDAY)


@pytest.fixture
def app(make_app, clock, content_dir):
    """The kiosk over a writable copy of the test content (published Q&As are written there)."""
    made = make_app(
        content=(content_dir,),
        build=True,
        accounts=("admin", "editor", "trainer"),
        test_config={"LEARNING_CLOCK": clock},
    )
    seed(made.extensions["kiosk"].data.root)
    return made


@pytest.fixture
def client(app):
    return app.test_client()


def staff(app, name: str) -> EditorSession:
    session = EditorSession(app)
    assert session.sign_in(name).status_code == 302
    return session


def register(client, **changes) -> dict:
    response = client.post("/api/desk/requests", json={**DISPUTE, **changes})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def followed(client, created: dict) -> dict:
    response = client.get(created["follow"], headers={"Accept": "application/json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def path(created: dict) -> str:
    """The follow link's path on this app."""
    return "/desk/f/" + created["follow"].rsplit("/", 1)[-1]


def act(session: EditorSession, request_id: str, action: str, note: str = "", **extra) -> str:
    """Take an action from the request page and return the page it leads back to."""
    response = session.post(f"/editor/desk/r/{request_id}", {"action": action, "note": note, **extra})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return session.page(f"/editor/desk/r/{request_id}")


def tick(root: Path, at: dt.datetime):
    return CliRunner().invoke(main, ["--data", str(root), "desk", "tick", "--now", at.isoformat()])


# -- registering and following ---------------------------------------------------------------------------------


def test_a_dispute_is_registered_at_the_community_and_followed_by_its_link(client, app):
    created = register(client)
    assert set(created) >= {"id", "number", "follow"} and len(created["number"]) == 6
    assert created["follow"].startswith("http://") and "/desk/f/" in created["follow"]
    view = followed(client, created)
    assert (view["number"], view["kind"], view["status"], view["level"]) == (
        created["number"],
        "dispute",
        "registered",
        "community",
    )
    assert view["history"][0]["action"] == "register"
    page = client.get(path(created)).get_data(as_text=True)
    text = json.dumps(view, ensure_ascii=False) + page
    assert "13812345678" not in text and "王阿姨" not in text  # the follow link never shows who asked
    assert created["number"] in page


def test_the_follow_link_uses_the_configured_address_never_the_host_header(make_app):
    app = make_app(build=True, public_url="http://kiosk.example:8000")
    seed(app.extensions["kiosk"].data.root)
    created = app.test_client().post("/api/desk/requests", json=DISPUTE, headers={"Host": "evil.example"}).get_json()
    assert created["follow"].startswith("http://kiosk.example:8000/desk/f/")


def test_a_legal_question_goes_to_counsel_at_the_centre(client):
    created = register(client, kind="consult", category="维修资金", text="电梯坏了能用维修资金吗")
    assert followed(client, created)["level"] == "centre"


def test_communities_are_listed_with_their_township(client):
    body = client.get("/api/desk/communities").get_json()
    assert {"name": "幸福里社区", "town": "城关街道"} in body["communities"]
    assert client.get("/api/desk/categories").get_json()["categories"][0] == "物业费"


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"kind": "complaint"}, "consult"),
        ({"kind": None}, "类型"),
        ({"community": "不存在社区"}, "社区"),
        ({"community": ""}, "社区"),
        ({"category": "吵架"}, "类别"),
        ({"text": ""}, "情况说明"),
        ({"text": "啊"}, "至少两个字"),
        ({"text": "很" * 1001}, "1000"),
        ({"text": ["列表"]}, "情况说明"),
        ({"phone": "打我电话"}, "电话"),
        ({"name": 12}, "姓名"),
        ({"company": {"a": 1}}, "物业公司"),
        ({"company": "青松\u200b物业"}, "不能显示的字符"),
    ],
)
def test_bad_fields_are_refused_with_the_error_shape(client, changes, said):
    response = client.post("/api/desk/requests", json={**DISPUTE, **changes})
    body = response.get_json()
    assert response.status_code == 400 and body["ok"] is False and body["status"] == 400 and said in body["error"], body


def test_a_body_that_is_not_a_json_object_is_refused(client):
    assert client.post("/api/desk/requests", data="kind=dispute").status_code == 415
    assert client.post("/api/desk/requests", json=[DISPUTE]).status_code == 400
    with DeskDB(client.application.extensions["kiosk"].data.root) as db:
        assert db.all() == []


def test_registering_is_limited_per_address(client):
    for _ in range(10):
        register(client)
    response = client.post("/api/desk/requests", json=DISPUTE)
    assert response.status_code == 429 and response.headers["Retry-After"]


def test_an_unknown_follow_link_is_a_404_in_both_shapes(client):
    assert client.get("/desk/f/nothing", headers={"Accept": "application/json"}).get_json()["status"] == 404
    assert client.get("/desk/f/nothing").status_code == 404


def test_the_kiosk_form_registers_and_shows_the_number_and_a_qr(app, client):
    page = client.get("/desk/new/dispute?kiosk=1").get_data(as_text=True)
    assert "幸福里社区" in page and "城关街道" in page and 'name="company"' in page
    assert 'id="desk-companies"' not in page  # no 物业超市 on this server: the name is typed
    assert not (app.extensions["kiosk"].data.root / MARKET_DB).exists()  # and the form did not make its file
    response = client.post("/desk/new/dispute?kiosk=1", data={k: v for k, v in DISPUTE.items() if k != "kind"})
    assert (
        response.status_code == 303
        and "new=1" in response.headers["Location"]
        and "kiosk=1" in response.headers["Location"]
    )
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "登记成功" in done and "<svg" in done and "13812345678" not in done
    assert "/audio/" in done  # the number, read aloud


def test_the_form_keeps_what_was_typed_and_says_what_is_missing(client):
    response = client.post("/desk/new/consult", data={"community": "幸福里社区", "text": "想问物业费"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "请填写类别" in page and "想问物业费" in page
    assert client.get("/desk/new/other").status_code == 404


def test_a_request_is_found_by_its_number_at_the_kiosk(client):
    created = register(client)
    response = client.post("/desk/find?kiosk=1", data={"number": created["number"]})
    assert response.status_code == 303 and response.headers["Location"].startswith("/desk/f/")
    missing = client.post("/desk/find", data={"number": "000000" if created["number"] != "000000" else "111111"})
    assert missing.status_code == 400 and "没有找到" in missing.get_data(as_text=True)
    assert client.post("/desk/find", data={"number": "abc"}).status_code == 400


def test_looking_up_numbers_is_limited_per_address(client):
    for _ in range(8):
        client.post("/desk/find", data={"number": "123456"})
    assert client.post("/desk/find", data={"number": "123456"}).status_code == 429


def test_the_desk_is_reachable_from_home_search_and_documents(client):
    assert "/desk/new/consult" in client.get("/").get_data(as_text=True)
    assert "/desk/new/dispute" in client.get("/search?q=zzqqxx").get_data(as_text=True)
    doc = client.get("/api/shelves").get_json()["shelves"][0]
    assert doc  # the shelves exist; any document page carries the links
    some = client.get("/api/search?q=物业").get_json()["hits"][0]["url"]
    assert "/desk/new/dispute" in client.get(some).get_data(as_text=True)


# -- staff, levels and deadlines ---------------------------------------------------------------------------------


def test_community_misses_its_deadline_the_tick_escalates_the_township_answers_and_the_resident_reopens_once(
    app, client, clock
):
    root = app.extensions["kiosk"].data.root
    created = register(client)
    view = followed(client, created)
    assert view["due"] == "2026-12-09T09:00"  # two working days to accept at the community
    assert tick(root, MONDAY + dt.timedelta(days=2, minutes=-1)).output.splitlines()[-1] == "0"
    result = tick(root, MONDAY + dt.timedelta(days=2, minutes=1))
    assert result.exit_code == 0 and result.output.splitlines()[-1] == "1", result.output
    view = followed(client, created)
    assert (view["status"], view["level"]) == ("escalated", "township")
    assert "自动转交乡镇/街道" in view["history"][-1]["note"] and view["history"][-1]["by"] == "系统"
    listed = CliRunner().invoke(main, ["--data", str(root), "desk", "list", "--json", "--level", "township"])
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert rows == [
        {
            "id": created["id"],
            "number": created["number"],
            "kind": "dispute",
            "status": "escalated",
            "level": "township",
            "due": "2026-12-14T09:01",
        }
    ]

    community = staff(app, "社区小李")
    assert community.get(f"/editor/desk/r/{created['id']}").status_code == 404  # above its level now
    township = staff(app, "街道老张")
    clock.now = (MONDAY + dt.timedelta(days=3)).timestamp()
    page = act(township, created["id"], "accept")
    assert "13812345678" in page and "王阿姨" in page  # the handler sees who asked
    act(township, created["id"], "start")
    page = act(township, created["id"], "answer", "已联系楼上业主和物业，三天内修好防水层。")
    assert "已答复" in page

    token = created["follow"].rsplit("/", 1)[-1]
    reopened = client.post(f"/desk/f/{token}/rate", data={"rating": "不满意", "reason": "还在漏"})
    assert reopened.status_code == 303
    view = followed(client, created)
    assert (view["status"], view["level"], view["reopened"]) == ("reopened", "township", True)
    act(township, created["id"], "accept")
    act(township, created["id"], "answer", "防水层已重做，请再看看。")
    client.post(f"/desk/f/{token}/rate", data={"rating": "满意"})
    view = followed(client, created)
    assert (view["status"], view["rating"]) == ("rated", "满意")
    actions = [step["action"] for step in view["history"]]
    assert actions == ["register", "escalate", "accept", "start", "answer", "reopen", "accept", "answer", "rate"]


def test_a_second_unhappy_rating_is_recorded_but_does_not_reopen(app, client):
    created = register(client)
    community = staff(app, "社区小李")
    token = created["follow"].rsplit("/", 1)[-1]
    for _ in range(2):
        act(community, created["id"], "accept")
        act(community, created["id"], "answer", "已处理")
        client.post(f"/desk/f/{token}/rate", data={"rating": "不满意", "reason": "没解决"})
    view = followed(client, created)
    assert view["status"] == "rated" and view["rating"] == "不满意"
    assert client.post(f"/desk/f/{token}/rate", data={"rating": "满意"}).status_code == 409


@pytest.mark.parametrize("data", [{}, {"rating": "很好"}, {"rating": ""}])
def test_a_bad_rating_is_refused(client, data):
    created = register(client)
    token = created["follow"].rsplit("/", 1)[-1]
    assert client.post(f"/desk/f/{token}/rate", data=data).status_code == 400
    assert client.post("/desk/f/nothing/rate", data={"rating": "满意"}).status_code == 404


def test_a_rating_before_the_answer_is_refused(client):
    token = register(client)["follow"].rsplit("/", 1)[-1]
    assert client.post(f"/desk/f/{token}/rate", data={"rating": "满意"}).status_code == 409


def test_overdue_at_the_centre_stays_and_is_counted(app, client):
    root = app.extensions["kiosk"].data.root
    register(client, kind="consult", category="其他", text="合同到期物业不走怎么办")
    result = tick(root, MONDAY + dt.timedelta(days=30))
    assert result.output.splitlines()[-1] == "0" and "中心逾期未办 1 件" in result.output


def test_the_tick_refuses_a_bad_time(app):
    result = tick(app.extensions["kiosk"].data.root, MONDAY).output  # fine
    assert result.splitlines()[-1] == "0"
    bad = CliRunner().invoke(main, ["--data", str(app.extensions["kiosk"].data.root), "desk", "tick", "--now", "明天"])
    assert bad.exit_code == 2 and "2026-12-07T09:00" in bad.output


def test_the_servers_ticker_escalates_too(app, client):
    created = register(client)
    root = app.extensions["kiosk"].data.root
    done = Ticker(root, app.config["SETTINGS"]).once((MONDAY + dt.timedelta(days=7)).timestamp())
    assert done is not None and done.escalated == 1
    assert followed(client, created)["level"] == "township"


def test_a_request_past_retention_loses_what_identifies_the_resident(app, client):
    created = register(client)
    root = app.extensions["kiosk"].data.root
    tick(root, MONDAY + dt.timedelta(days=731))
    with DeskDB(root) as db:
        found = db.get(created["id"])
    assert found.anonymised and (found.name, found.phone, found.text) == ("", "", "")
    assert client.get(path(created)).status_code == 404


# -- who sees and changes what ----------------------------------------------------------------------------------


def test_each_desk_role_sees_its_own_queue(app, client):
    dispute = register(client)
    elsewhere = register(client, community="东湖社区")
    question = register(client, kind="consult", category="物业费", text="物业费能涨吗")
    seen = {}
    for name in DESK_STAFF:
        page = staff(app, name).page("/editor/desk/")
        seen[name] = {
            key for key, made in (("d", dispute), ("e", elsewhere), ("q", question)) if made["number"] in page
        }
    admin = signed_in_as(app, "admin").page("/editor/desk/")
    assert seen == {
        "社区小李": {"d"},
        "别的社区": set(),
        "街道老张": {"d"},
        "别的街道": {"e"},
        "中心老王": {"d", "e"},
        "律师小陈": {"q"},
    }
    assert all(made["number"] in admin for made in (dispute, elsewhere, question))


@pytest.mark.parametrize("role", ["editor", "trainer"])
def test_editors_and_trainers_see_no_requests(app, client, role):
    created = register(client)
    session = signed_in_as(app, role)
    for url in ("/editor/desk/", f"/editor/desk/r/{created['id']}", "/editor/desk/export?month=2026-12"):
        assert session.get(url).status_code == 403, url
    assert session.post(f"/editor/desk/r/{created['id']}", {"action": "accept"}).status_code == 403


def test_visitors_are_sent_to_sign_in(client):
    created = register(client)
    assert client.get("/editor/desk/").status_code == 302
    assert client.post(f"/editor/desk/r/{created['id']}", data={"action": "accept"}).status_code in (302, 400)


def test_desk_staff_stay_out_of_the_editing_pages(app):
    session = staff(app, "社区小李")
    assert session.get("/editor/").headers["Location"].endswith("/editor/desk/")
    assert session.get("/editor/stats").status_code == 403
    assert session.get("/editor/desk/categories").status_code == 403


def test_a_level_above_sees_but_does_not_change_or_read_contacts(app, client):
    created = register(client)
    township = staff(app, "街道老张")
    page = township.page(f"/editor/desk/r/{created['id']}")
    assert "13812345678" not in page and "王阿姨" not in page and "不能更改" in page
    assert township.post(f"/editor/desk/r/{created['id']}", {"action": "accept"}).status_code == 403
    assert staff(app, "别的社区").get(f"/editor/desk/r/{created['id']}").status_code == 404
    assert followed(client, created)["status"] == "registered"


@pytest.mark.parametrize(
    ("form", "said"),
    [
        ({"action": "fly"}, "没有这种操作"),
        ({"action": "rate"}, "没有这种操作"),
        ({"action": "start"}, "不能开始办理"),
        ({"action": "return", "note": "不归我们"}, "不能退回下一级"),
    ],
)
def test_staff_actions_not_allowed_from_here_are_refused(app, client, form, said):
    created = register(client)
    community = staff(app, "社区小李")
    response = community.post(f"/editor/desk/r/{created['id']}", form, follow_redirects=True)
    assert said in response.get_data(as_text=True)
    assert followed(client, created)["status"] == "registered"


def test_returning_needs_a_reason_and_sends_the_request_down(app, client):
    created = register(client)
    staff(app, "社区小李").post(f"/editor/desk/r/{created['id']}", {"action": "escalate", "note": "需要街道协调"})
    township = staff(app, "街道老张")
    page = township.post(f"/editor/desk/r/{created['id']}", {"action": "return", "note": ""}, follow_redirects=True)
    assert "请写明理由" in page.get_data(as_text=True)
    act(township, created["id"], "return", "属于社区调解范围")
    view = followed(client, created)
    assert (view["status"], view["level"]) == ("returned", "community")
    assert view["history"][-1]["note"] == "属于社区调解范围"


def test_the_centre_flags_a_joint_consultation(app, client):
    created = register(client)
    for name in ("社区小李", "街道老张"):
        staff(app, name).post(f"/editor/desk/r/{created['id']}", {"action": "escalate", "note": ""})
    centre = staff(app, "中心老王")
    act(centre, created["id"], "accept")
    page = act(centre, created["id"], "joint", "涉及住建、市场监管，提请会诊")
    assert "重大问题会诊" in page
    assert followed(client, created)["history"][-1]["action"] == "joint"


def test_counsel_answers_with_articles_and_the_answer_is_voiced(app, client):
    created = register(client, kind="consult", category="维修资金", text="电梯坏了能用维修资金吗", consent="1")
    counsel = staff(app, "律师小陈")
    act(counsel, created["id"], "accept")
    page = counsel.page(f"/editor/desk/r/{created['id']}?q=业主")
    docs = [line.split('value="', 1)[1].split('"', 1)[0] for line in page.split('name="attach"')[1:3]]
    assert len(docs) == 2
    counsel.client.post(
        f"/editor/desk/r/{created['id']}",
        data={"action": "answer", "note": "可以申请使用维修资金。", "attach": docs, "csrf_token": counsel.token()},
    )
    view = followed(client, created)
    assert view["status"] == "answered" and [a["doc"] for a in view["articles"]] == docs
    page = client.get(path(created)).get_data(as_text=True)
    assert "听答复" in page and page.count("/audio/") >= 1


# -- exports and privacy ----------------------------------------------------------------------------------------


def test_exports_leave_out_names_and_phones_unless_an_admin_asks(app, client):
    register(client)
    centre = staff(app, "中心老王")
    response = centre.get("/editor/desk/export?month=2026-12&format=csv")
    text = response.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert response.status_code == 200 and rows[0][0] == "受理号" and len(rows) == 2
    assert "13812345678" not in text and "王阿姨" not in text and "示例物业" in text
    assert centre.get("/editor/desk/export?month=2026-12&contacts=1").status_code == 403
    admin = signed_in_as(app, "admin")
    book = load_workbook(io.BytesIO(admin.get("/editor/desk/export?month=2026-12&format=xlsx&contacts=1").get_data()))
    values = [cell.value for row in book.active.iter_rows() for cell in row]
    assert "13812345678" in values and "王阿姨" in values
    plain = load_workbook(io.BytesIO(admin.get("/editor/desk/export?month=2026-12").get_data()))
    assert "13812345678" not in [cell.value for row in plain.active.iter_rows() for cell in row]


@pytest.mark.parametrize("query", ["month=12月", "month=2026-13", "month=2026-12&format=pdf", ""])
def test_a_bad_export_is_refused(app, query):
    assert staff(app, "中心老王").get(f"/editor/desk/export?{query}").status_code == 400


@pytest.mark.parametrize("query", ["status=lost", "level=moon"])
def test_a_bad_queue_filter_is_refused(app, query):
    assert staff(app, "中心老王").get(f"/editor/desk/?{query}").status_code == 400


def test_editors_change_the_categories(app, client):
    editor = signed_in_as(app, "editor")
    assert editor.post("/editor/desk/categories", {"names": "物业费\n漏水\n漏水\n 垃圾分类 "}).status_code == 302
    assert client.get("/api/desk/categories").get_json()["categories"] == ["物业费", "漏水", "垃圾分类"]
    assert editor.post("/editor/desk/categories", {"names": "\n\n"}).status_code == 400
    assert editor.post("/editor/desk/categories", {"names": "很" * 21}).status_code == 400


def test_doctor_checks_the_desk_database(app, client):
    register(client)
    found = {finding.check: finding for finding in databases(app.extensions["kiosk"].data)}
    assert found["数据库 desk.db"].ok


# -- accounts --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--role", "community"], "--unit"),
        (["--role", "community", "--unit", "火星社区"], "没有社区「火星社区」"),
        (["--role", "township", "--unit", "幸福里社区"], "没有乡镇/街道"),
        (["--role", "editor", "--unit", "幸福里社区"], "不用 --unit"),
    ],
)
def test_desk_accounts_need_a_unit_from_the_list(app, args, said):
    root = app.extensions["kiosk"].data.root
    result = CliRunner().invoke(main, ["--data", str(root), "user", "add", "新人", *args], input="x\n")
    assert result.exit_code == 1 and said in result.output, result.output


def test_a_community_account_is_made_from_the_command_line(app):
    root = app.extensions["kiosk"].data.root
    password = f"{TEST_PASSWORD}\n{TEST_PASSWORD}\n"
    result = CliRunner().invoke(
        main,
        ["--data", str(root), "user", "add", "花园小赵", "--role", "community", "--unit", "花园社区"],
        input=password,
    )
    assert result.exit_code == 0 and "社区调处 · 花园社区" in result.output, result.output
    with Accounts(root) as accounts:
        assert accounts.get("花园小赵").unit == "花园社区"


# -- Open311 ---------------------------------------------------------------------------------------------------


def test_open311_lists_services_creates_requests_and_tells_their_public_status(client):
    services = client.get("/api/desk/open311/services.json").get_json()
    assert {"service_code": "漏水", "service_name": "漏水"}.items() <= services[2].items()
    response = client.post(
        "/api/desk/open311/requests.json",
        data={
            "service_code": "噪音",
            "description": "楼下广场舞太吵",
            "address_string": "花园社区",
            "phone": "13900000000",
        },
    )
    assert response.status_code == 201
    request_id = response.get_json()[0]["service_request_id"]
    status = client.get(f"/api/desk/open311/requests/{request_id}.json").get_json()[0]
    assert status["status"] == "open" and status["agency_responsible"] == "社区"
    assert "广场舞" not in json.dumps(status, ensure_ascii=False) and "139" not in json.dumps(status)


@pytest.mark.parametrize(
    "form",
    [
        {"service_code": "不存在", "description": "太吵", "address_string": "花园社区"},
        {"service_code": "噪音", "description": "", "address_string": "花园社区"},
        {"service_code": "噪音", "description": "太吵", "address_string": "北京"},
        {"service_code": "噪音", "description": "太吵", "address_string": "花园社区", "attribute[kind]": "x"},
    ],
)
def test_open311_refuses_bad_requests(client, form):
    response = client.post("/api/desk/open311/requests.json", data=form)
    assert response.status_code == 400 and response.get_json()["ok"] is False


def test_open311_status_of_an_unknown_request_is_404(client):
    assert client.get("/api/desk/open311/requests/nothing.json").get_json()["status"] == 404


# -- publishing a Q&A ------------------------------------------------------------------------------------------


def answered_question(app, client, **changes) -> tuple[dict, EditorSession]:
    created = register(
        client, kind="consult", category="电梯", text="我家3栋2单元501，电梯坏了一个月，维修资金能用吗", **changes
    )
    counsel = staff(app, "律师小陈")
    act(counsel, created["id"], "accept")
    act(counsel, created["id"], "answer", "可以。电梯危及安全时可以申请紧急使用专项维修资金。")
    return created, counsel


def test_counsel_publishes_an_answered_question_anonymised_and_a_search_finds_it_first(app, client):
    created, counsel = answered_question(app, client, consent="1")
    page = counsel.page(f"/editor/desk/r/{created['id']}")
    assert "发布到文库" in page and "××" in page and "501" not in page.split("发布到文库", 1)[1].split("</form>")[0]
    question = "电梯坏了一个月，维修资金能用吗"
    response = counsel.post(
        f"/editor/desk/r/{created['id']}/publish", {"question": question, "answer": "可以申请紧急使用专项维修资金。"}
    )
    assert response.status_code == 302
    hits = client.get(f"/api/search?q={question}").get_json()["hits"]
    assert hits[0]["title"] == question and hits[0]["collection"] == "有声物业"
    text = client.get(hits[0]["url"]).get_data(as_text=True)
    assert "王阿姨" not in text and "13812345678" not in text
    assert followed(client, created)["history"][-1]["action"] == "publish"


def test_without_consent_or_by_others_nothing_is_published(app, client):
    created, counsel = answered_question(app, client)
    assert "desk-publish" not in counsel.page(f"/editor/desk/r/{created['id']}")
    form = {"question": "电梯坏了", "answer": "可以"}
    assert counsel.post(f"/editor/desk/r/{created['id']}/publish", form).status_code == 403
    agreed, _ = answered_question(app, client, consent="1")
    assert staff(app, "中心老王").post(f"/editor/desk/r/{agreed['id']}/publish", form).status_code == 404
    empty = counsel.post(
        f"/editor/desk/r/{agreed['id']}/publish", {"question": "", "answer": ""}, follow_redirects=True
    )
    assert "问题和解答都不能为空" in empty.get_data(as_text=True)
    assert not (Path(app.config["SETTINGS"].content[0]) / "有声物业" / "法律咨询问答").exists()


def test_an_unanswered_search_becomes_a_question_for_counsel(app, client):
    editor = signed_in_as(app, "editor")
    client.get("/search?q=火星移民手续")
    assert "转给法律咨询" in editor.page("/editor/stats")
    assert editor.post("/editor/desk/ask", {"q": "火星移民手续"}).status_code == 302
    counsel = staff(app, "律师小陈").page("/editor/desk/")
    assert "（搜索没找到，编辑转来）" in counsel
    assert editor.post("/editor/desk/ask", {"q": ""}).status_code == 400
    assert staff(app, "律师小陈").post("/editor/desk/ask", {"q": "物业公司撤场"}).status_code == 403


def test_desk_list_prints_one_line_per_request_and_refuses_an_unknown_status(app, client):
    created = register(client)
    root = str(app.extensions["kiosk"].data.root)
    plain = CliRunner().invoke(main, ["--data", root, "desk", "list"])
    assert plain.exit_code == 0 and plain.output.split("\t")[:5] == [
        created["id"],
        created["number"],
        "dispute",
        "registered",
        "community",
    ]
    assert CliRunner().invoke(main, ["--data", root, "desk", "list", "--status", "rated"]).output == ""
    assert CliRunner().invoke(main, ["--data", root, "desk", "list", "--level", "moon"]).exit_code == 2
