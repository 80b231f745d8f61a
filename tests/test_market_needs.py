"""An estate's need in the 物业超市: an owners' committee registers it (good and bad fields, a bound per address),
its contact never on a public page, and the centre's page of needs (centre and admins only) where companies are
marked interested and the status changes, each with a history line."""

from __future__ import annotations

import pytest

from kiosk.market.database import MarketDB
from kiosk.market.register import NEED_LIMIT
from kiosk.web import limits

from . import test_market
from .test_market import as_role
from .test_market_compare import admitted

# the market's fixtures: its app with the hub's communities and staff, on a fixed clock
app, clock, root = test_market.app, test_market.clock, test_market.root
GOOD = {
    "estate": "示例·梧桐苑",
    "community": "幸福里社区",
    "households": "420",
    "area": "36000",
    "wants": ["保洁绿化", "电梯维保"],
    "note": "希望物业每月公开收支",
    "contact": "业委会刘主任",
    "phone": "13912345678",
}


def register(client, **changes):
    return client.post("/market/need", data={**GOOD, **changes})


def test_a_committee_registers_its_need_and_the_centre_sees_it(app, root):
    kiosk = app.test_client()
    form = kiosk.get("/market/need?kiosk=1").get_data(as_text=True)
    assert "幸福里社区" in form and "电梯维保" in form
    sent = register(kiosk)
    assert sent.status_code == 303 and "sent=1" in sent.headers["Location"]
    thanks = kiosk.get(sent.headers["Location"]).get_data(as_text=True)
    assert "已经登记" in thanks and "13912345678" not in thanks and "刘主任" not in thanks
    with MarketDB(root) as db:
        (need,) = db.needs()
    assert (need.estate, need.households, need.area, need.wants) == (
        "示例·梧桐苑",
        420,
        36000,
        ("保洁绿化", "电梯维保"),
    )
    page = as_role(app, "centre").page("/editor/market/needs")
    assert "示例·梧桐苑" in page and "业委会刘主任" in page and "13912345678" in page and "在找物业" in page


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"estate": ""}, "小区名称"),
        ({"community": "月球社区"}, "社区"),
        ({"households": "0"}, "户数"),
        ({"households": "四百"}, "户数"),
        ({"households": "１２"}, "户数"),  # full-width digits
        ({"area": "-5"}, "建筑面积"),
        ({"area": "9" * 40}, "建筑面积"),
        ({"wants": ["<script>alert(1)</script>"]}, "列表"),
        ({"wants": [], "note": ""}, "至少一项"),
        ({"note": "长" * 201}, "其他要求"),
        ({"contact": ""}, "联系人"),
        ({"contact": "刘\x00主任"}, "不能显示"),
        ({"phone": "打我电话"}, "电话"),
    ],
)
def test_a_need_with_a_bad_field_is_refused_naming_it(app, root, changes, said):
    answer = register(app.test_client(), **changes)
    assert answer.status_code == 400
    text = answer.get_data(as_text=True)
    assert said in text
    assert "<script>alert" not in text
    if "estate" not in changes:
        assert 'value="示例·梧桐苑"' in text  # the form comes back with what was typed
    with MarketDB(root) as db:
        assert db.needs() == []


def test_needs_from_one_address_are_bounded(app, monkeypatch):
    monkeypatch.setattr(limits, "clock", lambda: 1000.0)
    statuses = [register(app.test_client()).status_code for _ in range(NEED_LIMIT.burst + 1)]
    assert statuses == [303] * NEED_LIMIT.burst + [429]


def test_the_contact_is_on_no_public_page(app, root):
    companies = admitted(root)
    client = app.test_client()
    register(client)
    for url in (
        "/",
        "/?kiosk=1",
        "/market/",
        "/market/compare",
        "/market/need",
        "/market/need?sent=1",
        f"/market/c/{companies['示例备-001'].id}",
        "/market/compare?c=1&c=2",
    ):
        text = client.get(url).get_data(as_text=True)
        assert "13912345678" not in text and "刘主任" not in text, url


@pytest.mark.parametrize("role", ["editor", "trainer", "counsel", "community", "township"])
def test_only_the_centre_and_admins_see_the_needs(app, root, role):
    register(app.test_client())
    session = as_role(app, role)
    assert session.get("/editor/market/needs").status_code == 403
    assert session.post("/editor/market/needs/1", {"action": "status", "status": "closed"}).status_code == 403
    assert "13912345678" not in session.get("/editor/market/needs").get_data(as_text=True)


def test_anyone_not_signed_in_is_sent_to_sign_in(app, root):
    register(app.test_client())
    answer = app.test_client().get("/editor/market/needs")
    assert answer.status_code in (302, 401, 403) and "13912345678" not in answer.get_data(as_text=True)


def test_the_centre_marks_interest_and_changes_the_status_with_history(app, root):
    companies = admitted(root)
    register(app.test_client())
    for role in ("centre", "admin"):
        assert as_role(app, role).get("/editor/market/needs").status_code == 200
    centre = as_role(app, "centre")
    qingsong = companies["示例备-001"]
    assert centre.post("/editor/market/needs/1", {"action": "interest", "company": qingsong.id}).status_code == 302
    assert centre.post("/editor/market/needs/1", {"action": "interest", "company": qingsong.id}).status_code == 302
    outsider = companies["outsider"]
    refused = centre.post("/editor/market/needs/1", {"action": "interest", "company": outsider.id})
    assert refused.status_code == 400 and "已入驻" in refused.get_data(as_text=True)
    moved = centre.post("/editor/market/needs/1", {"action": "status", "status": "matched", "note": "已约见面"})
    assert moved.status_code == 302
    with MarketDB(root) as db:
        assert db.interested(1) == [qingsong.id]
        need = db.need(1)
        notes = [change.note for change in db.need_history(1)]
    assert need is not None and need.status == "matched"
    assert notes == ["改为「已对接」：已约见面", f"{qingsong.name}有意向", "登记需求"]  # the repeat wrote nothing
    page = centre.page("/editor/market/needs")
    assert "已对接" in page and "已约见面" in page and qingsong.name in page


@pytest.mark.parametrize(
    ("url", "form", "status"),
    [
        ("/editor/market/needs/999", {"action": "status", "status": "closed"}, 404),
        ("/editor/market/needs/1%20OR%201", {"action": "status", "status": "closed"}, 404),
        ("/editor/market/needs/" + "9" * 30, {"action": "status", "status": "closed"}, 404),
        ("/editor/market/needs/1", {"action": "status", "status": "<b>done</b>"}, 400),
        ("/editor/market/needs/1", {"action": "drop table"}, 400),
        ("/editor/market/needs/1", {"action": "interest", "company": "x"}, 404),
    ],
)
def test_hostile_updates_are_refused_in_chinese(app, root, url, form, status):
    register(app.test_client())
    answer = as_role(app, "centre").post(url, form)
    assert answer.status_code == status
    assert "<b>done</b>" not in answer.get_data(as_text=True)
