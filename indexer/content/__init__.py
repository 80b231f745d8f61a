"""Reading texts: find content files, decode them, parse them into documents, sections and passages, import uploads.

It owns the content model (``documents``), the front-matter table (``fields``), the file formats (``parse``,
``loader``, ``importing``) and article numbering (``numerals``). It imports nothing from ``indexer.search`` or
``indexer.speech``: both read what it makes.
"""
