"""The settings table: every setting read from its variable, checked, documented, and shown by `kiosk config`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.errors import ConfigError
from kiosk.cli import main
from kiosk.settings import DEFAULT_HUB_NAME, Settings, from_environment, options

README = Path(__file__).resolve().parents[1] / "README.md"
GOOD = {
    "KIOSK_DATA": "/srv/kiosk/var",
    "KIOSK_CONTENT": "/srv/a:/srv/b",
    "KIOSK_ENGINE": "pyttsx3",
    "KIOSK_RATE": "1.25",
    "KIOSK_MODE": "1",
    "KIOSK_IDLE_MINUTES": "2",
    "KIOSK_LISTENING_IDLE_MINUTES": "20",
    "KIOSK_SPEECH_WORKERS": "2",
    "KIOSK_RENDER": "0",
    "KIOSK_WIFI_SSID": "物业港",
    "KIOSK_WIFI_PASSWORD": "秘密口令",
    "KIOSK_PUBLIC_URL": "http://192.168.1.20:8000",
    "KIOSK_HUB_NAME": "东城街道光明社区",
    "KIOSK_LIBRARY_URL": "http://192.168.1.10:8000",
    "KIOSK_LIBRARY_KEY": "abc",
    "KIOSK_SYNC_LIMIT_RATE": "2048",
    "KIOSK_SYNC_MINUTES": "20",
    "KIOSK_CONNECTIONS_PER_ADDRESS": "400",
    "KIOSK_BACKUP_DIR": "/media/usb",
    "KIOSK_BACKUP_KEEP": "14",
    "KIOSK_DESK_ACCEPT_DAYS": "1,2,3",
    "KIOSK_DESK_ANSWER_DAYS": "4，8，12",
    "KIOSK_DESK_RETENTION_DAYS": "365",
    "KIOSK_MARKET_WEIGHTS": "50，25，25",
    "KIOSK_MARKET_ADMISSION_LINE": "70",
}


def test_every_setting_is_read_from_its_variable():
    settings = from_environment(GOOD)
    assert {spec.env for _, spec in options()} == set(GOOD), "a new setting: give it a value in GOOD"
    assert settings == Settings(
        data=Path("/srv/kiosk/var"),
        content=(Path("/srv/a"), Path("/srv/b")),
        engine="pyttsx3",
        rate=1.25,
        kiosk_mode=True,
        idle_minutes=2.0,
        listening_idle_minutes=20.0,
        speech_workers=2,
        render=False,
        wifi_ssid="物业港",
        wifi_password="秘密口令",
        public_url="http://192.168.1.20:8000",
        hub_name="东城街道光明社区",
        library_url="http://192.168.1.10:8000",
        library_key="abc",
        sync_limit_rate=2048.0,
        sync_minutes=20.0,
        connections_per_address=400,
        backup_dir=Path("/media/usb"),
        backup_keep=14,
        desk_accept_days=(1, 2, 3),
        desk_answer_days=(4, 8, 12),
        desk_retention_days=365,
        market_weights=(50, 25, 25),
        market_admission_line=70.0,
    )


def test_nothing_set_is_the_defaults_and_an_empty_variable_counts_as_unset():
    assert from_environment({}) == Settings() == from_environment(dict.fromkeys(GOOD, ""))
    assert Settings().hub_name == DEFAULT_HUB_NAME


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("KIOSK_ENGINE", "robot", "可选值"),
        ("KIOSK_RATE", "fast", "应当是数字"),
        ("KIOSK_RATE", "3", "0.5 到 2"),
        ("KIOSK_SPEECH_WORKERS", "1.5", "整数"),
        ("KIOSK_MODE", "maybe", "1 或 0"),
        ("KIOSK_IDLE_MINUTES", "0", "大于 0"),
        ("KIOSK_BACKUP_KEEP", "0", "不小于 1"),
        ("KIOSK_DESK_ACCEPT_DAYS", "2,3", "三个整数"),
        ("KIOSK_DESK_ANSWER_DAYS", "5,x,15", "三个整数"),
        ("KIOSK_DESK_ACCEPT_DAYS", "0,3,5", "每一级都应大于 0"),
        ("KIOSK_DESK_RETENTION_DAYS", "7", "不小于 30"),
        ("KIOSK_MARKET_WEIGHTS", "40,60", "三个整数"),
        ("KIOSK_MARKET_WEIGHTS", "0,0,0", "至少一项权重应大于 0"),
        ("KIOSK_MARKET_ADMISSION_LINE", "120", "0 到 100"),
        ("KIOSK_SYNC_LIMIT_RATE", "0.5", "不小于 1"),
        ("KIOSK_SYNC_MINUTES", "0", "大于 0"),
        ("KIOSK_LISTENING_IDLE_MINUTES", "1", "不应小于 KIOSK_IDLE_MINUTES"),
        ("KIOSK_CONTENT", ":", "没有给出"),
    ],
)
def test_a_value_the_kiosk_cannot_use_is_refused_naming_its_variable(variable: str, value: str, said: str):
    with pytest.raises(ConfigError, match=variable) as refused:
        from_environment({variable: value})
    assert said in str(refused.value)


def test_the_readme_documents_every_setting():
    table = README.read_text(encoding="utf-8").split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`(KIOSK_[A-Z_]+)`", table))
    assert documented == {spec.env for _, spec in options()}


def test_kiosk_config_shows_each_value_and_where_it_came_from(tmp_path: Path):
    environment = {"KIOSK_RATE": "1.5", "KIOSK_WIFI_PASSWORD": "秘密口令", "KIOSK_DATA": None}
    result = CliRunner().invoke(main, ["--data", str(tmp_path / "var"), "config"], env=environment)
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()}
    assert set(lines) == {spec.env for _, spec in options()}
    assert "1.5" in lines["KIOSK_RATE"] and "环境变量" in lines["KIOSK_RATE"]
    assert str(tmp_path / "var") in lines["KIOSK_DATA"] and "命令行" in lines["KIOSK_DATA"]
    assert DEFAULT_HUB_NAME in lines["KIOSK_HUB_NAME"] and "默认" in lines["KIOSK_HUB_NAME"]
    assert "秘密口令" not in result.output and "已设置" in lines["KIOSK_WIFI_PASSWORD"]


def test_kiosk_config_names_a_bad_variable_in_one_line():
    result = CliRunner().invoke(main, ["config"], env={"KIOSK_ENGINE": "robot"})
    assert result.exit_code == 1 and "KIOSK_ENGINE" in result.output and "Traceback" not in result.output


def test_kiosk_sync_without_a_centre_says_which_setting_is_missing(tmp_path: Path):
    runner = CliRunner()
    environment = {"KIOSK_LIBRARY_URL": None, "KIOSK_LIBRARY_KEY": None}
    no_url = runner.invoke(main, ["--data", str(tmp_path / "var"), "sync", "--key", "abc"], env=environment)
    assert no_url.exit_code == 2 and "KIOSK_LIBRARY_URL" in no_url.output
    no_key = runner.invoke(
        main, ["--data", str(tmp_path / "var"), "sync"], env={**environment, "KIOSK_LIBRARY_URL": "http://127.0.0.1:9"}
    )
    assert no_key.exit_code == 2 and "KIOSK_LIBRARY_KEY" in no_key.output
