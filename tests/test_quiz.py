"""Question files as editors hand-write them: good ones parse, bad ones are refused with file, line and reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.content.quiz import check_sources, parse_quiz, read_quiz
from kiosk.cli import main

PROJECT = Path(__file__).resolve().parents[1]
BUNDLED_QUIZ = PROJECT / "content" / "_quiz"
HEAD = "---\ntitle: 测试题\nvolume: 物业管理篇\n---\n\n"
GOOD = (
    HEAD
    + """## 物业费可以用停水的办法来催吗？
类型：判断
答案：错
解析：民法典第九百四十四条规定，不得采取停止供水等方式催交物业费。
出处：政策法规/物业服务合同.md | 业主应当按照约定

## 下面哪些属于共有部分？
类型：多选
- A. 电梯
- B. 屋顶
- C. 业主家的客厅
答案：AB
解析：电梯和屋顶是共有部分，客厅是专有部分。
出处：政策法规/物业服务合同.md | 业主应当按照约定
"""
)


def test_a_good_file_gives_its_questions_with_answers_and_sources():
    quiz = parse_quiz(GOOD, "good.md")
    assert quiz.problems == [] and quiz.volume == "物业管理篇"
    first, second = quiz.questions
    assert (first.kind, first.answer, first.options, first.line) == ("truefalse", "错", (), 6)
    assert (second.kind, second.answer, [letter for letter, _ in second.options]) == ("multiple", "AB", ["A", "B", "C"])
    assert second.source == "政策法规/物业服务合同.md" and second.quote == "业主应当按照约定"
    assert second.is_right("ba") and not second.is_right("A") and first.is_right("错") and not first.is_right("对")
    assert first.id != second.id and parse_quiz(GOOD, "moved.md").questions[0].id == first.id


def test_a_question_marked_for_residents_says_so_and_others_do_not():
    marked = parse_quiz(
        broken(
            "出处：政策法规/物业服务合同.md | 业主应当按照约定\n",
            "出处：政策法规/物业服务合同.md | 业主应当按照约定\n对象：居民\n",
        ),
        "m.md",
    )
    assert marked.problems == []
    first, second = marked.questions
    assert first.for_residents and not second.for_residents
    assert not any(question.for_residents for question in parse_quiz(GOOD, "good.md").questions)


def test_the_bundled_resident_questions_are_plain_ones_and_staff_exam_questions_are_not_among_them():
    residents = [q for file in sorted(BUNDLED_QUIZ.glob("*.md")) for q in read_quiz(file).questions if q.for_residents]
    assert len(residents) >= 20
    texts = {q.text for q in residents}
    assert "专项维修资金是谁的钱？" in texts and "结业考核没有通过，该怎么办？" not in texts
    assert {Path(q.file).stem for q in residents} <= {"知识问答篇", "物业管理篇", "案例汇编"}


def broken(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


@pytest.mark.parametrize(
    "text, line, reason",
    [
        (GOOD.replace(HEAD, ""), 1, "开头缺少 --- 信息块"),
        (broken("volume: 物业管理篇\n", ""), 1, "信息块缺少 volume"),
        (broken("volume: 物业管理篇\n", "volume: 物业管理篇\nauthor: 张三\n"), 1, "不认识的字段：author"),
        (broken("类型：判断", "类型：填空"), 7, "类型「填空」不对"),
        (broken("答案：错\n", "答案：错\n对象：员工\n"), 9, "对象只能写「居民」"),
        (broken("答案：错\n", "答案：错\n对象：居民\n对象：居民\n"), 10, "「对象」写了两次"),
        (broken("答案：错", "答案：不对"), 8, "只能是「对」或「错」"),
        (broken("答案：AB", "答案：AD"), 17, "答案「AD」不在选项 ABC 之中"),
        (broken("答案：AB", "答案：BA"), 17, "请按顺序写，例如「AB」"),
        (broken("答案：AB", "答案：A"), 17, "多选题至少有两个答案"),
        (broken("- B. 屋顶", "- C. 屋顶"), 15, "选项应按 A、B、C… 的顺序"),
        (broken("- C. 业主家的客厅\n", "- C. 业主家的客厅\n这一行多余\n"), 17, "看不懂这一行「这一行多余」"),
        (broken("解析：民法典第九百四十四条规定，不得采取停止供水等方式催交物业费。\n", ""), 6, "缺少「解析：」"),
        (
            broken("出处：政策法规/物业服务合同.md | 业主应当按照约定\n\n##", "出处：政策法规/物业服务合同.md\n\n##"),
            10,
            "出处写成",
        ),
        (broken("类型：判断\n", "类型：判断\n- A. 对\n- B. 错\n"), 6, "判断题不要选项"),
        (HEAD + "前言一段\n" + GOOD[len(HEAD) :], 6, "题目之外有多余的文字"),
        (HEAD, 5, "没有题目"),
    ],
)
def test_a_malformed_file_is_refused_at_the_line_with_the_reason(text, line, reason):
    problems = parse_quiz(text, "bad.md").problems
    assert any(at == line and reason in message for at, message in problems), problems


def test_a_source_that_does_not_say_the_quote_is_refused(tmp_path):
    (tmp_path / "政策法规").mkdir()
    text = "# 物业服务合同\n\n业主应当按照约定交费。\n"
    (tmp_path / "政策法规" / "物业服务合同.md").write_text(text, encoding="utf-8")
    quiz = parse_quiz(
        broken(
            "出处：政策法规/物业服务合同.md | 业主应当按照约定\n\n##",
            "出处：政策法规/物业服务合同.md | 业主可以不交费\n\n##",
        ),
        "bad.md",
    )
    check_sources(quiz, [tmp_path])
    assert [q.line for q in quiz.questions] == [12]
    assert quiz.problems == [(6, "出处的文章里找不到原话「业主可以不交费」")]
    check_sources(missing := parse_quiz(GOOD, "x.md"), [tmp_path / "nowhere"])
    assert missing.questions == [] and "出处的文章不存在" in missing.problems[0][1]


def test_every_bundled_question_passes_and_there_are_enough_per_volume():
    files = sorted(BUNDLED_QUIZ.glob("*.md"))
    assert len(files) == 11  # six training volumes, the four modules and the 实训基地 briefings
    counts = {}
    for file in files:
        quiz = read_quiz(file)
        check_sources(quiz, [PROJECT / "content"])
        assert quiz.problems == [], (file.name, quiz.problems[:5])
        counts[quiz.volume] = len(quiz.questions)
    assert sum(counts.values()) >= 120 and min(counts.values()) >= 15, counts
    assert {"人工智能应用", "家政服务", "社区商务", "养老服务", "实训基地"} <= counts.keys()


def test_quiz_check_names_file_and_line_and_counts_valid_questions_last(tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text(broken("答案：AB", "答案：AD"), encoding="utf-8")
    good = tmp_path / "good.md"
    good.write_text(GOOD.replace("volume: 物业管理篇", "volume: 党建篇"), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(
        main, ["quiz", "check", str(bad), str(good)], env={"KIOSK_CONTENT": str(PROJECT / "content")}
    )
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert f"{bad}:17: 答案「AD」不在选项 ABC 之中" in lines
    assert lines[-1].startswith("有效题目 0 道")  # the good file's source quote is not in the bundled text
    bundled = runner.invoke(main, ["quiz", "check", str(BUNDLED_QUIZ)])
    assert bundled.exit_code == 0, bundled.output
    assert bundled.output.strip().splitlines()[-1] == "有效题目 263 道，给居民的 27 道"


def test_quiz_check_says_when_no_question_is_for_residents():
    staff = CliRunner().invoke(main, ["quiz", "check", str(BUNDLED_QUIZ / "培训总纲.md")])
    assert staff.exit_code == 0, staff.output
    assert staff.output.strip().splitlines()[-2:] == [
        f"有效题目 {len(read_quiz(BUNDLED_QUIZ / '培训总纲.md').questions)} 道，给居民的 0 道",
        "没有标「对象：居民」的题：触摸屏上不显示每日一题。",
    ]


def test_an_unreadable_file_is_one_problem_not_a_traceback(tmp_path):
    binary = tmp_path / "题.md"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    quiz = read_quiz(binary)
    assert quiz.questions == [] and "二进制" in quiz.problems[0][1]
