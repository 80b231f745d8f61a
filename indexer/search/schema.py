"""The Whoosh schema: one record per passage, plus one per document and per key term for pinyin look-ups."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from whoosh import index
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.index import FileIndex

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


def open_index(folder: Path) -> FileIndex:
    """The index in ``folder``, also one whose schema was pickled before the split into sub-packages."""
    return index.open_dir(folder)


def create_index(folder: Path) -> FileIndex:
    """A new empty index in ``folder``, replacing whatever was there."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return index.create_in(folder, make_schema())
