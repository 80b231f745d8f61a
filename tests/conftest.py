"""Shared fixtures: a tiny content folder, a built index on it, and a slice of the real law library."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indexer.build import build_index
from indexer.datadir import DataDir

pytest_plugins = ["tests.browser_fixtures"]  # the `browser` fixture
TEST_CONTENT = Path(__file__).parent / "data" / "content"
LAW_LIBRARY = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "laws"
LAW_SLICE = [
    "行政法规/物业管理条例(2018-03-19).md",
    "民法典/合同编.md",
    "民法典/物权编.md",
    "宪法相关法/城市居民委员会组织法(2018-12-29).md",
    "DLC/北京地方法规/地方性法规/北京/北京市物业管理条例(2024-03-29).md",
    "DLC/上海地方法规/地方性法规/上海/上海市住宅物业管理规定(2010-12-23).md",
    "DLC/上海地方法规/地方性法规/上海/上海市住宅物业管理规定(2020-12-30).md",
]


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """A writable copy of the test content, for tests that edit files."""
    target = tmp_path / "content"
    shutil.copytree(TEST_CONTENT, target)
    return target


@pytest.fixture
def data(tmp_path: Path) -> DataDir:
    return DataDir.create(tmp_path / "var")


@pytest.fixture(scope="session")
def law_slice(tmp_path_factory) -> Path:
    """A few real law-library files with the metadata of the whole library, read from ../shared."""
    if not LAW_LIBRARY.is_dir():
        pytest.skip(f"law library not found at {LAW_LIBRARY}")
    root = tmp_path_factory.mktemp("laws")
    for source in LAW_SLICE:
        (root / source).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(LAW_LIBRARY / source, root / source)
    shutil.copy(LAW_LIBRARY / "metadata.json", root / "metadata.json")
    return root


@pytest.fixture(scope="session")
def built(tmp_path_factory, law_slice: Path) -> DataDir:
    """An index over the test content and the law slice, built once for the session."""
    data = DataDir.create(tmp_path_factory.mktemp("var"))
    report = build_index(data, [TEST_CONTENT, law_slice])
    assert report.ok, report.skipped
    return data
