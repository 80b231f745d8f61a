"""实训 sign-offs: the skills in the course files, the model's arithmetic (the latest sign-off counts, a course is
complete when every skill stands at 合格), merge and removal, who may sign off, hostile input, the practical
certificate, the learner page, the exports and the A4 posters; through the real app and real SQLite."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from urllib.parse import quote

import openpyxl
import pytest
import segno
from flask import Flask

from indexer.content.courses import parse_course
from indexer.errors import ContentError
from kiosk.settings import BUNDLED_CONTENT
from kiosk.training.catalog import CoursePlan, UnitPlan
from kiosk.training.learner import learners
from kiosk.training.learner.cards import list_learners
from kiosk.training.learner.database import LearningDB
from kiosk.training.learner.merge import merge
from kiosk.training.learner.progress import load_records, record_completions
from kiosk.training.practical.signoffs import (
    FAILED,
    PASSED,
    SignOffError,
    area_results,
    latest,
    missing_areas,
    sign_off,
)

from .practical_content import AREAS, PRACTICAL, THEORY, bundled_skills, practical_content
from .sites import AppMaker, EditorSession, learner_signed_in, signed_in_as

PUBLIC_URL = "http://192.168.1.20:8000"
T0 = 1_800_000_000.0
TWO_AREAS = CoursePlan.of(
    "实训",
    "实训",
    [UnitPlan("登高", (), (), ("戴安全帽", "挂安全带")), UnitPlan("电工", (), (), ("验电",))],
    {},
    kind="practical",
)
THEORY_PLAN = CoursePlan.of("理论", "理论", [UnitPlan("一", ("s1",), ())], {})


# -- the course files ---------------------------------------------------------------------------------------------


def test_a_practical_unit_lists_its_skills():
    text = (
        "title: 课\nkind: practical\nunits:\n  - title: 登高\n    items: [a.md]\n    skills: [' 戴安全帽 ', 挂安全带]\n"
    )
    assert parse_course(text, "c", "c.yaml").units[0].skills == ("戴安全帽", "挂安全带")


@pytest.mark.parametrize(
    "unit, expected",
    [
        ("skills: [戴安全帽]", "c.yaml：第 1 个单元：只有实训课（kind: practical）的单元才有 skills"),
        ("skills: 戴安全帽", "c.yaml：第 1 个单元：skills 应当是技能的列表"),
        ("skills: ['  ']", "c.yaml：第 1 个单元：第 1 项技能是空的"),
        ("skills: [一, {a: b}]", "c.yaml：第 1 个单元：第 2 项技能是空的"),
        (f"skills: [{'很' * 81}]", "c.yaml：第 1 个单元：第 1 项技能应当是一行、最多 80 个字"),
        ('skills: ["一\\n二"]', "c.yaml：第 1 个单元：第 1 项技能应当是一行"),
    ],
)
def test_bad_skills_are_refused_naming_the_file_and_unit(unit, expected):
    kind = "" if "kind" in expected else "kind: practical\n"
    with pytest.raises(ContentError) as refused:
        parse_course(f"title: 课\n{kind}units:\n  - title: 一\n    items: [a.md]\n    {unit}\n", "c", "c.yaml")
    assert str(refused.value).startswith(expected)


CHINESE_COUNTS = {"五": 5, "六": 6, "七": 7, "八": 8}


def test_every_bundled_area_has_as_many_skills_as_its_briefing_says_are_signed_off():
    """The briefing tells learners what will be checked; the course file is the checklist the trainer signs."""
    for area, skills in bundled_skills().items():
        text = (BUNDLED_CONTENT / "有声物业" / "实训基地" / f"{area}实训.md").read_text(encoding="utf-8")
        section = text.split("## 四、培训师签字确认的技能", 1)[1].split("\n## ", 1)[0]
        said = re.search(r"确认下面(.)项技能", section)
        assert said, area
        numbered = re.findall(r"^第.项，", section, re.M)
        assert CHINESE_COUNTS[said.group(1)] == len(numbered) == len(skills), area


# -- the model ----------------------------------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path):
    with LearningDB(tmp_path) as opened:
        yield opened


def learner(db: LearningDB, name: str = "张网格") -> str:
    return learners.sign_in(db, name, "城关街道", "幸福社区", "2468", now=T0)[0].id


def sign_all(db: LearningDB, who: str, plan: CoursePlan = TWO_AREAS, result: str = PASSED, at: float = T0) -> None:
    for number, unit in enumerate(plan.units):
        for skill in range(len(unit.skills)):
            sign_off(db, who, plan, number, skill, result, "" if result == PASSED else "没做到", "刘老师", at)


def test_the_latest_sign_off_of_a_skill_counts(db):
    who = learner(db)
    sign_off(db, who, TWO_AREAS, 0, 0, FAILED, "没系下颌带", "刘老师", T0)
    sign_off(db, who, TWO_AREAS, 0, 0, PASSED, "", "陈老师", T0 + 60)
    sign_off(db, who, TWO_AREAS, 0, 1, PASSED, "", "刘老师", T0)
    sign_off(db, who, TWO_AREAS, 0, 1, FAILED, "挂点太低", "刘老师", T0 + 60)
    found = latest(db, who, TWO_AREAS)
    assert (found[(0, 0)].result, found[(0, 0)].trainer) == (PASSED, "陈老师")
    assert (found[(0, 1)].result, found[(0, 1)].note) == (FAILED, "挂点太低")
    (high, electric) = area_results(TWO_AREAS, found)
    assert high.last is not None and (high.passed, high.total, high.done, high.last.at) == (1, 2, False, T0 + 60)
    assert (electric.passed, electric.total, electric.last) == (0, 1, None)
    assert db.conn.execute("SELECT COUNT(*) FROM signoffs").fetchone()[0] == 4  # the history is kept


def edited(units: list[UnitPlan]) -> CoursePlan:
    """TWO_AREAS as an editor left it after changing its checklists."""
    return CoursePlan.of(TWO_AREAS.id, TWO_AREAS.title, units, {}, kind="practical")


def test_a_sign_off_follows_its_skill_when_the_editor_reorders_or_inserts_skills(db):
    who = learner(db)
    sign_off(db, who, TWO_AREAS, 0, 0, PASSED, "", "刘老师", T0)  # 戴安全帽
    sign_off(db, who, TWO_AREAS, 0, 1, FAILED, "挂点太低", "刘老师", T0)  # 挂安全带
    reordered = edited(
        [UnitPlan("电工", (), (), ("验电",)), UnitPlan("登高", (), (), ("检查梯子", "挂安全带", "戴安全帽"))]
    )
    found = latest(db, who, reordered)
    assert {place: (signed.words, signed.result) for place, signed in found.items()} == {
        (1, 2): ("戴安全帽", PASSED),
        (1, 1): ("挂安全带", FAILED),
    }
    assert [(area.title, area.passed, area.total) for area in area_results(reordered, found)] == [
        ("电工", 0, 1),
        ("登高", 1, 3),
    ]


def test_a_reworded_or_removed_skill_must_be_signed_again(db):
    who = learner(db)
    sign_all(db, who)
    assert record_completions(db, who, [TWO_AREAS], T0) == ["实训"]
    reworded = edited([UnitPlan("登高", (), (), ("戴好安全帽", "挂安全带")), UnitPlan("电工", (), (), ())])
    assert set(latest(db, who, reworded)) == {(0, 1)}
    assert missing_areas(reworded, latest(db, who, reworded)) == ["登高"]


def test_the_same_words_in_two_areas_keep_to_the_area_they_were_signed_in(db):
    twice = edited([UnitPlan("登高", (), (), ("验电",)), UnitPlan("电工", (), (), ("验电",))])
    who = learner(db)
    sign_off(db, who, twice, 1, 0, PASSED, "", "刘老师", T0)
    swapped = edited([UnitPlan("电工", (), (), ("验电",)), UnitPlan("登高", (), (), ("验电",))])
    assert set(latest(db, who, swapped)) == {(0, 0)}


def test_sign_offs_recorded_before_the_words_were_kept_go_by_place(db):
    who = learner(db)
    with db.conn:
        db.conn.execute(
            "INSERT INTO signoffs (learner, course, unit, skill, result, note, trainer, at)"
            " VALUES (?, ?, 1, 0, ?, '', '刘老师', ?), (?, ?, 5, 0, ?, '', '刘老师', ?)",
            (who, TWO_AREAS.id, PASSED, T0, who, TWO_AREAS.id, PASSED, T0),
        )
    assert set(latest(db, who, TWO_AREAS)) == {(1, 0)}


def test_a_practical_course_completes_when_every_skill_stands_at_pass_and_not_before(db):
    who = learner(db)
    sign_all(db, who, result=FAILED)
    assert missing_areas(TWO_AREAS, latest(db, who, TWO_AREAS)) == ["登高", "电工"]
    assert record_completions(db, who, [TWO_AREAS], T0) == []
    sign_off(db, who, TWO_AREAS, 0, 0, PASSED, "", "刘老师", T0 + 10)
    sign_off(db, who, TWO_AREAS, 0, 1, PASSED, "", "刘老师", T0 + 10)
    assert missing_areas(TWO_AREAS, latest(db, who, TWO_AREAS)) == ["电工"]  # a missing area blocks
    assert record_completions(db, who, [TWO_AREAS], T0 + 10) == []
    sign_off(db, who, TWO_AREAS, 1, 0, PASSED, "", "刘老师", T0 + 20)
    assert record_completions(db, who, [TWO_AREAS], T0 + 20) == ["实训"]
    assert load_records(db, who).completed == {"实训": T0 + 20}


def test_listening_does_not_complete_a_practical_course_and_one_without_skills_never_completes(db):
    who = learner(db)
    bare = CoursePlan.of("空", "空", [UnitPlan("一", ("s1",), ())], {}, kind="practical")
    db.conn.execute("INSERT INTO heard VALUES (?, '空', 's1', 3, ?)", (who, T0))
    assert record_completions(db, who, [bare], T0) == []


@pytest.mark.parametrize(
    "plan, unit, skill, result, note, expected",
    [
        (THEORY_PLAN, 0, 0, PASSED, "", "是理论课"),
        (TWO_AREAS, 2, 0, PASSED, "", "没有这一项技能"),
        (TWO_AREAS, -1, 0, PASSED, "", "没有这一项技能"),
        (TWO_AREAS, 1, 1, PASSED, "", "没有这一项技能"),
        (TWO_AREAS, 0, -1, PASSED, "", "没有这一项技能"),
        (TWO_AREAS, 0, 0, "优秀", "", "结果只能是合格或不合格"),
        (TWO_AREAS, 0, 0, FAILED, "   ", "不合格要写上说明"),
        (TWO_AREAS, 0, 0, PASSED, "很" * 201, "说明最多 200 个字"),
    ],
)
def test_a_sign_off_the_course_does_not_allow_is_refused_and_nothing_is_written(
    db, plan, unit, skill, result, note, expected
):
    with pytest.raises(SignOffError, match=expected):
        sign_off(db, learner(db), plan, unit, skill, result, note, "刘老师", T0)
    assert db.conn.execute("SELECT COUNT(*) FROM signoffs").fetchone()[0] == 0


def test_a_merge_moves_the_sign_offs_and_completes_the_union(db):
    kept, merged = learner(db, "张网格"), learner(db, "张网格二")
    sign_off(db, kept, TWO_AREAS, 0, 0, PASSED, "", "刘老师", T0)
    sign_off(db, kept, TWO_AREAS, 0, 1, PASSED, "", "刘老师", T0)
    sign_off(db, merged, TWO_AREAS, 1, 0, FAILED, "没验电", "刘老师", T0)
    sign_off(db, merged, TWO_AREAS, 1, 0, PASSED, "", "刘老师", T0 + 60)
    assert merge(db, kept, merged, [TWO_AREAS], T0 + 120).completed == ["实训"]
    assert db.conn.execute("SELECT COUNT(*) FROM signoffs WHERE learner = ?", (kept,)).fetchone()[0] == 4
    assert db.conn.execute("SELECT COUNT(*) FROM signoffs WHERE learner = ?", (merged,)).fetchone()[0] == 0


def test_removing_a_learner_removes_the_sign_offs(db):
    who = learner(db)
    sign_all(db, who)
    assert learners.remove(db, who)
    assert db.conn.execute("SELECT COUNT(*) FROM signoffs").fetchone()[0] == 0


# -- the trainer's pages ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(make_module_app: AppMaker, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    content = practical_content(tmp_path_factory.mktemp("practical"))
    return make_module_app(
        content=(content,),
        build=True,
        accounts=("trainer", "editor", "admin"),
        public_url=PUBLIC_URL,
        hub_name="幸福市物业港培训基地",
    )


@pytest.fixture(scope="module")
def trainer(app) -> EditorSession:
    return signed_in_as(app, "trainer")


def new_learner(app: Flask, name: str, community: str = "幸福社区") -> str:
    with LearningDB(app.extensions["kiosk"].data.root) as opened:
        return learners.sign_in(opened, name, "城关街道", community, "2468", now=T0)[0].id


def sheet(learner_id: str, course: str = PRACTICAL) -> str:
    return f"/editor/training/practical/{course}/learners/{learner_id}"


def sign(session: EditorSession, learner_id: str, unit: int, skill: int, result: str = PASSED, note: str = "", **more):
    return session.post(
        sheet(learner_id, more.pop("course", PRACTICAL)), {"unit": unit, "skill": skill, "result": result, "note": note}
    )


def sign_everything(session: EditorSession, learner_id: str) -> None:
    for unit, area in enumerate(AREAS):
        for skill in range(len(bundled_skills()[area])):
            assert sign(session, learner_id, unit, skill).status_code == 302


def rows_of(app: Flask, learner_id: str) -> list[tuple]:
    with LearningDB(app.extensions["kiosk"].data.root) as opened:
        found = opened.conn.execute(
            "SELECT unit, skill, result, note, trainer FROM signoffs WHERE learner = ? ORDER BY rowid", (learner_id,)
        ).fetchall()
        return [tuple(row) for row in found]


def test_the_sheet_lists_each_area_s_skills_with_who_signed_and_when(app, trainer):
    who = new_learner(app, "孙网格")
    page = trainer.page(sheet(who))
    for area, skills in bundled_skills().items():
        if area in AREAS:
            assert area in page and all(skill in page for skill in skills)
    assert "0 / 2</strong> 个实训区全部合格" in page
    answer = sign(trainer, who, 0, 1, FAILED, "  安全带的  卡扣没检查 ")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("#area-0")
    page = trainer.page(sheet(who))
    assert "安全带的 卡扣没检查" in page and "刘老师" in page and "已签：登高作业 第 2 项 不合格" in page
    assert rows_of(app, who) == [(0, 1, FAILED, "安全带的 卡扣没检查", "刘老师")]


@pytest.mark.parametrize("role", ["trainer", "admin"])
def test_trainers_and_admins_sign_off(app, role):
    who = new_learner(app, f"周网格{role}")
    session = signed_in_as(app, role)
    assert session.get(sheet(who)).status_code == 200
    assert sign(session, who, 1, 0).status_code == 302
    assert rows_of(app, who)[0][2:] == (PASSED, "", {"trainer": "刘老师", "admin": "管理员"}[role])


def test_an_editor_without_the_trainer_role_is_refused(app):
    who = new_learner(app, "吴网格")
    editor = signed_in_as(app, "editor")
    for answer in (
        editor.get(sheet(who)),
        sign(editor, who, 0, 0),
        editor.get(f"/editor/training/practical/{PRACTICAL}/posters"),
    ):
        assert answer.status_code == 403 and "只有培训老师和管理员" in answer.get_data(as_text=True)
    assert rows_of(app, who) == []


def test_a_learner_and_a_stranger_never_sign_off(app):
    who = new_learner(app, "郑网格")
    phone = app.test_client()
    token = learner_signed_in(phone)
    answer = phone.post(sheet(who), data={"unit": 0, "skill": 0, "result": PASSED, "csrf_token": token})
    assert answer.status_code == 302 and "/editor/signin" in answer.headers["Location"]
    assert app.test_client().get(sheet(who)).status_code == 302
    assert rows_of(app, who) == []


def test_a_sign_off_without_the_session_s_token_is_refused(app, trainer):
    who = new_learner(app, "冯网格")
    answer = trainer.client.post(sheet(who), data={"unit": 0, "skill": 0, "result": PASSED})
    assert answer.status_code == 400
    assert rows_of(app, who) == []


@pytest.mark.parametrize(
    "form, status, expected",
    [
        ({"unit": 0, "skill": 99}, 400, "没有这一项技能"),
        ({"unit": 7, "skill": 0}, 400, "没有这一项技能"),
        ({"unit": "x", "skill": 0}, 400, "没有这一项技能"),
        ({"unit": 0, "skill": 0, "words": "检查梯子"}, 400, "可能课程刚改过：请刷新页面再签"),  # the page was older
        ({"unit": 0, "skill": 0, "result": "优秀"}, 400, "结果只能是合格或不合格"),
        ({"unit": 0, "skill": 0, "result": FAILED}, 400, "不合格要写上说明"),
        ({"unit": 0, "skill": 0, "result": FAILED, "note": "差" * 201}, 400, "说明最多 200 个字"),
        ({"unit": 0, "skill": 0, "course": THEORY}, 404, "是理论课，没有实训签字"),
        ({"unit": 0, "skill": 0, "course": "没有这门课"}, 404, "没有这门课"),
    ],
)
def test_hostile_sign_offs_get_a_chinese_answer_and_write_nothing(app, trainer, form, status, expected):
    who = new_learner(app, "陈网格")
    fields = {"result": PASSED, "note": "", **form}
    answer = trainer.post(sheet(who, fields.pop("course", PRACTICAL)), fields)
    assert answer.status_code == status and expected in answer.get_data(as_text=True)
    assert rows_of(app, who) == []


def test_a_sign_off_for_a_learner_who_is_not_there_is_a_404(app, trainer):
    answer = sign(trainer, "nobody", 0, 0)
    assert answer.status_code == 404 and "没有这位学员" in answer.get_data(as_text=True)


def test_the_certificate_waits_for_every_area_then_lists_each_with_its_trainer_and_date(app, trainer):
    who = new_learner(app, "褚网格")
    certificate = f"/editor/training/certificate/{who}/{PRACTICAL}"
    refused = trainer.get(certificate)
    assert refused.status_code == 409 and "登高作业、电工操作" in refused.get_data(as_text=True)
    for skill in range(len(bundled_skills()["登高作业"])):
        sign(trainer, who, 0, skill)
    refused = trainer.get(certificate)
    assert refused.status_code == 409 and "还有实训区没有全部合格：电工操作。" in refused.get_data(as_text=True)
    assert "结业证书" not in trainer.page(sheet(who)).split("<h1>")[0]
    sign_everything(trainer, who)
    page = trainer.page(certificate)
    assert "全部 2 个实训区的技能考核" in page
    table = page.split('<table class="tr-cert-areas">', 1)[1].split("</table>", 1)[0]
    cells = [re.sub(r"\s+", "", c) for c in re.findall(r"<td>(.*?)</td>", table, re.S)]
    assert cells[0::4] == list(AREAS) and set(cells[1::4]) == {"合格"} and set(cells[2::4]) == {"刘老师"}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", date) for date in cells[3::4])


def test_a_theory_certificate_still_asks_for_listening(app, trainer):
    who = new_learner(app, "卫网格")
    refused = trainer.get(f"/editor/training/certificate/{who}/{THEORY}")
    assert refused.status_code == 409 and "学完才能打印结业证书" in refused.get_data(as_text=True)


def test_the_learner_page_shows_areas_passed_and_links_to_the_sheet(app, trainer):
    who = new_learner(app, "蒋网格")
    for skill in range(len(bundled_skills()["电工操作"])):
        sign(trainer, who, 1, skill)
    page = trainer.page(f"/editor/training/learners/{who}")
    assert "实训：1 / 2 区合格" in page and quote(sheet(who)) in page


def test_the_exports_hold_the_practical_results_and_every_sign_off(app, trainer):
    who = new_learner(app, "沈网格", "和平社区")
    sign(trainer, who, 0, 0, FAILED, '=HYPERLINK("x") 没系下颌带')
    sign_everything(trainer, who)
    query = "?period=all&community=和平社区"
    book = openpyxl.load_workbook(io.BytesIO(trainer.get(f"/editor/training/export/overview.xlsx{query}").data))
    results = [[c.value for c in row] for row in book["实训成绩"].iter_rows()]
    assert results[0] == ["乡镇/街道", "社区", "姓名", "课程", "合格的实训区", "实训区数", "最近签字"]
    assert results[1][:6] == ["城关街道", "和平社区", "沈网格", "实训两区", 2, 2]
    signoffs = [[c.value for c in row] for row in book["实训签字记录"].iter_rows()]
    assert signoffs[0] == ["乡镇/街道", "社区", "姓名", "课程", "实训区", "技能", "结果", "说明", "培训师", "签字时间"]
    first = signoffs[1]
    assert first[:9] == [
        "城关街道",
        "和平社区",
        "沈网格",
        "实训两区",
        "登高作业",
        bundled_skills()["登高作业"][0],
        FAILED,
        '=HYPERLINK("x") 没系下颌带',
        "刘老师",
    ]
    assert book["实训签字记录"].cell(2, 8).data_type == "s"  # a note is never a formula
    assert len(signoffs) == 1 + 1 + sum(len(bundled_skills()[area]) for area in AREAS)
    text = trainer.get(f"/editor/training/export/signoffs.csv{query}").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[1][6:9] == [FAILED, '\'=HYPERLINK("x") 没系下颌带', "刘老师"]
    assert "沈网格" in trainer.page(f"/editor/training/{query}")


def test_the_posters_hold_each_area_s_safety_points_and_a_qr_to_its_briefing(app, trainer):
    page = trainer.page(f"/editor/training/practical/{PRACTICAL}/posters")
    assert page.count('class="pp-sheet"') == 2
    assert "第一，身体不适合的，不登高。" in page and "第七，有人触电，先断电源。" in page
    assert "有高血压" not in page  # first sentences only
    links = re.findall(rf"{re.escape(PUBLIC_URL)}/doc/[0-9a-f]+", page)
    assert len(set(links)) == 2
    for link in set(links):
        expected = segno.make(link, error="m").svg_inline(scale=1, border=2, omitsize=True, dark="#1b1b1b")
        assert expected in page
        assert app.test_client().get(link.removeprefix(PUBLIC_URL)).status_code == 200


def test_posters_of_a_theory_course_are_a_404(trainer):
    assert trainer.get(f"/editor/training/practical/{THEORY}/posters").status_code == 404


def test_markup_in_a_note_or_a_name_is_shown_as_text(app, trainer):
    script = "<script>alert(1)</script>"
    who = new_learner(app, "<b>网格")
    assert sign(trainer, who, 0, 0, FAILED, script).status_code == 302
    page = trainer.page(sheet(who))
    assert script not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>网格" not in page and "&lt;b&gt;网格" in page


def test_a_learner_sees_her_standing_and_what_to_practise_again_on_her_phone(app, trainer):
    phone = app.test_client()
    learner_signed_in(phone, name="邓网格", community="安宁社区")
    assert "我的实训成绩" not in phone.get("/learn/practical").get_data(as_text=True)  # nothing signed off yet
    with LearningDB(app.extensions["kiosk"].data.root) as opened:
        (who,) = [person.id for person in list_learners(opened) if person.name == "邓网格"]
    for skill in range(len(bundled_skills()[AREAS[0]])):
        sign(trainer, who, 0, skill)
    sign(trainer, who, 1, 0, FAILED, "验电笔没先试")
    page = phone.get("/learn/practical").get_data(as_text=True)
    assert "我的实训成绩：实训两区" in page and "✓ 合格" in page and "0 / 6 项合格" in page
    assert bundled_skills()[AREAS[1]][0] in page and "培训老师说：验电笔没先试" in page
    stranger = app.test_client().get("/learn/practical")
    assert stranger.status_code == 200 and "邓网格" not in stranger.get_data(as_text=True)
