"""The pronunciation dictionary loads, overrides and rejects bad lines, and espeak-ng really reads its markup."""

import shutil
import subprocess
from pathlib import Path

import pytest

from indexer.speech.pronounce import DEFAULT_PRONUNCIATIONS, espeak_markup, load_pronunciations

ESPEAK = shutil.which("espeak-ng")
needs_espeak = pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed")


def _tsv(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _phonemes(text: str) -> str:
    assert ESPEAK is not None, "only @needs_espeak tests read phonemes"
    result = subprocess.run(
        [ESPEAK, "-v", "cmn-latn-pinyin", "-q", "-x", text], capture_output=True, text=True, check=True, timeout=30
    )
    return result.stdout


def test_default_dictionary_covers_the_domain_polyphones() -> None:
    pronunciations = load_pronunciations(DEFAULT_PRONUNCIATIONS)
    assert len(pronunciations) >= 40
    assert pronunciations["行业"] == ("hang2", "ye4")
    assert pronunciations["银行"] == ("yin2", "hang2")
    assert pronunciations["重新"] == ("chong2", "xin1")
    assert pronunciations["会计"] == ("kuai4", "ji4")
    assert "一行" not in pronunciations  # would break 统一行动


def test_comments_blank_lines_and_byte_order_mark_are_ignored(tmp_path: Path) -> None:
    path = _tsv(tmp_path, "terms.tsv", "\ufeff# note\n\n行业\thang2 ye4\n  # indented note\n单于\tchan2 yu2\n")
    assert load_pronunciations(path) == {"行业": ("hang2", "ye4"), "单于": ("chan2", "yu2")}


def test_later_files_override_earlier_ones(tmp_path: Path) -> None:
    first = _tsv(tmp_path, "first.tsv", "便宜\tbian4 yi2\n银行\tyin2 hang2\n")
    second = _tsv(tmp_path, "second.tsv", "便宜\tpian2 yi5\n")
    assert load_pronunciations(first, second) == {"便宜": ("pian2", "yi5"), "银行": ("yin2", "hang2")}
    assert load_pronunciations(second, first)["便宜"] == ("bian4", "yi2")


def test_pinyin_is_read_case_insensitively_and_accepts_v_for_u_umlaut(tmp_path: Path) -> None:
    path = _tsv(tmp_path, "terms.tsv", "利率\tLi4 LV4\n女儿\tnü3 er2\n")
    assert load_pronunciations(path) == {"利率": ("li4", "lv4"), "女儿": ("nü3", "er2")}


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        ("行业 hang2 ye4", "expected 'term<TAB>pinyin'"),
        ("行业\thang2 ye4\textra", "expected 'term<TAB>pinyin'"),
        ("行业\t", "empty term or pinyin"),
        ("行业\thang ye4", "'hang' is not a pinyin syllable"),
        ("行业\thagn2 ye4", "'hagn2' is not a pinyin syllable"),
        ("行业\thang6 ye4", "'hang6' is not a pinyin syllable"),
        ("行业\thang2", "has 2 characters but 1 syllables"),
    ],
)
def test_bad_line_names_file_and_line(tmp_path: Path, line: str, complaint: str) -> None:
    path = _tsv(tmp_path, "mine.tsv", f"# header\n银行\tyin2 hang2\n{line}\n")
    with pytest.raises(ValueError) as raised:
        load_pronunciations(path)
    assert f"{path}:3:" in str(raised.value)
    assert complaint in str(raised.value)


def test_markup_uses_the_longest_term_and_spaces_syllables() -> None:
    pronunciations = {"地": ("di4",), "有计划地": ("you3", "ji4", "hua4", "de5"), "土地": ("tu3", "di4")}
    assert espeak_markup("有计划地开发土地", pronunciations) == "you3 ji4 hua4 de5 开发 tu3 di4"


def test_markup_keeps_adjacent_terms_apart_and_leaves_other_text_alone() -> None:
    pronunciations: dict[str, tuple[str, ...]] = {"行业": ("hang2", "ye4"), "银行": ("yin2", "hang2")}
    assert espeak_markup("银行行业，其他。", pronunciations) == "yin2 hang2 hang2 ye4 ，其他。"
    assert espeak_markup("没有词条", pronunciations) == "没有词条"
    assert espeak_markup("银行", {}) == "银行"


@needs_espeak
def test_espeak_reads_the_markup_of_hang_ye_as_hang() -> None:
    pronunciations = load_pronunciations(DEFAULT_PRONUNCIATIONS)
    as_written = _phonemes("本行业")
    marked_up = _phonemes(espeak_markup("本行业", pronunciations))
    assert "S;'i35N" in as_written  # espeak alone says xíng yè
    assert "X'a35N" in marked_up and "S;'i35N" not in marked_up  # háng
    assert marked_up == _phonemes("本 hang2 ye4")


@needs_espeak
def test_espeak_reads_every_default_entry_as_pinyin() -> None:
    pronunciations = load_pronunciations(DEFAULT_PRONUNCIATIONS)
    phonemes = _phonemes("，".join(espeak_markup(term, pronunciations) for term in pronunciations))
    assert "(en)" not in phonemes  # an unknown syllable would make espeak switch to English spelling
