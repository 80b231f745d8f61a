"""Correcting the property company a dispute names, on a real app: the handler's form (the community's registered
companies to pick from, or typed), its history line, who may not, bad input that changes nothing, and the
物业超市's scorecard counting the dispute under the corrected company. Across hubs: tests/test_desk_hubs.py."""

from __future__ import annotations

import html
import re

import pytest
from click.testing import CliRunner

from kiosk.cli import main
from kiosk.desk.database import DeskDB
from kiosk.desk.states import RefusedMove
from kiosk.desk.workflow import Rules, correct_company
from kiosk.market.database import MARKET_DB, MarketDB

from .sites import MONDAY, Clock, EditorSession, signed_in_as, staffed_app
from .test_market import SAMPLES

STAFF = {
    "社区小李": ("community", "幸福里社区"),
    "别的社区": ("community", "花园社区"),
    "街道老张": ("township", "城关街道"),
    "中心老王": ("centre", ""),
    "律师小陈": ("counsel", ""),
}
QINGSONG = "示例·青松物业服务有限公司"  # serves an estate in 幸福里社区 (the samples' file)
ANJU = "示例·安居物业管理有限公司"  # serves one in 东湖社区 only
DISPUTE = {"kind": "dispute", "community": "幸福里社区", "category": "漏水", "text": "楼上漏水", "company": ANJU}


@pytest.fixture
def clock():
    return Clock(MONDAY)


@pytest.fixture
def app(make_app, clock):
    """A kiosk with the desk's staff (no index: nothing here searches)."""
    return staffed_app(make_app, clock, STAFF)


@pytest.fixture
def market(app):
    """The samples imported, as the centre keeps its file."""
    root = app.extensions["kiosk"].data.root
    result = CliRunner().invoke(main, ["--data", str(root), "market", "import", str(SAMPLES)])
    assert result.exit_code == 0, result.output
    with MarketDB(root) as db:
        return {company.name: company for company in db.companies()}


def staff(app, name: str) -> EditorSession:
    session = EditorSession(app)
    assert session.sign_in(name).status_code == 302
    return session


def registered(app, **changes) -> str:
    response = app.test_client().post("/api/desk/requests", json={**DISPUTE, **changes})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def stored(app, request_id: str):
    with DeskDB(app.extensions["kiosk"].data.root) as db:
        return db.get(request_id), db.history(request_id)


def correct(session: EditorSession, request_id: str, company: str, reason: str) -> str:
    """Send the form from the request's page; the page it leads back to."""
    form = {"company": company, "reason": reason}
    response = session.post(f"/editor/desk/r/{request_id}/company", form, follow_redirects=True)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return html.unescape(response.get_data(as_text=True))


def test_the_handler_picks_a_registered_company_and_the_history_says_who_what_and_why(app, market):
    request_id = registered(app)
    before, _ = stored(app, request_id)
    community = staff(app, "社区小李")
    page = community.page(f"/editor/desk/r/{request_id}")
    datalist = page.split('id="desk-company-names"', 1)[1].split("</datalist>")[0]
    choices = re.findall(r'<option value="([^"]+)">', datalist)
    assert "更正物业公司" in page and choices == [QINGSONG]  # the companies serving 幸福里社区, as at the intake
    intake = app.test_client().get("/desk/new/dispute").get_data(as_text=True)
    assert f'data-company="{QINGSONG}" data-community="幸福里社区"' in intake

    page = correct(community, request_id, QINGSONG, "居民说错了公司，现场核实是青松")
    assert "已更正物业公司。" in page and f"<dd>{QINGSONG}</dd>" in page
    after, history = stored(app, request_id)
    assert after.company == QINGSONG
    assert (after.status, after.level, after.due, after.handler) == (before.status, before.level, before.due, "")
    line = history[-1]
    assert (line.actor, line.action, line.status, line.level) == ("社区小李", "company", "registered", "community")
    assert line.note == f"{ANJU} → {QINGSONG}：居民说错了公司，现场核实是青松"
    assert "<td>更正物业公司</td>" in page and line.note in page


def test_without_the_market_file_the_company_is_typed_and_a_blank_one_filled_in(app):
    request_id = registered(app, company="")
    community = staff(app, "社区小李")
    page = community.page(f"/editor/desk/r/{request_id}")
    assert 'name="company"' in page and "<datalist" not in page
    page = correct(community, request_id, "  某某物业  ", "居民当时没写")
    assert stored(app, request_id)[0].company == "某某物业" and "（未说明） → 某某物业：居民当时没写" in page
    assert not (app.extensions["kiosk"].data.root / MARKET_DB).exists()  # the page did not make the market's file


def test_once_escalated_the_township_corrects_it_and_the_community_no_longer_may(app):
    request_id = registered(app)
    community = staff(app, "社区小李")
    community.post(f"/editor/desk/r/{request_id}", {"action": "escalate", "note": "需要街道协调"})
    form = {"company": QINGSONG, "reason": "核实"}
    assert community.post(f"/editor/desk/r/{request_id}/company", form).status_code == 404  # above what it sees
    township = staff(app, "街道老张")
    assert "已更正物业公司。" in correct(township, request_id, QINGSONG, "街道核实")
    assert stored(app, request_id)[0].company == QINGSONG


def test_a_closed_dispute_is_still_corrected_as_its_rating_counts_on_the_scorecard(app):
    request_id = registered(app)
    community = staff(app, "社区小李")
    for action, note in (("accept", ""), ("answer", "已修好")):
        community.post(f"/editor/desk/r/{request_id}", {"action": action, "note": note})
    token = stored(app, request_id)[0].token
    assert app.test_client().post(f"/desk/f/{token}/rate", data={"rating": "满意"}).status_code == 303
    assert "已更正物业公司。" in correct(community, request_id, QINGSONG, "回访时核实")
    after, history = stored(app, request_id)
    assert (after.company, after.status, after.rating) == (QINGSONG, "rated", "满意")
    assert history[-1].action == "company"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("visitor", 302),  # a resident at the kiosk or on her phone: sent to sign in
        ("editor", 403),
        ("trainer", 403),
        ("别的社区", 404),  # another community's staff do not even learn it exists
        ("律师小陈", 404),  # counsel sees legal questions only
        ("街道老张", 403),  # the level above reads it, the community acts on it
        ("中心老王", 403),
    ],
)
def test_only_the_staff_acting_on_it_where_it_is_may_correct_it(app, who, status):
    request_id = registered(app)
    form = {"company": QINGSONG, "reason": "我觉得是青松"}
    if who == "visitor":
        response = app.test_client().post(f"/editor/desk/r/{request_id}/company", data=form)
    else:
        session = signed_in_as(app, who) if who in ("editor", "trainer") else staff(app, who)
        response = session.post(f"/editor/desk/r/{request_id}/company", form)
        if who in STAFF and status == 403:  # they read it, without the form
            assert "更正物业公司" not in session.page(f"/editor/desk/r/{request_id}")
    assert response.status_code == status
    after, history = stored(app, request_id)
    assert after.company == ANJU and len(history) == 1


@pytest.mark.parametrize(
    ("form", "said"),
    [
        ({"company": "物" * 41, "reason": "核实"}, "不超过 40 个字"),
        ({"company": "青松\u202e物业", "reason": "核实"}, "不能显示的字符"),
        ({"company": QINGSONG, "reason": ""}, "请写明更正的理由"),
        ({"company": QINGSONG, "reason": "   "}, "请写明更正的理由"),
        ({"company": QINGSONG}, "请写明更正的理由"),
        ({"company": QINGSONG, "reason": "很" * 101}, "理由太长了"),
        ({"company": f" {ANJU} ", "reason": "再确认一次"}, "物业公司没有改变"),
    ],
)
def test_bad_input_gives_a_message_and_changes_nothing(app, form, said):
    request_id = registered(app)
    community = staff(app, "社区小李")
    response = community.post(f"/editor/desk/r/{request_id}/company", form, follow_redirects=True)
    assert said in html.unescape(response.get_data(as_text=True))
    after, history = stored(app, request_id)
    assert after.company == ANJU and len(history) == 1


def test_a_legal_question_has_no_company_to_correct(app):
    request_id = registered(app, kind="consult", category="维修资金", text="维修资金怎么用")
    counsel = staff(app, "律师小陈")
    assert "更正物业公司" not in counsel.page(f"/editor/desk/r/{request_id}")
    page = correct(counsel, request_id, QINGSONG, "试试")
    assert "只有纠纷调处的登记写物业公司" in page
    after, history = stored(app, request_id)
    assert after.company == "" and len(history) == 1


def test_two_corrections_at_once_make_one_and_the_second_is_told(app):
    request_id = registered(app)
    rules, at = Rules.of(app.config["SETTINGS"]), MONDAY.timestamp()
    with DeskDB(app.extensions["kiosk"].data.root) as db:
        read = db.get(request_id)  # both staff opened the page before either sent the form
        correct_company(db, rules, read, QINGSONG, "居民说错了", "社区小李", at)
        with pytest.raises(RefusedMove, match="刚刚被别人处理过"):
            correct_company(db, rules, read, "某某物业", "电话核实", "社区小赵", at)
    after, history = stored(app, request_id)
    assert after.company == QINGSONG and [line.action for line in history] == ["register", "company"]


def test_the_scorecard_counts_the_dispute_under_the_corrected_company(app, market):
    request_id = registered(app)
    centre = staff(app, "中心老王")

    def desk_line(company: str) -> str:
        page = centre.page(f"/editor/market/c/{market[company].id}")
        return "纠纷 1 件" if "纠纷 1 件" in page else "没有纠纷" if "没有点名这家公司的纠纷" in page else page

    assert (desk_line(ANJU), desk_line(QINGSONG)) == ("纠纷 1 件", "没有纠纷")
    correct(staff(app, "社区小李"), request_id, QINGSONG, "居民说错了公司")
    assert (desk_line(ANJU), desk_line(QINGSONG)) == ("没有纠纷", "纠纷 1 件")
