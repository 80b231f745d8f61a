"""The Whoosh schema: one record per passage, plus one per document and per key term for pinyin look-ups; and the
index folder: created, opened (checked for torn files), and cleared of a failed writer's files."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

from whoosh import index
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.index import FileIndex

from indexer.errors import SearchError

from . import analysis
from .analysis import JiebaTokenizer

# Whoosh pickles the schema with the tokenizer's module path, and indexes written before indexer/ was split into
# sub-packages name it indexer.analysis. Known under that name too, they open as they are, without a rebuild;
# the next build that changes anything writes the new name. Every opening of an index imports this module first.
PICKLED_BEFORE_THE_SPLIT = "indexer.analysis"
sys.modules.setdefault(PICKLED_BEFORE_THE_SPLIT, analysis)


def make_schema() -> Schema:
    """Passages carry headings and body for BM25F; pinyin keys live on document and term records."""
    words = JiebaTokenizer()
    return Schema(
        id=ID(stored=True, unique=True),
        doc=ID(stored=True, sortable=True),
        kind=ID(stored=True),  # passage | doc | term
        title=STORED,  # titles are matched through the catalog, not repeated in every passage
        headings=TEXT(analyzer=words, stored=True, phrase=False, field_boost=1.5),
        body=TEXT(analyzer=words, stored=True, phrase=False),
        collection=ID(stored=True),
        status=ID(stored=True),
        article=STORED,
        article_no=NUMERIC(stored=True),
        pinyin=KEYWORD(lowercase=True),
        term=STORED,
        embedded=ID(sortable=True),  # digest of the text a passage's vector is made from
    )


TOC = re.compile(r"^_MAIN_\d+\.toc$")
INDEX_FILE = re.compile(r"^_?MAIN[._]")  # every file Whoosh writes for the index named MAIN


class BrokenIndex(SearchError):
    """The index's files do not open, as a power cut can leave files that were never synced."""


def open_index(folder: Path) -> FileIndex:
    """The index in ``folder``, also one whose schema was pickled before the split into sub-packages."""
    return index.open_dir(folder)


def has_index(folder: Path) -> bool:
    """Whether ``folder`` holds an index at all (a table of contents), readable or not."""
    return folder.is_dir() and any(TOC.match(name) for name in os.listdir(folder))


def open_checked(folder: Path, schema: Schema | None = None) -> FileIndex:
    """The index with each of its segments opened once, so torn files show here and not in a search; ``schema``
    replaces the pickled one, for a full rebuild that replaces every segment in one commit."""
    try:
        opened = index.open_dir(folder)
        opened.reader().close()
    except Exception as exc:  # whatever a torn file makes Whoosh raise
        raise BrokenIndex(f"检索库已损坏（{type(exc).__name__}）：运行 kiosk build 重建") from exc
    return index.open_dir(folder, schema=schema) if schema else opened


def abandon(writer, opened: FileIndex) -> None:
    """Undo a writer whose work failed, also when the disk that failed it fails its cancel too (a full disk):
    the files it wrote are deleted, so they neither fill the disk nor wait for the next commit, and its lock goes."""
    try:
        writer.cancel()
    except Exception:  # noqa: BLE001 - the cancel writes out what the writer held, and fails as it did
        if writer.writelock is not None and writer.writelock.fd is not None:
            writer.writelock.release()
    lock = opened.lock("WRITELOCK")
    try:
        if not lock.acquire():
            return  # another writer started meanwhile; its commit cleans up
    except OSError:
        return  # a read-only disk: nothing was written either
    try:
        folder = Path(opened.storage.folder)
        used = {f"_MAIN_{opened.latest_generation()}.toc", "MAIN_WRITELOCK"}
        segments = tuple(f"{segment.segment_id()}." for segment in opened._segments())
        for path in folder.iterdir():
            if INDEX_FILE.match(path.name) and path.name not in used and not path.name.startswith(segments):
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
    finally:
        lock.release()


def create_index(folder: Path) -> FileIndex:
    """A new empty index in ``folder``, replacing whatever was there."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return index.create_in(folder, make_schema())
