"""The core every component stands on: the store, the settings, namespaces, the embedder and
its background worker, and search with hit hydration through the corpus registry.

Components (ledger, context, formation, collections, memory tools, capture) take a
:class:`Core`, never the :class:`~clawmemory.engine.Engine`; the engine builds the core,
then the components on it, and registers what they add (corpora, the validity hook).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

from . import validation
from .errors import InvalidInput, NotFound
from .memories import new_memory, new_message
from .retrieval.corpora import Corpora
from .retrieval.decompose import make_decomposer
from .retrieval.deep import DEPTH as DEEP_DEPTH
from .retrieval.deep import DeepSearch
from .retrieval.embeddings import Embedder, make_embedder
from .retrieval.hits import SearchHit
from .retrieval.lexical import LexicalSearcher
from .retrieval.query import parse_query
from .retrieval.rerank import Reranking
from .retrieval.search import MODES, Ranked, Searcher, SearchParams
from .retrieval.worker import EmbeddingBackfill, EmbeddingWorker
from .settings import Settings
from .store import Memory, NewMemory, NewMessage, SearchRow, Store, open_store

log = logging.getLogger("clawmemory.core")


def memory_hit(memory: Memory, **fields: Any) -> SearchHit:
    """A stored memory as a search hit (scores 0 until a search fills them; ``fields`` override)."""
    return SearchHit(
        id=memory.id,
        corpus="memory",
        namespace=memory.namespace,
        text=memory.text,
        kind=memory.kind,
        category=memory.category,
        created_at=memory.created_at,
        **fields,
    )


class Validity(Protocol):
    """How memory search respects temporal validity. Formation implements it and the engine
    registers it (:meth:`Core.use_validity`): the core cannot import formation."""

    def superseded_count(self, namespaces: Sequence[str]) -> int: ...

    def current(
        self, ranked: list[Ranked], as_of: str | None, limit: int
    ) -> tuple[list[Ranked], dict[str, tuple[Memory, dict[str, Any]]]]: ...

    def order(self, hits: list[SearchHit], memories: Mapping[str, Memory]) -> list[SearchHit]: ...


class Core:
    """One store and its settings, with namespaces, embeddings and search over them."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self.store: Store = store or open_store(settings.store_url, settings.db_path)
        self.lexical = LexicalSearcher(self.store)
        self.corpora = Corpora()
        self.corpora.register("memory", self.hydrate_memories, name="memory")
        self.corpora.register("message", self.hydrate_messages, name="messages")
        self.validity: Validity | None = None
        self.worker: EmbeddingWorker | None = None
        self.embedder_error: str | None = None
        self._embedder: Embedder | None = None
        self._embedder_lock = threading.Lock()
        self.searcher = Searcher(
            self.store,
            self.lexical,
            self.embedder,
            SearchParams(
                fusion=settings.fusion,
                lexical_weight=settings.fusion_lexical_weight,
                depth=settings.search_depth,
                floor_coverage=settings.floor_coverage,
                floor_cosine=settings.floor_cosine,
                subquery_weight=settings.search_subquery_weight,
                container_share=settings.search_container_share,
                rerank_weight=settings.rerank_weight if settings.rerank else 0.0,
                rerank_depth=settings.rerank_depth,
            ),
            make_decomposer(settings),
        )
        self.searcher.rerank = Reranking(self.snippet_texts, threads=settings.embedding_threads)
        self.deep = DeepSearch(self.store, self.snippet_texts, settings.embedding_threads)
        self.store.on_indexed(self._indexed)

    def close(self) -> None:
        self.stop_background()
        self.store.close()

    # -- embeddings ---------------------------------------------------------------------

    def embedder(self) -> Embedder | None:
        """The configured embedder (loaded on first use), or None when off or failed to load."""
        if self._embedder is None and self.embedder_error is None:
            with self._embedder_lock:
                if self._embedder is None and self.embedder_error is None:
                    s = self.settings
                    try:
                        self._embedder = make_embedder(
                            s.embedding_provider,
                            model=s.embedding_model,
                            url=s.embedding_url,
                            api_key=s.embedding_api_key,
                            threads=s.embedding_threads,
                        )
                    except Exception as exc:
                        self.embedder_error = str(exc)
                        log.warning("embeddings unavailable (%s); search is lexical only", exc)
        return self._embedder

    @property
    def loaded_embedder(self) -> Embedder | None:
        """The embedder if it has been loaded already (never loads it)."""
        return self._embedder

    def start_background(self) -> None:
        """Start the embedding worker (the daemon does this; CLI commands do not)."""
        embedder = self.embedder()
        if embedder is not None and self.worker is None:
            self.worker = EmbeddingWorker(EmbeddingBackfill(self.store, embedder))
            self.worker.start()

    def stop_background(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None

    def _indexed(self) -> None:
        """New search items committed (``store.on_indexed``): the worker embeds them."""
        if self.worker is not None:
            self.worker.notify()

    # -- namespaces and new rows ----------------------------------------------------------

    def namespace(self, name: str | None) -> str:
        """``name`` (default: the configured namespace), validated; NotFound if it does not exist."""
        name = self.settings.default_namespace if name is None else name
        validation.namespace_name(name)
        if not self.store.has_namespace(name):
            raise NotFound(f"namespace {name!r} does not exist; create it first", field="namespace")
        return name

    def ensure_namespace(self, name: str) -> dict[str, Any]:
        """Create a namespace if it does not exist (idempotent)."""
        validation.namespace_name(name, "name")
        created = self.store.ensure_namespace(name)
        return {"name": name, "created": created}

    def new_memory(self, item: dict[str, Any], namespace: str, prefix: str = "") -> NewMemory:
        """:func:`~clawmemory.memories.new_memory` with this store's text limit."""
        return new_memory(item, namespace, max_chars=self.settings.max_text_chars, prefix=prefix)

    def new_message(self, namespace: str, session_key: str, item: Any, prefix: str = "") -> NewMessage:
        """:func:`~clawmemory.memories.new_message` with this store's text limit."""
        return new_message(namespace, session_key, item, max_chars=self.settings.max_text_chars, prefix=prefix)

    # -- search -------------------------------------------------------------------------

    def use_validity(self, validity: Validity) -> None:
        """Memory hits go through ``validity``: superseded ones out, later-stated first."""
        self.validity = validity

    def search(
        self,
        query: str,
        namespace: str | None = None,
        *,
        limit: int | None = None,
        corpus: str = "all",
        shared: Iterable[str] = (),
        mode: str | None = None,
        granularity: str = "snippet",
        as_of: str | None = None,
        deep: bool = False,
    ) -> list[SearchHit]:
        """Search ``namespace`` plus optional ``shared`` ones; best first.

        ``corpus``: a name from ``self.corpora`` (``memory``, ``messages``, ``all``, …).
        ``mode``: ``hybrid`` (BM25 + vectors, the default), ``lexical`` or ``vector``.
        ``granularity``: ``snippet`` (messages, chunks, memories) or ``container`` (one hit per
        session or document, represented by its best snippet; ``extra.container_score``).
        Each hit says whether it clears the relevance floor (``relevant``).
        ``as_of`` (ISO date or time): memories valid then; by default superseded memories are left out.
        ``deep``: rescore the best hits with a small LLM (``retrieval/deep.py``; seconds, the ``deep`` extra).
        """
        ns = self.namespace(namespace)
        spaces = [ns, *(self.namespace(s) for s in shared)]
        corpora = self.corpora.resolve(corpus)
        mode = mode or self.settings.search_mode
        if mode not in MODES:
            raise InvalidInput(f"mode must be one of {list(MODES)}", field="mode")
        if granularity not in ("snippet", "container"):
            raise InvalidInput("granularity must be 'snippet' or 'container'", field="granularity")
        limit = self.settings.search_limit if limit is None else limit
        validation.integer(limit, "limit", lo=1, hi=1000)
        parsed = parse_query(query, max_chars=self.settings.max_query_chars)
        if parsed.is_empty() and mode == "lexical":
            return []
        as_of = validation.as_of(as_of)
        validity = self.validity if "memory" in corpora else None
        pad = 0
        if validity is not None:  # room for the memories validity leaves out
            pad = 2 * limit + 50 if as_of else min(validity.superseded_count(spaces), 500)
        if not isinstance(deep, bool):
            raise InvalidInput("deep must be true or false", field="deep")
        depth = max(limit + pad, DEEP_DEPTH) if deep else limit + pad
        ranked = self.searcher.search(parsed, query, spaces, corpora, depth, mode, granularity)
        if deep:
            by = (lambda r: r.container_score if r.row.container else r.score) if granularity == "container" else None
            ranked = self.deep.rerank(query, ranked, by or (lambda r: r.score))[: limit + pad]
        if validity is None:
            found = self.corpora.hydrate((r.row.corpus, r.row.ref_id) for r in ranked)
        else:  # validity reads the memory rows once; they hydrate the memory hits and order them
            ranked, kept = validity.current(ranked, as_of, limit)
            found = self.corpora.hydrate((r.row.corpus, r.row.ref_id) for r in ranked if r.row.corpus != "memory")
            found["memory"] = {i: memory_hit(m, extra=dict(info)) for i, (m, info) in kept.items()}
        out = []
        for r in ranked:
            base = found.get(r.row.corpus, {}).get(r.row.ref_id)
            if base is not None:
                extra = dict(base.extra)
                if granularity == "container":
                    extra["container_score"] = r.container_score
                out.append(
                    replace(
                        base,
                        score=r.score,
                        text_score=r.text_score or 0.0,
                        vector_score=r.vector_score,
                        coverage=r.coverage,
                        relevant=r.relevant,
                        extra=extra,
                    )
                )
        return validity.order(out, {i: m for i, (m, _) in kept.items()}) if validity is not None else out

    def snippet_texts(self, rows: list[SearchRow]) -> dict[int, str]:
        """Search items' texts as a reranker reads them: "Speaker: text" for a message."""
        found = self.corpora.hydrate((r.corpus, r.ref_id) for r in rows)
        out = {}
        for row in rows:
            if (hit := found.get(row.corpus, {}).get(row.ref_id)) is not None:
                speaker = hit.extra.get("speaker")
                out[row.item_id] = f"{speaker}: {hit.text}" if speaker else hit.text
        return out

    def hydrate_memories(self, refs: list[str]) -> dict[str, SearchHit]:
        return {m.id: memory_hit(m) for m in self.store.get_memories(refs).values()}

    def hydrate_messages(self, refs: list[str]) -> dict[str, SearchHit]:
        return {
            g.id: SearchHit(
                id=g.id,
                corpus="message",
                namespace=g.namespace,
                text=g.text,
                container=g.session_key,
                kind=g.role,
                created_at=g.created_at,
                extra={"seq": g.seq, "speaker": g.speaker},
            )
            for g in self.store.get_messages(refs).values()
        }
