"""The Engine: the one facade every adapter (HTTP, MCP, CLI, the JS plugins) calls.

It owns the store and the components, validates input, redacts secrets before
anything is written, and enforces namespaces on every read and write.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import __version__, validation
from .capture import CaptureLog
from .context import ContextEngine
from .errors import InvalidInput, NotFound, Unavailable
from .formation import Formation, as_of_value
from .inspector import Inspector
from .ledger import Ledger
from .redaction import redact, redact_tree
from .retrieval.collections import Collections
from .retrieval.decompose import make_decomposer
from .retrieval.deep import DEPTH as DEEP_DEPTH
from .retrieval.deep import DeepSearch
from .retrieval.embeddings import Embedder, make_embedder
from .retrieval.hits import SearchHit
from .retrieval.lexical import LexicalSearcher
from .retrieval.memory_tools import MemoryTools
from .retrieval.query import parse_query
from .retrieval.rerank import Reranking
from .retrieval.search import MODES, Searcher, SearchParams
from .retrieval.worker import EmbeddingBackfill, EmbeddingWorker
from .settings import Settings, load_settings
from .sidecar import SidecarControl
from .store import Memory, NewMemory, NewMessage, SearchRow, Store, open_store

log = logging.getLogger("clawmemory.engine")

CORPORA = {"memory": ("memory",), "messages": ("message",), "all": ("memory", "message")}
MESSAGE_ROLES = frozenset({"user", "assistant", "system", "tool"})


@dataclass(frozen=True)
class StoreResult:
    memory: Memory
    created: bool

    def to_dict(self) -> dict[str, Any]:
        return {"created": self.created, "memory": self.memory.to_dict()}


@dataclass(frozen=True)
class Page:
    items: list[Memory]
    total: int
    limit: int
    offset: int

    def to_dict(self) -> dict[str, Any]:
        next_offset = self.offset + len(self.items)
        return {
            "items": [m.to_dict() for m in self.items],
            "total": self.total,
            "limit": self.limit,
            "offset": self.offset,
            "next_offset": next_offset if next_offset < self.total else None,
        }


class Engine:
    """Memory operations over one store, configured by one :class:`Settings`."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self.store: Store = store or open_store(settings.store_url, settings.db_path)
        self.lexical = LexicalSearcher(self.store)
        self.ledger = Ledger(self)
        self._embedder: Embedder | None = None
        self._embedder_error: str | None = None
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
                rerank_weight=settings.rerank_weight if settings.rerank else 0.0,
                rerank_depth=settings.rerank_depth,
            ),
            make_decomposer(settings),
        )
        self.searcher.rerank = Reranking(self._snippet_texts, threads=settings.embedding_threads)
        self.deep = DeepSearch(self.store, self._snippet_texts, settings.embedding_threads)
        self.worker: EmbeddingWorker | None = None
        # Caller-facing corpus names → index corpora, and how each index corpus hydrates.
        self.corpora: dict[str, tuple[str, ...]] = dict(CORPORA)
        self.hydrators: dict[str, Callable[[list[str]], dict[str, SearchHit]]] = {
            "memory": self._hydrate_memories,
            "message": self._hydrate_messages,
        }
        self.capture = CaptureLog(self)  # observations: adds the "observations" corpus and its hydrator
        self.formation = Formation(self)  # memories formed from committed turns (formation/)
        self.context = ContextEngine(self)  # OpenClaw context engine (context/engine.py)
        self.sidecar = SidecarControl(self)  # attention-state sidecar: settings, status (sidecar/control.py)
        self.collections = Collections(self)  # markdown collections: "collections" corpus + hydrator
        self.memory_tools = MemoryTools(self)  # memory_search / memory_get (memory-core shapes)
        self.inspector = Inspector(self)  # read models and actions of the web inspector (/ui)

    @classmethod
    def open(cls, home: str | Path | None = None, **overrides: Any) -> Engine:
        """Open the engine on a data dir (see :func:`clawmemory.settings.load_settings`)."""
        return cls(load_settings(home, **overrides))

    def close(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None
        self.formation.close()
        self.context.close()
        self.store.close()

    # -- embeddings ---------------------------------------------------------------------

    def embedder(self) -> Embedder | None:
        """The configured embedder (loaded on first use), or None when off or failed to load."""
        if self._embedder is None and self._embedder_error is None:
            with self._embedder_lock:
                if self._embedder is None and self._embedder_error is None:
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
                        self._embedder_error = str(exc)
                        log.warning("embeddings unavailable (%s); search is lexical only", exc)
        return self._embedder

    def start_background(self) -> None:
        """Start the embedding worker (the daemon does this; CLI commands do not)."""
        embedder = self.embedder()
        if embedder is not None and self.worker is None:
            self.worker = EmbeddingWorker(EmbeddingBackfill(self.store, embedder))
            self.worker.start()

    def written(self) -> None:
        """Tell background work that new items were indexed."""
        if self.worker is not None:
            self.worker.notify()

    def embed(self, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
        """Embed every item that lacks a vector from the current model (foreground backfill)."""
        embedder = self.embedder()
        if embedder is None:
            raise Unavailable(self._embedder_error or "embedding_provider is 'none'")
        backfill = EmbeddingBackfill(self.store, embedder)
        pending = backfill.pending()
        done = backfill.run(progress)
        return {"model": embedder.model, "dim": embedder.dim, "pending": pending, "embedded": done}

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- namespaces ---------------------------------------------------------------------

    def ensure_namespace(self, name: str) -> dict[str, Any]:
        """Create a namespace if it does not exist (idempotent)."""
        validation.namespace_name(name, "name")
        created = self.store.ensure_namespace(name)
        return {"name": name, "created": created}

    def namespaces(self) -> list[dict[str, Any]]:
        """Every namespace with its counts."""
        return self.store.list_namespaces()

    def _namespace(self, name: str | None) -> str:
        name = self.settings.default_namespace if name is None else name
        validation.namespace_name(name)
        if not self.store.has_namespace(name):
            raise NotFound(f"namespace {name!r} does not exist; create it first", field="namespace")
        return name

    # -- memories -----------------------------------------------------------------------

    def _new_memory(self, item: dict[str, Any], namespace: str, prefix: str = "") -> NewMemory:
        limit = self.settings.max_text_chars
        question = validation.text(item.get("question"), f"{prefix}question", max_chars=limit, required=False)
        answer = validation.text(item.get("answer"), f"{prefix}answer", max_chars=limit, required=False)
        body = item.get("text")
        if body is None and answer is not None:
            body = f"{question}\n{answer}" if question else answer
        body = validation.text(body, f"{prefix}text", max_chars=limit)
        metadata = item.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise InvalidInput("metadata must be a JSON object", field=f"{prefix}metadata")
        source = item.get("source")
        if source is not None and not isinstance(source, str):
            raise InvalidInput("source must be a string", field=f"{prefix}source")
        category = item.get("category")
        return NewMemory(
            namespace=namespace,
            text=redact(body),
            kind=validation.label(item.get("kind", "note"), f"{prefix}kind"),
            question=redact(question) if question else None,
            answer=redact(answer) if answer else None,
            source=redact(source) if source else source,
            importance=validation.number(item.get("importance", 0.5), f"{prefix}importance", lo=0, hi=1),
            category=validation.label(category, f"{prefix}category") if category is not None else None,
            metadata=redact_tree(metadata),
        )

    def store_memory(self, namespace: str | None = None, **fields: Any) -> StoreResult:
        """Store one memory. Fields: ``text`` (or ``question`` + ``answer``), ``kind``,
        ``source``, ``importance`` (0..1), ``category``, ``metadata``.
        Storing the same content twice returns the existing memory (``created=False``)."""
        return self.store_memories([fields], namespace)[0]

    def store_memories(self, items: Sequence[dict[str, Any]], namespace: str | None = None) -> list[StoreResult]:
        """Store many memories in one transaction (all or nothing)."""
        ns = self._namespace(namespace)
        prepared = [
            self._new_memory(item, ns, f"items[{i}]." if len(items) > 1 else "") for i, item in enumerate(items)
        ]
        results = [StoreResult(m, created) for m, created in self.store.add_memories(prepared)]
        self.written()
        return results

    def get_memory(self, memory_id: str, namespace: str | None = None) -> Memory:
        """One memory by id; it must belong to ``namespace``."""
        ns = self._namespace(namespace)
        memory = self.store.get_memory(memory_id) if isinstance(memory_id, str) else None
        if memory is None or memory.namespace != ns:
            raise NotFound(f"no memory {memory_id!r} in namespace {ns!r}", field="id")
        return memory

    def list_memories(
        self,
        namespace: str | None = None,
        *,
        kind: str | None = None,
        category: str | None = None,
        status: str = "active",
        limit: int = 50,
        offset: int = 0,
        contains: str | None = None,
        validity: str | None = None,
        ids: Sequence[str] | None = None,
        before: tuple[str, str] | None = None,
    ) -> Page:
        """Memories newest first, with filters and paging; ``contains`` is a case-insensitive
        substring of the text, ``ids`` restricts to at most 1000 ids, ``validity``
        (``current``/``superseded``) needs validity columns, ``before`` = (created_at, id) of
        the previous page's last memory (keyset paging)."""
        ns = self._namespace(namespace)
        if status not in ("active", "forgotten"):
            raise InvalidInput("status must be 'active' or 'forgotten'", field="status")
        validation.integer(limit, "limit", lo=1, hi=1000)
        validation.integer(offset, "offset", lo=0, hi=10**9)
        if ids is not None and (len(ids) > 1000 or not all(isinstance(i, str) for i in ids)):
            raise InvalidInput("ids must be at most 1000 strings", field="ids")
        if before is not None and (len(before) != 2 or not all(isinstance(v, str) and v for v in before)):
            raise InvalidInput("before must be (created_at, id)", field="before")
        items, total = self.store.list_memories(
            ns,
            kind=kind,
            category=category,
            status=status,
            limit=limit,
            offset=offset,
            contains=contains,
            validity=validity,
            ids=ids,
            before=before,
        )
        return Page(items, total, limit, offset)

    def memory_history(self, namespace: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Superseded memories (out of recall, kept for audit), newest change first."""
        validation.integer(limit, "limit", lo=1, hi=1000)
        return self.formation.history(self._namespace(namespace), limit)

    def restore_memory(self, memory_id: str, namespace: str | None = None) -> dict[str, Any]:
        """Put a superseded memory back into recall."""
        return self.formation.restore(memory_id, self._namespace(namespace))

    def forget(self, memory_id: str, namespace: str | None = None) -> Memory:
        """Mark a memory forgotten: out of search, kept for audit."""
        memory = self.get_memory(memory_id, namespace)
        return self.store.forget_memory(memory.id) or memory

    # -- conversation messages ----------------------------------------------------------

    def add_messages(
        self, session_key: str, messages: Sequence[dict[str, Any]], namespace: str | None = None
    ) -> list[dict[str, Any]]:
        """Append messages to a conversation session (idempotent: a replay stores nothing twice).

        Each message: ``role`` (user, assistant, system, tool), ``text``, optional ``speaker``,
        ``created_at`` (ISO 8601 or epoch milliseconds; default now) and ``metadata``.
        Secrets are redacted; messages are searchable at once (lexically) and embedded in the
        background.
        """
        ns = self._namespace(namespace)
        key = validation.text(session_key, "session_key", max_chars=512)
        if not isinstance(messages, list | tuple):
            raise InvalidInput("messages must be a list", field="messages")
        prepared = [self._new_message(ns, key, m, f"messages[{i}].") for i, m in enumerate(messages)]
        stored = self.store.add_messages(prepared)
        self.written()
        return [{"id": m.id, "seq": m.seq, "created": created} for m, created in stored]

    def _new_message(self, namespace: str, session_key: str, item: Any, prefix: str) -> NewMessage:
        if not isinstance(item, dict):
            raise InvalidInput("each message must be an object", field=prefix.rstrip("."))
        role = item.get("role")
        if role not in MESSAGE_ROLES:
            raise InvalidInput(f"role must be one of {sorted(MESSAGE_ROLES)}", field=f"{prefix}role")
        body = validation.text(item.get("text"), f"{prefix}text", max_chars=self.settings.max_text_chars)
        speaker = item.get("speaker")
        if speaker is not None and not isinstance(speaker, str):
            raise InvalidInput("speaker must be a string", field=f"{prefix}speaker")
        metadata = item.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise InvalidInput("metadata must be a JSON object", field=f"{prefix}metadata")
        return NewMessage(
            namespace,
            session_key,
            role,
            redact(body),
            validation.timestamp(item.get("created_at"), f"{prefix}created_at"),
            speaker=speaker,
            metadata=redact_tree(metadata),
        )

    # -- search -------------------------------------------------------------------------

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
        ns = self._namespace(namespace)
        spaces = [ns, *(self._namespace(s) for s in shared)]
        if corpus not in self.corpora:
            raise InvalidInput(f"corpus must be one of {sorted(self.corpora)}", field="corpus")
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
        as_of = as_of_value(as_of)
        pad = 0
        if "memory" in self.corpora[corpus]:  # room for the memories validity leaves out
            pad = 2 * limit + 50 if as_of else min(self.formation.superseded_count(spaces), 500)
        if not isinstance(deep, bool):
            raise InvalidInput("deep must be true or false", field="deep")
        depth = max(limit + pad, DEEP_DEPTH) if deep else limit + pad
        ranked = self.searcher.search(parsed, query, spaces, self.corpora[corpus], depth, mode, granularity)
        if deep:
            by = (lambda r: r.container_score if r.row.container else r.score) if granularity == "container" else None
            ranked = self.deep.rerank(query, ranked, by or (lambda r: r.score))[: limit + pad]
        validity: dict[str, Any] = {}
        if "memory" in self.corpora[corpus]:
            ranked, validity = self.formation.current(ranked, as_of, limit)
        by_corpus: dict[str, list[str]] = {}
        for r in ranked:
            by_corpus.setdefault(r.row.corpus, []).append(r.row.ref_id)
        found = {c: self.hydrators[c](refs) for c, refs in by_corpus.items() if c in self.hydrators}
        out = []
        for r in ranked:
            base = found.get(r.row.corpus, {}).get(r.row.ref_id)
            if base is not None:
                extra = {**base.extra, **(validity.get(r.row.ref_id, {}) if r.row.corpus == "memory" else {})}
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
        return self.formation.order(out) if "memory" in self.corpora[corpus] else out

    def _snippet_texts(self, rows: list[SearchRow]) -> dict[int, str]:
        """Search items' texts as a reranker reads them: "Speaker: text" for a message."""
        by_corpus: dict[str, list[SearchRow]] = {}
        for row in rows:
            by_corpus.setdefault(row.corpus, []).append(row)
        out = {}
        for corpus, members in by_corpus.items():
            if corpus not in self.hydrators:
                continue
            hits = self.hydrators[corpus]([r.ref_id for r in members])
            for row in members:
                if (hit := hits.get(row.ref_id)) is not None:
                    speaker = hit.extra.get("speaker")
                    out[row.item_id] = f"{speaker}: {hit.text}" if speaker else hit.text
        return out

    def _hydrate_memories(self, refs: list[str]) -> dict[str, SearchHit]:
        return {
            m.id: SearchHit(
                id=m.id,
                corpus="memory",
                namespace=m.namespace,
                text=m.text,
                kind=m.kind,
                category=m.category,
                created_at=m.created_at,
            )
            for m in self.store.get_memories(refs).values()
        }

    def _hydrate_messages(self, refs: list[str]) -> dict[str, SearchHit]:
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

    # -- context engine (logic in context/engine.py) --------------------------------------

    def context_call(
        self,
        method: str,
        namespace: str,
        session: dict[str, Any] | None,
        params: dict[str, Any] | None,
        *,
        omit_unchanged: bool = False,
    ) -> dict[str, Any]:
        """One OpenClaw ContextEngine call (bootstrap, assemble, commitTurn, compact,
        afterTurn, ingest) with the plugin's envelope; returns OpenClaw's result shape.
        The namespace is created on first use."""
        return self.context.call(method, namespace, session, params, omit_unchanged=omit_unchanged)

    def context_compact_messages(self, messages: Any, *, summarizer: str = "auto") -> dict[str, Any]:
        """Compact a message list without the store; the summary as JSON."""
        result = self.context.compact_messages(messages, summarizer=summarizer)
        return {
            "ok": result.ok,
            "compacted": result.compacted,
            "reason": result.reason,
            "summary": result.summary_json() if result.compacted else None,
            "messages": result.messages,
        }

    def context_prune(
        self, workspace: str | None, namespace: str | None = None, *, days: int | None = None, delete_rows: bool = False
    ) -> dict[str, Any]:
        """Apply transcript retention: old day files; stored messages only with ``delete_rows``."""
        ns = self.settings.default_namespace if namespace is None else namespace
        return self.context.prune(workspace, ns, days=days, delete_rows=delete_rows)

    # -- markdown collections and memory-core tools (retrieval/collections.py, memory_tools.py)

    def collection_add(
        self, path: str | Path, name: str, namespace: str | None = None, patterns: list[str] | None = None
    ) -> dict[str, Any]:
        """Register a folder of markdown files as a collection and index it."""
        return self.collections.add(path, name, namespace, patterns=patterns)

    def collection_add_workspace(
        self, workspace: str | Path, name: str = "workspace", namespace: str | None = None
    ) -> dict[str, Any]:
        """Register an OpenClaw workspace (MEMORY.md, USER.md, memory/**/*.md) as a collection."""
        return self.collections.add_workspace(workspace, name, namespace)

    def collection_list(self, namespace: str | None = None) -> list[dict[str, Any]]:
        return self.collections.list(namespace)

    def collection_remove(self, name: str, namespace: str | None = None) -> dict[str, Any]:
        return self.collections.remove(name, namespace)

    def collection_update(self, namespace: str | None = None, name: str | None = None) -> dict[str, Any]:
        """Rescan collections by content hash (all of them when no namespace or name is given)."""
        return self.collections.update(namespace, name)

    def memory_search(
        self, namespace: str | None, session: dict[str, Any] | None = None, /, **params: Any
    ) -> dict[str, Any]:
        """Tool ``memory_search {query, maxResults?, minScore?, corpus?}`` (memory-core's shape)."""
        return self.memory_tools.search(namespace, session, params)

    def memory_get(
        self, namespace: str | None, session: dict[str, Any] | None = None, /, **params: Any
    ) -> dict[str, Any]:
        """Tool ``memory_get {path, from?, lines?}``: a bounded excerpt of a search result's path."""
        return self.memory_tools.get(namespace, session, params)

    # -- recall ledger (logic in ledger/ledger.py) ----------------------------------------

    def memory_recall(
        self, namespace: str | None, session: dict[str, Any] | None = None, *, query: str, limit: int | None = None
    ) -> dict[str, Any]:
        """Tool ``memory_recall``: relevant ledger entries as an untrusted block, plus a ticket."""
        return self.ledger.recall(query, namespace, limit=limit, session=session, via="tool")

    def memory_store(
        self, namespace: str | None, session: dict[str, Any] | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Tool ``memory_store``: ``question`` + ``answer`` (darwin) or ``text`` (memory-lancedb)."""
        return self.ledger.tool_store(namespace, fields)

    def memory_forget(
        self, namespace: str | None, session: dict[str, Any] | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Tool ``memory_forget``: by ``entryId``/``memoryId``, or candidates for a ``query``.
        A memory formed from the conversation (no ledger entry) is forgotten directly."""
        formed = self.formation.tool_forget(self._namespace(namespace), fields)
        return formed if formed is not None else self.ledger.tool_forget(namespace, fields)

    def before_prompt_build(
        self, namespace: str | None, session: dict[str, Any], event: dict[str, Any]
    ) -> dict[str, Any]:
        """Hook ``before_prompt_build`` (autoRecall): recalled memories for the current user
        message, as ``prependContext`` or ``appendSystemContext`` (context.recallPlacement)."""
        return self.context.before_prompt_build(namespace or self.settings.default_namespace, session, event)

    def memory_settle(
        self, namespace: str | None, session: dict[str, Any] | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Tool ``memory_settle`` (MCP): the run's outcome, ``success`` or ``delta``, for the
        session's open tickets or one ``ticketId``."""
        return self.ledger.tool_settle(namespace, session or {}, fields)

    def agent_end(self, namespace: str | None, session: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
        """Hook ``agent_end``: settle the session's open ledger tickets with the run's outcome;
        with ``capture``, store the turn's ``messages`` once (the context engine's commit path)."""
        out = {"ledger": self.ledger.on_agent_end(namespace, session, event)}
        if event.get("capture") and event.get("messages"):
            out["capture"] = self.context.capture(namespace or self.settings.default_namespace, session, event)
        return out

    def session_end(self, namespace: str | None, session: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
        """Hook ``session_end``: expire the session's still-open tickets (no credit); ``{expired: n}``."""
        return self.ledger.on_session_end(namespace, session, event)

    def ledger_recall(self, query: str, namespace: str | None = None, **kw: Any) -> dict[str, Any]:
        return self.ledger.recall(query, namespace, **kw)

    def ledger_store(self, namespace: str | None = None, **fields: Any) -> dict[str, Any]:
        return self.ledger.store_entry(namespace, **fields)

    def ledger_forget(self, entry_id: str, namespace: str | None = None) -> dict[str, Any]:
        return self.ledger.forget(entry_id, namespace)

    def ledger_settle(self, ticket_id: str, delta: float, namespace: str | None = None, **kw: Any) -> dict[str, Any]:
        return self.ledger.settle(ticket_id, delta, namespace, **kw)

    def ledger_settle_session(self, session_key: str, namespace: str | None = None, **kw: Any) -> dict[str, Any]:
        return self.ledger.settle_session(session_key, namespace, **kw)

    def ledger_tick(self, namespace: str | None = None, **kw: Any) -> dict[str, Any]:
        return self.ledger.tick(namespace, **kw)

    def ledger_show(self, entry_id: str, namespace: str | None = None) -> dict[str, Any]:
        return self.ledger.show(entry_id, namespace)

    def ledger_obituaries(self, namespace: str | None = None, **kw: Any) -> dict[str, Any]:
        return self.ledger.obituaries(namespace, **kw)

    def ledger_stats(self, namespace: str | None = None) -> dict[str, Any]:
        return self.ledger.stats(namespace)

    def ledger_restore(self, entry_id: str, namespace: str | None = None) -> dict[str, Any]:
        return self.ledger.restore(entry_id, namespace)

    def ledger_pin(self, entry_id: str, namespace: str | None = None, *, pinned: bool = True) -> dict[str, Any]:
        return self.ledger.pin(entry_id, namespace, pinned=pinned)

    def ledger_config(self, namespace: str | None = None, values: dict[str, Any] | None = None) -> dict[str, Any]:
        """The namespace's ledger economics; ``values`` (camelCase keys) are validated and persisted."""
        return self.ledger.set_config(values, namespace) if values else self.ledger.config(namespace)

    def import_darwin_memo(self, source: str | Path | dict[str, Any], namespace: str | None = None) -> dict[str, Any]:
        """Load a darwin-memo ledger file (path or parsed JSON) losslessly into the ledger."""
        from .ledger.darwin_import import import_darwin_memo

        return import_darwin_memo(self.ledger, source, namespace)

    # -- import / export (logic in importers/ and export.py) ---------------------------

    def import_source(
        self,
        source: str,
        path: str | Path,
        namespace: str | None = None,
        *,
        dry_run: bool = False,
        into: str = "memories",
        progress: Callable[[int, int], None] | None = None,
    ) -> dict[str, Any]:
        """Import a peer's memories (or a clawmemory export) idempotently, ``into`` plain
        memories or the recall ledger; the report."""
        from .importers import import_source

        return import_source(self, source, path, namespace, dry_run=dry_run, into=into, progress=progress)

    def export(self, out: Any, *, fmt: str = "jsonl", namespace: str | None = None) -> dict[str, int]:
        """Write every row needed to rebuild the store (one namespace, or all) to ``out``."""
        from . import export

        if fmt not in ("jsonl", "markdown"):
            raise InvalidInput("format must be 'jsonl' or 'markdown'", field="format")
        ns = self._namespace(namespace) if namespace is not None else None
        writer = export.write_jsonl if fmt == "jsonl" else export.write_markdown
        return writer(self.store.db, out, ns)

    # -- capture (tool-result observations; logic in capture/log.py) -------------------

    def ingest_observations(
        self, paths: Sequence[str | Path], namespace: str | None = None, *, missing_ok: bool = False
    ) -> dict[str, Any]:
        """Load new lines of captured-observation JSONL files (see :meth:`CaptureLog.ingest`)."""
        return self.capture.ingest(paths, namespace, missing_ok=missing_ok).to_dict()

    def follow_observations(self, paths: Sequence[str | Path], namespace: str | None = None, **kw: Any) -> None:
        """Keep ingesting what is appended to the files (see :meth:`CaptureLog.follow`)."""
        self.capture.follow(paths, namespace, **kw)

    # -- sidecar (the attention-state sidecar's status and provider block; sidecar/control.py)

    def sidecar_status(self, url: str | None = None) -> dict[str, Any]:
        """Host facts, the sidecar backend's requirements and the sidecar's live health."""
        return self.sidecar.status(url)

    def sidecar_provider_config(self, url: str | None = None, provider: str = "clawmemory-sidecar") -> dict[str, Any]:
        """The OpenClaw ``models.providers`` block that points at the sidecar."""
        return self.sidecar.provider_config(url, provider=provider)

    # -- status -------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counts of namespaces, memories, messages and indexed items."""
        return self.store.counts()

    def backends(self) -> dict[str, Any]:
        """Readiness of each search backend (embeddings load lazily: 'not loaded' is not an error)."""
        s = self.settings
        embed: dict[str, Any] = {"provider": s.embedding_provider}
        if s.embedding_provider == "none":
            embed["ready"] = False
        elif self._embedder is not None:
            embed.update(
                ready=True,
                model=self._embedder.model,
                dim=self._embedder.dim,
                worker=self.worker is not None and self.worker.is_alive(),
                last_error=self.worker.last_error if self.worker else None,
            )
        else:
            embed.update(ready=False, error=self._embedder_error or "not loaded yet")
        return {"lexical": True, "embeddings": embed}

    def health(self) -> dict[str, Any]:
        """What ``GET /health`` reports: version, store, schema, counts, backends."""
        return {
            "status": "ok",
            "version": __version__,
            "store": {
                "backend": self.store.dialect,
                "path": str(self.store.path),
                "schema_version": self.store.schema_version(),
            },
            "counts": self.stats(),
            "backends": self.backends(),
        }
