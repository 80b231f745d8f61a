"""Build side of the listening kiosk: load texts, index them for search, render them to speech."""

import os

# Before numpy loads OpenBLAS: its threads fighting the embedding engine's OpenMP threads slowed queries 8x.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
