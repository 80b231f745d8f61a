"""The trainer's pages through Flask's test client, on the bundled courses with records made by
kiosk.training.learner's own functions: the overview and listening hours show exactly those records, the role rules
hold on every page, the Excel and CSV exports hold exactly the rows shown, certificates, learners added and removed,
cards re-issued; and, in Chromium, how the overview, the cards and the printed certificate look."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import time
import unicodedata
from collections.abc import Callable
from html.parser import HTMLParser

import openpyxl
import pytest
from flask import Flask

from kiosk.editor.guard import DESK_ENDPOINTS, MARKET_ENDPOINTS, TRAINING_ENDPOINTS
from kiosk.settings import BUNDLED_CONTENT
from kiosk.training.learner import learners
from kiosk.training.learner.attempts import Answer, record_attempts
from kiosk.training.learner.cards import list_learners
from kiosk.training.learner.database import LEARNING_DB, LearningDB
from kiosk.training.learner.listening import credit
from kiosk.training.learner.progress import record_completions
from kiosk.training.trainer import export
from kiosk.training.trainer.periods import period_from
from kiosk.training.trainer.tables import Column, Row, Table, answer_text, source_links
from kiosk.web.links import qr_svg
from tests.browser_fixtures import CHROMIUM, SCREENSHOTS, LiveServer, launch_chromium, sign_in_with_the_form

from .sites import AppMaker, EditorSession, list_community

PUBLIC_URL = "http://192.168.1.20:8000"
COURSE = "网格员入门"
MONDAY = dt.datetime(2027, 1, 11, 9, 0)  # the training session; "today" in these tests is the Tuesday after
TODAY = dt.datetime(2027, 1, 19, 21, 0)
HOUR = 3600.0


# -- the hub, the accounts and a training session ------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(make_module_app: AppMaker) -> Flask:
    """The hub on the bundled courses, a trainer's, an editor's and an admin's account, its clock at TODAY."""
    return make_module_app(
        content=(BUNDLED_CONTENT,),
        build=True,
        accounts=("trainer", "editor", "admin"),
        public_url=PUBLIC_URL,
        hub_name="幸福市物业港培训基地",
        test_config={"LEARNING_CLOCK": TODAY.timestamp},
    )


def catalog_of(app):
    services = app.extensions["kiosk"]
    with services.store() as store:
        return app.extensions["learning"].get(store, services.speech, list(app.config["SETTINGS"].content))


def course_keys(plan) -> list[str]:
    return [key for unit in plan.units for key in unit.sentences]


def wrong_answer(question) -> str:
    if question.kind == "truefalse":
        return "错" if question.answer == "对" else "对"
    return next(letter for letter, _ in question.options if letter not in question.answer)


def seed(db: LearningDB, found, monday: dt.datetime) -> dict:
    """A training day and the week after, through kiosk.training.learner's own functions: 张 finishes the course at noon
    (one answer wrong), 李 hears ten sentences then thirty more at home the Tuesday after, 王 and 赵 sign up and
    do nothing more; 李 gives the same wrong answer to the same question as 张."""
    start = monday.timestamp()
    noon, at_home = start + 3 * HOUR, start + 8 * 24 * HOUR + 11 * HOUR
    for town, community in [("城关街道", "幸福社区"), ("城关街道", "和平社区"), ("东城街道", "光明社区")]:
        list_community(db.path.parent, town, community)  # the hub's list, as its trainer set it up
    people = {
        key: learners.sign_in(db, name, town, community, pin, now=start)[0]
        for key, name, town, community, pin in [
            ("zhang", "张网格", "城关街道", "幸福社区", "2468"),
            ("li", "李网格", "城关街道", "幸福社区", "1357"),
            ("wang", "王网格", "城关街道", "和平社区", "8642"),
            ("zhao", "赵网格", "东城街道", "光明社区", "9753"),
        ]
    }
    plan = found.courses[COURSE]
    keys = course_keys(plan)
    questions = [q for unit in plan.units for q in unit.questions]
    first = found.questions[questions[0]]
    # Each phone's first sentence, reported as it played, starts that learner's clock in the course.
    credit(db, people["zhang"].id, plan, keys[:1], "report-zhang-0", now=start)
    credit(db, people["li"].id, plan, keys[:1], "report-li-0", now=start)
    credit(db, people["zhang"].id, plan, keys, "report-zhang-1", now=noon)
    record_attempts(
        db,
        people["zhang"].id,
        [
            Answer(f"attempt-zhang-{n:04d}", q, plan.id, wrong_answer(first) if n == 0 else found.questions[q].answer)
            for n, q in enumerate(questions)
        ],
        found,
        now=noon,
    )
    assert record_completions(db, people["zhang"].id, [plan], noon) == [COURSE]
    unit = plan.units[0].sentences
    credit(db, people["li"].id, plan, unit[:10], "report-li-1", now=noon)
    record_attempts(
        db, people["li"].id, [Answer("attempt-li-0001", first.id, plan.id, wrong_answer(first))], found, now=noon
    )
    credit(db, people["li"].id, plan, unit[10:40], "report-li-2", now=at_home)
    return {
        **people,
        "plan": plan,
        "noon": noon,
        "at_home": at_home,
        "first": first,
        "zhang_seconds": sum(plan.seconds[key] for key in keys),
        "li_week1": sum(plan.seconds[key] for key in unit[:10]),
        "li_home": sum(plan.seconds[key] for key in unit[10:40]),
    }


@pytest.fixture
def session(app):
    """A fresh learning.db with the training session in it, and fresh sign-in allowances."""
    root = app.extensions["kiosk"].data.root
    for suffix in ("", "-wal", "-shm"):
        (root / f"{LEARNING_DB}{suffix}").unlink(missing_ok=True)
    app.extensions.pop("client_limits", None)
    with LearningDB(root) as db:
        return seed(db, catalog_of(app), MONDAY)


@pytest.fixture
def trainer(signed_in: Callable[..., EditorSession], session: dict) -> EditorSession:
    return signed_in("trainer")


@pytest.fixture
def editor(signed_in: Callable[..., EditorSession], session: dict) -> EditorSession:
    return signed_in("editor")


class Tables(HTMLParser):
    """Every table of a page by id: its column headings and its body rows, cell texts as shown."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, dict] = {}
        self._table = self._cell = self._row = None
        self._in_head = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("id", f"table-{len(self.tables)}"), {"head": [], "rows": []})
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr" and self._table is not None and not self._in_head:
            self._row = []
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            assert self._table is not None  # a cell is only collected inside a table
            cells = self._table["head"] if self._in_head else self._row
            assert cells is not None, "a body cell outside a row"
            cells.append(text)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            assert self._table is not None  # a row is only collected inside a table
            self._table["rows"].append(self._row)
            self._row = None
        elif tag == "thead":
            self._in_head = False
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def shown(html: str, table: str) -> tuple[list[str], list[list[str]]]:
    """A table's data headings and rows as the page shows them (the column of buttons left out, the line that says
    the table is empty read as no rows)."""
    parser = Tables()
    parser.feed(html)
    found = parser.tables[f"table-{table}"]
    keep = [n for n, heading in enumerate(found["head"]) if heading not in ("操作", "选择")]
    rows = [[row[n] for n in keep] for row in found["rows"] if len(row) == len(found["head"])]
    return [found["head"][n] for n in keep], rows


def clock(seconds: float) -> str:
    """Listening as the trainer's tables show it: h:mm, rounded to the minute."""
    minutes = round(seconds / 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


# -- what the trainer sees --------------------------------------------------------------------------------------


def test_the_overview_shows_exactly_who_completed_the_course_and_when(trainer, session):
    title = session["plan"].title
    last_week = trainer.page("/editor/training/?period=last_week")
    head, rows = shown(last_week, "completions")
    assert head == ["乡镇/街道", "社区", "姓名", "课程", "完成时间", "本课累计收听（时:分）"]
    assert rows == [["城关街道", "幸福社区", "张网格", title, "2027-01-11 12:00", clock(session["zhang_seconds"])]]
    assert shown(last_week, "counts")[1] == [["城关街道", "幸福社区", title, "1", "2"]]
    assert "2027-01-11 至 2027-01-17" in last_week
    this_week = trainer.page("/editor/training/")  # the default: this week, 2027-01-18 to 01-24
    assert shown(this_week, "completions")[1] == [] and "这段时间还没有人学完课程" in this_week
    chosen = trainer.page("/editor/training/?period=range&from=2027-01-11&to=2027-01-11")
    assert [row[2] for row in shown(chosen, "completions")[1]] == ["张网格"]
    assert shown(trainer.page("/editor/training/?period=all&community=和平社区"), "completions")[1] == []
    assert shown(trainer.page("/editor/training/?period=all&course=物业管理篇"), "completions")[1] == []


def test_listening_hours_show_who_kept_listening_at_home(trainer, session):
    page = trainer.page("/editor/training/listening?period=this_week")
    head, rows = shown(page, "learners")
    assert head == ["乡镇/街道", "社区", "姓名", "收听（时:分）", "听过的句子", "最近收听"]
    assert rows == [
        ["东城街道", "光明社区", "赵网格", "0:00", "0", ""],
        ["城关街道", "和平社区", "王网格", "0:00", "0", ""],
        ["城关街道", "幸福社区", "张网格", "0:00", "0", ""],
        ["城关街道", "幸福社区", "李网格", clock(session["li_home"]), "30", "2027-01-19 20:00"],
    ]
    assert shown(page, "units")[1] == [
        ["东城街道", "光明社区", "1", "0", "0:00", "0"],
        ["城关街道", "和平社区", "1", "0", "0:00", "0"],
        ["城关街道", "幸福社区", "2", "1", clock(session["li_home"]), "30"],
    ]
    assert "1 / 4" in page  # learners who listened this week, of all
    last_week = {
        row[2]: row[3] for row in shown(trainer.page("/editor/training/listening?period=last_week"), "learners")[1]
    }
    assert last_week == {
        "赵网格": "0:00",
        "王网格": "0:00",
        "张网格": clock(session["zhang_seconds"]),
        "李网格": clock(session["li_week1"]),
    }
    town = shown(trainer.page("/editor/training/listening?period=all&town=东城街道"), "learners")[1]
    assert [row[2] for row in town] == ["赵网格"]


def test_questions_answered_wrongly_most_often_come_first_with_their_source(trainer, session):
    first = session["first"]
    page = trainer.page("/editor/training/questions?period=all")
    head, rows = shown(page, "questions")
    assert head == ["题目", "分册", "作答次数", "答错次数", "正确率（%）", "最常见的错误答案", "正确答案", "出处"]
    top = rows[0]
    assert top[:5] == [first.text, first.volume, "2", "2", "0.0"]
    options = dict(first.options)
    wrong = wrong_answer(first)
    assert top[5] == (wrong if first.kind == "truefalse" else f"{wrong}. {options[wrong]}")
    assert all(row[3] == "0" for row in rows[1:])
    link = re.search(r'<a href="(/doc/[0-9a-f]{12}\?p=[^"]+)" target="_blank" rel="noopener">', page)
    assert link, "the 出处 links to the passage on the kiosk"
    assert first.quote in trainer.page(link.group(1).replace("&amp;", "&"))


def test_training_pages_are_not_kept_in_the_browser_cache(trainer):
    assert trainer.get("/editor/training/learners").cache_control.no_store


# -- who may see what ---------------------------------------------------------------------------------------------


def rule_urls(app, endpoints, values: dict) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) of every route of these endpoints, its path parameters filled from ``values``."""
    found = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if rule.endpoint not in endpoints:
                continue
            url = url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})
            found += [(rule.endpoint, method, url) for method in sorted(rule.methods & {"GET", "POST"})]
    return found


def test_an_editor_gets_403_on_every_training_page_and_changes_nothing(app, editor, session):
    urls = rule_urls(
        app,
        TRAINING_ENDPOINTS,
        {
            "report": "overview",
            "table": "completions",
            "course_id": COURSE,
            "learner_id": session["zhang"].id,
            "round_id": 1,
        },
    )
    assert len({endpoint for endpoint, _, _ in urls}) == len(TRAINING_ENDPOINTS) >= 14
    for endpoint, method, url in urls:
        response = (
            editor.get(url)
            if method == "GET"
            else editor.post(
                url,
                {
                    "pin": "1111",
                    "confirm": session["zhang"].id,
                    "name": "新学员",
                    "town": "城关街道",
                    "community": "幸福社区",
                },
            )
        )
        assert response.status_code == 403, (endpoint, method, response.status_code)
        assert "只有培训老师和管理员可以查看" in response.get_data(as_text=True)
        assert "张网格" not in response.get_data(as_text=True)
    with LearningDB(app.extensions["kiosk"].data.root) as db:
        assert [(p.name, p.card) for p in list_learners(db, community="幸福社区")] == [
            ("张网格", session["zhang"].card),
            ("李网格", session["li"].card),
        ]
    assert "/editor/training/" not in editor.page("/editor/")  # and no menu link to them


def test_a_trainer_gets_403_on_every_editing_page(app, trainer):
    editing = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("editor.")}
    editing -= (
        TRAINING_ENDPOINTS | DESK_ENDPOINTS | MARKET_ENDPOINTS | {"editor.sign_in", "editor.sign_out", "editor.index"}
    )  # desk: test_desk; market: test_market
    assert {
        "editor.new",
        "editor.save",
        "editor.upload",
        "editor.publish_all",
        "editor.pronunciations",
        "editor.import_page",
        "editor.stats",
        "editor.users",
        "editor.preview",
    } <= editing
    for endpoint, method, url in rule_urls(app, editing, {"table": "searches"}):
        response = trainer.get(url) if method == "GET" else trainer.post(url, {"source": "x.md", "term": "行"})
        assert response.status_code == 403, (endpoint, method, response.status_code)
        if url.startswith("/editor/api/"):
            assert response.get_json() == {"ok": False, "error": response.get_json()["error"], "status": 403}
        else:
            assert "培训老师的账号只能查看学员和培训记录" in response.get_data(as_text=True)
    start = trainer.get("/editor/")
    assert start.status_code == 302 and start.headers["Location"] == "/editor/training/"
    menu = trainer.page("/editor/training/")
    assert "培训记录" in menu and 'href="/editor/new"' not in menu and 'href="/editor/upload"' not in menu
    assert 'href="/editor/pronunciations"' not in menu and 'href="/editor/import"' not in menu


def test_an_admin_sees_both(signed_in, session):
    admin = signed_in("admin")
    page = admin.page("/editor/training/?period=last_week")
    assert "张网格" in page and 'href="/editor/new"' in page and 'href="/editor/training/"' in page
    assert admin.get("/editor/new").status_code == 200


# -- exports ------------------------------------------------------------------------------------------------------


def workbook_of(response):
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return openpyxl.load_workbook(io.BytesIO(response.data))


def as_shown(cell) -> str:
    """An Excel cell as the page writes it."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, (int, float)) and cell.number_format == "0.0":
        return f"{value:.1f}"
    if isinstance(value, dt.timedelta):  # openpyxl reads a [h]:mm time value back as a duration
        return clock(value.total_seconds())
    return str(value)


@pytest.mark.parametrize(
    "report, page, tables",
    [
        ("overview", "/editor/training/", ["completions", "counts", "practical", "signoffs", "attendance"]),
        ("listening", "/editor/training/listening", ["learners", "units"]),
        ("questions", "/editor/training/questions", ["questions"]),
    ],
)
def test_each_excel_sheet_holds_exactly_the_rows_shown(trainer, session, report, page, tables):
    html = trainer.page(f"{page}?period=all")
    book = workbook_of(trainer.get(f"/editor/training/export/{report}.xlsx?period=all"))
    assert len(book.sheetnames) == len(tables)
    for sheet_name, table in zip(book.sheetnames, tables, strict=True):
        sheet = book[sheet_name]
        head, rows = shown(html, table)
        assert re.fullmatch(r"[\u4e00-\u9fff]+", sheet_name), sheet_name
        assert [cell.value for cell in sheet[1]] == head and sheet.freeze_panes == "A2"
        assert all(cell.font.bold for cell in sheet[1])
        assert [[as_shown(cell) for cell in row] for row in sheet.iter_rows(min_row=2)] == rows
        assert all(sheet.column_dimensions[chr(65 + n)].width >= 8 for n in range(len(head)))


def test_the_completion_sheet_has_dates_as_dates_and_listening_as_time_values(trainer, session):
    response = trainer.get("/editor/training/export/overview.xlsx?period=last_week")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    assert "2027-01-11" in response.headers["Content-Disposition"]
    book = workbook_of(response)
    assert book.sheetnames == ["完成名单", "各社区完成人数", "实训成绩", "实训签字记录", "实训签到"]
    sheet = book["完成名单"]
    (row,) = sheet.iter_rows(min_row=2)
    assert [cell.value for cell in row] == [
        "城关街道",
        "幸福社区",
        "张网格",
        session["plan"].title,
        dt.datetime(2027, 1, 11, 12, 0),
        dt.timedelta(minutes=round(session["zhang_seconds"] / 60)),
    ]
    assert row[4].is_date and row[4].number_format == "yyyy-mm-dd hh:mm"
    # Listening is an Excel time (days) shown as hours and minutes that keep counting past 24: a sum adds up.
    assert row[5].is_date and row[5].number_format == "[h]:mm"
    assert sheet.column_dimensions["F"].width >= 20  # as wide as its heading 本课累计收听（时:分）
    link = workbook_of(trainer.get("/editor/training/export/questions.xlsx?period=all"))["答题情况"]["H2"]
    assert link.hyperlink.target.startswith(f"{PUBLIC_URL}/doc/")


@pytest.mark.parametrize(
    "table, page",
    [
        ("completions", "/editor/training/"),
        ("counts", "/editor/training/"),
        ("learners", "/editor/training/listening"),
        ("units", "/editor/training/listening"),
        ("questions", "/editor/training/questions"),
    ],
)
def test_each_csv_has_a_bom_and_exactly_the_rows_shown(trainer, session, table, page):
    response = trainer.get(f"/editor/training/export/{table}.csv?period=all")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeff")
    head, rows = shown(trainer.page(f"{page}?period=all"), table)
    assert list(csv.reader(io.StringIO(body[1:]))) == [head, *rows]
    assert rows, "the session left rows in every table"


def test_a_name_that_looks_like_a_formula_stays_text(app, trainer, session):
    with LearningDB(app.extensions["kiosk"].data.root) as db:
        learners.sign_in(db, '=HYPERLINK("x")', "城关街道", "幸福社区", "2468", now=MONDAY.timestamp())
    book = workbook_of(trainer.get("/editor/training/export/listening.xlsx?period=all"))
    cell = next(row[2] for row in book["每位学员的收听"].iter_rows(min_row=2) if row[2].value.startswith("="))
    assert cell.value == '=HYPERLINK("x")' and cell.data_type == "s"
    body = trainer.get("/editor/training/export/learners.csv?period=all").data.decode("utf-8")
    assert '"\'=HYPERLINK(""x"")"' in body


def test_listening_past_a_day_stays_an_excel_time_that_counts_on(tmp_path):
    table = Table(
        "t", "收听", (Column("姓名"), Column("收听（时:分）", "duration")), [Row(("张", 30 * HOUR + 5 * 60 + 20))]
    )
    book = openpyxl.load_workbook(io.BytesIO(export.workbook([table])))
    cell = book["收听"]["B2"]
    assert cell.number_format == "[h]:mm" and cell.value == dt.timedelta(hours=30, minutes=5)
    assert export.csv_text(table).splitlines()[-1] == "张,30:05"


# -- certificates -------------------------------------------------------------------------------------------------


def test_the_certificate_names_the_learner_the_course_and_the_day(trainer, session):
    page = trainer.page(f"/editor/training/certificate/{session['zhang'].id}/{COURSE}")
    assert "结业证书" in page and "张网格" in page and "城关街道 幸福社区" in page
    assert f"「{session['plan'].title}」" in page and "2027年1月11日" in page and "幸福市物业港培训基地" in page
    minutes = round(session["zhang_seconds"] / 60)
    assert f'累计收听 <span class="tr-cert-time">{minutes} 分钟</span>' in page


def test_the_certificate_is_refused_for_a_course_not_completed(trainer, session):
    refused = trainer.get(f"/editor/training/certificate/{session['li'].id}/{COURSE}")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "李网格 还没有学完" in text and "结业证书" in text
    assert "已听 40 / " in text and "tr-certificate" not in text
    assert trainer.get(f"/editor/training/certificate/{session['zhang'].id}/没有这门课").status_code == 404
    assert trainer.get(f"/editor/training/certificate/000000000000/{COURSE}").status_code == 404


# -- learners -----------------------------------------------------------------------------------------------------


def test_removing_a_learner_removes_their_rows_from_every_page_and_export(app, trainer, session):
    zhang = session["zhang"].id
    confirm = trainer.page(f"/editor/training/learners/{zhang}/remove")
    assert "删除学员「张网格」" in confirm and "学完的课程 1 门" in confirm
    assert trainer.post(f"/editor/training/learners/{zhang}/remove").status_code == 400  # not from the confirmation
    assert "张网格" in trainer.page("/editor/training/learners")
    removed = trainer.post(f"/editor/training/learners/{zhang}/remove", {"confirm": zhang})
    assert removed.status_code == 302 and removed.headers["Location"] == "/editor/training/learners"
    assert "已删除学员「张网格」" in trainer.page("/editor/training/learners")
    for url in [
        "/editor/training/learners",
        "/editor/training/?period=all",
        "/editor/training/listening?period=all",
        "/editor/training/questions?period=all",
        "/editor/training/cards",
    ]:
        assert "张网格" not in trainer.page(url), url
    for table in ("completions", "counts", "learners", "units", "questions"):
        assert "张网格" not in trainer.get(f"/editor/training/export/{table}.csv?period=all").data.decode("utf-8")
    for report in ("overview", "listening", "questions"):
        book = workbook_of(trainer.get(f"/editor/training/export/{report}.xlsx?period=all"))
        assert not any(cell.value == "张网格" for sheet in book for row in sheet.iter_rows() for cell in row)
    overview = trainer.page("/editor/training/?period=all")
    assert shown(overview, "completions")[1] == [] and shown(overview, "counts")[1] == []
    first = shown(trainer.page("/editor/training/questions?period=all"), "questions")[1][0]
    assert first[2:4] == ["1", "1"]  # 李's answer is left, 张's is gone
    assert trainer.get(f"/editor/training/learners/{zhang}").status_code == 404
    assert trainer.get(f"/editor/training/certificate/{zhang}/{COURSE}").status_code == 404
    assert app.test_client().get(f"/learn/card/{session['zhang'].card}").status_code == 404


def test_a_new_card_revokes_the_old_one(app, trainer, session):
    old = session["li"].card
    phone = app.test_client()
    assert phone.get(f"/learn/card/{old}").status_code == 302
    renewed = trainer.post(f"/editor/training/learners/{session['li'].id}/card")
    assert renewed.status_code == 302 and renewed.headers["Location"].startswith("/editor/training/cards?learner=")
    with LearningDB(app.extensions["kiosk"].data.root) as db:
        li = learners.get(db, session["li"].id)
    assert li is not None
    new = li.card
    assert new != old
    revoked = app.test_client().get(f"/learn/card/{old}")
    assert revoked.status_code == 404 and "作废" in revoked.get_data(as_text=True)
    assert phone.get("/api/learner").get_json()["learner"] is None  # the old card's phone is signed out
    assert app.test_client().get(f"/learn/card/{new}").status_code == 302
    cards = trainer.page(renewed.headers["Location"])
    assert "已为「李网格」重新发卡" in cards and "学习卡（1 张）" in cards
    assert qr_svg(f"{PUBLIC_URL}/learn/card/{new}", sized=False) in cards, "the card's QR holds the new card's address"


def test_the_cards_page_prints_the_chosen_learners_or_those_of_a_unit(trainer, session):
    chosen = trainer.page(
        f"/editor/training/cards?selected=1&learner={session['wang'].id}&learner={session['zhao'].id}"
    )
    assert "学习卡（2 张）" in chosen and "王网格" in chosen and "赵网格" in chosen and "张网格" not in chosen
    assert chosen.count("<svg viewBox=") == 2
    unit = trainer.page("/editor/training/cards?town=城关街道&community=幸福社区")
    assert "学习卡（2 张）" in unit and "张网格" in unit and "李网格" in unit
    assert "学习卡（0 张）" in trainer.page("/editor/training/cards?selected=1")


def test_a_trainer_adds_a_learner_without_a_phone_and_resets_the_pin(app, trainer, session):
    added = trainer.post("/editor/training/learners", {"name": "孙大爷", "community": "和平社区", "pin": "２４６８"})
    assert added.status_code == 302
    page = trainer.page(added.headers["Location"])
    assert "已添加学员「孙大爷」" in page and "和平社区" in page
    phone = app.test_client()
    signed = phone.post(
        "/api/learner/signin", json={"name": "孙大爷", "town": "城关街道", "community": "和平社区", "pin": "2468"}
    )
    assert signed.status_code == 200 and signed.get_json()["created"] is False
    again = trainer.post("/editor/training/learners", {"name": "孙大爷", "community": "和平社区", "pin": "1111"})
    assert again.status_code == 400 and "已经有这位学员了" in again.get_data(as_text=True)
    bad = trainer.post("/editor/training/learners", {"name": "周阿姨", "community": "和平社区", "pin": "12"})
    assert bad.status_code == 400 and "PIN 要 4 到 8 位数字" in bad.get_data(as_text=True)
    learner_id = added.headers["Location"].rsplit("/", 1)[1]
    reset = trainer.post(f"/editor/training/learners/{learner_id}/pin", {"pin": "97531"})
    assert reset.status_code == 302 and "已为「孙大爷」设置新的 PIN" in trainer.page(reset.headers["Location"])
    assert phone.get("/api/learner").get_json()["learner"] is None  # the new PIN ended the old session
    old = {"name": "孙大爷", "town": "城关街道", "community": "和平社区", "pin": "2468"}
    assert app.test_client().post("/api/learner/signin", json=old).status_code == 401
    assert app.test_client().post("/api/learner/signin", json={**old, "pin": "97531"}).status_code == 200
    listed = shown(trainer.page("/editor/training/learners?community=和平社区"), "learners")[1]
    assert [row[0] for row in listed] == ["孙大爷", "王网格"]


def test_the_learner_page_shows_progress_and_the_certificate_link(trainer, session):
    page = trainer.page(f"/editor/training/learners/{session['zhang'].id}")
    rows = {row[0]: row for row in shown(page, "progress")[1]}
    title = session["plan"].title
    assert rows[title][3] == "2027-01-11 12:00" and "结业证书" in rows[title][4]
    assert f"/editor/training/certificate/{session['zhang'].id}/" in page
    li = shown(trainer.page(f"/editor/training/learners/{session['li'].id}"), "progress")[1]
    assert next(row for row in li if row[0] == title)[3] == "还没学完"


def test_the_learner_page_lists_their_answers_wrong_ones_first_with_the_passage_to_play(app, trainer, session):
    first, plan = session["first"], session["plan"]
    page = trainer.page(f"/editor/training/learners/{session['zhang'].id}")
    head, rows = shown(page, "answers")
    assert head == ["对错", "题目", "学员的答案", "正确答案", "答题时间", "出处"]
    assert len(rows) == len(plan.questions)
    assert rows[0][:4] == [
        "✗ 错",
        first.text,
        answer_text(first, wrong_answer(first)),
        answer_text(first, first.answer),
    ]
    assert all(row[0] == "✓ 对" for row in rows[1:])
    links = [html.unescape(link) for link in re.findall(r'href="(/doc/[^"]+)"[^>]*>▶ 听出处', page)]
    assert len(links) == len(rows) and all("play=1" in link for link in links)
    assert links[0] == source_links_of(app, first)
    # Answered right later, it is right now, and the page says it was answered twice.
    with LearningDB(app.extensions["kiosk"].data.root) as db:
        record_attempts(
            db,
            session["zhang"].id,
            [Answer("attempt-zhang-again", first.id, plan.id, first.answer)],
            catalog_of(app),
            now=session["at_home"],
        )
    again = shown(trainer.page(f"/editor/training/learners/{session['zhang'].id}"), "answers")[1]
    assert all(row[0] == "✓ 对" for row in again)
    assert again[0][1] == f"{first.text} （答过 2 次）"  # the latest first among the right ones
    assert "还没有答过题" in trainer.page(f"/editor/training/learners/{session['wang'].id}")


def source_links_of(app, question) -> str:
    """The kiosk's page of the question's passage, playing from it, as the trainer's tables link it."""
    with app.extensions["kiosk"].store() as store:
        return source_links(store, [question], play=True)[question.id].url


# -- periods ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, first, last",
    [
        ({}, dt.date(2027, 1, 18), dt.date(2027, 1, 24)),
        ({"period": "last_week"}, dt.date(2027, 1, 11), dt.date(2027, 1, 17)),
        ({"period": "this_month"}, dt.date(2027, 1, 1), dt.date(2027, 1, 31)),
        ({"period": "last_month"}, dt.date(2026, 12, 1), dt.date(2026, 12, 31)),
        ({"period": "range", "from": "2027-01-20", "to": "2027-01-05"}, dt.date(2027, 1, 5), dt.date(2027, 1, 20)),
        ({"period": "range", "from": "不是日期", "to": "2027-01-05"}, None, dt.date(2027, 1, 5)),
        ({"period": "all"}, None, None),
        ({"period": "明天"}, dt.date(2027, 1, 18), dt.date(2027, 1, 24)),
    ],
)
def test_periods_are_whole_weeks_from_monday_months_or_chosen_days(args, first, last):
    period = period_from(args, dt.date(2027, 1, 19))
    assert (period.first, period.last) == (first, last)


# -- in Chromium --------------------------------------------------------------------------------------------------


def png_qr_texts(png: bytes) -> list[str]:
    import zxingcpp
    from PIL import Image

    return sorted(result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png))))


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Chromium not installed at {CHROMIUM}")
def test_the_overview_cards_and_certificate_look_right_in_chromium(make_app):
    sync_api = pytest.importorskip("playwright.sync_api")
    from pypdf import PdfReader

    hub = make_app(content=(BUNDLED_CONTENT,), build=True, accounts=("trainer",), public_url=PUBLIC_URL)
    data = hub.extensions["kiosk"].data
    with LiveServer(hub) as server:
        with server.app.app_context():
            from kiosk.training.catalog import current_catalog

            found = current_catalog()
        this_monday = dt.datetime.combine(dt.date.today() - dt.timedelta(days=dt.date.today().weekday()), dt.time(9))
        with LearningDB(data.root) as db:
            people = seed(db, found, this_monday - dt.timedelta(days=7))
            for number in range(8):  # a room of grid workers: two sheets of cards
                learners.sign_in(db, f"网格员{number + 1:02d}号", "城关街道", "和平社区", "2468", now=time.time())
        with sync_api.sync_playwright() as playwright:
            chromium = launch_chromium(playwright)
            try:
                context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
                page = context.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda error: errors.append(str(error)))
                page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
                page.goto(server.url + "/editor/")
                sign_in_with_the_form(page, "刘老师")
                sync_api.expect(page.get_by_role("heading", name="谁学完了哪门课")).to_be_visible()
                page.get_by_label("时间").select_option("all")
                sync_api.expect(page.locator("#table-completions")).to_contain_text("张网格")
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / "trainer-overview.png"), full_page=True)
                page.goto(server.url + "/editor/training/listening?period=all")
                page.screenshot(path=str(SCREENSHOTS / "trainer-listening.png"), full_page=True)
                page.goto(server.url + "/editor/training/questions?period=all")
                page.screenshot(path=str(SCREENSHOTS / "trainer-questions.png"), full_page=True)
                page.goto(server.url + f"/editor/training/learners/{people['zhang'].id}")
                page.screenshot(path=str(SCREENSHOTS / "trainer-learner.png"), full_page=True)
                page.goto(server.url + "/editor/training/learners")
                page.get_by_text("添加学员").click()
                page.screenshot(path=str(SCREENSHOTS / "trainer-learners.png"), full_page=True)
                page.goto(server.url + "/editor/training/communities")
                sync_api.expect(page.locator("#table-communities")).to_contain_text("幸福社区")
                page.screenshot(path=str(SCREENSHOTS / "trainer-communities.png"), full_page=True)
                page.goto(server.url + f"/editor/training/learners/{people['zhang'].id}/merge?other={people['li'].id}")
                sync_api.expect(page.locator("#table-merge")).to_contain_text("李网格")
                page.screenshot(path=str(SCREENSHOTS / "trainer-merge.png"), full_page=True)

                page.goto(server.url + "/editor/training/cards")
                sync_api.expect(page.locator(".tr-card")).to_have_count(12)
                page.screenshot(path=str(SCREENSHOTS / "trainer-cards.png"), full_page=True)
                page.emulate_media(media="print")
                page.set_viewport_size({"width": 794, "height": 1123})  # an A4 sheet at 96 dpi
                shot = page.screenshot(path=str(SCREENSHOTS / "trainer-cards-print.png"), full_page=True)
                with LearningDB(data.root) as db:
                    expected = sorted(f"{PUBLIC_URL}/learn/card/{p.card}" for p in list_learners(db))
                assert png_qr_texts(shot) == expected  # every card's code scans to its learner's card address
                assert len(PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True))).pages) == 2

                page.emulate_media(media="screen")
                page.set_viewport_size({"width": 1366, "height": 900})
                page.goto(server.url + f"/editor/training/certificate/{people['zhang'].id}/{COURSE}")
                page.screenshot(path=str(SCREENSHOTS / "trainer-certificate.png"), full_page=True)
                page.emulate_media(media="print")
                page.set_viewport_size({"width": 1123, "height": 794})  # A4 landscape
                sync_api.expect(page.locator(".ed-top")).to_be_hidden()
                page.screenshot(path=str(SCREENSHOTS / "trainer-certificate-print.png"), full_page=True)
                pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True)))
                assert len(pdf.pages) == 1
                box = pdf.pages[0].mediabox
                assert round(float(box.width) / 72 * 25.4) == 297 and round(float(box.height) / 72 * 25.4) == 210
                # The PDF's fonts map some characters to look-alikes (⽹ for 网): compare them folded.
                text = unicodedata.normalize("NFKC", pdf.pages[0].extract_text()).replace(" ", "")
                day = this_monday - dt.timedelta(days=7)
                assert "张网格" in text and "结业证书" in text and "「新网格员入" in text  # 门 prints as a radical
                assert f"{day.year}年{day.month}月{day.day}日" in text
                assert errors == []
                context.close()
            finally:
                chromium.close()
