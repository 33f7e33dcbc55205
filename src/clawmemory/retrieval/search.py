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
from ..text import words
from .embeddings import Embedder
from .fusion import fuse
from .lexical import LexicalSearcher
from .query import LexicalQuery
from .rerank import Reranking
from .vectors import VectorSearcher

log = logging.getLogger("clawmemory.search")

MODES = ("hybrid", "lexical", "vector")


@dataclass(frozen=True)
class SearchParams:
    fusion: str = "zscore"
    lexical_weight: float = 0.4
    depth: int = 200  # candidates taken from each signal
    floor_coverage: float = 0.34
    floor_cosine: float = 0.825
    speaker_boost: float = 0.15  # lexical bonus for items by the one author the query names
    container_temperature: float = 0.5  # soft-max over a container's snippets
    container_dense: float = 0.3  # weight of a container's best dense evidence
    rerank_weight: float = 0.0  # cross-encoder weight over the best rerank_depth candidates (0: off)
    rerank_depth: int = 30


@dataclass(frozen=True)
class Ranked:
    """One fused result, before it is hydrated into a caller's shape."""

    row: SearchRow
    score: float
    text_score: float | None
    vector_score: float | None
    coverage: float
    relevant: bool
    container_score: float = 0.0


class Searcher:
    """Lexical + vector retrieval over the store's search items."""

    def __init__(
        self, store: Store, lexical: LexicalSearcher, embedder: Callable[[], Embedder | None], params: SearchParams
    ) -> None:
        self.store = store
        self.lexical = lexical
        self._embedder = embedder
        self._vectors: VectorSearcher | None = None
        self.params = params
        self.rerank: Reranking | None = None  # the cross-encoder hook (rerank.py), set by the engine

    def vectors(self) -> tuple[Embedder, VectorSearcher] | None:
        """The embedder and its vector index, or None when embeddings are off or broken."""
        embedder = self._embedder()
        if embedder is None:
            return None
        if self._vectors is None or self._vectors.model != embedder.model:
            self._vectors = VectorSearcher(self.store, embedder.model, embedder.dim)
        return embedder, self._vectors

    def search(
        self,
        query: LexicalQuery,
        text: str,
        namespaces: Sequence[str],
        corpora: Sequence[str],
        limit: int,
        mode: str = "hybrid",
        granularity: str = "snippet",
    ) -> list[Ranked]:
        """Best ``limit`` snippets, or with ``granularity="container"`` the best containers
        (sessions, documents), each represented by its best snippet.

        Lexical scores are min-max scaled over the top BM25 hits (plus a bonus for items by
        the one author the query names); both signals are z-scored over every visible item
        and mixed ``lexical_weight`` : 1 − ``lexical_weight``. A container scores a soft-max
        of its snippets plus its best dense evidence.
        """
        p = self.params
        # Fusion needs a deep pool; a lexical-only ranking does not.
        depth = max(limit, p.depth if mode == "hybrid" else 50)
        hits = [] if mode == "vector" else self.lexical.search(query, namespaces, corpora, depth)
        lexical = {h.row.item_id: h for h in hits}
        vec = None
        if mode != "lexical" and (backend := self._vectors_or_none()):
            within = None
            if query.required or query.excluded or any(len(c) > 1 for c in query.optional):
                within = self.store.match_items(namespaces, query.match(), corpora=corpora)
            embedder, vectors = backend
            vec = vectors.search(embedder.embed_query(text), namespaces, corpora, depth, within=within)
        vector = dict(vec.top) if vec else {}
        rows = {i: h.row for i, h in lexical.items()}
        rows.update(self.store.items([i for i in vector if i not in rows]))
        lex = self._lexical_signal(lexical, rows, text, namespaces)
        n = max(self.lexical.count(namespaces, corpora), 1)
        mean = sum(lex.values()) / n
        lex_stats = (mean, max(sum(v * v for v in lex.values()) / n - mean * mean, 0.0) ** 0.5)
        fused, dense = fuse(
            lex,
            vector,
            method=p.fusion,
            lexical_weight=p.lexical_weight,
            lexical_stats=lex_stats,
            vector_stats=(vec.mean, vec.std) if vec else None,
        )
        if self.rerank is not None:
            fused = self.rerank(text, fused, rows, p.rerank_weight, p.rerank_depth)
        containers = _container_scores(fused, dense, rows, p.container_temperature, p.container_dense)
        ranked = []
        for item_id, score in fused.items():
            row = rows.get(item_id)
            if row is None:
                continue
            hit = lexical.get(item_id)
            coverage = hit.coverage if hit else 0.0
            cosine = vector.get(item_id)
            ranked.append(
                Ranked(
                    row,
                    _squash(score),
                    hit.score if hit else None,
                    cosine,
                    coverage,
                    coverage >= p.floor_coverage or (cosine is not None and cosine >= p.floor_cosine),
                    containers.get(row.container, 0.0) if row.container else 0.0,
                )
            )
        ranked.sort(key=lambda r: r.score, reverse=True)
        if granularity == "container":
            best: dict[str, Ranked] = {}
            for r in ranked:
                best.setdefault(r.row.container or f"item:{r.row.item_id}", r)
            return sorted(best.values(), key=lambda r: r.container_score if r.row.container else r.score, reverse=True)[
                :limit
            ]
        return ranked[:limit]

    def _lexical_signal(
        self, lexical: dict, rows: dict[int, SearchRow], text: str, namespaces: Sequence[str]
    ) -> dict[int, float]:
        """BM25 min-max scaled over the top hits, plus the named-author bonus."""
        lex: dict[int, float] = {}
        if lexical:
            raw = [h.score for h in lexical.values()]
            lo = min(raw) if len(raw) > 1 else 0.0
            span = (max(raw) - lo) or 1.0
            lex = {i: (h.score - lo) / span for i, h in lexical.items()}
        author = self._named_author(text, namespaces)
        if author and self.params.speaker_boost:
            for item_id, row in rows.items():
                if row.author == author:
                    lex[item_id] = lex.get(item_id, 0.0) + self.params.speaker_boost
        return lex

    def _named_author(self, text: str, namespaces: Sequence[str]) -> str | None:
        """The one known author (message speaker) whose name the query contains, if exactly one."""
        authors = self.lexical.index.items.authors(namespaces)
        if not authors:
            return None
        said = set(words(text, keep_stopwords=True))
        named = [a for a in authors if (parts := words(a, keep_stopwords=True)) and set(parts) <= said]
        return named[0] if len(named) == 1 else None

    def _vectors_or_none(self) -> tuple[Embedder, VectorSearcher] | None:
        try:
            return self.vectors()
        except Exception as exc:  # fail open to lexical
            log.warning("vector search unavailable, using lexical only: %s", exc)
            return None


def _container_scores(
    fused: dict[int, float],
    dense: dict[int, float],
    rows: dict[int, SearchRow],
    temperature: float,
    dense_weight: float,
) -> dict[str, float]:
    """A container's score: a soft-max over its snippets' fused scores, plus ``dense_weight``
    × its best normalised dense score."""
    members: dict[str, list[int]] = {}
    for item_id in fused:
        row = rows.get(item_id)
        if row is not None and row.container:
            members.setdefault(row.container, []).append(item_id)
    scores = {}
    for container, items in members.items():
        top = max(fused[i] for i in items)
        softmax = top + temperature * math.log(sum(math.exp((fused[i] - top) / temperature) for i in items))
        best_dense = max((dense[i] for i in items if i in dense), default=0.0)
        scores[container] = softmax + dense_weight * best_dense
    return scores


def _squash(x: float) -> float:
    """Map a fused score to (0, 1), monotonically, for display and ``minScore`` filters."""
    return 1.0 / (1.0 + math.exp(-x))
