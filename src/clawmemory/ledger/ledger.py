"""The outcome-settled recall ledger.

``recall`` answers from ledger entries and opens a *ticket*; ``settle`` (or the
session's ``agent_end``) pays the entries the ticket involved with bounded
credit, exactly once; ``tick`` expires old tickets, buries the starved and the
executed (with obituaries, restorable) and merges near-duplicates found among
the nearest neighbours of entries that changed. Every operation is one store
transaction; settlement flips ``open`` → ``settled`` with a conditional UPDATE
inside ``BEGIN IMMEDIATE``, so two processes can never both apply it.

:class:`Ledger` is the one place that reads the core (namespaces, memory validation,
search, the shared lexical index) and the clock; the work is in the modules it composes:
``rows`` (SQL), ``recall``, ``entries``, ``settle``, ``tick``, ``reads`` and ``hooks``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .. import validation
from ..errors import InvalidInput
from ..retrieval.query import LexicalQuery
from ..store import NewMemory
from . import economics as eco
from . import entries, hooks, reads, recall, rows, settle, tick
from .config import DEFAULTS
from .rows import iso
from .tick import Ticker

if TYPE_CHECKING:
    from ..core import Core

Clock = Callable[[], datetime]
NEIGHBOUR_TERMS = 12  # rarest terms of an entry used to find its near-duplicates


class Ledger:
    """decide (recall) / settle / tick over ledger entries kept in the core's store."""

    def __init__(self, core: Core, clock: Clock | None = None) -> None:
        self.core = core
        self.store = core.store
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self._ticker: Ticker | None = None

    # -- what the ledger uses from the core ---------------------------------------------

    def ns(self, namespace: str | None) -> str:
        """The namespace's name (the default when None); NotFound when it does not exist."""
        return self.core.namespace(namespace)

    def new_memory(self, item: dict[str, Any], ns: str, prefix: str = "") -> NewMemory:
        """A validated, redacted memory ``item`` for ``ns`` (errors name ``prefix`` + field)."""
        return self.core.new_memory(item, ns, prefix)

    def neighbours(self, ns: str, text: str, k: int, exclude: str | None = None) -> list[tuple[str, str]]:
        """Up to ``k`` live ledger entries nearest to ``text`` (id, text), from the shared
        lexical index: BM25 over the text's rarest terms (a near-duplicate shares most of them,
        and rare terms have short postings). One index query, never a scan of the store."""
        index = self.core.lexical.index
        words = sorted(eco.term_set(text), key=lambda w: (index.df(w), w))[:NEIGHBOUR_TERMS]
        if not words:
            return []
        hits = self.core.lexical.search(LexicalQuery(optional=[[w] for w in words]), [ns], ["memory"], k + 4)
        ids = [h.row.ref_id for h in hits if h.row.ref_id != exclude]
        found = rows.entries(self.store.db, ids)
        return [(i, found[i]["text"]) for i in ids if i in found][:k]

    # -- config -------------------------------------------------------------------------

    def config(self, namespace: str | None = None) -> dict[str, Any]:
        """The namespace's economics (defaults plus what was set)."""
        ns = self.ns(namespace)
        return {"namespace": ns, "config": rows.config(rows.peek_state(self.store.db, ns)).to_dict()}

    def set_config(self, values: dict[str, Any], namespace: str | None = None) -> dict[str, Any]:
        """Persist settings (camelCase keys, see :class:`LedgerConfig`) for the namespace."""
        ns = self.ns(namespace)
        if not isinstance(values, dict):
            raise InvalidInput("config must be an object of settings", field="config")
        now = iso(self.clock())
        with self.store.transaction() as db:
            stored = rows.stored_config(rows.state(db, ns, now))
            cfg = DEFAULTS.merged({**stored, **values})  # validates
            stored.update({k: getattr(cfg, k) for k in values})
            stored = {k: list(v) if isinstance(v, tuple) else v for k, v in stored.items()}
            rows.save_config(db, ns, stored)
            rows.event(db, ns, "config", data={"set": stored}, at=now)
        return {"namespace": ns, "config": cfg.to_dict()}

    def entries_among(self, memory_ids: Sequence[str]) -> set[str]:
        """Which of ``memory_ids`` are ledger entries (alive or dead): their lifecycle is the ledger's."""
        return set(rows.entries(self.store.db, memory_ids, alive=False))

    # -- recall -------------------------------------------------------------------------

    def recall(
        self,
        query: str,
        namespace: str | None = None,
        *,
        limit: int | None = None,
        session: dict[str, Any] | None = None,
        via: str = "api",
    ) -> dict[str, Any]:
        """Answer ``query`` from live entries and open a ticket for the outcome (see :mod:`.recall`).
        Nothing relevant → a plain "no relevant memory" answer and no ticket."""
        ns = self.ns(namespace)
        state = rows.peek_state(self.store.db, ns)
        cfg = rows.config(state)
        limit = cfg.recallLimit if limit is None else validation.integer(limit, "limit", lo=1, hi=50)
        hits = self.core.search(query, ns, limit=min(1000, 4 * limit + 10), corpus="memory")
        picked = recall.rank(self.store.db, hits, state["cum_upkeep"], cfg, limit)
        if not picked:
            return recall.silent(ns, "no relevant memory")
        return recall.open_ticket(self.store, ns, query, picked, session=session or {}, via=via, opened=self.clock())

    # -- store / forget / pin / restore ---------------------------------------------------

    def store_entry(
        self,
        namespace: str | None = None,
        *,
        question: str | None = None,
        answer: str | None = None,
        text: str | None = None,
        source: str | None = None,
        category: str | None = None,
        importance: float | None = None,
        kind: str = "experience",
        via: str = "api",
    ) -> dict[str, Any]:
        """Write an entry at spawn energy, unless a live near-twin exists: then the twin is
        reinforced (nothing new) or merged with the new text (it adds something)."""
        ns = self.ns(namespace)
        if answer is None and text is not None:
            if question is not None:
                raise InvalidInput("give text, or question + answer, not both", field="text")
            answer = text
        if answer is None:
            raise InvalidInput("memory_store needs question + answer, or text", field="answer")
        item: dict[str, Any] = {
            "question": question,
            "answer": answer,
            "kind": "qa",
            "source": source,
            "category": category,
        }
        if importance is not None:
            item["importance"] = importance
        new = self.new_memory(item, ns)
        validation.label(kind, "kind")
        cfg = rows.config(rows.peek_state(self.store.db, ns))
        mine = eco.term_set(new.text)
        best: tuple[float, str] | None = None
        for nid, ntext in self.neighbours(ns, new.text, cfg.mergeNeighbours):
            sim = eco.jaccard(mine, eco.term_set(ntext))
            if best is None or sim > best[0]:
                best = (sim, nid)
        return entries.write(
            self.store,
            ns,
            new,
            best,
            kind=kind,
            source=source,
            via=via,
            now=iso(self.clock()),
            make=lambda i: self.new_memory(i, ns),
        )

    def store_entries(
        self, items: Sequence[dict[str, Any]], namespace: str | None = None, *, kind: str = "experience"
    ) -> dict[str, Any]:
        """Bulk write (one transaction): no write-time twin check, every entry is marked changed,
        so the next tick's consolidation merges near-duplicates among them."""
        ns = self.ns(namespace)
        prepared = [
            self.new_memory(
                {
                    "question": i.get("question"),
                    "answer": i.get("answer") or i.get("text"),
                    "kind": "qa",
                    "source": i.get("source"),
                    "category": i.get("category"),
                },
                ns,
                f"items[{n}].",
            )
            for n, i in enumerate(items)
        ]
        created = entries.write_many(self.store, ns, prepared, kind=kind, now=iso(self.clock()))
        if created >= 500:  # a bulk load: fold the new postings into the compact BM25 base now
            self.core.lexical.sync()
            self.core.lexical.index.merge()
        return {"namespace": ns, "items": len(items), "created": created}

    def forget(self, entry_id: str, namespace: str | None = None, *, via: str = "api") -> dict[str, Any]:
        """Mark an entry forgotten: out of recall and search at once, row and history kept.
        Pinned entries are refused (unpin first). Open tickets naming it stay settleable."""
        return entries.forget(self.store, self.ns(namespace), entry_id, via=via, now=iso(self.clock()))

    def pin(self, entry_id: str, namespace: str | None = None, *, pinned: bool = True) -> dict[str, Any]:
        """Pin (never starves, never merges, floors at 0) or unpin an entry."""
        return entries.pin(self.store, self.ns(namespace), entry_id, pinned=pinned, now=iso(self.clock()))

    def restore(self, entry_id: str, namespace: str | None = None) -> dict[str, Any]:
        """Bring a dead entry back (any cause): searchable again, at spawn energy."""
        return entries.restore(self.store, self.ns(namespace), entry_id, now=iso(self.clock()))

    # -- settlement -----------------------------------------------------------------------

    def settle(
        self,
        ticket_id: str,
        delta: float,
        namespace: str | None = None,
        *,
        scale: float | None = None,
        detail: str = "",
        via: str = "api",
    ) -> dict[str, Any]:
        """Settle one ticket with a measured ``delta`` (read at ``scale``, default the
        namespace's ``resourceScale``). Exactly once: a second settle changes nothing and
        says so (``settled: false`` with the reason)."""
        ns = self.ns(namespace)
        if isinstance(delta, bool) or not isinstance(delta, int | float):
            raise InvalidInput("delta must be a number", field="delta")
        if not math.isfinite(delta):
            return {"settled": False, "ticket": ticket_id, "reason": "non-finite delta rejected"}
        if scale is not None and (not isinstance(scale, int | float) or not scale > 0 or not math.isfinite(scale)):
            raise InvalidInput("scale must be a positive number", field="scale")
        return settle.settle(
            self.store, ns, ticket_id, delta, scale=scale, detail=detail, via=via, now=iso(self.clock())
        )

    def settle_session(
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
        """Settle every open ticket the session opened (``agent_end``) up to ``ended_at`` (when
        the run ended; default now): ``successDelta`` or ``failureDelta`` read at
        ``resourceScale``; the run's one bounded credit is split over its tickets. Upkeep
        advances one session when anything was settled. A replay delivered late (spooled
        while the daemon was down) so never settles tickets of a run that began after it."""
        ns = self.ns(namespace)
        if not session_key:
            return {"namespace": ns, "settled": 0, "tickets": [], "reason": "no session key"}
        now = iso(self.clock())
        return settle.settle_session(
            self.store,
            ns,
            session_key,
            success=success,
            delta=delta,
            overrides=overrides,
            detail=detail,
            via=via,
            now=now,
            until=min(now, iso(ended_at)) if ended_at is not None else now,
        )

    # -- tick -----------------------------------------------------------------------------

    def tick(self, namespace: str | None = None, *, force: bool = True, via: str = "cli") -> dict[str, Any]:
        """Ticket expiry, per-tick upkeep, deaths (with obituaries) and consolidation of the
        entries that changed since the last tick (see :mod:`.tick`)."""
        ns = self.ns(namespace)
        db = self.store.db
        state = rows.peek_state(db, ns)
        cfg = rows.config(state)
        if not force and not tick.due(state, cfg, self.clock()):
            return {"namespace": ns, "ticked": False, "reason": "not due"}
        # read-only neighbour searches, before the write lock
        plan = tick.consolidation_plan(db, ns, cfg, lambda text, k, exclude: self.neighbours(ns, text, k, exclude))
        return tick.tick(
            self.store, ns, plan, force=force, via=via, now=self.clock(), make=lambda i: self.new_memory(i, ns)
        )

    def tick_due(self) -> list[dict[str, Any]]:
        """Tick every namespace whose ``tickIntervalHours`` has elapsed (the cadence is
        persisted, so it survives restarts; two daemons never both tick one period)."""
        out = []
        for ns in rows.namespaces(self.store.db):
            result = self.tick(ns, force=False, via="schedule")
            if result.get("ticked"):
                out.append(result)
        return out

    def start_ticker(self, check_every_s: float = 60.0) -> Ticker:
        """Run :meth:`tick_due` in a daemon thread (the HTTP daemon starts this)."""
        self._ticker = Ticker(self.tick_due, check_every_s)
        self._ticker.start()
        return self._ticker

    # -- reads ----------------------------------------------------------------------------

    def show(self, entry_id: str, namespace: str | None = None, *, history: int = 100) -> dict[str, Any]:
        """One entry (alive or dead) with its balance, runway, open tickets and history."""
        return reads.show(self.store.db, self.ns(namespace), entry_id, history=history)

    def obituaries(self, namespace: str | None = None, *, limit: int = 50, cause: str | None = None) -> dict[str, Any]:
        """Dead entries, most recent first, each with its obituary (all restorable)."""
        ns = self.ns(namespace)
        validation.integer(limit, "limit", lo=1, hi=1000)
        if cause is not None and cause not in reads.CAUSES:
            raise InvalidInput("cause must be starved, executed, merged or forgotten", field="cause")
        return reads.obituaries(self.store.db, ns, limit=limit, cause=cause)

    def stats(self, namespace: str | None = None) -> dict[str, Any]:
        """Population, graveyard by cause, open tickets, energy, the upkeep clock."""
        return reads.stats(self.store.db, self.ns(namespace))

    # -- the OpenClaw tool / hook shapes (see :mod:`.hooks`) --------------------------------

    def tool_store(self, namespace: str | None, params: dict[str, Any]) -> dict[str, Any]:
        """``memory_store``: darwin form (question, answer, source) or memory-lancedb form
        (text, importance, category). Returns ``{content, details}``."""
        return hooks.stored(self.store_entry(namespace, **hooks.store_fields(params), via="tool"))

    def tool_forget(self, namespace: str | None, params: dict[str, Any]) -> dict[str, Any]:
        """``memory_forget``: forget ``entryId``/``memoryId``; with only ``query``, list the
        candidates (nothing is forgotten until the caller names one)."""
        entry_id, query = hooks.forget_target(params)
        if entry_id:
            return hooks.forgot(self.forget(entry_id, namespace, via="tool"))
        ns = self.ns(namespace)
        hits = [h for h in self.core.search(query, ns, limit=20, corpus="memory") if h.relevant]
        live = rows.entries(self.store.db, [h.id for h in hits])
        return hooks.candidates([h for h in hits if h.id in live])

    def tool_settle(self, namespace: str | None, session: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        """``memory_settle`` (MCP clients have no ``agent_end``): the run's outcome as ``success``
        (read as ``successDelta`` / ``failureDelta``) or a measured ``delta``, for one ``ticketId``
        or for every ticket the session opened that is still open. Exactly once, like agent_end."""
        success, delta, detail = hooks.outcome(params)
        ticket = params.get("ticketId")
        if ticket:
            if delta is None:
                cfg = rows.config(rows.peek_state(self.store.db, self.ns(namespace)))
                delta = cfg.successDelta if success else cfg.failureDelta
            return hooks.settled_ticket(ticket, self.settle(ticket, delta, namespace, detail=detail, via="tool"))
        out = self.settle_session(
            session.get("sessionKey"), namespace, success=success, delta=delta, detail=detail, via="tool"
        )
        return hooks.settled_session(out)

    def on_agent_end(self, namespace: str | None, session: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
        """``agent_end``: settle the session's open tickets with ``successDelta`` / ``failureDelta``
        (the plugin may pass its configured values in ``event.ledger``, and when the run ended
        in ``event.endedAt``)."""
        args = hooks.agent_end(session, event)
        return self.settle_session(args.pop("session_key"), namespace, via="agent_end", **args)

    def on_session_end(self, namespace: str | None, session: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
        """``session_end``: the run's outcome is unknown, so nothing is credited; the session's
        still-open tickets are closed as ``expired`` (the path ``tick`` takes) and one
        ``session_end`` event is logged. Replays expire nothing and log nothing more."""
        key, info = hooks.session_end(session, event)
        ns = self.ns(namespace)
        if not key:
            return {"expired": 0}
        return settle.end_session(self.store, ns, key, info, now=iso(self.clock()))
