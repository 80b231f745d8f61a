"""Pinyin candidates: the library's words written by the build, matched by full pinyin, initials and mixes, and
served by GET /api/pinyin with what people here searched weighing in."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from indexer.build import build_index
from indexer.datadir import DataDir
from indexer.search.input_words import HEADER, InputWord, read_input_words
from indexer.search.pinyin_input import MAX_LETTERS, PinyinInput, typed_letters
from kiosk.visitors.pinyin import CHECK_SECONDS
from tests.sites import TEST_CONTENT, indexed


def word(text: str, pinyin: str, weight: int) -> InputWord:
    return InputWord(text, tuple(pinyin.split()), weight)


WORDS = PinyinInput(
    [
        word("物业", "wu ye", 900),
        word("物业费", "wu ye fei", 500),
        word("物业服务", "wu ye fu wu", 600),
        word("违约方", "wei yue fang", 40),
        word("停水停电", "ting shui ting dian", 30),
        word("停水", "ting shui", 50),
        word("西安", "xi an", 5),
        word("先", "xian", 7),
        word("为", "wei", 1000),
        word("楼上漏水", "lou shang lou shui", 20),
    ]
)


def texts(query: str, limit: int = 8) -> list[str]:
    return [c.text for c in WORDS.candidates(query, limit)]


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("wuyefei", "物业费"),  # full pinyin
        ("wyf", "物业费"),  # initials
        ("wuyef", "物业费"),  # mixes
        ("wyfei", "物业费"),
        ("WY F", "物业费"),  # case, spaces
        ("wu'ye", "物业"),  # apostrophes
        ("tingshuitingdian", "停水停电"),
        ("tsd", "停水停电"),  # as people shorten it (停水电)
        ("lsls", "楼上漏水"),
        ("xian", "先"),  # one syllable whole before two (西安)
    ],
)
def test_full_pinyin_initials_and_mixes_find_the_word(typed, first):
    assert texts(typed)[0] == first


def test_words_the_letters_complete_come_before_those_they_only_begin():
    """wyf completes 物业费 and only begins 物业服务, which the library uses more."""
    assert texts("wyf")[:2] == ["物业费", "违约方"]
    assert texts("tingshui") == ["停水", "停水停电"]
    assert texts("wy") == ["物业", "物业服务", "物业费", "违约方"]


def test_heavier_words_first_among_equals():
    assert texts("wy", limit=1) == ["物业"]
    assert texts("wy", limit=0) == texts("w", limit=-2) == []  # a caller's limit below one asks for nothing
    assert [c.weight for c in WORDS.candidates("wyf")] == [500, 40, 600]


def test_a_single_character_only_for_its_whole_syllable():
    """w is no reason to offer 为; wei is."""
    assert "为" not in texts("w")
    assert texts("wei")[0] == "为"
    assert "西安" in texts("xian")


@pytest.mark.parametrize(
    "typed",
    ["", "   ", "q", "zzz", "wyfq", "物业费", "wyf1", "wy-f", "ｗｙｆ", "\x00", "a" * 100_000, "w" * (MAX_LETTERS + 1)],
)
def test_unknown_or_hostile_input_gives_nothing(typed):
    assert WORDS.candidates(typed) == []


def test_hostile_letters_stay_fast_on_a_large_word_list():
    """Every syllable a letter may start, at every place: the look-up is cut off, not slow."""
    syllables = ["zhi", "zi", "zhu", "shi", "si", "shu", "yi", "yu", "ji", "xi", "qi", "li", "ni", "wu", "an", "a"]
    many = PinyinInput(
        word("字" * length, " ".join(syllables[(n + k) % len(syllables)] for k in range(length)), n)
        for n in range(60_000)
        for length in (2 + n % 9,)
    )
    for typed in ("z" * MAX_LETTERS, "zs" * 20, "a" * MAX_LETTERS, "zhizhizhizhizhizhizhizhizhizhizhizhi"):
        started = time.perf_counter()
        many.candidates(typed)
        assert time.perf_counter() - started < 0.5, typed


def test_typed_letters():
    assert typed_letters("Wu Ye'Fei") == "wuyefei"
    assert typed_letters("wyf!") is None
    assert typed_letters("") is None


def test_the_build_writes_the_librarys_words_with_pinyin(data: DataDir):
    """Words of the texts, their titles and the hub's terms, heaviest first; rewritten when texts change, and
    written for a data dir whose index was built before there were any."""
    indexed(data, [TEST_CONTENT])
    words = {w.text: w for w in read_input_words(data.input_words)}
    assert words["物业费"].syllables == ("wu", "ye", "fei")
    assert words["维修资金"].weight > 1
    assert "示例物业管理办法" in words  # a title, typed whole
    assert all(w.weight > 0 and len(w.syllables) == len(w.text) for w in words.values())
    weights = [w.weight for w in read_input_words(data.input_words)]
    assert weights == sorted(weights, reverse=True)

    data.input_words.unlink()
    report = build_index(data, [TEST_CONTENT])
    assert not report.changed_docs and data.input_words.exists()


def test_a_build_reuses_the_pinyin_written_before_unless_pypinyin_changed(data: DataDir, content_dir: Path):
    """An editor's publish on a large library does not run pypinyin over every word again."""
    indexed(data, [content_dir])
    lines = data.input_words.read_text(encoding="utf-8").splitlines()
    marked = [line.replace("物业费\twu ye fei\t", "物业费\twu ye fee\t") for line in lines]
    data.input_words.write_text("\n".join(marked) + "\n", encoding="utf-8")
    (content_dir / "政策法规" / "新.md").write_text("---\ntitle: 新的一篇\n---\n\n物业费。\n", encoding="utf-8")
    indexed(data, [content_dir])
    assert {w.text: w.syllables for w in read_input_words(data.input_words)}["物业费"] == ("wu", "ye", "fee")

    other = [HEADER.replace("pypinyin", "pypinyin 0.1, was"), *marked[1:]]
    data.input_words.write_text("\n".join(other) + "\n", encoding="utf-8")
    (content_dir / "政策法规" / "新.md").unlink()
    indexed(data, [content_dir])
    assert {w.text: w.syllables for w in read_input_words(data.input_words)}["物业费"] == ("wu", "ye", "fei")


def test_a_text_added_brings_its_words(data: DataDir, content_dir: Path):
    indexed(data, [content_dir])
    assert "鸽子笼" not in {w.text for w in read_input_words(data.input_words)}
    (content_dir / "政策法规" / "鸽子.md").write_text(
        "---\ntitle: 阳台鸽子笼\ncollection: 政策法规\n---\n\n鸽子笼放在阳台上，鸽子笼要清理。鸽子笼不能挡窗。\n",
        encoding="utf-8",
    )
    indexed(data, [content_dir])
    words = PinyinInput(read_input_words(data.input_words))
    assert "阳台鸽子笼" in [c.text for c in words.candidates("ytgzl")]


def test_the_api_offers_the_librarys_words_most_likely_first(client):
    body = client.get("/api/pinyin?q=wyf").get_json()
    assert body["ok"] and body["candidates"][0] == {"text": "物业费", "pinyin": "wu ye fei"}
    assert len(client.get("/api/pinyin?q=w&limit=3").get_json()["candidates"]) == 3
    for unknown in ("", "qqqq", "物业费", "x" * 500):
        assert client.get("/api/pinyin", query_string={"q": unknown}).get_json() == {"ok": True, "candidates": []}
    assert client.get("/api/pinyin").get_json() == {"ok": True, "candidates": []}


def test_a_damaged_words_file_offers_nothing_and_fails_nothing(app, client):
    words = app.extensions["kiosk"].data.input_words
    for damage in (b"\xff\xfe\x00garbage", "物业费\twu ye\tlots\n\t\t\n".encode(), b""):
        words.write_bytes(damage)
        os.utime(words, ns=(time.time_ns(), time.time_ns() + 10**9))  # another file, as a build makes
        time.sleep(CHECK_SECONDS)
        assert client.get("/api/pinyin?q=wyf").get_json() == {"ok": True, "candidates": []}
    words.unlink()
    words.mkdir()  # not even a file
    time.sleep(CHECK_SECONDS)
    assert client.get("/api/pinyin?q=wyf").get_json() == {"ok": True, "candidates": []}


def test_what_people_here_searched_and_found_weighs_in_and_no_search_of_its_own_is_offered(app, client):
    """物业服务合同, searched here and found, comes before the library's more frequent 物业服务人; a search's own
    words (a name, an address) are never offered to the next visitor."""
    weights = {w.text: w.weight for w in read_input_words(app.extensions["kiosk"].data.input_words)}
    assert weights["物业服务人"] > weights["物业服务合同"]
    for _ in range(2):
        client.post("/api/usage", json={"kind": "search", "q": "物业服务合同", "hits": 2})
    client.post("/api/usage", json={"kind": "search", "q": "物业服务人", "hits": 0})  # found nothing: no weight
    client.post("/api/usage", json={"kind": "search", "q": "王阿姨家", "hits": 1})
    after = [c["text"] for c in client.get("/api/pinyin?q=wyfw").get_json()["candidates"]]
    assert after.index("物业服务合同") < after.index("物业服务人")
    assert client.get("/api/pinyin?q=wayjia").get_json()["candidates"] == []
