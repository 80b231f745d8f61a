"""The Whoosh schema: one record per passage, plus one per document and per key term for pinyin look-ups."""

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from .analysis import JiebaTokenizer


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
