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
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from ..store import SearchRow, Store
from ..text import words
from .decompose import Decomposer, SubQuery, decompose
from .embeddings import Embedder
from .fusion import fuse
from .lexical import LexicalHit, LexicalSearcher
from .multihop import container_scores, widen, with_containers
from .query import LexicalQuery, parse_query
from .rerank import Reranking
from .vectors import StoreVectorSearcher, VectorHits, VectorSearcher, vector_searcher

log = logging.getLogger("clawmemory.search")

MODES = ("hybrid", "lexical", "vector")

# A query's embedding (native code or an HTTP call, both release the GIL) runs here, beside
# its BM25 scoring; shared by every searcher in the process, threads started on demand.
_EMBEDDING = ThreadPoolExecutor(max_workers=4, thread_name_prefix="clawmemory-embed")


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
    container_share: float = 0.5  # share of a snippet's score taken from its container's (multihop.py)
    subqueries: int = 3  # most sub-queries a multi-hop query is split into (decompose.py)
    subquery_weight: float = 0.0  # share of an item's score from its best sub-query (multihop.py); 0: off
    subquery_speakers: bool = False  # a query naming one speaker also searches that speaker's items alone
    subquery_vectors: bool = False  # embed each sub-query too (else reuse the query's vector pool)
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
        self,
        store: Store,
        lexical: LexicalSearcher,
        embedder: Callable[[], Embedder | None],
        params: SearchParams,
        decomposer: Decomposer = decompose,
    ) -> None:
        self.store = store
        self.lexical = lexical
        self._embedder = embedder
        self._vectors: VectorSearcher | StoreVectorSearcher | None = None
        self.params = params
        self.decomposer = decomposer
        self.rerank: Reranking | None = None  # the cross-encoder hook (rerank.py), set by the engine

    def vectors(self) -> tuple[Embedder, VectorSearcher | StoreVectorSearcher] | None:
        """The embedder and its vector index, or None when embeddings are off or broken."""
        embedder = self._embedder()
        if embedder is None:
            return None
        if self._vectors is None or self._vectors.model != embedder.model:
            self._vectors = vector_searcher(self.store, embedder.model, embedder.dim)
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
        and mixed ``lexical_weight`` : 1 − ``lexical_weight``. A multi-hop query also runs as
        sub-queries (``decompose.py``), whose pools join the candidates and whose best score
        is mixed into each item's (``multihop.py``). A container scores a soft-max of its
        snippets plus its best dense evidence, and ``container_share`` of that score passes to
        each of its snippets.
        """
        p = self.params
        # Fusion needs a deep pool; a lexical-only ranking does not. ``limit`` counts snippets
        # only: containers are ranked over the same pool however many are asked for.
        depth = max(limit if granularity == "snippet" else 0, p.depth if mode == "hybrid" else 50)
        backend = None if mode == "lexical" else self._vectors_or_none()
        embedding = _EMBEDDING.submit(backend[0].embed_query, text) if backend else None
        hits = [] if mode == "vector" else self.lexical.search(query, namespaces, corpora, depth)
        if backend is not None:
            backend[1].sync()  # the vector index catches up while the query embeds
        lexical = {h.row.item_id: h for h in hits}
        query_vector = _query_vector(embedding, mode)
        backend = backend if query_vector is not None else None
        vec = self._vector_hits(query, text, namespaces, corpora, depth, backend, query_vector)
        parts = []
        for part in self._subqueries(query, text, namespaces):
            sub = parse_query(part.text)
            parts.append(
                (
                    part.author,
                    [] if mode == "vector" else self.lexical.search(sub, namespaces, corpora, depth),
                    self._vector_hits(sub, part.text, namespaces, corpora, depth, backend)
                    if p.subquery_vectors
                    else vec,
                )
            )
        rows = {i: h.row for i, h in lexical.items()}
        rows.update((h.row.item_id, h.row) for _, sub_hits, _ in parts for h in sub_hits)
        wanted = {i for v in (vec, *(v for _, _, v in parts)) if v for i, _ in v.top}
        rows.update(self.lexical.rows([i for i in wanted if i not in rows]))
        n = max(self.lexical.count(namespaces, corpora, sync=mode == "vector"), 1)
        author = self._named_author(text, namespaces)
        pool = list(rows)
        fused, dense = self._fuse(hits, vec, rows, pool, n, bonus_author=author)
        fused = widen(
            fused,
            [self._fuse(h, v, rows, pool, n, only_author=a)[0] for a, h, v in parts],
            p.subquery_weight,
        )
        if self.rerank is not None:
            fused = self.rerank(text, fused, rows, p.rerank_weight, p.rerank_depth)
        containers = container_scores(fused, dense, rows, p.container_temperature, p.container_dense)
        vector = dict(vec.top) if vec else {}
        scores = {i: _squash(s) for i, s in with_containers(fused, containers, rows, p.container_share).items()}
        order = sorted(scores, key=scores.__getitem__, reverse=True)

        def ranked(item_id: int) -> Ranked:
            row = rows[item_id]
            hit = lexical.get(item_id)
            coverage = hit.coverage if hit else 0.0
            cosine = vector.get(item_id)
            return Ranked(
                row,
                scores[item_id],
                hit.score if hit else None,
                cosine,
                coverage,
                coverage >= p.floor_coverage or (cosine is not None and cosine >= p.floor_cosine),
                containers.get(row.container, 0.0) if row.container else 0.0,
            )

        if granularity == "container":
            best: dict[str, int] = {}
            for item_id in order:
                row = rows[item_id]
                best.setdefault(row.container or f"item:{item_id}", item_id)
            firsts = [ranked(i) for i in best.values()]
            return sorted(firsts, key=lambda r: r.container_score if r.row.container else r.score, reverse=True)[:limit]
        return [ranked(i) for i in order[:limit]]  # only the hits returned are built

    def _vector_hits(
        self,
        query: LexicalQuery,
        text: str,
        namespaces: Sequence[str],
        corpora: Sequence[str],
        depth: int,
        backend: tuple[Embedder, VectorSearcher | StoreVectorSearcher] | None,
        embedded: np.ndarray | None = None,
    ) -> VectorHits | None:
        """The ``depth`` nearest items to ``text`` (within what the query's phrases,
        ``+required`` and ``-excluded`` words allow), or None without vectors. ``embedded``:
        ``text``'s vector when it is already computed."""
        if backend is None:
            return None
        within = None
        if query.required or query.excluded or any(len(c) > 1 for c in query.optional):
            match = query.match()  # None: no positive term, so nothing can match
            within = self.store.match_items(namespaces, match, corpora=corpora) if match is not None else []
        embedder, vectors = backend
        vector = embedded if embedded is not None else embedder.embed_query(text)
        return vectors.search(vector, namespaces, corpora, depth, within=within, sync=False)

    def _subqueries(self, query: LexicalQuery, text: str, namespaces: Sequence[str]) -> list[SubQuery]:
        """The sub-queries of a plain natural-language query (none for explicit syntax)."""
        if not (self.params.subqueries and self.params.subquery_weight) or query.required or query.excluded:
            return []
        if '"' in text:
            return []
        return self.decomposer(
            text,
            self.lexical.index.items.authors(namespaces),
            limit=self.params.subqueries,
            speakers=self.params.subquery_speakers,
        )

    def _fuse(
        self,
        hits: Sequence[LexicalHit],
        vec: VectorHits | None,
        rows: dict[int, SearchRow],
        pool: Sequence[int],
        n: int,
        *,
        bonus_author: str | None = None,
        only_author: str | None = None,
    ) -> tuple[dict[int, float], dict[int, float]]:
        """One (sub-)query's fused scores over ``pool``: its lexical signal (min-max over its
        hits, plus ``speaker_boost`` for ``bonus_author``'s items) and its cosines, z-scored
        over the ``n`` visible items; with ``only_author``, other authors' items get neither."""
        if only_author is not None:
            hits = [h for h in hits if h.row.author == only_author]
        lex: dict[int, float] = {}
        if hits:
            raw = [h.score for h in hits]
            lo = min(raw) if len(raw) > 1 else 0.0
            span = (max(raw) - lo) or 1.0
            lex = {h.row.item_id: (h.score - lo) / span for h in hits}
        if bonus_author and self.params.speaker_boost:
            for item_id in pool:
                if rows[item_id].author == bonus_author:
                    lex[item_id] = lex.get(item_id, 0.0) + self.params.speaker_boost
        vector = dict(vec.top) if vec else {}
        if only_author is not None:
            vector = {i: c for i, c in vector.items() if i in rows and rows[i].author == only_author}
        mean = sum(lex.values()) / n
        lex_stats = (mean, max(sum(v * v for v in lex.values()) / n - mean * mean, 0.0) ** 0.5)
        return fuse(
            lex,
            vector,
            method=self.params.fusion,
            lexical_weight=self.params.lexical_weight,
            lexical_stats=lex_stats,
            vector_stats=(vec.mean, vec.std) if vec else None,
            pool=pool,
        )

    def _named_author(self, text: str, namespaces: Sequence[str]) -> str | None:
        """The one known author (message speaker) whose name the query contains, if exactly one."""
        authors = self.lexical.index.items.authors(namespaces)
        if not authors:
            return None
        said = set(words(text, keep_stopwords=True))
        named = [a for a in authors if (parts := words(a, keep_stopwords=True)) and set(parts) <= said]
        return named[0] if len(named) == 1 else None

    def _vectors_or_none(self) -> tuple[Embedder, VectorSearcher | StoreVectorSearcher] | None:
        try:
            return self.vectors()
        except Exception as exc:  # fail open to lexical
            log.warning("vector search unavailable, using lexical only: %s", exc)
            return None


def _query_vector(embedding: Future[np.ndarray] | None, mode: str) -> np.ndarray | None:
    """The query's vector; None without one, or when the embedder failed mid-way (a hybrid
    search then fails open to lexical; a vector-only search raises)."""
    if embedding is None:
        return None
    try:
        return embedding.result()
    except Exception as exc:
        if mode == "vector":
            raise
        log.warning("query embedding failed, using lexical only: %s", exc)
        return None


def _squash(x: float) -> float:
    """Map a fused score to (0, 1), monotonically, for display and ``minScore`` filters."""
    return 1.0 / (1.0 + math.exp(-x))
