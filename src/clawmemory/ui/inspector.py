"""The inspector: what the web UI (``/ui``) reads and does, composed from the components'
own read functions (no SQL here). One method per page or action; each returns plain dicts."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from .. import validation
from ..capture import views as capture_views
from ..context import views as context_views
from ..errors import Conflict, InvalidInput, NotFound
from ..ledger import views as ledger_views
from ..openclaw.doctor import run_doctor

if TYPE_CHECKING:
    from ..engine import Engine

ACTIONS = ("forget", "restore", "pin", "unpin")
SEARCH_DEPTH = 1000  # lexical matches a memories-page search narrows to
VALIDITY = ("current", "superseded")
SECRET_SETTINGS = ("embedding_api_key", "llm_api_key")


class Inspector:
    """Read models and the few actions the web inspector offers, over one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._facets: dict[tuple[str, str], tuple[tuple[int, int], dict[str, Any]]] = {}

    def facets(self, namespace: str, status: str) -> dict[str, dict[str, int]]:
        """The store's facet counts, cached until the index watermarks move (any write that
        adds, forgets or restores a memory moves them; reading them costs two index lookups)."""
        marks = self.engine.store.index_watermarks()
        cached = self._facets.get((namespace, status))
        if cached is None or cached[0] != marks:
            cached = (marks, self.engine.store.memory_facets(namespace, status))
            self._facets[(namespace, status)] = cached
        return cached[1]

    # -- namespaces and memories --------------------------------------------------------

    def namespaces(self) -> list[dict[str, Any]]:
        """Every namespace with memory, message, observation and live-entry counts."""
        out = []
        for ns in self.engine.namespaces():
            ledger = self.engine.ledger_stats(ns["name"])
            out.append(
                {
                    **ns,
                    "observations": self.engine.capture.count(ns["name"]),
                    "entries_alive": ledger["alive"],
                    "graveyard": ledger["graveyard"],
                    "open_tickets": ledger["pending_tickets"],
                }
            )
        return out

    def memories(
        self,
        namespace: str | None,
        *,
        contains: str | None = None,
        kind: str | None = None,
        category: str | None = None,
        status: str = "active",
        validity: str | None = None,
        limit: int = 50,
        before: str | None = None,
    ) -> dict[str, Any]:
        """A page of memories newest first with the namespace's facets; ``before`` (a page's
        ``next_before``) pages by key, so every page is an index seek. ``contains`` narrows
        active memories to their best ``SEARCH_DEPTH`` lexical matches (BM25, any word) and
        forgotten ones (not indexed) by substring. ``validity`` filters only where the store has
        validity columns (``validity_supported``)."""
        if validity and validity not in VALIDITY:
            raise InvalidInput(f"validity must be one of {list(VALIDITY)}", field="validity")
        ns = self.engine.core.namespace(namespace)
        if contains:
            validation.text(contains, "q", max_chars=self.engine.settings.max_query_chars)
        ids, matched = None, None
        if contains and status == "active":  # the lexical index: fast at any size
            hits = self.engine.search(contains, ns, limit=SEARCH_DEPTH, corpus="memory", mode="lexical")
            ids, matched, contains = [h.id for h in hits], len(hits), None
        cursor = tuple(before.split("|", 1)) if before else None
        if cursor is not None and len(cursor) != 2:
            raise InvalidInput("before must be 'created_at|id' (the previous page's last memory)", field="before")
        page = self.engine.list_memories(
            ns,
            kind=kind or None,
            category=category or None,
            status=status,
            limit=limit + 1,
            contains=contains,
            validity=validity or None,
            ids=ids,
            before=cursor,
        )
        items = [m.to_dict() for m in page.items[:limit]]
        more = len(page.items) > limit  # one extra row asked for: is there an older page?
        return {
            "namespace": ns,
            "items": items,
            "total": page.total,
            "limit": limit,
            "before": before,
            "next_before": f"{items[-1]['created_at']}|{items[-1]['id']}" if more else None,
            "facets": self.facets(ns, status),
            "validity_supported": self.engine.store.has_validity(),
            "matched": matched,
            "search_depth": SEARCH_DEPTH,
        }

    def memory(self, memory_id: str, namespace: str | None = None) -> dict[str, Any]:
        """One memory; for a ledger entry also its entry (balance, history, obituary) and the
        balance at each event."""
        memory = self.engine.get_memory(memory_id, namespace)
        out: dict[str, Any] = {"memory": memory.to_dict(), "entry": None, "energy": []}
        try:
            out["entry"] = self.engine.ledger_show(memory.id, memory.namespace)
        except NotFound:
            return out
        out["energy"] = ledger_views.energy_points(self.engine.ledger, memory.namespace, [memory.id]).get(memory.id, [])
        return out

    def memory_action(self, memory_id: str, action: str, namespace: str | None = None) -> dict[str, Any]:
        """``forget``, ``restore``, ``pin`` or ``unpin`` a memory; ledger entries go through the
        ledger (graveyard, escrow, energy), other memories through the store. Pinning applies
        to ledger entries only."""
        if action not in ACTIONS:
            raise InvalidInput(f"action must be one of {list(ACTIONS)}", field="action")
        found = self.memory(memory_id, namespace)
        memory, entry = found["memory"], found["entry"]
        ns = memory["namespace"]
        if entry is not None:
            if action == "forget":
                return self.engine.ledger_forget(memory["id"], ns)
            if action == "restore":
                return self.engine.ledger_restore(memory["id"], ns)
            return self.engine.ledger_pin(memory["id"], ns, pinned=action == "pin")
        if action in ("pin", "unpin"):
            raise Conflict("only recall-ledger entries can be pinned", field="action")
        if action == "forget":
            return {"forgotten": True, "memory": self.engine.forget(memory["id"], ns).to_dict()}
        try:
            restored = self.engine.store.restore_memory(memory["id"])
        except sqlite3.IntegrityError as exc:
            raise Conflict("an identical memory is active; restore would duplicate it", field="id") from exc
        return {"restored": True, "memory": restored.to_dict() if restored else None}

    # -- search playground ----------------------------------------------------------------

    def explain_search(
        self, query: str, namespace: str | None = None, *, corpus: str = "all", mode: str | None = None, limit: int = 20
    ) -> dict[str, Any]:
        """Search, with each hit's parts: BM25 (lexical), query-term coverage, cosine
        (vector), the fused score, the relevance floor and, for ledger entries, energy, uses
        and the rank score recall would give it."""
        ns = self.engine.core.namespace(namespace)
        hits = self.engine.search(query, ns, limit=limit, corpus=corpus, mode=mode)
        energy = ledger_views.entry_parts(
            self.engine.ledger, ns, [(h.id, h.score) for h in hits if h.corpus == "memory" and h.relevant]
        )
        rows = [{**h.to_dict(), "ledger": energy.get(h.id)} for h in hits]
        return {
            "namespace": ns,
            "query": query,
            "corpus": corpus,
            "mode": mode or self.engine.settings.search_mode,
            "hits": rows,
            "floor": {"coverage": self.engine.settings.floor_coverage, "cosine": self.engine.settings.floor_cosine},
        }

    # -- ledger, conversations, observations, collections ---------------------------------

    def ledger(self, namespace: str | None = None) -> dict[str, Any]:
        """Stats, recent entries' balance over time, open tickets per session, settlements and
        obituaries."""
        ns = self.engine.core.namespace(namespace)
        energy = ledger_views.energy_points(self.engine.ledger, ns)
        titles = {m.id: m.question or m.text for m in self.engine.store.get_memories(energy).values()}
        return {
            "namespace": ns,
            "stats": self.engine.ledger_stats(ns),
            "energy": energy,
            "titles": titles,
            "open_tickets": ledger_views.open_tickets_by_session(self.engine.ledger, ns),
            "settlements": ledger_views.settlements(self.engine.ledger, ns),
            "obituaries": self.engine.ledger_obituaries(ns, limit=20)["obituaries"],
        }

    def conversations(self, namespace: str | None = None, *, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        """Sessions (most recent first), day files and the latest compaction summaries."""
        ns = self.engine.core.namespace(namespace)
        validation.integer(limit, "limit", lo=1, hi=500)
        validation.integer(offset, "offset", lo=0, hi=10**9)
        sessions, total = self.engine.store.list_sessions(ns, limit=limit, offset=offset)
        return {
            "namespace": ns,
            "sessions": sessions,
            "total": total,
            "limit": limit,
            "offset": offset,
            "daily_files": context_views.daily_files(self.engine.store, ns),
            "compactions": context_views.compactions(self.engine.store, ns, limit=10),
        }

    def session(self, session_key: str, namespace: str | None = None) -> dict[str, Any]:
        """One session's messages and compaction summaries."""
        ns = self.engine.core.namespace(namespace)
        messages = self.engine.store.list_messages(ns, session_key)
        if not messages:
            raise NotFound(f"no session {session_key!r} in namespace {ns!r}", field="session")
        return {
            "namespace": ns,
            "session_key": session_key,
            "messages": [m.to_dict() for m in messages],
            "compactions": context_views.compactions(self.engine.store, ns, session_key),
        }

    def observations(
        self, namespace: str | None = None, *, tool: str | None = None, limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        """Captured tool-result observations, newest first."""
        ns = self.engine.core.namespace(namespace)
        validation.integer(limit, "limit", lo=1, hi=500)
        validation.integer(offset, "offset", lo=0, hi=10**9)
        items, total = capture_views.recent(self.engine.store, ns, tool=tool or None, limit=limit, offset=offset)
        return {"namespace": ns, "items": items, "total": total, "limit": limit, "offset": offset}

    def collections(self, namespace: str | None = None) -> dict[str, Any]:
        ns = self.engine.core.namespace(namespace)
        return {"namespace": ns, "collections": self.engine.collection_list(ns)}

    # -- doctor and settings -----------------------------------------------------------

    def doctor(self, daemon_url: str) -> dict[str, Any]:
        """The daemon's health and ``clawmemory doctor``'s checks against this daemon."""
        s = self.engine.settings
        report = run_doctor(data_dir=s.home, daemon_url=daemon_url, token_file=s.token_path)
        return {"health": self.engine.health(), "doctor": report.to_dict()}

    def settings(self) -> dict[str, Any]:
        """Effective settings, API keys masked."""
        values = self.engine.settings.model_dump(mode="json")
        for key in SECRET_SETTINGS:
            if values.get(key):
                values[key] = "********"
        return values
