"""Building courses in the editor, through the real app: pick texts from the library, order them, save; the kiosk's
course list follows at once. Invalid courses are refused with nothing written; bundled courses are overridden, not
changed; CSRF, roles and escaping hold."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from flask import Flask
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from kiosk.editor.history import History
from kiosk.training.catalog import current_catalog

from .sites import AppMaker, EditorSession

COMMITTEE = "政策法规/业主委员会.md"
REPAIR = "有声物业/物业管理篇/维修资金.md"
LONG = "有声物业/物业管理篇/长文.md"
BUNDLED_COURSE = f"title: 示例课程\nsummary: 内置的一门。\nunits:\n  - title: 一\n    items:\n      - {COMMITTEE}\n"
LONG_TEXT = (
    "---\ntitle: 一篇长文\ncollection: 有声物业\nvolume: 物业管理篇\n---\n\n"
    + "\n\n".join("业主大会依法决定物业服务企业的选聘和解聘，业主委员会执行业主大会的决定。" * 8 for _ in range(5))
    + "\n"
)


@pytest.fixture
def own(tmp_path: Path) -> Path:
    """The editors' own folder, empty at first: the first content root, where courses are saved."""
    folder = tmp_path / "own"
    folder.mkdir()
    return folder


@pytest.fixture
def bundled(content_dir: Path) -> Path:
    """A copy of the test content standing for the bundled content: one course and a long text."""
    (content_dir / "_courses").mkdir()
    (content_dir / "_courses" / "示例课程.yaml").write_text(BUNDLED_COURSE, encoding="utf-8")
    (content_dir / LONG).write_text(LONG_TEXT, encoding="utf-8")
    return content_dir


@pytest.fixture
def app(make_app: AppMaker, own: Path, bundled: Path) -> Flask:
    """The editors' own folder before the bundled content, as on a hub, with an account of every role."""
    return make_app(content=(own, bundled), build=True, accounts=("editor", "admin", "trainer"))


def courses(session: EditorSession) -> dict[str, dict]:
    """The kiosk's course list, by id."""
    return {course["id"]: course for course in session.client.get("/api/courses").get_json()["courses"]}


def own_files(own: Path) -> list[str]:
    return sorted(p.relative_to(own).as_posix() for p in own.rglob("*") if p.is_file())


def press(session: EditorSession, page: TestResponse, op: str, **changes: str) -> TestResponse:
    """Press a button of the course form as a browser would: the form's fields (some changed) and the button."""
    fields = [(name, changes.pop(name, value)) for name, value in CourseFields.of(page.get_data(as_text=True))]
    return session.client.post("/editor/courses/edit", data=MultiDict(fields + list(changes.items()) + [("op", op)]))


class CourseFields(HTMLParser):
    """The course form's fields in page order, a unit's texts (the same name, repeated) included."""

    def __init__(self):
        super().__init__()
        self.inside, self.fields, self._select, self._first, self._textarea = False, [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == "course-form"
        elif self.inside and tag == "input" and attrs.get("name"):
            self.fields.append((attrs["name"], attrs.get("value") or ""))
        elif self.inside and tag == "textarea":
            self._textarea = len(self.fields)
            self.fields.append((attrs["name"], ""))
        elif self.inside and tag == "select":
            self._select, self._first = attrs["name"], len(self.fields)
        elif self._select and tag == "option" and ("selected" in attrs or self._first == len(self.fields)):
            self.fields[self._first :] = [(self._select, attrs["value"])]

    def handle_data(self, data):
        if self._textarea is not None:
            name, text = self.fields[self._textarea]
            self.fields[self._textarea] = (name, text + data)

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None

    @classmethod
    def of(cls, html: str) -> list[tuple[str, str]]:
        parser = cls()
        parser.feed(html)
        return parser.fields


def items(page) -> list[list[str]]:
    """Each unit's picked texts as the form holds them."""
    fields = CourseFields.of(page.get_data(as_text=True))
    units = sorted({int(m.group(1)) for name, _ in fields if (m := re.fullmatch(r"unit-(\d+)-title", name))})
    return [[value for name, value in fields if name == f"unit-{unit}-item"] for unit in units]


def test_an_editor_builds_a_course_by_picking_and_reordering_and_the_kiosk_has_it_at_once(editor, own):
    page = editor.client.get("/editor/courses/new")
    assert page.status_code == 200
    page = press(editor, page, "search", q="维修")
    assert "加入：专项维修资金怎么用 — 二、应急维修" in page.get_data(as_text=True)
    page = press(editor, page, f"add:{REPAIR}#二、应急维修")
    page = press(editor, page, "search", q="业主委员会")
    page = press(editor, page, f"add:{COMMITTEE}")
    assert items(page) == [[f"{REPAIR}#二、应急维修", COMMITTEE]]
    page = press(editor, page, "up:0:1")
    assert items(page) == [[COMMITTEE, f"{REPAIR}#二、应急维修"]]
    assert re.search(r'value="down:0:0"[^>]* autofocus', page.get_data(as_text=True))  # the moved row keeps focus

    saved = press(editor, page, "save", title="新网格员速成", summary="两篇，十分钟。")
    assert (
        saved.status_code == 302
        and saved.headers["Location"]
        == "/editor/courses/edit?id=%E6%96%B0%E7%BD%91%E6%A0%BC%E5%91%98%E9%80%9F%E6%88%90"
    )
    course = courses(editor)["新网格员速成"]
    assert [(d["source"], d["section"]) for d in course["documents"]] == [(COMMITTEE, None), (REPAIR, "二、应急维修")]
    assert own_files(own) == ["_courses/新网格员速成.yaml"]
    written = yaml.safe_load((own / "_courses" / "新网格员速成.yaml").read_text(encoding="utf-8"))
    assert written == {
        "title": "新网格员速成",
        "summary": "两篇，十分钟。",
        "units": [{"title": "第一单元", "items": [COMMITTEE, f"{REPAIR}#二、应急维修"]}],
    }
    with editor.app.app_context():
        (before,) = current_catalog().courses["新网格员速成"].units

    # Reorder again (a file of the very same size): the kiosk's list, its course page and the learners' catalog
    # all follow at once.
    page = editor.client.get(saved.headers["Location"])
    page = press(editor, page, "down:0:0")
    assert press(editor, page, "save").status_code == 302
    course = courses(editor)["新网格员速成"]
    assert [d["source"] for d in course["documents"]] == [REPAIR, COMMITTEE]
    kiosk_page = editor.client.get("/course/新网格员速成").get_data(as_text=True)
    assert kiosk_page.index("专项维修资金怎么用 — 二、应急维修") < kiosk_page.index("业主委员会的成立")
    with editor.app.app_context():
        (after,) = current_catalog().courses["新网格员速成"].units
    assert before.sentences and sorted(after.sentences) == sorted(before.sentences)
    assert after.sentences != before.sentences
    with History(editor.data.root) as history:
        assert [v.action for v in history.versions("_courses/新网格员速成.yaml")] == ["修改", "新建"]


def test_the_form_shows_the_kiosk_s_estimate_of_minutes_as_the_course_grows(editor):
    page = press(editor, editor.client.get("/editor/courses/new"), "search", q="长文")
    page = press(editor, page, f"add:{LONG}")
    press(editor, page, "save", title="长课")
    minutes = courses(editor)["长课"]["minutes"]
    assert minutes >= 4
    assert f"预计收听约 {minutes} 分钟" in page.get_data(as_text=True)


def test_units_are_added_moved_and_removed_with_buttons(editor):
    page = press(editor, editor.client.get("/editor/courses/new"), "search", q="业主委员会")
    page = press(editor, page, f"add:{COMMITTEE}")
    page = press(editor, page, "unit-add")
    page = press(editor, page, "search", q="维修", **{"unit-1-title": "第二单元", "to": "1"})
    page = press(editor, page, f"add:{REPAIR}")
    assert items(page) == [[COMMITTEE], [REPAIR]]
    page = press(editor, page, "unit-up:1")
    assert items(page) == [[REPAIR], [COMMITTEE]]
    assert 'name="unit-0-title" value="第二单元"' in page.get_data(as_text=True)
    page = press(editor, page, "unit-remove:0")
    assert items(page) == [[COMMITTEE]]
    page = press(editor, page, "remove:0:0")
    assert items(page) == [[]]


def course_fields(title: str, units: list[tuple[str, list[str]]]) -> list[tuple[str, str]]:
    fields = [("title", title)]
    for number, (unit, texts) in enumerate(units):
        fields += [(f"unit-{number}-title", unit)] + [(f"unit-{number}-item", text) for text in texts]
    return fields


@pytest.mark.parametrize(
    "title, units, status, message",
    [
        ("错课", [("一", ["有声物业/不存在.md"])], 400, "找不到文章 有声物业/不存在.md"),
        ("错课", [("一", [f"{COMMITTEE}#没有这一节"])], 400, f"{COMMITTEE} 里没有小标题「没有这一节」"),
        ("错课", [], 400, "课程里还没有单元"),
        ("错课", [("一", [])], 400, "第 1 单元「一」里还没有文章"),
        ("", [("一", [COMMITTEE])], 400, "请填写课程名称"),
        ("示例课程", [("一", [REPAIR])], 409, "已经有一门课程的文件名是「示例课程」"),
    ],
)
def test_an_invalid_course_is_refused_with_a_message_and_nothing_is_written(
    editor, own, bundled, title, units, status, message
):
    before = (bundled / "_courses" / "示例课程.yaml").read_bytes()
    fields = [*course_fields(title, units), ("op", "save"), ("csrf_token", editor.token())]
    response = editor.client.post("/editor/courses/edit", data=MultiDict(fields))
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert own_files(own) == []
    assert (bundled / "_courses" / "示例课程.yaml").read_bytes() == before
    with History(editor.data.root) as history:
        assert history.sources("_courses/") == []


def test_editing_a_bundled_course_saves_an_override_that_deleting_takes_back(editor, own, bundled):
    course_file = bundled / "_courses" / "示例课程.yaml"
    original = course_file.read_bytes()
    page = editor.client.get("/editor/courses/edit?id=示例课程")
    assert "这是内置的课程" in page.get_data(as_text=True)
    page = press(editor, page, "search", q="维修")
    page = press(editor, page, f"add:{REPAIR}")
    assert press(editor, page, "save", title="示例课程（改）").status_code == 302
    assert course_file.read_bytes() == original
    assert own_files(own) == ["_courses/示例课程.yaml"]
    course = courses(editor)["示例课程"]
    assert course["title"] == "示例课程（改）" and [d["source"] for d in course["documents"]] == [COMMITTEE, REPAIR]
    with History(editor.data.root) as history:
        versions = history.versions("_courses/示例课程.yaml")
    assert [v.action for v in versions] == ["修改", "编辑前"] and versions[1].text == original.decode()
    assert "改过的内置课程" in editor.client.get("/editor/courses").get_data(as_text=True)

    assert editor.post("/editor/courses/delete", {"id": "示例课程"}).status_code == 302
    assert own_files(own) == []
    assert courses(editor)["示例课程"]["title"] == "示例课程"


def test_the_pass_mark_is_saved_in_the_course_file_and_shown_again(editor, own):
    page = editor.client.get("/editor/courses/edit?id=示例课程")
    assert ("pass_mark", "") in CourseFields.of(page.get_data(as_text=True))  # no line in the file: the default
    refused = press(editor, page, "save", pass_mark="150")
    assert refused.status_code == 400 and "及格线请填 0 到 100 的数字" in refused.get_data(as_text=True)
    assert own_files(own) == []
    saved = press(editor, page, "save", pass_mark="80")
    assert saved.status_code == 302
    written = yaml.safe_load((own / "_courses" / "示例课程.yaml").read_text(encoding="utf-8"))
    assert written["pass_mark"] == 80
    again = editor.client.get(saved.headers["Location"])
    assert ("pass_mark", "80") in CourseFields.of(again.get_data(as_text=True))
    assert press(editor, again, "save", pass_mark="").status_code == 302  # emptied: the line goes, 60 again
    assert "pass_mark" not in yaml.safe_load((own / "_courses" / "示例课程.yaml").read_text(encoding="utf-8"))


def test_a_course_s_kind_is_chosen_in_the_form_and_kept_by_later_saves(editor, own):
    page = editor.client.get("/editor/courses/edit?id=示例课程")
    assert ("kind", "theory") in CourseFields.of(page.get_data(as_text=True))  # no line in the file: a theory course
    refused = press(editor, page, "save", kind="实训")
    assert refused.status_code == 400 and "课程类型只能是理论课或实训课" in refused.get_data(as_text=True)
    assert own_files(own) == []
    saved = press(editor, page, "save", kind="practical")
    assert saved.status_code == 302 and courses(editor)["示例课程"]["kind"] == "practical"
    again = editor.client.get(saved.headers["Location"])
    assert ("kind", "practical") in CourseFields.of(again.get_data(as_text=True))
    assert press(editor, again, "save", title="示例实训课").status_code == 302  # another change keeps the kind
    written = yaml.safe_load((own / "_courses" / "示例课程.yaml").read_text(encoding="utf-8"))
    assert written["kind"] == "practical" and written["title"] == "示例实训课"


def test_a_practical_course_s_skills_are_edited_one_a_line(editor, own):
    page = editor.client.get("/editor/courses/edit?id=示例课程")
    assert "unit-0-skills" not in dict(CourseFields.of(page.get_data(as_text=True)))  # a theory course has none
    page = editor.client.get(press(editor, page, "save", kind="practical").headers["Location"])
    assert ("unit-0-skills", "") in CourseFields.of(page.get_data(as_text=True))
    refused = press(editor, page, "save", **{"unit-0-skills": "戴安全帽\n" + "很" * 81})
    assert refused.status_code == 400 and "第 2 项技能应当是一行、最多 80 个字" in refused.get_data(as_text=True)
    saved = press(editor, page, "save", **{"unit-0-skills": " 戴安全帽 \r\n\r\n挂安全带\n"})
    assert saved.status_code == 302
    written = yaml.safe_load((own / "_courses" / "示例课程.yaml").read_text(encoding="utf-8"))
    assert written["units"][0]["skills"] == ["戴安全帽", "挂安全带"]
    again = editor.client.get(saved.headers["Location"])
    assert ("unit-0-skills", "戴安全帽\n挂安全带") in CourseFields.of(again.get_data(as_text=True))
    refused = press(editor, again, "save", kind="theory")
    assert refused.status_code == 400 and "只有实训课才有" in refused.get_data(as_text=True)
    with editor.app.test_request_context():
        assert current_catalog().courses["示例课程"].units[0].skills == ("戴安全帽", "挂安全带")


def test_saving_a_bundled_course_unchanged_writes_nothing(editor, own):
    saved = press(editor, editor.client.get("/editor/courses/edit?id=示例课程"), "save")
    assert saved.status_code == 302
    assert "内容没有变化" in editor.client.get(saved.headers["Location"]).get_data(as_text=True)
    assert own_files(own) == []


def test_a_save_over_someone_else_s_is_refused(editor, own):
    page = editor.client.get("/editor/courses/edit?id=示例课程")
    (own / "_courses").mkdir()
    (own / "_courses" / "示例课程.yaml").write_text(BUNDLED_COURSE.replace("示例课程", "别人改的"), encoding="utf-8")
    response = press(editor, page, "save", title="我改的")
    assert response.status_code == 409 and "已被别人修改" in response.get_data(as_text=True)
    assert courses(editor)["示例课程"]["title"] == "别人改的"


def test_a_deleted_course_is_listed_and_restored_from_its_history(editor):
    fields = [*course_fields("临时课", [("一", [COMMITTEE])]), ("op", "save"), ("csrf_token", editor.token())]
    assert editor.client.post("/editor/courses/edit", data=MultiDict(fields)).status_code == 302
    assert editor.post("/editor/courses/delete", {"id": "临时课"}).status_code == 302
    assert "临时课" not in courses(editor)
    listing = editor.client.get("/editor/courses").get_data(as_text=True)
    assert "已删除的课程" in listing and "临时课" in listing
    with History(editor.data.root) as history:
        saved = history.versions("_courses/临时课.yaml")[1]
    assert editor.client.get("/editor/history?source=_courses/临时课.yaml").status_code == 200
    restored = editor.post("/editor/history/restore", {"id": saved.id})
    assert restored.status_code == 302 and restored.headers["Location"].startswith("/editor/courses/edit?id=")
    assert courses(editor)["临时课"]["title"] == "临时课"


def test_a_save_without_the_form_s_token_is_refused(editor, own):
    fields = [*course_fields("无令牌", [("一", [COMMITTEE])]), ("op", "save")]
    response = editor.client.post("/editor/courses/edit", data=MultiDict(fields))
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    assert own_files(own) == []


def test_editors_and_admins_edit_courses_trainers_and_strangers_do_not(site, own):
    assert site.client.get("/editor/courses").headers["Location"].startswith("/editor/signin")
    site.sign_in("刘老师")
    assert site.client.get("/editor/courses").status_code == 403
    fields = [*course_fields("培训老师的课", [("一", [COMMITTEE])]), ("op", "save"), ("csrf_token", site.token())]
    assert site.client.post("/editor/courses/edit", data=MultiDict(fields)).status_code == 403
    assert site.post("/editor/courses/delete", {"id": "示例课程"}).status_code == 403
    assert own_files(own) == []
    site.post("/editor/signout")
    site.sign_in("管理员")
    assert site.client.get("/editor/courses").status_code == 200
    fields = [*course_fields("管理员的课", [("一", [COMMITTEE])]), ("op", "save"), ("csrf_token", site.token())]
    assert site.client.post("/editor/courses/edit", data=MultiDict(fields)).status_code == 302


def test_titles_are_escaped_in_the_editor_and_on_the_kiosk(editor):
    title, unit = "<script>alert(1)</script>课", "<img src=x onerror=alert(2)>"
    fields = [*course_fields(title, [(unit, [COMMITTEE])]), ("op", "save"), ("csrf_token", editor.token())]
    saved = editor.client.post("/editor/courses/edit", data=MultiDict(fields))
    assert saved.status_code == 302
    course_id = next(c for c, course in courses(editor).items() if course["title"] == title)
    for url in ["/editor/courses", saved.headers["Location"], "/courses", f"/course/{course_id}"]:
        page = editor.client.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in page and "<img src=x" not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;课" in page, url


def test_a_course_file_name_cannot_leave_the_courses_folder(editor, own):
    fields = [
        *course_fields("坏", [("一", [COMMITTEE])]),
        ("id", "../../逃出去"),
        ("op", "save"),
        ("csrf_token", editor.token()),
    ]
    response = editor.client.post("/editor/courses/edit", data=MultiDict(fields))
    assert response.status_code == 400 and "课程文件名不可用" in response.get_data(as_text=True)
    assert editor.client.get("/editor/courses/edit?id=../示例课程").status_code == 404
    assert own_files(own) == []
