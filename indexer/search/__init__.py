"""Finding texts: the Whoosh schema and its Chinese and pinyin analysis, ranking, and search by meaning with vectors.

It owns the index folder and the vectors folder of the data dir. It may import ``indexer.content`` and the shared
top-level modules, never ``indexer.speech``.
"""
