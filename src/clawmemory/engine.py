"""The Engine: the one facade every adapter (HTTP, MCP, CLI, the JS plugins) calls.

It owns the store and the components, validates input, redacts secrets before
anything is written, and enforces namespaces on every read and write.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__, validation
from .errors import InvalidInput, NotFound
from .redaction import redact
from .retrieval.lexical import LexicalSearcher
from .retrieval.query import parse_query
from .settings import Settings, load_settings
from .store import Memory, NewMemory, SQLiteStore, Store

CORPORA = {"memory": ("memory",), "messages": ("message",), "all": ("memory", "message")}


@dataclass(frozen=True)
class StoreResult:
    memory: Memory
    created: bool

    def to_dict(self) -> dict[str, Any]:
        return {"created": self.created, "memory": self.memory.to_dict()}


@dataclass(frozen=True)
class SearchHit:
    """One search result: the item, where it came from and how it scored."""

    id: str
    corpus: str
    namespace: str
    text: str
    score: float
    text_score: float
    container: str | None = None
    kind: str | None = None
    category: str | None = None
    created_at: str | None = None
    relevant: bool = True  # clears the calibrated relevance floor

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


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
        self.store: Store = store or SQLiteStore(settings.db_path)
        self.lexical = LexicalSearcher(self.store)

    @classmethod
    def open(cls, home: str | Path | None = None, **overrides: Any) -> Engine:
        """Open the engine on a data dir (see :func:`clawmemory.settings.load_settings`)."""
        return cls(load_settings(home, **overrides))

    def close(self) -> None:
        self.store.close()

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
            source=source,
            importance=validation.number(item.get("importance", 0.5), f"{prefix}importance", lo=0, hi=1),
            category=validation.label(category, f"{prefix}category") if category is not None else None,
            metadata=metadata,
        )

    def store_memory(self, namespace: str | None = None, **fields: Any) -> StoreResult:
        """Store one memory. Fields: ``text`` (or ``question`` + ``answer``), ``kind``,
        ``source``, ``importance`` (0..1), ``category``, ``metadata``.
        Storing the same content twice returns the existing memory (``created=False``)."""
        return self.store_memories([fields], namespace)[0]

    def store_memories(self, items: Sequence[dict[str, Any]], namespace: str | None = None) -> list[StoreResult]:
        """Store many memories in one transaction (all or nothing)."""
        ns = self._namespace(namespace)
        prepared = [self._new_memory(item, ns, f"items[{i}]." if len(items) > 1 else "")
                    for i, item in enumerate(items)]
        return [StoreResult(m, created) for m, created in self.store.add_memories(prepared)]

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
    ) -> Page:
        """Memories newest first, with filters and paging."""
        ns = self._namespace(namespace)
        if status not in ("active", "forgotten"):
            raise InvalidInput("status must be 'active' or 'forgotten'", field="status")
        validation.integer(limit, "limit", lo=1, hi=1000)
        validation.integer(offset, "offset", lo=0, hi=10**9)
        items, total = self.store.list_memories(
            ns, kind=kind, category=category, status=status, limit=limit, offset=offset
        )
        return Page(items, total, limit, offset)

    def forget(self, memory_id: str, namespace: str | None = None) -> Memory:
        """Mark a memory forgotten: out of search, kept for audit."""
        memory = self.get_memory(memory_id, namespace)
        return self.store.forget_memory(memory.id) or memory

    # -- search -------------------------------------------------------------------------

    def search(
        self,
        query: str,
        namespace: str | None = None,
        *,
        limit: int | None = None,
        corpus: str = "all",
        shared: Iterable[str] = (),
    ) -> list[SearchHit]:
        """Lexical (BM25, any-word) search in ``namespace`` plus optional ``shared`` ones.

        ``corpus``: ``memory``, ``messages`` or ``all``.
        """
        ns = self._namespace(namespace)
        spaces = [ns, *(self._namespace(s) for s in shared)]
        if corpus not in CORPORA:
            raise InvalidInput(f"corpus must be one of {sorted(CORPORA)}", field="corpus")
        limit = self.settings.search_limit if limit is None else limit
        validation.integer(limit, "limit", lo=1, hi=1000)
        parsed = parse_query(query, max_chars=self.settings.max_query_chars)
        if parsed.is_empty():
            return []
        hits = self.lexical.search(parsed, spaces, CORPORA[corpus], limit)
        memories = self.store.get_memories(h.row.ref_id for h in hits if h.row.corpus == "memory")
        messages = self.store.get_messages(h.row.ref_id for h in hits if h.row.corpus == "message")
        out = []
        for hit in hits:
            ref = hit.row.ref_id
            if ref in memories:
                m = memories[ref]
                out.append(SearchHit(m.id, "memory", m.namespace, m.text, hit.score, hit.score,
                                     None, m.kind, m.category, m.created_at))
            elif ref in messages:
                g = messages[ref]
                out.append(SearchHit(g.id, "message", g.namespace, g.text, hit.score, hit.score,
                                     g.session_key, g.role, None, g.created_at))
        return out

    # -- status -------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counts of namespaces, memories, messages and indexed items."""
        return self.store.counts()

    def health(self) -> dict[str, Any]:
        """What ``GET /health`` reports: version, store, schema, counts, backends."""
        return {
            "status": "ok",
            "version": __version__,
            "store": {
                "backend": "sqlite",
                "path": str(self.store.path),
                "schema_version": self.store.schema_version(),
            },
            "counts": self.stats(),
            "backends": {"lexical": True},
        }
