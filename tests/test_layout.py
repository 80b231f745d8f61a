"""The build side's three rooms keep their import direction, and data dirs from before the split still open."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from indexer.build import build_index
from indexer.search import analysis, schema
from indexer.search.searcher import Searcher

from .conftest import TEST_CONTENT

INDEXER = Path(__file__).resolve().parents[1] / "indexer"
FORBIDDEN = {"content": {"search", "speech"}, "search": {"speech"}, "speech": {"search"}}


def imported_rooms(source: str, parts: tuple[str, ...]) -> set[str]:
    """The rooms a module at indexer/<parts> imports from, absolutely or relatively."""
    package = ["indexer", *parts[:-1]]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names = [module] + [f"{module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found |= {name.split(".")[1] for name in names if name.startswith("indexer.")}
    return found


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_imports_run_one_way(room):
    modules = sorted((INDEXER / room).rglob("*.py"))
    assert modules
    wrong = {}
    for module in modules:
        parts = module.relative_to(INDEXER).parts
        rooms = imported_rooms(module.read_text(encoding="utf-8"), parts) & FORBIDDEN[room]
        if rooms:
            wrong["/".join(parts)] = rooms
    assert wrong == {}


@pytest.mark.parametrize(
    "line",
    [
        "from ...search.ranking import PassageScorer",
        "from indexer.search import vectors",
        "import indexer.search.searcher",
        "from ... import search",
    ],
)
def test_the_direction_check_sees_every_form_of_import(line):
    assert "search" in imported_rooms(line, ("speech", "engines", "base.py"))


def test_an_index_written_before_the_split_opens_without_a_rebuild(data, monkeypatch):
    """Data dirs made before the split hold a schema that names indexer.analysis.JiebaTokenizer."""
    with monkeypatch.context() as old_layout:
        old_layout.setattr(analysis.JiebaTokenizer, "__module__", schema.PICKLED_BEFORE_THE_SPLIT)
        build_index(data, [TEST_CONTENT])
    toc = next(data.index.glob("*.toc")).read_bytes()
    assert b"indexer.analysis" in toc and b"indexer.search.analysis" not in toc
    assert Searcher(data).search("业主委员会").hits
    report = build_index(data, [TEST_CONTENT])
    assert report.unchanged == 3 and not report.added
