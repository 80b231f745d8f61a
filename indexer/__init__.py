"""Build side of the listening kiosk: load texts, index them for search, render them to speech.

Three rooms, one per pipeline: ``content`` reads texts, ``search`` finds them, ``speech`` speaks them. The modules
at this level are what all three share: the data dir, the errors, the SQLite helper, the document store, and the
build that drives them. ``content`` imports neither of the others; ``search`` and ``speech`` never import each other.
"""

import os

# Before numpy loads OpenBLAS: its threads fighting the embedding engine's OpenMP threads slowed queries 8x.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# Before the embedding engine loads OpenMP: by default its threads spin for a long while between steps, and with
# anything else on a core (the kiosk's browser, the speech renderer, a build) a query then took up to a second to
# encode instead of 30 ms. A short spin keeps the idle speed (bench/bench_query_encoding.py).
os.environ.setdefault("GOMP_SPINCOUNT", "1000")
