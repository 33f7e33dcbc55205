"""Hybrid search: BM25 candidates + vector candidates, fused, with a relevance floor.

``relevant`` separates "nothing relevant" from "weak match": a hit clears the floor when
it holds enough of the query's (idf-weighted) terms, or when its cosine to the query is
high enough. Both thresholds are settings, calibrated on held-out questions (see
docs/DESIGN.md).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..store import SearchRow, Store
from .embeddings import Embedder
from .fusion import fuse
from .lexical import LexicalSearcher
from .query import LexicalQuery
from .vectors import VectorSearcher

log = logging.getLogger("clawmemory.search")

MODES = ("hybrid", "lexical", "vector")


@dataclass(frozen=True)
class SearchParams:
    fusion: str = "zscore"
    lexical_weight: float = 0.5
    depth: int = 50  # candidates taken from each signal
    floor_coverage: float = 0.5
    floor_cosine: float = 0.85


@dataclass(frozen=True)
class Ranked:
    """One fused result, before it is hydrated into a caller's shape."""

    row: SearchRow
    score: float
    text_score: float | None
    vector_score: float | None
    coverage: float
    relevant: bool


class Searcher:
    """Lexical + vector retrieval over the store's search items."""

    def __init__(self, store: Store, lexical: LexicalSearcher,
                 embedder: Callable[[], Embedder | None], params: SearchParams) -> None:
        self.store = store
        self.lexical = lexical
        self._embedder = embedder
        self._vectors: VectorSearcher | None = None
        self.params = params

    def vectors(self) -> tuple[Embedder, VectorSearcher] | None:
        """The embedder and its vector index, or None when embeddings are off or broken."""
        embedder = self._embedder()
        if embedder is None:
            return None
        if self._vectors is None or self._vectors.model != embedder.model:
            self._vectors = VectorSearcher(self.store, embedder.model, embedder.dim)
        return embedder, self._vectors

    def search(self, query: LexicalQuery, text: str, namespaces: Sequence[str], corpora: Sequence[str],
               limit: int, mode: str = "hybrid") -> list[Ranked]:
        p = self.params
        depth = max(limit, p.depth)
        lexical = {} if mode == "vector" else {
            h.row.item_id: h for h in self.lexical.search(query, namespaces, corpora, depth)}
        vector: dict[int, float] = {}
        within = None
        if query.required or query.excluded or any(len(c) > 1 for c in query.optional):
            within = self.store.match_items(namespaces, query.match(), corpora=corpora)
        if mode != "lexical" and (backend := self._vectors_or_none()):
            embedder, vectors = backend
            qvec = embedder.embed_query(text)
            vector = dict(vectors.search(qvec, namespaces, corpora, depth, within=within))
        fused = fuse({i: h.score for i, h in lexical.items()}, vector,
                     method=p.fusion, lexical_weight=p.lexical_weight)
        best = sorted(fused, key=fused.get, reverse=True)[:limit]
        rows = self.store.items([i for i in best if i not in lexical])
        out = []
        for item_id in best:
            hit = lexical.get(item_id)
            row = hit.row if hit else rows.get(item_id)
            if row is None:
                continue
            coverage = hit.coverage if hit else 0.0
            cosine = vector.get(item_id)
            relevant = coverage >= p.floor_coverage or (cosine is not None and cosine >= p.floor_cosine)
            out.append(Ranked(row, _squash(fused[item_id]), hit.score if hit else None, cosine,
                              coverage, relevant))
        return out

    def _vectors_or_none(self) -> tuple[Embedder, VectorSearcher] | None:
        try:
            return self.vectors()
        except Exception as exc:  # fail open to lexical
            log.warning("vector search unavailable, using lexical only: %s", exc)
            return None


def _squash(x: float) -> float:
    """Map a fused score to (0, 1), monotonically, for display and ``minScore`` filters."""
    return 1.0 / (1.0 + math.exp(-x))
