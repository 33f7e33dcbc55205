"""The Engine: the one facade every adapter (HTTP, MCP, CLI, the JS plugins) calls.

It builds the :class:`~clawmemory.core.Core` and the components on it, wires them
(corpora, the validity hook, who tells whom), validates input, redacts secrets before
anything is written, and enforces namespaces on every read and write.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from . import __version__, validation
from .capture import CORPUS as OBSERVATIONS
from .capture import CaptureLog, IngestReport
from .collections import CORPUS as CHUNKS
from .collections import Collections
from .context import ContextEngine
from .core import Core
from .errors import InvalidInput, NotFound, Unavailable
from .formation import Formation
from .ledger import Ledger
from .memories import MESSAGE_ROLES
from .retrieval.corpora import Corpora
from .retrieval.deep import DeepSearch
from .retrieval.embeddings import Embedder
from .retrieval.hits import SearchHit
from .retrieval.lexical import LexicalSearcher
from .retrieval.search import Searcher
from .retrieval.worker import EmbeddingBackfill, EmbeddingWorker
from .settings import Settings, load_settings
from .sidecar import SidecarControl
from .store import Memory, Store
from .tools import MemoryTools

log = logging.getLogger("clawmemory.engine")

__all__ = ["MESSAGE_ROLES", "Engine", "Page", "SearchHit", "StoreResult"]


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
        self.core = core = Core(settings, store)
        self.store: Store = core.store
        self.ledger = Ledger(core)  # the outcome-settled recall ledger (ledger/)
        self.capture = CaptureLog(core)  # tool-result observations (capture/log.py)
        self.context = ContextEngine(core)  # OpenClaw context engine (context/engine.py)
        self.sidecar = SidecarControl(settings.home)  # attention-state sidecar: settings, status
        self.collections = Collections(core)  # markdown collections (collections/)
        self.memory_tools = MemoryTools(core, self.collections)  # memory_search / memory_get (tools/)
        core.corpora.register(OBSERVATIONS, self.capture.hydrate, name="observations", in_all=False)
        core.corpora.register(CHUNKS, self.collections.hydrate, name="collections")
        core.corpora.alias("knowledge", ("memory", CHUNKS))
        self.formation = Formation(core, self.ledger.entries_among)  # memories formed from committed turns

    @property
    def formation(self) -> Formation:
        return self._formation

    @formation.setter
    def formation(self, formation: Formation) -> None:
        """Wire ``formation`` in: the core's validity hook (superseded memories out, the
        later-stated first), the context engine's commits, memory_search's predecessors."""
        self._formation = formation
        self.core.use_validity(formation)
        self.context.on_commit = formation.enqueue
        self.memory_tools.predecessors = formation.predecessors

    @classmethod
    def open(cls, home: str | Path | None = None, **overrides: Any) -> Engine:
        """Open the engine on a data dir (see :func:`clawmemory.settings.load_settings`)."""
        return cls(load_settings(home, **overrides))

    def close(self) -> None:
        self.core.stop_background()
        self.formation.close()
        self.context.close()
        self.store.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the core's parts, for adapters, tests and benchmarks ----------------------------

    @property
    def corpora(self) -> Corpora:
        return self.core.corpora

    @property
    def lexical(self) -> LexicalSearcher:
        return self.core.lexical

    @property
    def searcher(self) -> Searcher:
        return self.core.searcher

    @property
    def deep(self) -> DeepSearch:
        return self.core.deep

    @property
    def worker(self) -> EmbeddingWorker | None:
        return self.core.worker

    # -- embeddings ---------------------------------------------------------------------

    def embedder(self) -> Embedder | None:
        """The configured embedder (loaded on first use), or None when off or failed to load."""
        return self.core.embedder()

    def start_background(self) -> None:
        """Start the embedding worker (the daemon does this; CLI commands do not)."""
        self.core.start_background()

    def embed(self, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
        """Embed every item that lacks a vector from the current model (foreground backfill)."""
        embedder = self.embedder()
        if embedder is None:
            raise Unavailable(self.core.embedder_error or "embedding_provider is 'none'")
        backfill = EmbeddingBackfill(self.store, embedder)
        pending = backfill.pending()
        done = backfill.run(progress)
        return {"model": embedder.model, "dim": embedder.dim, "pending": pending, "embedded": done}

    # -- namespaces ---------------------------------------------------------------------

    def ensure_namespace(self, name: str) -> dict[str, Any]:
        """Create a namespace if it does not exist (idempotent)."""
        return self.core.ensure_namespace(name)

    def namespaces(self) -> list[dict[str, Any]]:
        """Every namespace with its counts."""
        return self.store.list_namespaces()

    # -- memories -----------------------------------------------------------------------

    def store_memory(self, namespace: str | None = None, **fields: Any) -> StoreResult:
        """Store one memory. Fields: ``text`` (or ``question`` + ``answer``), ``kind``,
        ``source``, ``importance`` (0..1), ``category``, ``metadata``.
        Storing the same content twice returns the existing memory (``created=False``)."""
        return self.store_memories([fields], namespace)[0]

    def store_memories(self, items: Sequence[dict[str, Any]], namespace: str | None = None) -> list[StoreResult]:
        """Store many memories in one transaction (all or nothing)."""
        ns = self.core.namespace(namespace)
        prepared = [
            self.core.new_memory(item, ns, f"items[{i}]." if len(items) > 1 else "") for i, item in enumerate(items)
        ]
        results = [StoreResult(m, created) for m, created in self.store.add_memories(prepared)]
        return results

    def get_memory(self, memory_id: str, namespace: str | None = None) -> Memory:
        """One memory by id; it must belong to ``namespace``."""
        ns = self.core.namespace(namespace)
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
        ns = self.core.namespace(namespace)
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
        return self.formation.history(self.core.namespace(namespace), limit)

    def restore_memory(self, memory_id: str, namespace: str | None = None) -> dict[str, Any]:
        """Put a superseded memory back into recall."""
        return self.formation.restore(memory_id, self.core.namespace(namespace))

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
        ns = self.core.namespace(namespace)
        key = validation.text(session_key, "session_key", max_chars=512)
        if not isinstance(messages, list | tuple):
            raise InvalidInput("messages must be a list", field="messages")
        prepared = [self.core.new_message(ns, key, m, f"messages[{i}].") for i, m in enumerate(messages)]
        stored = self.store.add_messages(prepared)
        return [{"id": m.id, "seq": m.seq, "created": created} for m, created in stored]

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
        """Search ``namespace`` plus optional ``shared`` ones; best first (see :meth:`Core.search`)."""
        return self.core.search(
            query,
            namespace,
            limit=limit,
            corpus=corpus,
            shared=shared,
            mode=mode,
            granularity=granularity,
            as_of=as_of,
            deep=deep,
        )

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
        formed = self.formation.tool_forget(self.core.namespace(namespace), fields)
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

    def ledger_recall(
        self,
        query: str,
        namespace: str | None = None,
        *,
        limit: int | None = None,
        session: dict[str, Any] | None = None,
        via: str = "api",
    ) -> dict[str, Any]:
        return self.ledger.recall(query, namespace, limit=limit, session=session, via=via)

    def ledger_store(self, namespace: str | None = None, **fields: Any) -> dict[str, Any]:
        return self.ledger.store_entry(namespace, **fields)

    def ledger_forget(self, entry_id: str, namespace: str | None = None) -> dict[str, Any]:
        return self.ledger.forget(entry_id, namespace)

    def ledger_settle(
        self,
        ticket_id: str,
        delta: float,
        namespace: str | None = None,
        *,
        scale: float | None = None,
        detail: str = "",
        via: str = "api",
    ) -> dict[str, Any]:
        return self.ledger.settle(ticket_id, delta, namespace, scale=scale, detail=detail, via=via)

    def ledger_settle_session(
        self,
        session_key: str | None,
        namespace: str | None = None,
        *,
        success: bool | None = None,
        delta: float | None = None,
        overrides: dict[str, Any] | None = None,
        detail: str = "",
        via: str = "agent_end",
        ended_at: datetime | None = None,
    ) -> dict[str, Any]:
        return self.ledger.settle_session(
            session_key,
            namespace,
            success=success,
            delta=delta,
            overrides=overrides,
            detail=detail,
            via=via,
            ended_at=ended_at,
        )

    def ledger_tick(self, namespace: str | None = None, *, force: bool = True, via: str = "cli") -> dict[str, Any]:
        return self.ledger.tick(namespace, force=force, via=via)

    def ledger_show(self, entry_id: str, namespace: str | None = None) -> dict[str, Any]:
        return self.ledger.show(entry_id, namespace)

    def ledger_obituaries(
        self, namespace: str | None = None, *, limit: int = 50, cause: str | None = None
    ) -> dict[str, Any]:
        return self.ledger.obituaries(namespace, limit=limit, cause=cause)

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
        from .importers.runner import Target

        target = Target(self.core, self.ledger, self.capture)
        return import_source(target, source, path, namespace, dry_run=dry_run, into=into, progress=progress)

    def export(self, out: Any, *, fmt: str = "jsonl", namespace: str | None = None) -> dict[str, int]:
        """Write every row needed to rebuild the store (one namespace, or all) to ``out``."""
        from . import export

        if fmt not in ("jsonl", "markdown"):
            raise InvalidInput("format must be 'jsonl' or 'markdown'", field="format")
        ns = self.core.namespace(namespace) if namespace is not None else None
        writer = export.write_jsonl if fmt == "jsonl" else export.write_markdown
        return writer(self.store.db, out, ns)

    # -- capture (tool-result observations; logic in capture/log.py) -------------------

    def ingest_observations(
        self, paths: Sequence[str | Path], namespace: str | None = None, *, missing_ok: bool = False
    ) -> dict[str, Any]:
        """Load new lines of captured-observation JSONL files (see :meth:`CaptureLog.ingest`)."""
        return self.capture.ingest(paths, namespace, missing_ok=missing_ok).to_dict()

    def follow_observations(
        self,
        paths: Sequence[str | Path],
        namespace: str | None = None,
        *,
        interval: float = 2.0,
        should_stop: Callable[[], bool] = lambda: False,
        on_pass: Callable[[IngestReport], None] = lambda r: None,
    ) -> None:
        """Keep ingesting what is appended to the files (see :meth:`CaptureLog.follow`)."""
        self.capture.follow(paths, namespace, interval=interval, should_stop=should_stop, on_pass=on_pass)

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
        elif (embedder := self.core.loaded_embedder) is not None:
            worker = self.core.worker
            embed.update(
                ready=True,
                model=embedder.model,
                dim=embedder.dim,
                worker=worker is not None and worker.is_alive(),
                last_error=worker.last_error if worker else None,
            )
        else:
            embed.update(ready=False, error=self.core.embedder_error or "not loaded yet")
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
