"""Exact cosine search over float32 vectors in numpy, mirrored from the ``embeddings`` table.

Brute force is the right tool at this scale: 100k × 384 is one 3 ms matrix-vector product
here (sqlite-vec measured 39–50 ms and cannot load into this machine's Python), so no
approximate index until measurements ask for one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ..store import Store
from .items import Column, ItemTable, candidate_scores


@dataclass(frozen=True)
class VectorHits:
    top: list[tuple[int, float]]
    mean: float
    std: float


class VectorIndex:
    """Unit vectors by item, searchable by dot product with namespace/corpus filters."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.items = ItemTable()
        self._matrix = Column(np.float32, width=dim)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self.items.n_alive

    def add(self, rows: Iterable[tuple[int, str, str, np.ndarray]]) -> None:
        """(item id, namespace, corpus, vector); a re-embedded item replaces its old vector."""
        with self._lock:
            for item_id, namespace, corpus, vector in rows:
                self.items.remove(item_id)
                if self.items.add(item_id, namespace, corpus) is not None:
                    self._matrix.append(vector)

    def remove(self, item_ids: Iterable[int]) -> None:
        with self._lock:
            for item_id in item_ids:
                self.items.remove(item_id)

    def search(
        self,
        query: np.ndarray,
        *,
        namespaces: Sequence[str],
        corpora: Sequence[str],
        limit: int,
        within: Iterable[int] | None = None,
    ) -> VectorHits:
        """Top ``limit`` (item id, cosine) for a unit ``query`` vector, with the mean and
        standard deviation of the cosine over every visible item (for exact z-scores)."""
        with self._lock:
            if self.items.n_alive == 0:
                return VectorHits([], 0.0, 1.0)
            scores = self._matrix.view @ query.astype(np.float32)
            cand = self.items.visible(None, namespaces, corpora, within)
            if len(cand) == 0:
                return VectorHits([], 0.0, 1.0)
            visible = candidate_scores(scores, cand)
            return VectorHits(self.items.top(visible, cand, limit), float(visible.mean()), float(visible.std()) or 1.0)


class VectorSearcher:
    """The vector index for one embedding model, caught up with the store before each search."""

    def __init__(self, store: Store, model: str, dim: int) -> None:
        self.store = store
        self.model = model
        self.index = VectorIndex(dim)
        self._seen = (0, 0)  # (embedding seq, tombstone seq)
        self._sync_lock = threading.Lock()

    def sync(self) -> None:
        marks = (self.store.embedding_watermark(), self.store.index_watermarks()[1])
        if marks == self._seen:
            return
        with self._sync_lock:
            if marks == self._seen:
                return
            rows = self.store.embeddings_since(self._seen[0], self.model)
            self.index.add(
                (r["item_id"], r["namespace"], r["corpus"], np.frombuffer(r["vector"], dtype=np.float32))
                for r in rows
                if len(r["vector"]) == 4 * self.index.dim
            )
            self.index.remove(self.store.removed_since(self._seen[1]))
            self._seen = marks

    def search(
        self,
        query: np.ndarray,
        namespaces: Sequence[str],
        corpora: Sequence[str],
        limit: int,
        within: Iterable[int] | None = None,
        *,
        sync: bool = True,
    ) -> VectorHits:
        """``sync=False``: as of the last :meth:`sync` (a search calls it while its query embeds)."""
        if sync:
            self.sync()
        return self.index.search(query, namespaces=namespaces, corpora=corpora, limit=limit, within=within)


class StoreVectorSearcher:
    """Vector search run by the store itself (pgvector HNSW on PostgreSQL): nothing mirrored
    in memory, so a daemon at a million vectors holds none of them."""

    def __init__(self, store: Store, model: str, dim: int) -> None:
        self.store = store
        self.model = model
        self.dim = dim

    def sync(self) -> None:
        """Nothing to catch up: the store searches its own table."""

    def search(
        self,
        query: np.ndarray,
        namespaces: Sequence[str],
        corpora: Sequence[str],
        limit: int,
        within: Iterable[int] | None = None,
        *,
        sync: bool = True,
    ) -> VectorHits:
        """``sync``: accepted for :class:`VectorSearcher`'s sake; the store's table is always current."""
        top, mean, std = self.store.nearest(  # type: ignore[attr-defined]
            self.model, self.dim, query, namespaces, corpora, limit, None if within is None else list(within)
        )
        return VectorHits(top, mean, std)


def vector_searcher(store: Store, model: str, dim: int) -> VectorSearcher | StoreVectorSearcher:
    """The store's own vector search when it has one, else the in-memory exact index."""
    if getattr(store, "native_vectors", False):
        return StoreVectorSearcher(store, model, dim)
    return VectorSearcher(store, model, dim)
