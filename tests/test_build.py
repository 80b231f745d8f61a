import os
import time

from indexer import build
from indexer.build import build_index
from indexer.search.searcher import Searcher
from indexer.store import Store


def test_second_build_changes_nothing(content_dir, data):
    first = build_index(data, [content_dir])
    assert len(first.added) == 3 and first.ok
    second = build_index(data, [content_dir])
    assert (second.added, second.updated, second.removed, second.unchanged) == ([], [], [], 3)


def test_edit_reindexes_only_that_file_and_is_searchable(content_dir, data):
    build_index(data, [content_dir])
    path = content_dir / "政策法规/业主委员会.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n业委会换届选举应当公开透明。\n", encoding="utf-8")
    report = build_index(data, [content_dir])
    assert report.updated == ["政策法规/业主委员会.md"] and report.unchanged == 2
    hits = Searcher(data).search("换届选举").hits
    assert hits and hits[0].title == "业主委员会的成立"


def test_touching_a_file_without_changing_it_is_not_a_change(content_dir, data):
    build_index(data, [content_dir])
    path = content_dir / "政策法规/业主委员会.md"
    os.utime(path, (time.time() + 10, time.time() + 10))
    report = build_index(data, [content_dir])
    assert report.updated == [] and report.unchanged == 3


def test_deleted_file_is_dropped(content_dir, data):
    build_index(data, [content_dir])
    (content_dir / "政策法规/业主委员会.md").unlink()
    report = build_index(data, [content_dir])
    assert report.removed == ["政策法规/业主委员会.md"]
    assert all(h.title != "业主委员会的成立" for h in Searcher(data).search("业主委员会").hits)
    assert len(Store(data.database).catalog()) == 2


def test_bad_files_are_skipped_with_reasons_and_lose_nothing(content_dir, data):
    build_index(data, [content_dir])
    good = content_dir / "政策法规/业主委员会.md"
    good.write_text("---\ntitle: [坏了\n---\n正文\n", encoding="utf-8")
    (content_dir / "政策法规/空.md").write_bytes(b"")
    (content_dir / "政策法规/二进制.md").write_bytes(b"\x00\xff\x00\x10" * 50)
    (content_dir / "政策法规/旧系统.txt").write_bytes("# 旧系统导出的通知\n\n请业主按时交纳物业费。\n".encode("gbk"))
    report = build_index(data, [content_dir])
    reasons = dict(report.skipped)
    assert set(reasons) == {"政策法规/业主委员会.md", "政策法规/空.md", "政策法规/二进制.md"}
    assert "格式有误" in reasons["政策法规/业主委员会.md"] and "二进制" in reasons["政策法规/二进制.md"]
    assert report.added == ["政策法规/旧系统.txt"] and not report.ok
    # The previously indexed version of the broken file is still searchable.
    assert Searcher(data).search("业主委员会的成立").hits[0].title == "业主委员会的成立"


def test_duplicate_titles_warn(content_dir, data):
    src = content_dir / "政策法规/业主委员会.md"
    (content_dir / "政策法规/副本.md").write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    report = build_index(data, [content_dir])
    assert report.ok and len(report.warnings) == 1 and "标题相同" in report.warnings[0][1]


def test_an_index_written_in_an_older_format_is_rebuilt_whole(content_dir, data):
    build_index(data, [content_dir])
    (data.index / build.FORMAT_FILE).write_text("1", encoding="ascii")
    report = build_index(data, [content_dir])
    assert len(report.added) == 3 and (data.index / build.FORMAT_FILE).read_text() == build.INDEX_FORMAT
    assert build_index(data, [content_dir]).changed_docs == []
