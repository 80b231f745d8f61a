"""The hub's list of 社区 (kiosk/places): its Python API, the `kiosk communities` command, /api/communities, the
trainers' page, seeding from the learners a hub already has, and the sign-in that chooses from the list."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner

from kiosk.cli import main
from kiosk.editor.database import EDITOR_DB, Table
from kiosk.places import (
    Community,
    PlaceError,
    add_community,
    communities,
    find_community,
    remove_community,
    rename_community,
)
from kiosk.training.learner import learners
from kiosk.training.learner.database import LEARNING_DB, LearningDB

from .sites import ZHANG, learner_sign_in
from .test_migrations import from_dump, user_version

NOON = 1_800_000_000.0


def sign_up(root, name: str, town: str, community: str, pin: str = "2468") -> learners.Learner:
    """A learner made as the hub makes them (no list involved: as a hub before the list did)."""
    with LearningDB(root) as db:
        return learners.sign_in(db, name, town, community, pin, NOON)[0]


# -- the list ---------------------------------------------------------------------------------------------------


def test_the_list_is_ordered_by_town_then_as_added(tmp_path):
    assert communities(tmp_path) == []
    for town, name in [
        ("西城街道", "幸福里社区"),
        ("东城街道", "花园社区"),
        ("西城街道", "光明社区"),
        ("东城街道", "和平社区"),
    ]:
        add_community(tmp_path, town, name)
    assert communities(tmp_path) == [
        Community("东城街道", "花园社区"),
        Community("东城街道", "和平社区"),
        Community("西城街道", "幸福里社区"),
        Community("西城街道", "光明社区"),
    ]
    assert find_community(tmp_path, "光明社区") == Community("西城街道", "光明社区")
    assert find_community(tmp_path, "光明") is None


def test_names_are_cleaned_as_stored(tmp_path):
    added = add_community(tmp_path, "  东城街道 ", "　幸福里３号社区 ")  # full-width space and digit
    assert added == Community("东城街道", "幸福里3号社区")
    assert find_community(tmp_path, "幸福里３号社区") == added


@pytest.mark.parametrize(
    "town, name, message",
    [
        ("东城街道", "", "请填写社区"),
        ("", "花园社区", "请填写乡镇/街道"),
        ("东城街道", "社" * 31, "社区最多 30 个字"),
        ("东城街道", "花园\u200b社区", "社区里有不能用的字符"),  # a zero-width space: a format character
        ("东城街道", "花园\x07社区", "社区里有不能用的字符"),
    ],
)
def test_a_name_that_cannot_be_listed_is_refused_in_chinese(tmp_path, town, name, message):
    with pytest.raises(PlaceError, match=message):
        add_community(tmp_path, town, name)
    assert communities(tmp_path) == []


def test_a_name_already_listed_is_refused_under_any_town(tmp_path):
    add_community(tmp_path, "东城街道", "花园社区")
    with pytest.raises(PlaceError, match="社区名单上已经有「花园社区」了（属于东城街道）"):
        add_community(tmp_path, "西城街道", "花园社区")
    add_community(tmp_path, "东城街道", "光明社区")
    with pytest.raises(PlaceError, match="已经有「光明社区」"):
        rename_community(tmp_path, "花园社区", "光明社区")
    assert communities(tmp_path) == [Community("东城街道", "花园社区"), Community("东城街道", "光明社区")]


def test_renaming_keeps_the_place_in_the_list_and_moves_its_learners(tmp_path):
    add_community(tmp_path, "西城街道", "幸福里")
    add_community(tmp_path, "西城街道", "光明社区")
    zhang = sign_up(tmp_path, "张晓梅", "西城街道", "幸福里")
    renamed = rename_community(tmp_path, "幸福里", "幸福里社区", "东城街道")
    assert renamed == Community("东城街道", "幸福里社区")
    assert communities(tmp_path) == [Community("东城街道", "幸福里社区"), Community("西城街道", "光明社区")]
    with LearningDB(tmp_path) as db:
        moved = learners.get(db, zhang.id)
        assert moved is not None and (moved.town, moved.community) == ("东城街道", "幸福里社区")


def test_renaming_onto_a_namesake_is_refused_until_they_are_merged(tmp_path):
    add_community(tmp_path, "西城街道", "幸福里")
    sign_up(tmp_path, "张晓梅", "西城街道", "幸福里")
    sign_up(tmp_path, "张晓梅", "西城街道", "幸福里社区")  # typed before there was a list
    with pytest.raises(PlaceError, match="西城街道 幸福里社区已经有同名的学员：张晓梅。请先在学员页把他们合并"):
        rename_community(tmp_path, "幸福里", "幸福里社区")
    assert communities(tmp_path) == [Community("西城街道", "幸福里")]  # the list as it was


def test_removing_a_community_with_learners_needs_somewhere_to_move_them(tmp_path):
    add_community(tmp_path, "西城街道", "幸福里")
    add_community(tmp_path, "西城街道", "幸福里社区")
    li = sign_up(tmp_path, "李师傅", "西城街道", "幸福里")
    with pytest.raises(PlaceError, match="「幸福里」还有 1 位学员，不能直接删除"):
        remove_community(tmp_path, "幸福里")
    with pytest.raises(PlaceError, match="社区名单上没有「没有这个社区」"):
        remove_community(tmp_path, "幸福里", move_to="没有这个社区")
    assert remove_community(tmp_path, "幸福里", move_to="幸福里社区") == 1
    assert communities(tmp_path) == [Community("西城街道", "幸福里社区")]
    with LearningDB(tmp_path) as db:
        moved = learners.get(db, li.id)
        assert moved is not None and moved.community == "幸福里社区"
    with pytest.raises(PlaceError, match="学员要转到另一个社区"):
        remove_community(tmp_path, "幸福里社区", move_to="幸福里社区")


def test_removing_an_empty_community_takes_it_off_the_list(tmp_path):
    add_community(tmp_path, "东城街道", "花园社区")
    assert remove_community(tmp_path, "花园社区") == 0
    assert communities(tmp_path) == []
    with pytest.raises(PlaceError, match="社区名单上没有「花园社区」"):
        remove_community(tmp_path, "花园社区")


# -- seeding from the learners of a hub that had them before the list ------------------------------------------


def test_a_hub_with_learners_gets_their_communities_listed_once(tmp_path):
    from_dump(tmp_path, EDITOR_DB)  # editor.db from before schema versions
    from_dump(tmp_path, LEARNING_DB)  # 张阿姨 of 东城街道 花园社区, 李师傅 of 东城街道 幸福社区
    assert communities(tmp_path) == [Community("东城街道", "幸福社区"), Community("东城街道", "花园社区")]
    assert user_version(tmp_path / EDITOR_DB) == Table.schema_version()
    remove_community(tmp_path, "幸福社区", move_to="花园社区")
    assert communities(tmp_path) == [Community("东城街道", "花园社区")]  # not seeded again


def test_a_hub_upgraded_from_the_last_version_is_seeded_too(tmp_path):
    before = type("EditorBeforePlaces", (Table,), {"MIGRATIONS": Table.MIGRATIONS[:2]})
    before(tmp_path).close()
    sign_up(tmp_path, "张晓梅", "西城街道", "幸福里")
    sign_up(tmp_path, "王大爷", "西城街道", "幸福里社区")
    sign_up(tmp_path, "赵阿姨", "东城街道", "幸福里")  # the same 社区 name under another town: listed once
    assert communities(tmp_path) == [Community("东城街道", "幸福里"), Community("西城街道", "幸福里社区")]


def test_a_new_hub_starts_with_an_empty_list_and_no_learning_db(tmp_path):
    assert communities(tmp_path) == []
    assert not (tmp_path / LEARNING_DB).exists()
    sign_up(tmp_path, "张晓梅", "西城街道", "幸福里")
    assert communities(tmp_path) == []  # seeding is for the learners there were when the list came


def test_opening_the_list_again_writes_nothing(tmp_path):
    add_community(tmp_path, "东城街道", "花园社区")
    watcher = sqlite3.connect(tmp_path / EDITOR_DB)
    try:
        seen = watcher.execute("PRAGMA data_version").fetchone()[0]
        communities(tmp_path)
        assert watcher.execute("PRAGMA data_version").fetchone()[0] == seen
    finally:
        watcher.close()


# -- the command ----------------------------------------------------------------------------------------------


@pytest.fixture
def runner(monkeypatch, tmp_path):
    monkeypatch.setenv("KIOSK_DATA", str(tmp_path / "var"))
    return CliRunner()


def test_the_installer_lists_adds_renames_and_removes_communities(runner, tmp_path):
    empty = runner.invoke(main, ["communities", "list"])
    assert empty.exit_code == 0 and "社区名单是空的" in empty.output, empty.output
    added = runner.invoke(main, ["communities", "add", "东城街道", "花园社区"])
    assert added.exit_code == 0 and "已添加社区「花园社区」（东城街道）" in added.output, added.output
    runner.invoke(main, ["communities", "add", "西城街道", "幸福里"])
    again = runner.invoke(main, ["communities", "add", "西城街道", "花园社区"])
    assert again.exit_code == 1 and "社区名单上已经有「花园社区」了" in again.output and "Traceback" not in again.output
    renamed = runner.invoke(main, ["communities", "rename", "幸福里", "幸福里社区"])
    assert renamed.exit_code == 0 and "已把「幸福里」改为「幸福里社区」（西城街道）" in renamed.output, renamed.output
    listed = runner.invoke(main, ["communities", "list"])
    assert listed.output.splitlines() == ["东城街道\t花园社区", "西城街道\t幸福里社区"]
    sign_up(tmp_path / "var", "张晓梅", "西城街道", "幸福里社区")
    refused = runner.invoke(main, ["communities", "remove", "幸福里社区"])
    assert refused.exit_code == 1 and "还有 1 位学员，不能直接删除" in refused.output, refused.output
    moved = runner.invoke(main, ["communities", "remove", "幸福里社区", "--move-to", "花园社区"])
    assert moved.exit_code == 0 and "1 位学员转到「花园社区」" in moved.output, moved.output
    assert runner.invoke(main, ["communities", "list"]).output.splitlines() == ["东城街道\t花园社区"]


# -- the web ----------------------------------------------------------------------------------------------------


def root_of_app(app):
    return app.extensions["kiosk"].data.root


def test_the_api_lists_the_communities_to_anyone(app, client):
    assert client.get("/api/communities").get_json() == {"ok": True, "communities": []}
    add_community(root_of_app(app), "西城街道", "幸福里社区")
    add_community(root_of_app(app), "东城街道", "花园社区")
    assert client.get("/api/communities").get_json() == {
        "ok": True,
        "communities": [{"town": "东城街道", "name": "花园社区"}, {"town": "西城街道", "name": "幸福里社区"}],
    }


def test_sign_in_refuses_a_community_not_on_the_list(app, client):
    add_community(root_of_app(app), "城关街道", "幸福社区")
    typed = client.post("/api/learner/signin", json={**ZHANG, "community": "幸福里"})
    assert typed.status_code == 400
    assert typed.get_json()["error"] == (
        "「幸福里」不在物业港的社区名单上。请从名单里选社区；名单里没有的，请培训老师先添加。"
    )
    elsewhere = client.post("/api/learner/signin", json={**ZHANG, "town": "东城街道"})
    assert elsewhere.status_code == 400 and "「幸福社区」属于城关街道" in elsewhere.get_json()["error"]
    chosen = client.post("/api/learner/signin", json={**ZHANG, "town": ""})  # the list knows the town
    assert chosen.status_code == 200 and chosen.get_json()["learner"]["town"] == "城关街道"
    with LearningDB(root_of_app(app)) as db:
        assert learners.units(db) == [("城关街道", "幸福社区")]  # nothing was made of the refused ones


def test_a_wrong_pin_answers_the_same_whether_or_not_the_learner_exists(app):
    add_community(root_of_app(app), "城关街道", "幸福社区")
    learner_sign_in(app.test_client())
    known = learner_sign_in(app.test_client(), pin="1111")
    assert known.status_code == 401
    stranger = learner_sign_in(app.test_client(), name="不存在", pin="1111")
    assert stranger.status_code == 200 and stranger.get_json()["created"] is True  # a new name signs up, as before
    unlisted = app.test_client().post("/api/learner/signin", json={**ZHANG, "community": "别处", "pin": "1111"})
    unlisted_new = app.test_client().post(
        "/api/learner/signin", json={**ZHANG, "name": "不存在2", "community": "别处", "pin": "1111"}
    )
    assert unlisted.status_code == unlisted_new.status_code == 400
    assert unlisted.get_json() == unlisted_new.get_json()  # refused for the place, before any learner is looked up


def test_the_sign_in_page_offers_the_list_and_says_plainly_when_it_is_empty(app, client):
    empty = client.get("/learn").get_data(as_text=True)
    assert "物业港的社区名单还是空的" in empty and "培训记录 → 社区名单" in empty
    assert 'name="community"' not in empty and 'id="signin" class="signin" method="post"' in empty  # no typing
    add_community(root_of_app(app), "东城街道", "花园社区")
    add_community(root_of_app(app), "西城街道", "幸福里社区")
    page = client.get("/learn").get_data(as_text=True)
    assert "社区名单还是空的" not in page
    assert (
        'type="radio" name="town" value="东城街道"' in page
        and 'type="radio" name="community" value="幸福里社区"' in page
    )
    assert '<input id="f-community"' not in page


# -- the trainers' page -------------------------------------------------------------------------------------------


def test_a_trainer_adds_renames_and_removes_communities_on_the_page(app, signed_in):
    trainer = signed_in("trainer")
    page = trainer.page("/editor/training/communities")
    assert "名单还是空的" in page
    added = trainer.post("/editor/training/communities", {"town": "西城街道", "name": "幸福里"})
    assert added.status_code == 302 and "已添加社区「幸福里」（西城街道）" in trainer.page(added.headers["Location"])
    trainer.post("/editor/training/communities", {"town": "西城街道", "name": "光明社区"})
    twice = trainer.post("/editor/training/communities", {"town": "东城街道", "name": "幸福里"})
    assert twice.status_code == 400 and "没有添加：社区名单上已经有「幸福里」了" in twice.get_data(as_text=True)
    learner_sign_in(app.test_client(), town="西城街道", community="幸福里")
    renamed = trainer.post(
        "/editor/training/communities/rename", {"name": "幸福里", "new_name": "幸福里社区", "new_town": "西城街道"}
    )
    assert renamed.status_code == 302, renamed.get_data(as_text=True)
    assert communities(root_of_app(app)) == [Community("西城街道", "幸福里社区"), Community("西城街道", "光明社区")]
    again = learner_sign_in(app.test_client(), town="西城街道", community="幸福里社区")
    assert again.get_json()["created"] is False  # the learner followed the rename
    refused = trainer.post("/editor/training/communities/remove", {"name": "幸福里社区"})
    assert refused.status_code == 400 and "还有 1 位学员，不能直接删除" in refused.get_data(as_text=True)
    assert len(communities(root_of_app(app))) == 2
    moved = trainer.post("/editor/training/communities/remove", {"name": "幸福里社区", "move_to": "光明社区"})
    assert moved.status_code == 302 and "1 位学员转到了「光明社区」" in trainer.page(moved.headers["Location"])
    assert communities(root_of_app(app)) == [Community("西城街道", "光明社区")]


@pytest.mark.parametrize(
    "method, url, form",
    [
        ("get", "/editor/training/communities", None),
        ("post", "/editor/training/communities", {"town": "东城街道", "name": "新社区"}),
        ("post", "/editor/training/communities/rename", {"name": "花园社区", "new_name": "新社区"}),
        ("post", "/editor/training/communities/remove", {"name": "花园社区"}),
    ],
)
def test_only_trainers_and_admins_edit_the_list(app, signed_in, method, url, form):
    add_community(root_of_app(app), "东城街道", "花园社区")
    editor = signed_in("editor")
    answer = editor.get(url) if method == "get" else editor.post(url, form)
    assert answer.status_code == 403
    visitor = app.test_client()
    stranger = visitor.get(url) if method == "get" else visitor.post(url, data=form)
    assert stranger.status_code in (302, 400) and "/editor/signin" in stranger.headers.get("Location", "/editor/signin")
    assert communities(root_of_app(app)) == [Community("东城街道", "花园社区")]
    admin = signed_in("admin")
    assert (admin.get(url) if method == "get" else admin.post(url, form)).status_code in (200, 302)


def test_the_trainer_adds_a_learner_by_choosing_a_community(app, signed_in):
    trainer = signed_in("trainer")
    assert "社区名单还是空的" in trainer.page("/editor/training/learners")
    add_community(root_of_app(app), "西城街道", "幸福里社区")
    page = trainer.page("/editor/training/learners")
    form = page[page.index('id="add-learner"') : page.index("</form>", page.index('id="add-learner"'))]
    assert '<optgroup label="西城街道"><option value="幸福里社区"' in form and 'name="town"' not in form
    typed = trainer.post("/editor/training/learners", {"name": "孙大爷", "community": "幸福里", "pin": "2468"})
    assert typed.status_code == 400 and "「幸福里」不在物业港的社区名单上" in typed.get_data(as_text=True)
    added = trainer.post("/editor/training/learners", {"name": "孙大爷", "community": "幸福里社区", "pin": "2468"})
    assert added.status_code == 302
    assert "孙大爷" in trainer.page(added.headers["Location"]) and "西城街道" in trainer.page(added.headers["Location"])
