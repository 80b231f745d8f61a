"""Backups through the `kiosk` command with real parts: a hub whose editors wrote, edited, deleted and corrected
pronunciations, with usage counts, comes back from one archive on an empty data dir; damaged archives are refused."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import re
import shutil
import sqlite3
import stat
import tarfile
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from werkzeug.test import TestResponse

from indexer.content.parse import document_id
from indexer.datadir import DataDir
from indexer.search.searcher import Searcher
from indexer.speech.engines import EngineChoice, engine_settings
from indexer.speech.narration import narrate
from indexer.store import Store
from kiosk.city import hub_report
from kiosk.cli import main
from kiosk.editor.accounts import Accounts
from kiosk.editor.files import EditForm, file_hash
from kiosk.library.keys import public_text, signing_key
from kiosk.operations.backup import MANIFEST, MAX_MANIFEST_BYTES, MAX_TEXT_BYTES, VERSION
from kiosk.training.learner import learners
from kiosk.training.learner.database import LearningDB
from kiosk.visitors.usage import Usage

from .sites import TEST_CONTENT, TEST_PASSWORD, AppMaker, EditorSession, add_account, close_app, signed_in_as

REPAIR_FUND = "有声物业/物业管理篇/维修资金.md"
COMMITTEE = "政策法规/业主委员会.md"
NEW_TEXT = {
    "is_new": "1",
    "title": "行长接待日",
    "collection": "有声物业",
    "volume": "物业管理篇",
    "status": "现行",
    "body": "每月第一个周一，银行行长到物业港接待业主。\n\n行长解答住房贷款和专项维修资金的问题。",
}
NEW_SOURCE = "有声物业/物业管理篇/行长接待日.md"
QUERIES = ["行长接待", "专项维修资金", "业主委员会", "物业费", "第二次补充的说明"]


def post(editor: EditorSession, url: str, data: dict) -> TestResponse:
    """A form POST the editor must accept (it answers with a redirect)."""
    response = editor.post(url, data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def edit(editor: EditorSession, source: str, add: str) -> TestResponse:
    """Save a text with one more paragraph, as the edit page would post it."""
    data = (editor.content / source).read_bytes()
    form = EditForm.from_text(source, data.decode("utf-8"), base=file_hash(data))
    return post(
        editor, "/editor/save", {**form.values, "source": source, "base": form.base, "body": form.body + "\n\n" + add}
    )


def make_hub(make_app: AppMaker, root: Path) -> tuple[Path, Path]:
    """A hub after some months of use: an account, a published, an edited and a deleted text, a pronunciation,
    usage counts and a learner; returns (data dir, content root)."""
    content = root / "content"
    shutil.copytree(TEST_CONTENT, content)
    app = make_app(content=(content,), data=root / "var", build=True)
    editor = signed_in_as(app)
    post(editor, "/editor/save", NEW_TEXT)
    edit(editor, REPAIR_FUND, "第二次补充的说明：使用维修资金要经业主表决。")
    post(editor, "/editor/delete", {"source": COMMITTEE})
    post(editor, "/editor/pronunciations", {"term": "行长", "pinyin": "hang2 zhang3"})
    assert editor.client.post("/api/usage", json={"kind": "search", "q": "行长接待", "hits": 1}).status_code == 204
    assert editor.client.post("/api/usage", json={"kind": "search", "q": "停车费", "hits": 0}).status_code == 204
    # As a centre: the key hubs trust, and a hub's report for the city wall.
    signing_key(editor.data.root)
    report = editor.client.post("/api/city/report", json=hub_report(editor.data.root, "幸福社区站"))
    assert report.status_code == 200, report.get_data(as_text=True)
    listen = {
        "kind": "listen",
        "doc": document_id(NEW_SOURCE),
        "seconds": 42.5,
        "passage": "p1",
        "position": 1,
        "total": 2,
    }
    assert editor.client.post("/api/usage", json=listen).status_code == 204
    close_app(app)  # its speech workers stop before the backups are made
    with LearningDB(editor.data.root) as learning:  # a learner with a card, as a trainer made them
        learners.sign_in(learning, "李网格", "城关街道", "幸福社区", "2468", now=1_700_000_000.0)
    return editor.data.root, content


def hits(data: Path) -> dict[str, list[tuple]]:
    searcher = Searcher(DataDir(data))
    try:
        return {q: [(h.source, h.passage, h.article) for h in searcher.search(q, mode="lexical").hits] for q in QUERIES}
    finally:
        searcher.close()


def audio_keys(data: Path) -> dict[str, list[str]]:
    """Every sentence's audio key per document, for both voices, as the build and the server compute them."""
    keys = {}
    store = Store(data / "kiosk.db")
    try:
        for engine in ("neural", "pyttsx3"):
            settings = engine_settings(EngineChoice(engine, 1.0, str(data)))
            for doc_id in store.document_ids():
                doc = store.document(doc_id)
                assert doc is not None, doc_id
                keys[f"{engine}:{doc_id}"] = [line.key for line in narrate(doc, settings)]
    finally:
        store.close()
    return keys


def table_rows(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in tables}
    finally:
        conn.close()


def read_member(tar: tarfile.TarFile, member: str | tarfile.TarInfo) -> bytes:
    """A file's bytes in the archive; fails on a member that is no file."""
    file = tar.extractfile(member)
    assert file is not None, f"{member} is no file in the archive"
    return file.read()


def kiosk(args: list[str], content: Path):
    return CliRunner().invoke(
        main,
        args,
        env={
            "KIOSK_CONTENT": str(content),
            "KIOSK_ENGINE": "pyttsx3",
            "KIOSK_BACKUP_DIR": None,
            "KIOSK_BACKUP_KEEP": None,
        },
    )


@pytest.fixture(scope="module")
def hub(make_module_app: AppMaker, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_hub(make_module_app, tmp_path_factory.mktemp("hub"))


@pytest.fixture(scope="module")
def archive(hub, tmp_path_factory) -> Path:
    data, content = hub
    result = kiosk(["--data", str(data), "backup", str(tmp_path_factory.mktemp("usb") / "kiosk")], content)
    assert result.exit_code == 0, result.output
    path = Path(result.output.strip().splitlines()[-1])
    assert path.is_file() and path.parent.name == "kiosk"
    return path


# -- the archive -----------------------------------------------------------------------------------


def test_the_archive_holds_what_cannot_be_rebuilt_with_a_manifest(archive, hub):
    data, _ = hub
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        manifest = json.loads(read_member(tar, MANIFEST))
    assert {
        "data/editor.db",
        "data/usage.db",
        "data/learning.db",
        "data/pronunciations.tsv",
        "data/secret_key",
        "data/city.db",
        "data/library-key",
        MANIFEST,
    } <= names
    assert f"content/{NEW_SOURCE}" in names and f"content/{REPAIR_FUND}" in names
    assert f"content/{COMMITTEE}" not in names and any(re.match(r"data/trash/\d+\.md$", n) for n in names)
    assert not any(
        n.startswith(("data/index", "data/audio", "data/vectors", "data/models", "data/kiosk.db")) for n in names
    )
    assert manifest["format"] == "suiting-kiosk-backup" and manifest["version"] == VERSION
    assert manifest["host"] and re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$", manifest["created"])
    assert {f["path"] for f in manifest["files"]} == names - {MANIFEST}
    entry = next(f for f in manifest["files"] if f["path"] == "data/pronunciations.tsv")
    assert entry["size"] == (data / "pronunciations.tsv").stat().st_size and len(entry["sha256"]) == 64
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # it holds the secret key and password hashes
    assert not list(archive.parent.glob(".*"))  # no temp file left behind


def test_round_trip_onto_an_empty_data_dir_gives_the_same_hub(archive, hub, tmp_path, make_app):
    data, _ = hub
    new_data, new_content = tmp_path / "new-pc" / "var", tmp_path / "new-pc" / "texts"
    new_content.mkdir(parents=True)
    restored = kiosk(["--data", str(new_data), "restore", str(archive)], new_content)
    assert restored.exit_code == 0, restored.output
    assert "kiosk build" in restored.output
    built = kiosk(["--data", str(new_data), "build", "--no-audio", "--no-vectors"], new_content)
    assert built.exit_code == 0, built.output
    assert hits(new_data) == hits(data) and hits(data)["行长接待"][0][0] == NEW_SOURCE
    assert audio_keys(new_data) == audio_keys(data)
    assert (new_data / "pronunciations.tsv").read_bytes() == (data / "pronunciations.tsv").read_bytes()
    assert table_rows(new_data / "usage.db") == table_rows(data / "usage.db")
    assert table_rows(new_data / "editor.db") == table_rows(data / "editor.db")
    assert table_rows(new_data / "learning.db") == table_rows(data / "learning.db")
    assert table_rows(data / "learning.db")["learners"]
    assert (new_data / "secret_key").read_bytes() == (data / "secret_key").read_bytes()
    assert stat.S_IMODE((new_data / "secret_key").stat().st_mode) == 0o600
    assert table_rows(new_data / "city.db") == table_rows(data / "city.db") and table_rows(data / "city.db")["days"]
    restored_key, old_key = signing_key(new_data, create=False), signing_key(data, create=False)
    assert restored_key is not None and old_key is not None
    assert public_text(restored_key) == public_text(old_key)
    assert stat.S_IMODE((new_data / "library-key").stat().st_mode) == 0o600
    assert not (new_content / COMMITTEE).exists()  # still in the trash, as on the old hub

    editor = EditorSession(make_app(content=(new_content,), data=new_data))
    response = editor.sign_in()  # the restored account, not one made now
    assert response.status_code == 302 and response.headers["Location"] == "/editor/"
    history = editor.client.get("/editor/history", query_string={"source": REPAIR_FUND}).get_data(as_text=True)
    assert "编辑前" in history and "王编辑" in history
    trash = editor.client.get("/editor/trash").get_data(as_text=True)
    found = re.search(r'name="id" value="(\d+)"', trash)
    assert found is not None, trash
    entry = found.group(1)
    post(editor, "/editor/trash/restore", {"id": entry})
    assert (new_content / COMMITTEE).read_bytes() == (TEST_CONTENT / COMMITTEE).read_bytes()


def test_the_pronunciation_is_part_of_the_audio_keys(hub, tmp_path):
    data, _ = hub
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "kiosk.db").write_bytes((data / "kiosk.db").read_bytes())
    with_dictionary, without = audio_keys(data), audio_keys(bare)
    doc = f"neural:{document_id(NEW_SOURCE)}"
    assert with_dictionary[doc] != without[doc]  # so equal keys after a restore mean the dictionary came back


def test_keep_prunes_to_the_newest_and_the_last_line_is_the_path(hub, tmp_path):
    data, content = hub
    usb = tmp_path / "usb"
    usb.mkdir()
    (usb / "notes.txt").write_text("别删我", encoding="utf-8")
    (usb / "kiosk-backup-20200101-000000.tar.gz").write_bytes(b"old")
    paths = []
    for _ in range(3):
        result = kiosk(["--data", str(data), "backup", str(usb), "--keep", "2"], content)
        assert result.exit_code == 0, result.output
        paths.append(Path(result.output.strip().splitlines()[-1]))
    assert sorted(p.name for p in usb.iterdir()) == sorted([paths[1].name, paths[2].name, "notes.txt"])
    assert "删除旧备份" in result.output


def test_backup_to_a_file_name_and_to_a_stick_that_is_not_there(hub, tmp_path):
    data, content = hub
    named = kiosk(["--data", str(data), "backup", str(tmp_path / "hub.tar.gz")], content)
    assert named.exit_code == 0, named.output
    assert named.output.strip().splitlines()[-1] == str(tmp_path / "hub.tar.gz")
    missing = kiosk(["--data", str(data), "backup", str(tmp_path / "media" / "STICK" / "backups")], content)
    assert missing.exit_code == 1 and "U 盘" in missing.output, missing.output
    assert not (tmp_path / "media").exists()


def test_a_damaged_database_is_not_backed_up_and_older_archives_stay(tmp_path, content_dir):
    data = DataDir.create(tmp_path / "var")
    with Usage(data.root) as usage:
        usage.record_search("维修资金", 1)
    first = kiosk(["--data", str(data.root), "backup", str(tmp_path / "usb"), "--keep", "1"], content_dir)
    assert first.exit_code == 0, first.output
    good = sorted((tmp_path / "usb").iterdir())
    usage_db = data.root / "usage.db"
    usage_db.write_bytes(usage_db.read_bytes()[:4096] + b"\xff" * (usage_db.stat().st_size - 4096))
    second = kiosk(["--data", str(data.root), "backup", str(tmp_path / "usb"), "--keep", "1"], content_dir)
    assert second.exit_code == 1 and "usage.db" in second.output and "已损坏" in second.output, second.output
    assert sorted((tmp_path / "usb").iterdir()) == good  # the last good archive is kept, no temp file is left


def test_backup_while_a_writer_holds_the_databases_busy(tmp_path, content_dir):
    data = DataDir.create(tmp_path / "var")
    add_account(data, "editor")
    writer = sqlite3.connect(data.root / "editor.db", timeout=30)
    writer.execute("BEGIN IMMEDIATE")  # holds the write lock, uncommitted, for the whole backup
    writer.execute("INSERT INTO users VALUES ('未提交的人', 'x', 'editor', 0)")
    stop, counted = threading.Event(), [0]

    def count_searches():
        with Usage(data.root) as usage:
            while not stop.is_set():
                usage.record_search(f"查询{counted[0] % 50}", 1)
                counted[0] += 1

    thread = threading.Thread(target=count_searches)
    thread.start()
    try:
        while counted[0] < 20:
            time.sleep(0.01)
        started = time.monotonic()
        result = kiosk(["--data", str(data.root), "backup"], content_dir)
        seconds = time.monotonic() - started
    finally:
        stop.set()
        thread.join()
        writer.rollback()
        writer.close()
    assert result.exit_code == 0, result.output
    assert seconds < 20
    archive = Path(result.output.strip().splitlines()[-1])
    out = tmp_path / "out"
    out.mkdir()
    with tarfile.open(archive) as tar:
        for name in ("data/editor.db", "data/usage.db"):
            (out / Path(name).name).write_bytes(read_member(tar, name))
    for name in ("editor.db", "usage.db"):
        conn = sqlite3.connect(out / name)
        try:
            assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
            if name == "editor.db":
                assert [r[0] for r in conn.execute("SELECT name FROM users")] == ["王编辑"]
            else:
                assert 0 < conn.execute("SELECT SUM(times) FROM searches").fetchone()[0] <= counted[0]
        finally:
            conn.close()


# -- restore refuses ------------------------------------------------------------------------------


def members(archive: Path) -> list[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(archive) as tar:
        return [(m, read_member(tar, m)) for m in tar]


def written(path: Path, entries: list[tuple[tarfile.TarInfo, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in entries:
            info = copy.copy(info)
            if info.isfile():
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return path


def listed(entries, name: str, data: bytes) -> list:
    """The entries plus a file, entered in the manifest with its right size and checksum."""
    out = []
    for info, content in entries:
        if info.name == MANIFEST:
            manifest = json.loads(content)
            manifest["files"].append({"path": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
            content = json.dumps(manifest).encode()
        out.append((info, content))
    return [*out, (tarfile.TarInfo(name), data)]


def link(name: str, target: str, kind=tarfile.SYMTYPE) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info, b""


def changed(entries, name: str, data: bytes) -> list:
    return [(info, data if info.name == name else content) for info, content in entries]


def sparse(name: str, size: int) -> tuple[tarfile.TarInfo, bytes]:
    """A GNU sparse member (PAX 0.1 map): one byte stored, ``size`` bytes when unpacked."""
    info = tarfile.TarInfo(name)
    info.pax_headers = {"GNU.sparse.map": f"{size - 1},1", "GNU.sparse.size": str(size)}
    return info, b"x"


def with_sparse(entries, name: str, size: int) -> list:
    """The entries plus a sparse member, listed in the manifest with the size and checksum it unpacks to."""
    unpacked = b"\0" * (size - 1) + b"x"
    return [*listed(entries, name, unpacked)[:-1], sparse(name, size)]


def padded_manifest(entries, size: int) -> list:
    """The same manifest, made ``size`` bytes long with whitespace JSON allows."""
    manifest = {i.name: c for i, c in entries}[MANIFEST]
    return changed(entries, MANIFEST, manifest + b" " * (size - len(manifest)))


DAMAGES = {
    "bad checksum": (lambda e: changed(e, "data/pronunciations.tsv", "行长\thang2 zhang4\n".encode()), "校验值不符"),
    "missing file": (lambda e: [(i, c) for i, c in e if i.name != "data/editor.db"], "缺少 data/editor.db"),
    "no manifest": (lambda e: [(i, c) for i, c in e if i.name != MANIFEST], "没有 manifest.json"),
    "not a kiosk manifest": (lambda e: changed(e, MANIFEST, b'{"files": []}'), "不是 kiosk 备份的清单"),
    "newer format": (
        lambda e: changed(
            e,
            MANIFEST,
            json.dumps({**json.loads({i.name: c for i, c in e}[MANIFEST]), "version": VERSION + 1}).encode(),
        ),
        "第 2 版",
    ),
    "file not in the manifest": (lambda e: [*e, (tarfile.TarInfo("content/多出来.md"), b"x")], "清单上没有"),
    "parent path": (lambda e: listed(e, "content/../../evil.md", b"evil"), "不允许的条目"),
    "climbing out": (lambda e: listed(e, "../evil.md", b"evil"), "不允许的条目"),
    "absolute path": (lambda e: listed(e, "/tmp/kiosk-evil.md", b"evil"), "不允许的条目"),
    "symlink": (lambda e: [*e, link("content/link.md", "/etc/passwd")], "不允许的条目"),
    "hard link": (lambda e: [*e, link("data/secret_key", "/etc/shadow", tarfile.LNKTYPE)], "不允许的条目"),
    "unknown data file": (lambda e: listed(e, "data/kiosk.db", b"SQLite"), "不允许的条目"),
    "sparse text": (lambda e: with_sparse(e, "content/稀疏.md", 1024 * 1024), "稀疏文件"),
    # a gzip bomb: some KB on disk, a text bigger than any the editor could have saved once unpacked
    "oversized text": (lambda e: listed(e, "content/大.md", b"\0" * (MAX_TEXT_BYTES + 1)), "超过上限 32 MB"),
    "oversized manifest": (lambda e: padded_manifest(e, MAX_MANIFEST_BYTES + 1), "超过上限 16 MB"),
}


def assert_untouched(result, new_data: Path, new_content: Path, tmp_path: Path) -> None:
    assert result.exit_code == 1, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output  # one line with the reason
    assert not new_data.exists() and list(new_content.iterdir()) == []
    assert not (tmp_path / "evil.md").exists() and not Path("/tmp/kiosk-evil.md").exists()


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_archive_is_refused_and_nothing_is_touched(archive, tmp_path, damage):
    change, message = DAMAGES[damage]
    bad = written(tmp_path / "bad.tar.gz", change(members(archive)))
    new_data, new_content = tmp_path / "a" / "var", tmp_path / "a" / "texts"
    new_content.mkdir(parents=True)
    result = kiosk(["--data", str(new_data), "restore", str(bad)], new_content)
    assert message in result.output, result.output
    assert_untouched(result, new_data, new_content, tmp_path)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda archive, path: path.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2]), "不是完整的备份"),
        (lambda archive, path: path.write_bytes(archive.read_bytes()[:-30]), "不是完整的备份"),
        (lambda archive, path: path.write_text("这不是备份，是一张便条。", encoding="utf-8"), "不是 kiosk 的备份文件"),
        (lambda archive, path: None, "找不到备份文件"),
    ],
)
def test_a_truncated_file_or_not_an_archive_is_refused(archive, tmp_path, make, message):
    bad = tmp_path / "bad.tar.gz"
    make(archive, bad)
    new_data, new_content = tmp_path / "a" / "var", tmp_path / "a" / "texts"
    new_content.mkdir(parents=True)
    result = kiosk(["--data", str(new_data), "restore", str(bad)], new_content)
    assert message in result.output, result.output
    assert_untouched(result, new_data, new_content, tmp_path)


def test_a_data_dir_in_use_needs_force(archive, tmp_path):
    data, content = tmp_path / "var", tmp_path / "texts"
    content.mkdir()
    data.mkdir()
    (data / "backups").mkdir()  # an archive kept in the data dir does not make it "in use"
    (data / "kiosk.db").write_bytes(b"")
    with Accounts(data) as accounts:
        accounts.add("别人", TEST_PASSWORD)
    before = sorted(p.name for p in data.iterdir())
    refused = kiosk(["--data", str(data), "restore", str(archive)], content)
    assert refused.exit_code == 1 and "不是空的" in refused.output and "--force" in refused.output, refused.output
    assert len(refused.output.strip().splitlines()) == 1
    assert sorted(p.name for p in data.iterdir()) == before and list(content.iterdir()) == []
    forced = kiosk(["--data", str(data), "restore", str(archive), "--force"], content)
    assert forced.exit_code == 0, forced.output
    with Accounts(data) as accounts:
        assert [s.user.name for s in accounts.states()] == ["王编辑"]
    assert (content / NEW_SOURCE).is_file()


def test_a_restore_that_cannot_finish_replaces_nothing(archive, tmp_path):
    data, content = tmp_path / "var", tmp_path / "texts"
    content.mkdir()
    with Accounts(data) as accounts:
        accounts.add("别人", TEST_PASSWORD)
    (content / REPAIR_FUND).mkdir(parents=True)  # a folder where one of the archive's texts goes
    before = {p: p.read_bytes() for p in data.rglob("*") if p.is_file()}
    result = kiosk(["--data", str(data), "restore", str(archive), "--force"], content)
    assert result.exit_code == 1 and "挡住了" in result.output and "没有改动" in result.output, result.output
    assert {p: p.read_bytes() for p in data.rglob("*") if p.is_file()} == before  # editor.db as it was
    assert {p.relative_to(content) for p in content.rglob("*")} == {
        Path(REPAIR_FUND).parents[1],
        Path(REPAIR_FUND).parent,
        Path(REPAIR_FUND),
    }  # no text written, no staging folder left
