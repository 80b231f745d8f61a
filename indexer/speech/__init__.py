"""Speaking texts: normalize for the ear, split into sentences, voice them with an engine, cache compressed audio.

It owns the engines (``engines/``), the pronunciation dictionary and the audio cache of the data dir. It may import
``indexer.content`` and the shared top-level modules, never ``indexer.search``.
"""
