"""Schema versions: each SQLite file of a data dir upgrades itself at open through its owner's MIGRATIONS, keeping
every row; a file from before versions (tests/data/databases: SQL dumps of the files the kiosk of commit 56f4fa2
wrote, with a few rows) is adopted as it is; a file from a newer kiosk is refused and left untouched."""

from __future__ import annotations

import multiprocessing
import re
import sqlite3
import threading
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from indexer.build import build_index
from indexer.database import Database, DatabaseError
from indexer.store import Store
from kiosk.city.database import CITY_DB, CityDB
from kiosk.desk.database import DESK_DB, DeskDB
from kiosk.editor.database import EDITOR_DB, Table
from kiosk.hubs.enrolment import enrol, enrolled
from kiosk.library.keys import public_text
from kiosk.market.database import MARKET_DB, MarketDB
from kiosk.operations.backup import DATABASES, BackupError, backup, restore
from kiosk.training.learner.database import LEARNING_DB, LearningDB
from kiosk.visitors.usage import USAGE_DB, Usage

from .conftest import TEST_CONTENT
from .sites import TEST_PASSWORD, EditorSession, close_app

DUMPS = Path(__file__).parent / "data" / "databases"
OWNERS: dict[str, type[Database]] = {
    "kiosk.db": Store,
    EDITOR_DB: Table,
    USAGE_DB: Usage,
    LEARNING_DB: LearningDB,
    CITY_DB: CityDB,
    DESK_DB: DeskDB,
    MARKET_DB: MarketDB,
}
ADD_PHONE = "ALTER TABLE learners ADD COLUMN phone TEXT NOT NULL DEFAULT '';"


class LearningWithPhone(LearningDB):
    """learning.db as a later kiosk could have it: adding a column is one migration more."""

    MIGRATIONS = (*LearningDB.MIGRATIONS, ADD_PHONE)


class LearningWithBrokenStep(LearningDB):
    """A step whose second statement fails (after a ; inside a quoted default, which is not a statement's end)."""

    MIGRATIONS = (
        *LearningDB.MIGRATIONS,
        "ALTER TABLE learners ADD COLUMN note TEXT NOT NULL DEFAULT ';'; ALTER TABLE nosuch ADD COLUMN x;",
    )


def from_dump(root: Path, name: str) -> Path:
    """<root>/<name> as the kiosk before schema versions left it (in WAL mode, as it kept its files)."""
    path = root / name
    conn = sqlite3.connect(path)
    try:
        conn.executescript((DUMPS / f"{Path(name).stem}.sql").read_text(encoding="utf-8"))
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
    return path


def open_owner(root: Path, name: str, owner: type[Database] | None = None) -> Database:
    """The file opened by the class that owns it, as the kiosk opens it."""
    owner = owner or OWNERS[name]
    return owner(root / name) if issubclass(owner, Store) else owner(root)


def contents(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows and the schema (sqlite_master) of a file, read without its owner."""
    conn = sqlite3.connect(path)
    try:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        found = {table: sorted(conn.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr) for table in tables}
        found["sqlite_master"] = sorted(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"), key=repr)
        return found
    finally:
        conn.close()


def keeps(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> bool:
    """Whether an upgraded file still has every table of ``before`` with the same rows, and every schema entry:
    the migrations after the first may add tables (and triggers), never change or drop what was there."""
    rows_kept = all(after.get(table) == rows for table, rows in before.items() if table != "sqlite_master")
    return rows_kept and set(before["sqlite_master"]) <= set(after["sqlite_master"])


def first_migration_only(owner: type[Database]) -> type[Database]:
    """The owner as it was before any migration past the first: the schema the kiosk had before versions."""
    return type(owner.__name__, (owner,), {"MIGRATIONS": owner.MIGRATIONS[:1]})


def user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def set_user_version(path: Path, version: int) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute(f"PRAGMA user_version = {version}")
        conn.commit()
    finally:
        conn.close()


# -- adopting and upgrading ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", OWNERS)
def test_a_file_from_before_versions_opens_with_every_row_and_its_schema(tmp_path, name):
    path = from_dump(tmp_path, name)
    before = contents(path)
    assert user_version(path) == 0 and sum(len(rows) for table, rows in before.items() if table != "sqlite_master") > 0
    open_owner(tmp_path, name).close()
    assert user_version(path) == OWNERS[name].schema_version() >= 1
    assert keeps(before, contents(path))


@pytest.mark.parametrize("name", OWNERS)
def test_a_new_file_gets_the_schema_the_kiosk_had_before_versions(tmp_path, name):
    """Migration 1 is that schema exactly, so an adopted file and a new one are the same, then and after the later
    migrations."""
    open_owner(tmp_path / "first", name, first_migration_only(OWNERS[name])).close()
    adopted = from_dump(tmp_path, name)
    assert contents(tmp_path / "first" / name)["sqlite_master"] == contents(adopted)["sqlite_master"]
    open_owner(tmp_path / "new", name).close()
    open_owner(tmp_path, name).close()
    assert contents(tmp_path / "new" / name)["sqlite_master"] == contents(adopted)["sqlite_master"]


@pytest.mark.parametrize("name", OWNERS)
def test_opening_an_up_to_date_file_writes_nothing(tmp_path, name):
    path = from_dump(tmp_path, name)
    watcher = sqlite3.connect(path)  # its data_version changes whenever another connection commits
    try:
        seen = watcher.execute("PRAGMA data_version").fetchone()[0]
        open_owner(tmp_path, name).close()
        assert watcher.execute("PRAGMA data_version").fetchone()[0] != seen  # the first open set the version
        seen = watcher.execute("PRAGMA data_version").fetchone()[0]
        open_owner(tmp_path, name).close()
        assert watcher.execute("PRAGMA data_version").fetchone()[0] == seen
    finally:
        watcher.close()


@pytest.mark.parametrize("start", ["before versions", "version 1"])
def test_adding_a_column_is_one_migration_that_keeps_every_row(tmp_path, start):
    path = from_dump(tmp_path, LEARNING_DB)
    if start == "version 1":
        LearningDB(tmp_path).close()
    before = contents(path)
    with LearningWithPhone(tmp_path) as db:
        assert [row["phone"] for row in db.conn.execute("SELECT phone FROM learners")] == ["", ""]
    assert user_version(path) == len(LearningWithPhone.MIGRATIONS)
    after = contents(path)
    assert [row[:-1] for row in after.pop("learners")] == before.pop("learners")
    assert {table: rows for table, rows in after.items() if table in before and table != "sqlite_master"} == {
        table: rows for table, rows in before.items() if table != "sqlite_master"
    }


def test_a_failing_migration_leaves_the_file_as_it_was(tmp_path):
    path = from_dump(tmp_path, LEARNING_DB)
    before = contents(path)
    with pytest.raises(sqlite3.OperationalError, match="no such table: nosuch"):
        LearningWithBrokenStep(tmp_path)
    assert contents(path) == before and user_version(path) == 0  # not even migration 1 was kept


def open_when_all_are_ready(root: str, ready) -> None:
    """One of several openers of a new file (a process or a thread), all let go at once."""
    ready.wait()
    LearningWithPhone(Path(root)).close()


def test_processes_opening_a_new_file_at_once_all_succeed_and_migrate_it_once(tmp_path):
    spawn = multiprocessing.get_context("spawn")
    ready = spawn.Barrier(3)
    openers = [spawn.Process(target=open_when_all_are_ready, args=(str(tmp_path), ready)) for _ in range(3)]
    for opener in openers:
        opener.start()
    for opener in openers:
        opener.join(120)
    assert [opener.exitcode for opener in openers] == [0, 0, 0]  # a second ADD COLUMN phone would have failed
    assert user_version(tmp_path / LEARNING_DB) == len(LearningWithPhone.MIGRATIONS)


def test_threads_opening_a_new_file_at_once_all_succeed(tmp_path):
    ready = threading.Barrier(8)
    failures: list[BaseException] = []

    def opener() -> None:
        try:
            open_when_all_are_ready(str(tmp_path), ready)
        except BaseException as exc:  # noqa: BLE001  (any failure in the thread is the test's to report)
            failures.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures and user_version(tmp_path / LEARNING_DB) == len(LearningWithPhone.MIGRATIONS)


def test_a_centres_city_db_of_version_1_gains_hub_enrolment_and_keeps_its_reports(tmp_path):
    path = from_dump(tmp_path, CITY_DB)
    open_owner(tmp_path, CITY_DB, first_migration_only(CityDB)).close()
    before = contents(path)
    assert user_version(path) == 1 and "enrolled_hubs" not in before
    with CityDB(tmp_path) as db:
        enrol(db, "西城物业港", public_text(SigningKey.generate()), "市物业港服务中心")
        assert [hub.name for hub in enrolled(db)] == ["西城物业港"]
    after = contents(path)
    assert user_version(path) == CityDB.schema_version() == 2 and keeps(before, after)


# -- a file from a newer kiosk --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [name for name in OWNERS if name != USAGE_DB])
def test_a_file_from_a_newer_kiosk_is_refused_and_not_written(tmp_path, name):
    path = from_dump(tmp_path, name)
    known = OWNERS[name].schema_version()
    set_user_version(path, known + 1)
    before = path.read_bytes()
    with pytest.raises(DatabaseError) as refused:
        open_owner(tmp_path, name)
    assert refused.value.kind == "newer"
    way_out = (
        "请升级 kiosk，或运行 kiosk build --full 重建"
        if name == "kiosk.db"
        else "请升级 kiosk 后再用；这个版本不会改动它"
    )
    assert (
        str(refused.value)
        == f"{name} 是更新版本的 kiosk 写的（数据库第 {known + 1} 版，这个 kiosk 只认到第 {known} 版）：{way_out}"
    )
    assert path.read_bytes() == before


def test_usage_counts_beside_a_newer_file_stay_in_memory(tmp_path, caplog):
    path = from_dump(tmp_path, USAGE_DB)
    set_user_version(path, Usage.schema_version() + 7)
    before = path.read_bytes()
    with Usage(tmp_path) as usage:
        usage.record_search("维修资金", 0)  # the page that counts it does not fail
        assert [row["query"] for row in usage.unanswered("2000-01-01")] == ["维修资金"]
    assert path.read_bytes() == before
    assert "usage.db 是更新版本的 kiosk 写的" in caplog.text


def test_a_full_build_replaces_a_kiosk_db_from_a_newer_kiosk(data):
    assert build_index(data, [TEST_CONTENT]).ok
    set_user_version(data.database, Store.schema_version() + 1)
    with pytest.raises(DatabaseError, match="kiosk build --full"):
        build_index(data, [TEST_CONTENT])
    report = build_index(data, [TEST_CONTENT], full=True)
    assert report.ok and ("kiosk.db", "是更新版本的 kiosk 写的，已换成新的文件并全部重建") in report.warnings
    assert user_version(data.database) == Store.schema_version()
    with Store(data.database) as store:
        assert len(store.files()) == len(list(TEST_CONTENT.rglob("*.md")))


# -- whole data dirs -------------------------------------------------------------------------------------------


def test_an_archive_from_before_versions_restores_and_upgrades_with_every_row(tmp_path, content_dir):
    hub = tmp_path / "hub"
    hub.mkdir()
    before = {name: contents(from_dump(hub, name)) for name in DATABASES}
    made = backup(hub, content_dir, tmp_path / "archives")
    restored = tmp_path / "restored"
    restore(made.path, restored, tmp_path / "content")
    for name in DATABASES:
        open_owner(restored, name).close()
        assert user_version(restored / name) == OWNERS[name].schema_version()
        assert keeps(before[name], contents(restored / name)), name


def test_an_archive_from_a_newer_kiosk_is_refused_before_anything_is_restored(tmp_path, content_dir):
    hub = tmp_path / "hub"
    hub.mkdir()
    for name in (EDITOR_DB, LEARNING_DB):
        from_dump(hub, name)
    known = Table.schema_version()
    set_user_version(hub / EDITOR_DB, known + 1)
    made = backup(hub, content_dir, tmp_path / "archives")
    restored = tmp_path / "restored"
    refusal = (
        f"备份里的 {EDITOR_DB} 是更新版本的 kiosk 写的（数据库第 {known + 1} 版，这个 kiosk 只认到第 {known} 版）："
        "请先升级 kiosk 再恢复；数据目录没有改动"
    )
    with pytest.raises(BackupError, match=re.escape(refusal)):
        restore(made.path, restored, tmp_path / "content")
    assert not list(restored.iterdir())


def test_a_data_dir_from_before_versions_is_served_without_a_rebuild(data, make_app):
    assert build_index(data, [TEST_CONTENT]).ok
    set_user_version(data.database, 0)  # kiosk.db as the kiosk before versions made it: the same schema, see above
    for name in (EDITOR_DB, USAGE_DB, LEARNING_DB):
        from_dump(data.root, name)
    before = {name: contents(data.root / name) for name in OWNERS if name not in (CITY_DB, DESK_DB, MARKET_DB)}  # newer
    app = make_app(data=data)
    client = app.test_client()
    assert client.get("/").status_code == 200
    assert client.get("/api/shelves").get_json()["shelves"]
    signed = EditorSession(app).sign_in("王编辑", TEST_PASSWORD)  # the dump's account and password
    assert signed.status_code == 302 and signed.headers["Location"] == "/editor/", signed.get_data(as_text=True)
    learner = client.post(
        "/api/learner/signin", json={"name": "张阿姨", "town": "东城街道", "community": "花园社区", "pin": "1234"}
    )
    assert learner.status_code == 200 and learner.get_json()["created"] is False, learner.get_json()
    close_app(app)
    for name, tables in before.items():
        assert user_version(data.root / name) == OWNERS[name].schema_version(), name
        after = contents(data.root / name)
        assert all(set(rows) <= set(after[table]) for table, rows in tables.items()), name
