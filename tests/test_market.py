"""The 物业超市 on a real app: the company file (edit, history, import with every rejected row named, export that
imports again), the scorecard's arithmetic with each source missing, the desk's disputes as a source, assessments,
residents' ratings and their limits, admission decisions, who may do what, and `kiosk market list/import`."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from kiosk.cli import main
from kiosk.desk.database import Request
from kiosk.desk.workflow import Rules
from kiosk.market.companies import CompanyError, checked
from kiosk.market.database import Assessment, MarketDB
from kiosk.market.public import PHONE_COOKIE, RATE_LIMIT
from kiosk.market.quarters import quarter_of, span
from kiosk.market.scorecard import Dispute, combine, desk_source, dispute_of, residents_source
from kiosk.operations.backup import DATABASES
from kiosk.operations.doctor import databases
from kiosk.web import limits

from .sites import ACCOUNTS, MONDAY, Clock, EditorSession, staffed_app

SAMPLES = Path(__file__).resolve().parents[1] / "kiosk" / "market" / "data" / "示例企业.csv"
STAFF = {
    "中心老王": ("centre", ""),
    "街道老张": ("township", "城关街道"),
    "社区小李": ("community", "幸福里社区"),
    "律师小陈": ("counsel", ""),
}
NAMES = {"centre": "中心老王", "township": "街道老张", "community": "社区小李", "counsel": "律师小陈"}
NAMES |= ACCOUNTS
HEADER = "企业名称,备案号,资质,在管小区,联系人,联系电话,党组织,党组织与社区的联系,简介"
GOOD_ROW = "示例·测试物业有限公司,测备-100,一级,测试苑（幸福里社区）,示例联系人,13800000000,,,示例简介。"
WEIGHTS = {"desk": 40, "assessments": 30, "residents": 30}
POINTS = {"service": "20", "fees": "12", "safety": "16", "complaints": "16", "community": "16"}  # 80


@pytest.fixture
def clock():
    return Clock(MONDAY)


@pytest.fixture
def app(make_app, clock):
    return staffed_app(make_app, clock, STAFF)


@pytest.fixture
def root(app) -> Path:
    return app.extensions["kiosk"].data.root


def as_role(app, role: str) -> EditorSession:
    session = EditorSession(app)
    assert session.sign_in(NAMES[role]).status_code == 302
    return session


def import_samples(root: Path):
    result = CliRunner().invoke(main, ["--data", str(root), "market", "import", str(SAMPLES)])
    assert result.exit_code == 0, result.output
    with MarketDB(root) as db:
        return {company.registration: company for company in db.companies()}


def upload(session: EditorSession, body: bytes, name: str):
    return session.client.post(
        "/editor/market/import",
        data={"csrf_token": session.token(), "file": (io.BytesIO(body), name)},
        content_type="multipart/form-data",
    )


# -- the scorecard's arithmetic ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ({"desk": 50.0, "assessments": 80.0, "residents": 100.0}, (40 * 50 + 30 * 80 + 30 * 100) / 100),
        ({"desk": None, "assessments": 80.0, "residents": 100.0}, (30 * 80 + 30 * 100) / 60),
        ({"desk": 50.0, "assessments": None, "residents": 100.0}, (40 * 50 + 30 * 100) / 70),
        ({"desk": 50.0, "assessments": 80.0, "residents": None}, (40 * 50 + 30 * 80) / 70),
        ({"desk": None, "assessments": None, "residents": 100.0}, 100.0),
        ({"desk": 50.0, "assessments": None, "residents": None}, 50.0),
        ({"desk": None, "assessments": None, "residents": None}, None),
    ],
)
def test_the_combined_score_renormalises_the_weights_over_the_sources_present(scores, expected):
    found = combine(scores, WEIGHTS)
    assert found == (None if expected is None else round(expected, 1))


def test_a_source_of_weight_zero_counts_for_nothing():
    assert combine({"desk": 0.0, "assessments": 90.0, "residents": None}, {**WEIGHTS, "desk": 0}) == 90.0
    assert combine({"desk": 10.0, "assessments": None, "residents": None}, {**WEIGHTS, "desk": 0}) is None


def test_the_desk_source_is_the_mean_of_the_shares_in_time_and_satisfied():
    disputes = [Dispute(True, "满意"), Dispute(False, "不满意"), Dispute(True, "基本满意"), Dispute(None, "")]
    source = desk_source(disputes, estates=2)
    assert source.score == round(100 * (2 / 3 + 2 / 3) / 2, 1)
    assert "纠纷 4 件" in source.figures and "平均每个在管小区 2.0 件" in source.figures
    assert desk_source([], estates=3).score is None
    assert desk_source([Dispute(None, "")], estates=1).score is None  # registered, nothing to judge yet


def test_residents_stars_run_from_0_for_one_star_to_100_for_five():
    assert residents_source([5]).score == 100.0 and residents_source([1]).score == 0.0
    assert residents_source([4, 3]).score == 62.5 and residents_source([]).score is None


def answered_dispute(after_days: int) -> Request:
    """A dispute answered some days after it reached the community, as the desk stores it."""
    arrived = MONDAY.timestamp()
    return Request(
        id="x",
        number="000000",
        token="t",
        kind="dispute",
        community="幸福里社区",
        town="城关街道",
        category="漏水",
        text="漏水",
        company="",
        name="",
        phone="",
        consent=0,
        status="answered",
        level="community",
        joint=0,
        reopened=0,
        handler="",
        answer="答复",
        rating="",
        created=arrived,
        arrived=arrived,
        due=None,
        answered=arrived + after_days * 86400,
        anonymised=0,
    )


LATER = (MONDAY + dt.timedelta(days=60)).timestamp()


def test_a_dispute_answered_late_or_sent_up_by_the_tick_is_not_in_time():
    rules = Rules((2, 3, 5), (5, 10, 15))
    request = answered_dispute(3)
    assert dispute_of(request, escalated_by_system=False, rules=rules, now=LATER).in_time is True
    assert dispute_of(request, escalated_by_system=True, rules=rules, now=LATER).in_time is False
    late = answered_dispute(20)
    assert dispute_of(late, escalated_by_system=False, rules=rules, now=LATER).in_time is False


def test_quarters_run_from_the_first_of_their_months():
    assert quarter_of(MONDAY.timestamp()) == "2026Q4"
    start, end = span("2026Q4")
    assert dt.datetime.fromtimestamp(start) == dt.datetime(2026, 10, 1)
    assert dt.datetime.fromtimestamp(end) == dt.datetime(2027, 1, 1)
    with pytest.raises(ValueError, match="2026Q4"):
        span("2026Q5")


# -- the scorecard from real evidence -----------------------------------------------------------------------


def test_the_scorecard_shows_each_source_and_the_combined_score(app, root, clock):
    companies = import_samples(root)
    qingsong = companies["示例备-001"]
    client = app.test_client()
    # Three disputes name it (by its full name and by a start of it); one names another company.
    for company in ("示例·青松物业服务有限公司", "示例·青松物业", "示例·青松物业", "示例·安居物业"):
        created = client.post(
            "/api/desk/requests",
            json={"kind": "dispute", "community": "幸福里社区", "category": "漏水", "text": "漏水", "company": company},
        )
        assert created.status_code == 201, created.get_json()
    community = as_role(app, "community")
    page = community.page("/editor/desk/")
    first = page.split("/editor/desk/r/", 1)[1].split('"', 1)[0]
    for action, note in (("accept", ""), ("answer", "已经修好了")):
        assert community.post(f"/editor/desk/r/{first}", {"action": action, "note": note}).status_code == 302
    # The community assesses it; two phones rate it.
    assert community.post(f"/editor/market/c/{qingsong.id}/assess", POINTS).status_code == 302
    for stars in ("5", "3"):
        phone = app.test_client()
        phone.get(f"/market/c/{qingsong.id}")
        assert phone.post(f"/market/c/{qingsong.id}/rate", data={"stars": stars}).status_code == 303
    centre = as_role(app, "centre")
    page = centre.page(f"/editor/market/c/{qingsong.id}")
    assert "纠纷 3 件" in page and "按时答复 1/1" in page
    assert "幸福里社区" in page and "平均 80.0 分" in page
    assert "2 位居民评价，平均 4.0 星" in page
    desk, assessed, residents = 100.0, 80.0, 75.0
    combined = round((40 * desk + 30 * assessed + 30 * residents) / 100, 1)
    assert f">{combined:g}<" in page
    listed = CliRunner().invoke(main, ["--data", str(root), "market", "list", "--json"])
    rows = {row["registration"]: row for row in map(json.loads, listed.output.splitlines())}
    assert set(rows["示例备-001"]) >= {"name", "registration", "in_market", "score"}
    # `kiosk market list` reads the real clock: the evidence is of 2026Q4, which it sees only then
    assert rows["示例备-002"]["score"] is None and rows["示例备-001"]["in_market"] is False


def test_below_the_admission_line_is_said_but_nothing_moves_by_itself(app, root):
    companies = import_samples(root)
    anju = companies["示例备-002"]
    centre = as_role(app, "centre")
    decided = centre.post(
        f"/editor/market/c/{anju.id}/decide", {"decision": "admit", "decided": "2026-12-01", "reason": "中心会议决定"}
    )
    assert decided.status_code == 302
    low = dict.fromkeys(POINTS, "2")
    assert centre.post(f"/editor/market/c/{anju.id}/assess", {**low, "unit": "市住建局物业科"}).status_code == 302
    page = centre.page(f"/editor/market/c/{anju.id}")
    assert "低于入驻线（60 分）" in page and "由中心决定" in page
    with MarketDB(root) as db:
        assert db.get(anju.id).in_market  # below the line, still in: removal is a decision
    assert "低于入驻线" in app.test_client().get(f"/market/c/{anju.id}").get_data(as_text=True)
    removed = centre.post(
        f"/editor/market/c/{anju.id}/decide", {"decision": "remove", "decided": "2026-12-07", "reason": "考核不合格"}
    )
    assert removed.status_code == 302
    page = centre.page(f"/editor/market/c/{anju.id}")
    assert "2026-12-07 移出：考核不合格" in page and "2026-12-01 入驻：中心会议决定" in page


@pytest.mark.parametrize(
    ("form", "status", "said"),
    [
        ({"decision": "admit", "decided": "2026-12-01", "reason": ""}, 400, "理由"),
        ({"decision": "admit", "decided": "昨天", "reason": "会议决定"}, 400, "日期"),
        ({"decision": "expel", "decided": "2026-12-01", "reason": "会议决定"}, 400, "入驻"),
        ({"decision": "remove", "decided": "2026-12-01", "reason": "会议决定"}, 409, "不在物业超市里"),
    ],
)
def test_a_decision_needs_a_reason_a_date_and_to_change_something(app, root, form, status, said):
    company = import_samples(root)["示例备-001"]
    response = as_role(app, "centre").post(f"/editor/market/c/{company.id}/decide", form)
    assert response.status_code == status and said in response.get_data(as_text=True)


# -- the company file ---------------------------------------------------------------------------------------


def test_editing_a_company_records_who_changed_what(app, root):
    company = import_samples(root)["示例备-003"]
    centre = as_role(app, "centre")
    values = {**company.texts(), "qualification": "二级", "estates": "和园小区（示例社区）；新园（花园社区）"}
    assert centre.post(f"/editor/market/c/{company.id}/edit", values).status_code == 302
    page = centre.page(f"/editor/market/c/{company.id}")
    assert "中心老王" in page and "资质：三级 → 二级" in page and "新园（花园社区）" in page
    assert "不在本站社区名单上" in page  # 示例社区 is not on this hub's list, and is accepted
    assert "命令行导入" in page  # the import that made it is in the history too


def test_adding_a_company_twice_is_refused_naming_the_holder(app, root):
    import_samples(root)
    centre = as_role(app, "centre")
    response = centre.post("/editor/market/new", {"name": "示例·另一家", "registration": "示例备-001"})
    assert response.status_code == 400 and "已经在档案里了" in response.get_data(as_text=True)
    added = centre.post("/editor/market/new", {"name": "示例·新物业", "registration": "示例备-009"})
    assert added.status_code == 302


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"name": ""}, "请填写「企业名称」"),
        ({"registration": "有 空格"}, "备案号"),
        ({"phone": "call me"}, "联系电话"),
        ({"estates": "没有社区的小区"}, "小区名（社区名）"),
        ({"name": "x" * 61}, "不超过 60 个字"),
        ({"intro": "简介\x00"}, "简介"),
    ],
)
def test_a_company_with_a_bad_field_is_refused_naming_it(changes, said):
    with pytest.raises(CompanyError, match=said.replace("(", r"\(")):
        checked({"name": "示例·物业", "registration": "示例-1", **changes})


def test_contacts_are_shown_to_the_centre_only(app, root):
    company = import_samples(root)["示例备-001"]
    assert "示例联系人甲" in as_role(app, "centre").page(f"/editor/market/c/{company.id}")
    assert "示例联系人甲" not in as_role(app, "community").page(f"/editor/market/c/{company.id}")
    assert "示例联系人甲" not in app.test_client().get(f"/market/c/{company.id}").get_data(as_text=True)


# -- import and export --------------------------------------------------------------------------------------

BAD_CSV = "\n".join(
    [
        HEADER,
        GOOD_ROW,
        "示例·缺备案号物业,,一级,,,,,,",
        GOOD_ROW.replace("测备-100", "测备-101").replace("示例·测试物业有限公司", "示例·第二家"),
    ]
)


def test_the_cli_import_names_the_rejected_row_and_exits_1(root, tmp_path):
    path = tmp_path / "企业.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    result = CliRunner().invoke(main, ["--data", str(root), "market", "import", str(path)])
    assert result.exit_code == 1, result.output
    assert "第 3 行：未导入，请填写「备案号」" in result.output
    assert "第 2 行：新增「示例·测试物业有限公司」" in result.output and "第 4 行：新增「示例·第二家」" in result.output
    assert "导入 2 行，未导入 1 行" in result.output


def test_the_editor_import_names_the_rejected_row_of_a_spreadsheet(app, root):
    book = Workbook()
    sheet = book.active
    for line in BAD_CSV.splitlines():
        sheet.append(next(csv.reader([line])))
    sheet.append(["示例·重复", "测备-100", "", "", "", "", "", "", ""])
    body = io.BytesIO()
    book.save(body)
    response = upload(as_role(app, "centre"), body.getvalue(), "企业.xlsx")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "导入 2 行，未导入 2 行" in page
    assert "第 3 行</td><td>请填写「备案号」" in page
    assert "第 5 行</td><td>备案号「测备-100」和第 2 行重复" in page
    with MarketDB(root) as db:
        assert {c.registration for c in db.companies()} == {"测备-100", "测备-101"}


@pytest.mark.parametrize(
    ("body", "name", "said"),
    [
        (b"\x00\x01not a workbook", "企业.xlsx", "不是能打开的 Excel 文件"),
        (HEADER.encode(), "企业.txt", "不是 .xlsx 或 .csv"),
        ("名称,备案号\n甲,1".encode(), "企业.csv", "不认识的列「名称」"),
        ("企业名称,资质\n甲,一级".encode(), "企业.csv", "缺少「备案号」"),
        (b"", "企业.csv", "文件是空的"),
        (b"\xff\xfe\x00garbage\x81", "企业.csv", "编码"),
    ],
)
def test_a_file_that_is_not_a_company_sheet_is_refused_in_chinese(app, body, name, said):
    response = upload(as_role(app, "centre"), body, name)
    assert response.status_code == 400 and said in response.get_data(as_text=True)


def test_a_csv_saved_by_a_chinese_excel_is_read(app, root, tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes(f"{HEADER}\n{GOOD_ROW}\n".encode("gb18030"))
    result = CliRunner().invoke(main, ["--data", str(root), "market", "import", str(path)])
    assert result.exit_code == 0 and "新增「示例·测试物业有限公司」" in result.output, result.output


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_an_export_imports_again_unchanged(app, root, tmp_path, make_app, kind):
    original = import_samples(root)
    centre = as_role(app, "centre")
    formula = {**original["示例备-002"].texts(), "intro": '=HYPERLINK("http://x")是文字'}
    assert centre.post(f"/editor/market/c/{original['示例备-002'].id}/edit", formula).status_code == 302
    exported = centre.get(f"/editor/market/export?format={kind}")
    assert exported.status_code == 200
    if kind == "xlsx":
        cells = [c.value for c in next(load_workbook(io.BytesIO(exported.data)).worksheets[0].iter_rows(min_row=1))]
        assert cells[-2:] == ["入驻物业超市", "最近综合得分"]
    again = upload(centre, exported.data, f"物业企业档案.{kind}").get_data(as_text=True)
    assert "未导入 0 行" in again and "新增" not in again and "更新" not in again  # every row: 无变化
    fresh = make_app().extensions["kiosk"].data.root
    path = tmp_path / f"export.{kind}"
    path.write_bytes(exported.data)
    assert CliRunner().invoke(main, ["--data", str(fresh), "market", "import", str(path)]).exit_code == 0
    with MarketDB(root) as before, MarketDB(fresh) as after:
        assert [c.texts() for c in before.companies()] == [c.texts() for c in after.companies()]
        assert after.by_registration("示例备-002").intro.startswith("=HYPERLINK")


def test_samples_are_marked_and_invented():
    text = SAMPLES.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and all(row["企业名称"].startswith("示例") for row in rows)
    assert all("虚构" in row["简介"] for row in rows)


# -- residents' ratings ---------------------------------------------------------------------------------------


def test_one_rating_per_phone_per_company_per_quarter(app, root, clock):
    company = import_samples(root)["示例备-001"]
    phone = app.test_client()
    assert "给这家物业打分" in phone.get(f"/market/c/{company.id}").get_data(as_text=True)
    assert phone.post(f"/market/c/{company.id}/rate", data={"stars": "4"}).status_code == 303
    again = phone.post(f"/market/c/{company.id}/rate", data={"stars": "1"})
    assert again.status_code == 409 and "已经评价过" in again.get_data(as_text=True)
    assert "已经评价过：4 颗星" in phone.get(f"/market/c/{company.id}").get_data(as_text=True)
    other = import_samples(root)["示例备-002"]
    phone.get(f"/market/c/{other.id}")
    assert phone.post(f"/market/c/{other.id}/rate", data={"stars": "2"}).status_code == 303  # another company
    clock.now = dt.datetime(2027, 1, 5, 9).timestamp()  # the next quarter
    assert phone.post(f"/market/c/{company.id}/rate", data={"stars": "5"}).status_code == 303
    with MarketDB(root) as db:
        assert db.ratings(company.id, "2026Q4") == [4] and db.ratings(company.id, "2027Q1") == [5]
        stored = db.conn.execute("SELECT phone FROM ratings").fetchall()
    cookie = phone.get_cookie(PHONE_COOKIE).value
    assert all(row[0] != cookie for row in stored)  # the file keeps a hash, not the phone's id


def test_ratings_from_one_address_are_bounded(app, root, monkeypatch):
    moment = [1000.0]
    monkeypatch.setattr(limits, "clock", lambda: moment[0])
    company = import_samples(root)["示例备-001"]
    statuses = []
    for _ in range(RATE_LIMIT.burst + 1):
        phone = app.test_client()
        phone.get(f"/market/c/{company.id}")
        statuses.append(phone.post(f"/market/c/{company.id}/rate", data={"stars": "5"}).status_code)
    assert statuses == [303] * RATE_LIMIT.burst + [429]
    elsewhere = app.test_client()
    elsewhere.get(f"/market/c/{company.id}", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    rated = elsewhere.post(
        f"/market/c/{company.id}/rate", data={"stars": "5"}, environ_base={"REMOTE_ADDR": "10.0.0.9"}
    )
    assert rated.status_code == 303


@pytest.mark.parametrize("how", ["query", "cookie", "referrer", "setting"])
def test_the_shared_touchscreen_never_rates(make_app, how):
    app = make_app(kiosk_mode=how == "setting")
    root = app.extensions["kiosk"].data.root
    company = import_samples(root)["示例备-001"]
    kiosk = app.test_client()
    page = kiosk.get(f"/market/c/{company.id}?kiosk=1").get_data(as_text=True)
    assert "请用自己的手机扫码" in page and 'name="stars"' not in page and "<svg" in page
    phone = app.test_client()
    phone.get(f"/market/c/{company.id}")  # a phone's id, carried to the touchscreen's request
    url = f"/market/c/{company.id}/rate" + ("?kiosk=1" if how == "query" else "")
    if how == "cookie":
        phone.set_cookie("kiosk", "1")
    headers = {"Referer": f"http://hub/market/c/{company.id}?kiosk=1"} if how == "referrer" else {}
    response = phone.post(url, data={"stars": "5"}, headers=headers)
    assert response.status_code == 403 and "触摸屏" in response.get_data(as_text=True)
    with MarketDB(root) as db:
        assert not db.conn.execute("SELECT 1 FROM ratings").fetchone()


@pytest.mark.parametrize(
    ("stars", "cookie", "status"),
    [("6", True, 400), ("0", True, 400), ("", True, 400), ("五", True, 400), ("5", False, 400)],
)
def test_a_bad_rating_is_refused(app, root, stars, cookie, status):
    company = import_samples(root)["示例备-001"]
    phone = app.test_client()
    if cookie:
        phone.get(f"/market/c/{company.id}")
    response = phone.post(f"/market/c/{company.id}/rate", data={"stars": stars})
    assert response.status_code == status and "<html" in response.get_data(as_text=True).lower()


def test_no_such_company_is_a_404(app):
    for url in ("/market/c/999", "/editor/market/c/999"):
        response = as_role(app, "centre").get(url)
        assert response.status_code == 404 and "没有这家企业" in response.get_data(as_text=True)
    assert app.test_client().post("/market/c/999/rate", data={"stars": "5"}).status_code == 404


# -- assessments ----------------------------------------------------------------------------------------------


def test_a_units_second_assessment_of_a_quarter_replaces_its_first(app, root):
    company = import_samples(root)["示例备-001"]
    township = as_role(app, "township")
    assert township.post(f"/editor/market/c/{company.id}/assess", POINTS).status_code == 302
    assert township.post(f"/editor/market/c/{company.id}/assess", {**POINTS, "service": "25"}).status_code == 302
    with MarketDB(root) as db:
        assessed = db.assessments(company.id, "2026Q4")
    assert [(a.unit, a.total) for a in assessed] == [("城关街道", 85)]


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"service": "26"}, "「日常服务」请打 0 到 25"),
        ({"fees": "-1"}, "「收费和公开」"),
        ({"safety": ""}, "「安全和应急」"),
        ({"unit": ""}, "考核单位"),
        ({"unit": "部" * 31}, "考核单位"),
    ],
)
def test_a_bad_assessment_is_refused_naming_the_criterion(app, root, changes, said):
    company = import_samples(root)["示例备-001"]
    form = {**POINTS, "unit": "市住建局物业科", **changes}
    response = as_role(app, "centre").post(f"/editor/market/c/{company.id}/assess", form)
    assert response.status_code == 400 and said in response.get_data(as_text=True)


# -- who may do what ------------------------------------------------------------------------------------------

ALLOWED = {
    "see": {"centre", "admin", "township", "community"},
    "edit": {"centre", "admin"},
    "import": {"centre", "admin"},
    "export": {"centre", "admin"},
    "decide": {"centre", "admin"},
    "assess": {"centre", "admin", "township", "community"},
}


@pytest.mark.parametrize("role", list(NAMES))
def test_every_permission(app, root, role):
    company = import_samples(root)["示例备-001"]
    session = as_role(app, role)
    tries = {
        "see": lambda: session.get(f"/editor/market/c/{company.id}"),
        "edit": lambda: session.post(
            f"/editor/market/c/{company.id}/edit", {**company.texts(), "qualification": "特级"}
        ),
        "import": lambda: upload(session, f"{HEADER}\n{GOOD_ROW}\n".encode(), "a.csv"),
        "export": lambda: session.get("/editor/market/export?format=csv"),
        "decide": lambda: session.post(
            f"/editor/market/c/{company.id}/decide", {"decision": "admit", "decided": "2026-12-01", "reason": "会议"}
        ),
        "assess": lambda: session.post(f"/editor/market/c/{company.id}/assess", {**POINTS, "unit": "市住建局"}),
    }
    for what, attempt in tries.items():
        response = attempt()
        if role in ALLOWED[what]:
            assert response.status_code in (200, 302), (role, what, response.get_data(as_text=True)[:300])
        else:
            assert response.status_code == 403, (role, what, response.status_code)
    with MarketDB(root) as db:
        stored = db.get(company.id)
        assert stored.in_market == (role in ALLOWED["decide"])
        assert (stored.qualification == "特级") == (role in ALLOWED["edit"])
        assert bool(db.assessments(company.id, "2026Q4")) == (role in ALLOWED["assess"])
        assert (db.by_registration("测备-100") is not None) == (role in ALLOWED["import"])
    menu = session.get("/editor/market/").get_data(as_text=True) if role in ALLOWED["see"] else ""
    assert ("导入" in menu) == (role in ALLOWED["import"])


# -- backups and the doctor ----------------------------------------------------------------------------------


def test_market_db_is_backed_up_and_checked_by_the_doctor(app, root):
    import_samples(root)
    assert "market.db" in DATABASES
    found = {finding.check: finding for finding in databases(app.extensions["kiosk"].data)}
    assert found["数据库 market.db"].ok


# -- the latest score ----------------------------------------------------------------------------------------


def test_market_list_gives_each_companys_latest_combined_score(root):
    companies = import_samples(root)
    with MarketDB(root) as db:
        db.assess(
            companies["示例备-001"].id,
            quarter_of(time.time()),  # the command reads the real clock
            Assessment("市住建局物业科", "中心老王", time.time(), {"service": 20}, 72, ""),
        )
    result = CliRunner().invoke(main, ["--data", str(root), "market", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(row["registration"], row["in_market"], row["score"]) for row in rows] == [
        ("示例备-003", False, None),
        ("示例备-002", False, None),
        ("示例备-001", False, 72.0),
    ]
    assert {"name", "registration", "in_market", "score"} <= set(rows[0])


def test_early_in_a_quarter_the_lists_show_last_quarters_score(app, root, clock):
    company = import_samples(root)["示例备-001"]
    centre = as_role(app, "centre")
    assert centre.post(f"/editor/market/c/{company.id}/assess", {**POINTS, "unit": "市住建局"}).status_code == 302
    centre.post(
        f"/editor/market/c/{company.id}/decide", {"decision": "admit", "decided": "2026-12-07", "reason": "会议"}
    )
    clock.now = dt.datetime(2027, 1, 5, 9).timestamp()
    assert "80（2026Q4）" in centre.page("/editor/market/")
    public = app.test_client().get("/market/").get_data(as_text=True)
    assert "综合 80 分" in public and "示例·安居物业" not in public  # the market lists only the admitted
