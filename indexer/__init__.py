"""Build side of the listening kiosk: load texts, index them for search, render them to speech.

Three rooms, one per pipeline: ``content`` reads texts, ``search`` finds them, ``speech`` speaks them. The modules
at this level are what all three share: the data dir, the errors, the SQLite helper, the document store, and the
build that drives them. ``content`` imports neither of the others; ``search`` and ``speech`` never import each other.
"""

import os

# Before numpy loads OpenBLAS: its threads fighting the embedding engine's OpenMP threads slowed queries 8x.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
