"""The `kiosk` command's contract, which scripts rely on."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from indexer.speech.mp3 import mp3_duration
from kiosk.cli import main
from kiosk.editor.accounts import Accounts

from .sites import TEST_PASSWORD


@pytest.fixture
def runner(monkeypatch, tmp_path):
    monkeypatch.setenv("KIOSK_DATA", str(tmp_path / "var"))
    monkeypatch.setenv("KIOSK_ENGINE", "pyttsx3")
    return CliRunner()


def test_build_then_search_json(runner, content_dir):
    result = runner.invoke(main, ["build", "--content", str(content_dir), "--no-audio"])
    assert result.exit_code == 0, result.output
    assert "新增 3" in result.output
    result = runner.invoke(main, ["search", "维修基金", "--json", "--limit", "2"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    hit = body["hits"][0]
    assert set(body) >= {"query", "took_ms", "hits"} and len(body["hits"]) <= 2
    assert {"source", "title", "article", "heading", "snippet", "score", "url"} <= set(hit)
    assert hit["source"] == "有声物业/物业管理篇/维修资金.md"


def test_search_batch_gives_one_line_per_query_in_order(runner, content_dir, tmp_path):
    runner.invoke(main, ["build", "--content", str(content_dir), "--no-audio"])
    queries = tmp_path / "q.txt"
    queries.write_text("示例市物业管理办法第2条\nwuye\n业委会怎么成立\n\n", encoding="utf-8")
    result = runner.invoke(main, ["search", "--batch", str(queries), "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["query"] for line in lines] == ["示例市物业管理办法第2条", "wuye", "业委会怎么成立", ""]
    assert lines[0]["hits"][0]["article"] == "第二条"
    assert lines[3]["hits"] == []


def test_build_exit_code_tells_a_file_was_skipped(runner, content_dir):
    (content_dir / "政策法规/坏.md").write_text("---\ntitle: [\n---\n正文\n", encoding="utf-8")
    result = runner.invoke(main, ["build", "--content", str(content_dir), "--no-audio"])
    assert result.exit_code == 1
    assert "跳过 政策法规/坏.md" in result.output


def test_search_without_index_says_what_to_do(runner):
    result = runner.invoke(main, ["search", "物业"])
    assert result.exit_code == 1 and "kiosk build" in result.output


def test_bad_setting_names_the_variable(runner, monkeypatch):
    monkeypatch.setenv("KIOSK_ENGINE", "robot")
    result = runner.invoke(main, ["search", "x"])
    assert result.exit_code == 1 and "KIOSK_ENGINE" in result.output


def test_build_fails_on_a_broken_pronunciation_dictionary_instead_of_building_without_voice(
    runner, content_dir, tmp_path
):
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "pronunciations.tsv").write_text("行业\txing2\n", encoding="utf-8")
    result = runner.invoke(main, ["build", "--content", str(content_dir), "--no-vectors"])
    assert result.exit_code == 1, result.output
    assert "读音词典有误" in result.output and "没有合成语音" not in result.output


def test_normalize_batch_keeps_order(runner, tmp_path):
    lines = tmp_path / "n.txt"
    lines.write_text("2018年\n50%\n第3条\n", encoding="utf-8")
    result = runner.invoke(main, ["normalize", "--batch", str(lines)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["二〇一八年", "百分之五十", "第三条"]


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_speak_writes_a_playable_mp3(runner, tmp_path):
    out = tmp_path / "out.mp3"
    result = runner.invoke(main, ["speak", "业主大会于2020年成立。维修资金属于业主共有。", "-o", str(out)])
    assert result.exit_code == 0, result.output
    duration = mp3_duration(out.read_bytes())
    assert duration is not None and 2.0 < duration < 15.0


def test_speak_refuses_text_with_nothing_to_say(runner, tmp_path):
    result = runner.invoke(main, ["speak", "😀 。。", "-o", str(tmp_path / "x.mp3")])
    assert result.exit_code == 1 and "没有可以朗读" in result.output


TOO_COMMON = "这个密码太常见，很容易被猜到"


@pytest.mark.parametrize(
    "password, message",
    [
        ("short", "密码至少要 8 个字符"),
        (" " * 8, "密码不能只有空格"),
        ("12345678", TOO_COMMON),
        ("PassWord1", TOO_COMMON),  # the list is compared without regard to case
        ("qwertyuiop", TOO_COMMON),
        ("zzzzzzzzzz", TOO_COMMON),  # one character over and over
    ],
)
def test_user_add_and_password_refuse_a_guessable_password_in_chinese(runner, tmp_path, password, message):
    refused = runner.invoke(main, ["user", "add", "赵编辑"], input=f"{password}\n{password}\n")
    assert refused.exit_code == 1 and message in refused.output, refused.output
    assert "Traceback" not in refused.output
    with Accounts(tmp_path / "var") as accounts:
        assert accounts.get("赵编辑") is None
    added = runner.invoke(main, ["user", "add", "赵编辑"], input=f"{TEST_PASSWORD}\n{TEST_PASSWORD}\n")
    assert added.exit_code == 0, added.output
    changed = runner.invoke(main, ["user", "password", "赵编辑"], input=f"{password}\n{password}\n")
    assert changed.exit_code == 1 and message in changed.output, changed.output
    with Accounts(tmp_path / "var") as accounts:
        assert accounts.authenticate("赵编辑", TEST_PASSWORD).name == "赵编辑"  # the old password still holds
