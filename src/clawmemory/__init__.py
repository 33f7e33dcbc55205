"""clawmemory: a memory engine for AI agents."""

import os
from importlib.metadata import PackageNotFoundError, version

# Thread pools that spin-wait fight each other on 2 cores: after a numpy matrix-vector product
# OpenBLAS threads spin ~2^28 cycles by default, starving the embedder's OpenMP threads (and
# vice versa). Short spins, set before numpy or the embedder load, took hybrid search at 100k
# from 52 to 29 ms p50 here (see docs/DESIGN.md). Callers' own settings win.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
os.environ.setdefault("GOMP_SPINCOUNT", "1000")

try:
    __version__ = version("clawmemory")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+source"
