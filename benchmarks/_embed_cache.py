"""An on-disk embedding cache for benchmarks that re-embed the same texts run after run.

``CachedEmbedder`` wraps an engine's embedder: vectors are kept per model and text (queries
and passages apart, since e5-style models embed them differently) in one SQLite file per model
under ``.cache/embeddings/``. Only texts never seen with that model reach the real embedder, so
a LoCoMo run that took minutes of embedding takes seconds the second time.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
from pathlib import Path

import numpy as np

from clawmemory.retrieval.embeddings import Embedder

DEFAULT_DIR = Path(__file__).resolve().parents[1] / ".cache" / "embeddings"


class CachedEmbedder:
    """The ``Embedder`` protocol, backed by ``inner`` and a per-model SQLite cache."""

    def __init__(self, inner: Embedder, folder: Path = DEFAULT_DIR) -> None:
        self.inner = inner
        self.model = inner.model
        self.dim = inner.dim
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / (re.sub(r"[^A-Za-z0-9_.-]+", "_", self.model) + ".sqlite")
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS vec (key BLOB PRIMARY KEY, v BLOB NOT NULL)")
        self._lock = threading.Lock()

    @staticmethod
    def _key(kind: str, text: str) -> bytes:
        return hashlib.sha256(f"{kind}\0{text}".encode()).digest()

    def _lookup(self, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            rows = self._db.execute(f"SELECT key, v FROM vec WHERE key IN ({','.join('?' * len(part))})", part)
            found.update((k, np.frombuffer(v, dtype=np.float32)) for k, v in rows)
        return found

    def _cached(self, kind: str, texts: list[str], compute) -> np.ndarray:
        keys = [self._key(kind, t) for t in texts]
        with self._lock:
            found = self._lookup(keys)
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            fresh = compute([texts[i] for i in missing])
            with self._lock, self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO vec (key, v) VALUES (?, ?)",
                    [(keys[i], np.asarray(v, dtype=np.float32).tobytes()) for i, v in zip(missing, fresh)],
                )
            found.update((keys[i], np.asarray(v, dtype=np.float32)) for i, v in zip(missing, fresh))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([found[k] for k in keys])

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._cached("p", list(texts), self.inner.embed_passages)

    def embed_query(self, text: str) -> np.ndarray:
        return self._cached("q", [text], lambda ts: [self.inner.embed_query(ts[0])])[0]
