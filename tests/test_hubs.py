"""Hubs and the centre: each hub's own key, the names the centre enrols (one normal form, nothing invisible, none
that looks like another), the `kiosk hub` commands on both sides, and the nonces the centre remembers."""

from __future__ import annotations

import stat
import time

import pytest
from click.testing import CliRunner
from nacl.signing import SigningKey

from kiosk.city.database import CityDB
from kiosk.cli import main
from kiosk.hubs.enrolment import EnrolmentError, enrol, enrolled, first_use, remove
from kiosk.hubs.keys import KEY_FILE, PublicKeyError, hub_key
from kiosk.hubs.messages import HUB, SIGNATURE, Answer, signed_headers
from kiosk.hubs.names import HubNameError, normal_name, skeleton
from kiosk.library.keys import public_text

CENTRE = "市物业港服务中心"
EAST = "东城物业港"


def key_text() -> str:
    return public_text(SigningKey.generate())


@pytest.fixture
def db(tmp_path):
    with CityDB(tmp_path) as db:
        yield db


# -- names ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, kept",
    [
        (f"  {EAST}\u3000", EAST),  # surrounding spaces, the ideographic one too
        ("ＡＢＣ社区", "ABC社区"),  # fullwidth letters are the letters
        ("东城 物业港", "东城 物业港"),  # a space inside is kept
        ("幸福社区①站", "幸福社区1站"),
    ],
)
def test_names_are_kept_in_one_normal_form(typed, kept):
    assert normal_name(typed) == kept


INVISIBLE = {
    "a variation selector": "物业港培训基地\ufe0f",
    "a zero-width joiner": "东城\u200d物业港",
    "a zero-width space": "东城\u200b物业港",
    "a right-to-left override": "东城\u202e物业港",
    "a bidi isolate": "\u2066东城物业港\u2069",
    "a soft hyphen": "东城\u00ad物业港",
    "a byte order mark": "\ufeff东城物业港",
    "a Hangul filler": "东城\u3164物业港",
    "a tag character": "东城物业港\U000e0001",
    "a combining grapheme joiner": "东城\u034f物业港",
    "a tab": "东城\t物业港",
    "a new line": "东城\n物业港",
    "a line separator": "东城\u2028物业港",
    "a private-use character": "东城\ue000物业港",
}


@pytest.mark.parametrize("name", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_names_with_characters_that_show_nothing_are_refused(name):
    with pytest.raises(HubNameError, match="看不见的字符"):
        normal_name(name)


@pytest.mark.parametrize("name", ["", "   ", "。。。", "站" * 41])
def test_empty_punctuation_only_and_too_long_names_are_refused(name):
    with pytest.raises(HubNameError):
        normal_name(name)


def test_a_skeleton_is_what_a_reader_can_tell_apart():
    assert skeleton("东城 物业港。") == skeleton("东城物业港") == skeleton("东城・物业港")
    assert skeleton("ABC社区") == skeleton("ａｂｃ 社区") == skeleton("Abc-社区")
    assert skeleton("东城物业港") != skeleton("西城物业港")


# -- enrolment at the centre ---------------------------------------------------------------------------------------


LOOKALIKES = {
    "the same name again": EAST,
    "with trailing spaces": f"{EAST}  ",
    "with a space inside": "东城 物业港",
    "with punctuation": "东城物业港。",
    "in fullwidth letters": "ＡＢＣ社区",
    "in another case": "abc社区",
}


@pytest.mark.parametrize("name", LOOKALIKES.values(), ids=LOOKALIKES.keys())
def test_a_name_that_looks_like_an_enrolled_hubs_is_refused(db, name):
    enrol(db, EAST, key_text(), CENTRE)
    enrol(db, "ABC社区", key_text(), CENTRE)
    with pytest.raises((HubNameError, EnrolmentError), match=r"已经登记过|看起来一样"):
        enrol(db, name, key_text(), CENTRE)
    assert [hub.name for hub in enrolled(db)] == [EAST, "ABC社区"]


@pytest.mark.parametrize("name", [CENTRE, f"{CENTRE} ", "市物业港 服务中心", "市物业港服务中心。"])
def test_the_centres_own_name_and_its_lookalikes_are_refused(db, name):
    with pytest.raises(HubNameError, match="中心自己的名称"):
        enrol(db, name, key_text(), CENTRE)
    assert enrolled(db) == []


def test_one_key_is_one_hub(db):
    key = key_text()
    enrol(db, EAST, key, CENTRE)
    with pytest.raises(EnrolmentError, match=f"已经登记给了站点「{EAST}」"):
        enrol(db, "西城物业港", key, CENTRE)


@pytest.mark.parametrize("key", ["", "abc", "A" * 44, public_text(SigningKey.generate())[:-4], "不是公钥"])
def test_a_key_that_is_not_one_is_refused(db, key):
    with pytest.raises(PublicKeyError, match="kiosk hub key"):
        enrol(db, EAST, key, CENTRE)


def test_a_removed_hub_can_be_enrolled_again_with_a_new_key(db):
    enrol(db, EAST, key_text(), CENTRE)
    assert remove(db, f" {EAST} ") == EAST
    with pytest.raises(EnrolmentError, match="没有登记过"):
        remove(db, EAST)
    again = key_text()
    enrol(db, EAST, again, CENTRE)
    assert [(hub.name, hub.key) for hub in enrolled(db)] == [(EAST, again)]


def test_nonces_are_remembered_within_the_window_and_then_forgotten(db):
    assert first_use(db, "a" * 32, EAST, sent=1000.0, forget_before=0.0)
    assert not first_use(db, "a" * 32, EAST, sent=1000.0, forget_before=0.0)
    assert first_use(db, "b" * 32, EAST, sent=5000.0, forget_before=4000.0)  # the first one is older: dropped
    assert [row[0] for row in db.conn.execute("SELECT nonce FROM hub_nonces")] == ["b" * 32]


# -- messages ------------------------------------------------------------------------------------------------------


def test_a_name_travels_percent_encoded_and_every_message_is_new():
    key = SigningKey.generate()
    first = signed_headers(key, "东城 物业港", "POST", "/api/city/report", b"{}")
    second = signed_headers(key, "东城 物业港", "POST", "/api/city/report", b"{}")
    assert first[HUB] == "%E4%B8%9C%E5%9F%8E%20%E7%89%A9%E4%B8%9A%E6%B8%AF" and first[HUB].isascii()
    assert first[SIGNATURE] != second[SIGNATURE]  # another nonce


def test_the_hub_is_told_what_to_do_about_each_refusal():
    assert "kiosk hub enrol" in Answer(403, "unknown-hub").problem(EAST)
    assert f"中心还没有登记这个站点：「{EAST}」" in Answer(403, "unknown-hub").problem(EAST)
    assert "时钟" in Answer(403, "clock").problem(EAST)
    assert f"kiosk hub remove {EAST}" in Answer(403, "signature").problem(EAST)
    assert Answer(500, "").problem(EAST) == "" and Answer(403, "{hub}?").problem(EAST) == ""


# -- the commands --------------------------------------------------------------------------------------------------


@pytest.fixture
def runner(monkeypatch, tmp_path):
    monkeypatch.setenv("KIOSK_DATA", str(tmp_path / "hub"))
    monkeypatch.setenv("KIOSK_HUB_NAME", "东城 物业港")
    return CliRunner()


def test_kiosk_hub_key_prints_the_name_and_a_key_made_once_readable_by_the_owner_only(runner, tmp_path):
    printed = runner.invoke(main, ["hub", "key"])
    assert printed.exit_code == 0, printed.output
    public = public_text(hub_key(tmp_path / "hub"))
    assert printed.output.splitlines() == [
        "站点名称：东城 物业港",
        f"站点公钥：{public}",
        f"在中心运行：kiosk hub enrol '东城 物业港' {public}",
    ]
    assert stat.S_IMODE((tmp_path / "hub" / KEY_FILE).stat().st_mode) == 0o600
    assert runner.invoke(main, ["hub", "key"]).output == printed.output  # the same key on every run


def test_a_damaged_hub_key_is_named_with_the_way_out(runner, tmp_path):
    (tmp_path / "hub").mkdir()
    (tmp_path / "hub" / KEY_FILE).write_text("not a key\n")
    printed = runner.invoke(main, ["hub", "key"])
    assert printed.exit_code == 1 and "站点密钥" in printed.output and "kiosk hub enrol" in printed.output


def test_kiosk_hub_enrol_list_and_remove_at_the_centre(runner, tmp_path):
    centre = ["--data", str(tmp_path / "centre")]  # named 东城 物业港 (KIOSK_HUB_NAME), as the runner has it
    refused = runner.invoke(main, [*centre, "hub", "enrol", "东城物业港", key_text()])
    assert refused.exit_code == 1 and "中心自己的名称「东城 物业港」" in refused.output
    public = key_text()
    assert "还没有登记站点" in runner.invoke(main, [*centre, "hub", "list"]).output
    enrolled_now = runner.invoke(main, [*centre, "hub", "enrol", "西城物业港 ", public])
    assert enrolled_now.exit_code == 0 and "已登记站点「西城物业港」" in enrolled_now.output, enrolled_now.output
    listed = runner.invoke(main, [*centre, "hub", "list"])
    assert listed.exit_code == 0 and listed.output.startswith(f"西城物业港\t{public}\t{time.strftime('%Y-%m-%d')}")
    lookalike = runner.invoke(main, [*centre, "hub", "enrol", "西城物业港\ufe0f", key_text()])
    assert lookalike.exit_code == 1 and "看不见的字符（U+FE0F）" in lookalike.output
    own = runner.invoke(main, [*centre, "hub", "enrol", "西城物业港", "不是公钥"])
    assert own.exit_code == 1 and "kiosk hub key" in own.output and "Traceback" not in own.output
    removed = runner.invoke(main, [*centre, "hub", "remove", "西城物业港"])
    assert removed.exit_code == 0 and "已取消站点「西城物业港」的登记" in removed.output
    gone = runner.invoke(main, [*centre, "hub", "remove", "西城物业港"])
    assert gone.exit_code == 1 and "没有登记过" in gone.output
