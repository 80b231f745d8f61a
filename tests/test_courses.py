"""Courses: the bundled ones resolve against the bundled texts, bad course files say what is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.build import build_index
from indexer.content.courses import load_courses, parse_course, resolve
from indexer.datadir import DataDir
from indexer.errors import ContentError
from indexer.store import Store
from kiosk.cli import main
from kiosk.training.courses import course_views

BUNDLED = Path(__file__).resolve().parents[1] / "content"
VOLUMES = {
    "物业管理培训总纲",
    "物业管理党建篇",
    "物业管理篇",
    "物业管理基层处理篇",
    "物业管理案例汇编",
    "物业管理相关知识问答篇",
}
MODULES = {"人工智能应用", "家政服务", "社区商务", "养老服务"}
TRAINING_AREAS = [
    "礼仪服务",
    "登高作业",
    "保洁操作",
    "弱电",
    "焊接与热切割",
    "消防给排水",
    "电工操作",
    "应急消防",
    "室内维修",
]


@pytest.fixture(scope="module")
def bundled(tmp_path_factory) -> DataDir:
    data = DataDir.create(tmp_path_factory.mktemp("courses-var"))
    assert build_index(data, [BUNDLED]).ok
    return data


def test_one_course_per_volume_and_an_induction_course_all_resolve(bundled):
    store = Store(bundled.database)
    try:
        views, problems = course_views(store, [BUNDLED])
    finally:
        store.close()
    assert problems == [] and all(view.problems == [] for view in views)
    titles = {view.course.title for view in views}
    assert titles >= VOLUMES and "新网格员入门" in titles
    for view in views:
        assert view.units and all(unit.parts and unit.questions for unit in view.units), view.course.id
        assert 5 <= view.minutes <= 120


def test_a_section_item_plays_only_that_section_and_asks_only_about_it(bundled):
    store = Store(bundled.database)
    try:
        stored = {entry.source: store.document(entry.id) for entry in store.catalog()}
    finally:
        store.close()
    documents = {source: doc for source, doc in stored.items() if doc is not None}
    assert documents.keys() == stored.keys()  # every catalogued text is in the store
    source = "有声物业/物业管理培训总纲/六个分册的学习地图.md"
    section = f"title: 试听\nunits:\n  - title: 一\n    items:\n      - {source}#二、按岗位推荐的收听顺序\n"
    course = parse_course(section, "try", "try.yaml")
    (unit,), problems = resolve(course, documents)
    whole = documents[source]
    assert problems == [] and 0 < len(unit.parts[0].passages) < len(whole.passages)
    assert all("二、按岗位推荐的收听顺序" in p.headings or p.kind == "heading" for p in unit.parts[0].passages)
    missing = parse_course(
        f"title: 试听\nunits:\n  - title: 一\n    items:\n      - {source}#没有这一节\n      - 没有/这篇.md\n",
        "try",
        "try.yaml",
    )
    _, problems = resolve(missing, documents)
    assert problems == [
        "try.yaml：有声物业/物业管理培训总纲/六个分册的学习地图.md 里没有小标题「没有这一节」",
        "try.yaml：找不到文章 没有/这篇.md",
    ]


@pytest.mark.parametrize(
    "text, reason",
    [
        ("title: [", "格式有误"),
        ("- a\n- b\n", "应当以 title、summary、units 开头"),
        ("title: 课\nunits: []\n", "units 应当是至少一个单元的列表"),
        ("title: 课\nteacher: 张\nunits: [{title: 一, items: [a.md]}]\n", "不认识的字段 teacher"),
        ("units: [{title: 一, items: [a.md]}]\n", "缺少 title"),
        ("title: 课\nunits: [{title: 一, items: []}]\n", "第 1 个单元要有 title 和至少一篇 items"),
        ("title: 课\nunits: [{title: 一, items: [{a: 1}]}]\n", "items 应当是文章路径"),
        ("title: 课\norder: 第一\nunits: [{title: 一, items: [a.md]}]\n", "order 应当是整数"),
        ("title: 课\npass_mark: 101\nunits: [{title: 一, items: [a.md]}]\n", "pass_mark 应当是 0 到 100 的整数"),
        ("title: 课\npass_mark: 六十\nunits: [{title: 一, items: [a.md]}]\n", "pass_mark 应当是 0 到 100 的整数"),
        ("title: 课\npass_mark: true\nunits: [{title: 一, items: [a.md]}]\n", "pass_mark 应当是 0 到 100 的整数"),
        ("title: 课\nkind: 实训\nunits: [{title: 一, items: [a.md]}]\n", "kind 只能是 theory（理论课，默认）或"),
        ("title: 课\nkind: [practical]\nunits: [{title: 一, items: [a.md]}]\n", "kind 只能是 theory"),
    ],
)
def test_a_bad_course_file_names_what_is_wrong(text, reason):
    with pytest.raises(ContentError, match=reason):
        parse_course(text, "bad", "bad.yaml")


def test_a_course_file_may_set_a_pass_mark_and_without_one_it_is_60_percent():
    units = "units: [{title: 一, items: [a.md]}]\n"
    assert parse_course(f"title: 课\n{units}", "c", "c.yaml").pass_mark == 60
    assert parse_course(f"title: 课\npass_mark: 80\n{units}", "c", "c.yaml").pass_mark == 80
    assert parse_course(f"title: 课\npass_mark: 0\n{units}", "c", "c.yaml").pass_mark == 0


def test_a_course_is_theory_unless_its_file_says_practical():
    units = "units: [{title: 一, items: [a.md]}]\n"
    assert parse_course(f"title: 课\n{units}", "c", "c.yaml").kind == "theory"
    assert parse_course(f"title: 课\nkind: practical\n{units}", "c", "c.yaml").kind == "practical"


def test_a_broken_course_file_is_skipped_with_its_reason_and_the_others_load(tmp_path):
    (tmp_path / "_courses").mkdir()
    (tmp_path / "_courses" / "a.yaml").write_text("title: 甲\nunits: [{title: 一, items: [x.md]}]\n", encoding="utf-8")
    (tmp_path / "_courses" / "b.yaml").write_bytes(b"\x00\x01" * 50)
    courses, problems = load_courses([tmp_path])
    assert [c.id for c in courses] == ["a"] and len(problems) == 1 and "b.yaml" in problems[0]


def test_course_list_json_and_show(bundled):
    runner = CliRunner()
    listed = runner.invoke(
        main, ["--data", str(bundled.root), "course", "list", "--json"], env={"KIOSK_CONTENT": str(BUNDLED)}
    )
    assert listed.exit_code == 0, listed.output
    courses = [json.loads(line) for line in listed.output.splitlines()]
    assert {c["id"] for c in courses} >= {"物业管理篇", "网格员入门"}
    first = courses[0]
    assert set(first) >= {"id", "title", "kind", "documents", "minutes", "questions"}
    assert first["documents"][0]["source"].endswith(".md") and first["minutes"] > 0 and first["questions"] > 0
    shown = runner.invoke(
        main, ["--data", str(bundled.root), "course", "show", "网格员入门"], env={"KIOSK_CONTENT": str(BUNDLED)}
    )
    assert shown.exit_code == 0 and "1. 先认路" in shown.output and "二、按岗位推荐的收听顺序" in shown.output
    unknown = runner.invoke(main, ["--data", str(bundled.root), "course", "show", "没有这门课"])
    assert unknown.exit_code == 1 and "没有课程「没有这门课」" in unknown.output


def test_a_course_s_sentences_are_its_parts_in_order_each_once(bundled):
    from kiosk.services import SpeechService
    from kiosk.settings import Settings
    from kiosk.training.courses import course_sentences, find_course

    speech = SpeechService(bundled, Settings(data=bundled.root, engine="pyttsx3"))
    store = Store(bundled.database)
    try:
        view = find_course(store, [BUNDLED], "网格员入门")
        assert view is not None
        sentences = course_sentences(view, speech, store)
        section = view.units[0].parts[0]
        assert {s.passage for s in sentences if s.doc == section.doc.id} <= {p.id for p in section.passages}
        assert [s.unit for s in sentences] == sorted(s.unit for s in sentences)
        assert len({s.key for s in sentences}) == len(sentences) and all(s.seconds > 0 for s in sentences)
        assert abs(sum(s.seconds for s in sentences) / 60 - view.minutes) < view.minutes * 0.3
    finally:
        store.close()
        speech.close()


def test_course_prepare_voices_the_course_and_its_questions_once(tmp_path):
    """What a trainer runs before a session: afterwards every sentence of the course is in the cache."""
    from indexer.speech.audio_cache import AudioCache
    from kiosk.services import SpeechService
    from kiosk.settings import Settings
    from kiosk.training.courses import course_sentences, find_course

    content = tmp_path / "content"
    (content / "_courses").mkdir(parents=True)
    (content / "_quiz").mkdir()
    source = "有声物业/物业管理培训总纲/培训怎么考核.md"
    (content / source).parent.mkdir(parents=True)
    (content / source).write_text(
        "---\ntitle: 考核\n---\n\n结业以后，每年还要参加复训。复训听新增的篇目。\n", encoding="utf-8"
    )
    (content / "_courses" / "短.yaml").write_text(
        f"title: 短课\nunits:\n  - title: 一\n    items:\n      - {source}\n", encoding="utf-8"
    )
    (content / "_quiz" / "题.md").write_text(
        "---\ntitle: 题\nvolume: 物业管理培训总纲\n---\n\n"
        "## 结业以后还要复训。\n类型：判断\n答案：对\n解析：每年复训。\n"
        f"出处：{source} | 每年还要参加复训\n",
        encoding="utf-8",
    )
    data = DataDir.create(tmp_path / "var")
    assert build_index(data, [content]).ok
    env = {"KIOSK_CONTENT": str(content), "KIOSK_ENGINE": "pyttsx3"}
    runner = CliRunner()
    first = runner.invoke(main, ["--data", str(data.root), "course", "prepare", "短"], env=env)
    assert first.exit_code == 0, first.output
    assert "要合成" in first.output and "失败 0 句" in first.output
    speech = SpeechService(data, Settings(data=data.root, content=(content,), engine="pyttsx3"))
    with Store(data.database) as store:
        view = find_course(store, [content], "短")
        assert view is not None
        assert all(AudioCache(data.audio).has(s.key) for s in course_sentences(view, speech, store))
    again = runner.invoke(main, ["--data", str(data.root), "course", "prepare", "短"], env=env)
    assert again.exit_code == 0 and "要合成 0 句" in again.output, again.output


def test_the_practical_course_lists_as_practical_with_a_unit_per_training_area(bundled):
    listed = CliRunner().invoke(
        main, ["--data", str(bundled.root), "course", "list", "--json"], env={"KIOSK_CONTENT": str(BUNDLED)}
    )
    assert listed.exit_code == 0, listed.output
    kinds = {course["id"]: course["kind"] for course in map(json.loads, listed.output.splitlines())}
    assert kinds["实训基地"] == "practical"
    assert {kind for course_id, kind in kinds.items() if course_id != "实训基地"} == {"theory"}
    (practical,) = (c for c in load_courses([BUNDLED])[0] if c.kind == "practical")
    assert [unit.title for unit in practical.units] == TRAINING_AREAS


def test_each_new_module_is_a_course_with_at_least_15_questions(bundled):
    store = Store(bundled.database)
    try:
        views, _ = course_views(store, [BUNDLED])
    finally:
        store.close()
    counts = {view.course.id: len(view.questions) for view in views}
    assert all(counts.get(module, 0) >= 15 for module in MODULES), counts
