"""The outcome-settled recall ledger.

``recall`` answers from ledger entries and opens a *ticket*; ``settle`` (or the
session's ``agent_end``) pays the entries the ticket involved with bounded
credit, exactly once; ``tick`` expires old tickets, buries the starved and the
executed (with obituaries, restorable) and merges near-duplicates found among
the nearest neighbours of entries that changed. Every operation is one store
transaction; settlement flips ``open`` → ``settled`` with a conditional UPDATE
inside ``BEGIN IMMEDIATE``, so two processes can never both apply it.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .. import validation
from ..errors import Conflict, InvalidInput, NotFound
from ..redaction import redact
from ..retrieval.query import LexicalQuery
from ..store import NewMemory
from ..store.records import new_id
from ..store.sqlite import chunked_in
from . import economics as eco
from .config import DEFAULTS, LedgerConfig
from .render import NOTHING, escape, recall_block

if TYPE_CHECKING:
    from ..engine import Engine

Clock = Callable[[], datetime]
SESSION_KEYS = ("successDelta", "failureDelta", "resourceScale")
NEIGHBOUR_TERMS = 12  # rarest terms of an entry used to find its near-duplicates

_ENTRY_SQL = """
    SELECT l.*, m.question, m.answer, m.text, m.category, m.source AS memory_source
      FROM ledger_entries l JOIN memories m ON m.id = l.memory_id
"""


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Ledger:
    """decide (recall) / settle / tick over ledger entries kept in the engine's store."""

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self.engine = engine
        self.store = engine.store
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self._ticker: Ticker | None = None

    # -- state and config ---------------------------------------------------------------

    def _ns(self, namespace: str | None) -> str:
        return self.engine._namespace(namespace)

    def _state(self, db: sqlite3.Connection, ns: str) -> sqlite3.Row:
        """The namespace's ledger state (created on first use; call inside a transaction)."""
        row = db.execute("SELECT * FROM ledger_state WHERE namespace = ?", (ns,)).fetchone()
        if row is None:
            now = iso(self.clock())
            db.execute(
                "INSERT INTO ledger_state (namespace, last_tick_at, created_at) VALUES (?, ?, ?)", (ns, now, now)
            )
            row = db.execute("SELECT * FROM ledger_state WHERE namespace = ?", (ns,)).fetchone()
        return row

    def _peek_state(self, ns: str) -> dict[str, Any]:
        row = self.store.db.execute("SELECT * FROM ledger_state WHERE namespace = ?", (ns,)).fetchone()
        if row is None:
            return {
                "cum_upkeep": 0.0,
                "sessions": 0,
                "ticks": 0,
                "last_tick_at": None,
                "baseline": None,
                "baseline_n": 0,
                "config": "{}",
            }
        return dict(row)

    def _config(self, state: dict[str, Any] | sqlite3.Row) -> LedgerConfig:
        return DEFAULTS.merged(json.loads(state["config"] or "{}"))

    def config(self, namespace: str | None = None) -> dict[str, Any]:
        """The namespace's economics (defaults plus what was set)."""
        ns = self._ns(namespace)
        return {"namespace": ns, "config": self._config(self._peek_state(ns)).to_dict()}

    def set_config(self, values: dict[str, Any], namespace: str | None = None) -> dict[str, Any]:
        """Persist settings (camelCase keys, see :class:`LedgerConfig`) for the namespace."""
        ns = self._ns(namespace)
        if not isinstance(values, dict):
            raise InvalidInput("config must be an object of settings", field="config")
        with self.store.transaction() as db:
            state = self._state(db, ns)
            stored = json.loads(state["config"] or "{}")
            cfg = DEFAULTS.merged({**stored, **values})  # validates
            stored.update({k: getattr(cfg, k) for k in values})
            stored = {k: list(v) if isinstance(v, tuple) else v for k, v in stored.items()}
            db.execute("UPDATE ledger_state SET config = ? WHERE namespace = ?", (json.dumps(stored), ns))
            self._event(db, ns, "config", data={"set": stored})
        return {"namespace": ns, "config": cfg.to_dict()}

    def entries_among(self, memory_ids: Sequence[str]) -> set[str]:
        """Which of ``memory_ids`` are ledger entries (alive or dead): their lifecycle is the ledger's."""
        return set(self._rows(self.engine.store.db, memory_ids, alive=False))

    # -- rows ---------------------------------------------------------------------------

    def _event(
        self,
        db: sqlite3.Connection,
        ns: str,
        type_: str,
        *,
        entry: str | None = None,
        ticket: str | None = None,
        data: dict[str, Any] | None = None,
        at: str | None = None,
    ) -> None:
        db.execute(
            "INSERT INTO ledger_events (namespace, entry_id, ticket_id, type, at, data) VALUES (?, ?, ?, ?, ?, ?)",
            (ns, entry, ticket, type_, at or iso(self.clock()), json.dumps(data or {}, ensure_ascii=False)),
        )

    def _rows(self, db: sqlite3.Connection, ids: Sequence[str], *, alive: bool = True) -> dict[str, sqlite3.Row]:
        if not ids:
            return {}
        cond = " AND l.status = 'alive'" if alive else ""
        rows = chunked_in(db, _ENTRY_SQL + " WHERE l.memory_id IN ({marks})" + cond, dict.fromkeys(ids))
        return {row["memory_id"]: row for row in rows}

    def _find(self, db: sqlite3.Connection, ns: str, entry_id: str) -> sqlite3.Row:
        if not isinstance(entry_id, str) or not entry_id:
            raise InvalidInput("entry id must be a non-empty string", field="entryId")
        row = db.execute(
            f"{_ENTRY_SQL} WHERE l.namespace = ? AND (l.memory_id = ? OR l.origin_id = ?)", (ns, entry_id, entry_id)
        ).fetchone()
        if row is None:
            raise NotFound(f"no ledger entry {entry_id!r} in namespace {ns!r}", field="entryId")
        return row

    @staticmethod
    def _balance(row: sqlite3.Row | dict[str, Any], cum: float) -> float:
        return eco.balance(row["energy"], row["anchor"], cum, exempt=bool(row["exempt"]), pinned=bool(row["pinned"]))

    def _set_energy(
        self,
        db: sqlite3.Connection,
        memory_id: str,
        energy: float,
        cum: float,
        *,
        exempt: bool,
        pinned: bool,
        extra_sql: str = "",
        params: Sequence[Any] = (),
    ) -> None:
        due = eco.death_at(energy, cum, exempt=exempt, pinned=pinned)
        db.execute(
            f"UPDATE ledger_entries SET energy = ?, anchor = ?, death_at = ?{extra_sql} WHERE memory_id = ?",
            (energy, cum, due, *params, memory_id),
        )

    def entry_dict(self, row: sqlite3.Row, cum: float, cfg: LedgerConfig) -> dict[str, Any]:
        """One entry as the API shows it (balance now, runway in settled sessions)."""
        alive = row["status"] == "alive"
        now = self._balance(row, cum) if alive else row["energy"]
        runway = None
        if alive and not row["pinned"] and not row["exempt"] and cfg.upkeepPerSession > 0:
            runway = round(max(0.0, now) / cfg.upkeepPerSession, 1)
        return {
            "id": row["memory_id"],
            "origin_id": row["origin_id"],
            "namespace": row["namespace"],
            "question": row["question"],
            "answer": row["answer"],
            "text": row["text"],
            "category": row["category"],
            "kind": row["kind"],
            "sources": json.loads(row["sources"]),
            "energy": round(now, 6),
            "born_at": row["born_at"],
            "last_settled_at": row["last_settled_at"],
            "uses": row["uses"],
            "wins": row["wins"],
            "losses": row["losses"],
            "net_credit": round(row["net_credit"], 6),
            "lineage": json.loads(row["lineage"]),
            "merged_into": row["merged_into"],
            "pinned": bool(row["pinned"]),
            "exempt": bool(row["exempt"]),
            "probation": row["probation"],
            "status": row["status"],
            "cause": row["cause"],
            "died_at": row["died_at"],
            "runway_sessions": runway,
        }

    def _escrowed(self, db: sqlite3.Connection, ids: Iterable[str], *, besides: str | None = None) -> set[str]:
        sql = (
            "SELECT DISTINCT te.entry_id FROM ledger_ticket_entries te JOIN ledger_tickets t ON t.id = te.ticket_id "
            "WHERE t.status = 'open' AND t.id IS NOT ? AND te.entry_id IN ({marks})"
        )
        return {r[0] for r in chunked_in(db, sql, ids, [besides])}

    # -- neighbours (the shared search index, never all pairs) --------------------------

    def _neighbours(self, ns: str, text: str, k: int, *, exclude: str | None = None) -> list[tuple[str, str]]:
        """Up to ``k`` live ledger entries nearest to ``text`` (id, text), from the shared
        lexical index: BM25 over the text's rarest terms (a near-duplicate shares most of them,
        and rare terms have short postings). One index query, never a scan of the store."""
        index = self.engine.lexical.index
        words = sorted(eco.term_set(text), key=lambda w: (index.df(w), w))[:NEIGHBOUR_TERMS]
        if not words:
            return []
        hits = self.engine.lexical.search(LexicalQuery(optional=[[w] for w in words]), [ns], ["memory"], k + 4)
        ids = [h.row.ref_id for h in hits if h.row.ref_id != exclude]
        rows = self._rows(self.store.db, ids)
        return [(i, rows[i]["text"]) for i in ids if i in rows][:k]

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
        """Answer ``query`` from live entries and open a ticket for the outcome.

        Relevance (the search's calibrated floor) decides *what* is shown; energy and
        evidence only re-rank among relevant entries, by at most ``rankWeight``.
        Nothing relevant → a plain "no relevant memory" answer and no ticket."""
        ns = self._ns(namespace)
        state = self._peek_state(ns)
        cfg = self._config(state)
        limit = cfg.recallLimit if limit is None else validation.integer(limit, "limit", lo=1, hi=50)
        session = session or {}
        hits = self.engine.search(query, ns, limit=min(1000, 4 * limit + 10), corpus="memory")
        relevant = [h for h in hits if h.relevant]
        rows = self._rows(self.store.db, [h.id for h in relevant])
        candidates = [(h, rows[h.id]) for h in relevant if h.id in rows]
        if not candidates:
            return self._silent(ns, "no relevant memory")
        top = max(h.score for h, _ in candidates)
        cum = state["cum_upkeep"]
        scored = []
        for hit, row in candidates:
            if hit.score < cfg.supporterMinRatio * top:
                continue
            now = self._balance(row, cum)
            scored.append((eco.rank_score(hit.score, top, now, row["uses"], cfg), hit, row))
        scored.sort(key=lambda t: -t[0])
        picked = scored[:limit]
        ticket_id = new_id("tkt")
        opened = self.clock()
        with self.store.transaction() as db:
            st = self._state(db, ns)
            cum = st["cum_upkeep"]
            fresh = self._rows(db, [row["memory_id"] for _, _, row in picked])
            picked = [(s, h, fresh[r["memory_id"]]) for s, h, r in picked if r["memory_id"] in fresh]
            decider = next((r["memory_id"] for _, _, r in picked if r["probation"] <= 0), None)
            if decider is None:
                withheld = [r["memory_id"] for _, _, r in picked]
                return self._silent(
                    ns, "only probationary entries matched" if picked else "no relevant memory", withheld=withheld
                )
            entries = []
            for score, hit, row in picked:
                item = self.entry_dict(row, cum, cfg)
                item.update(
                    score=round(score, 6),
                    relevance=round(hit.score, 6),
                    role="decider" if row["memory_id"] == decider else "supporter",
                )
                entries.append(item)
            shown = recall_block(ticket_id, entries)
            expires = iso(opened + timedelta(hours=cfg.maxTicketAgeHours)) if cfg.maxTicketAgeHours > 0 else None
            db.execute(
                "INSERT INTO ledger_tickets (id, namespace, session_key, session_id, agent_id, query, shown, "
                "opened_at, expires_at, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    ticket_id,
                    ns,
                    session.get("sessionKey") or session.get("sessionId"),
                    session.get("sessionId"),
                    session.get("agentId"),
                    redact(query),
                    shown,
                    iso(opened),
                    expires,
                    json.dumps({"via": via}),
                ),
            )
            db.executemany(
                "INSERT INTO ledger_ticket_entries (ticket_id, entry_id, role, rank, score) VALUES (?, ?, ?, ?, ?)",
                [(ticket_id, e["id"], e["role"], n, e["score"]) for n, e in enumerate(entries)],
            )
        details = {
            "silent": False,
            "ticketId": ticket_id,
            "namespace": ns,
            "count": len(entries),
            "entries": [
                {
                    k: e[k]
                    for k in (
                        "id",
                        "role",
                        "score",
                        "relevance",
                        "energy",
                        "uses",
                        "question",
                        "answer",
                        "category",
                        "born_at",
                        "last_settled_at",
                    )
                }
                for e in entries
            ],
            "sessionKey": session.get("sessionKey") or session.get("sessionId"),
            "expiresAt": expires,
        }
        return {"content": shown, "details": details}

    def _silent(self, ns: str, reason: str, **extra: Any) -> dict[str, Any]:
        return {
            "content": NOTHING,
            "details": {
                "silent": True,
                "ticketId": None,
                "namespace": ns,
                "count": 0,
                "entries": [],
                "reason": reason,
                **extra,
            },
        }

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
        ns = self._ns(namespace)
        if answer is None and text is not None:
            if question is not None:
                raise InvalidInput("give text, or question + answer, not both", field="text")
            answer = text
        if answer is None:
            raise InvalidInput("memory_store needs question + answer, or text", field="answer")
        item = {"question": question, "answer": answer, "kind": "qa", "source": source, "category": category}
        if importance is not None:
            item["importance"] = importance
        new = self.engine._new_memory(item, ns)
        validation.label(kind, "kind")
        state = self._peek_state(ns)
        cfg = self._config(state)
        mine = eco.term_set(new.text)
        best: tuple[float, str] | None = None
        for nid, ntext in self._neighbours(ns, new.text, cfg.mergeNeighbours):
            sim = eco.jaccard(mine, eco.term_set(ntext))
            if best is None or sim > best[0]:
                best = (sim, nid)
        now = iso(self.clock())
        try:
            with self.store.transaction() as db:
                st = self._state(db, ns)
                cum = st["cum_upkeep"]
                twin = self._rows(db, [best[1]]).get(best[1]) if best and best[0] >= cfg.dedupThreshold else None
                if twin is not None:
                    if mine <= eco.term_set(twin["text"]):  # nothing new: reinforce the twin
                        return self._reinforce(db, ns, twin, cum, cfg, source, now, best[0])
                    if not twin["pinned"] and not self._escrowed(db, [twin["memory_id"]]):
                        created = self._create(db, ns, new, cfg, cum, kind, source, now)
                        if created["memory_id"] != twin["memory_id"]:
                            heir = self._merge(db, ns, [twin, created], cfg, cum, now, via="store")
                            return {
                                "action": "merged",
                                "entry": self.entry_dict(heir, cum, cfg),
                                "merged": [twin["memory_id"], created["memory_id"]],
                                "similarity": round(best[0], 4),
                            }
                    # pinned or escrowed twin: add the new entry; a later tick may merge them
                memory, is_new = self.store.add_memories([new])[0]
                if not is_new:
                    existing = self._rows(db, [memory.id]).get(memory.id)
                    if existing is not None:
                        return self._reinforce(db, ns, existing, cum, cfg, source, now, 1.0)
                row = self._insert_entry(
                    db, ns, memory.id, cfg, cum, kind, [source or "agent"], now, category=memory.category
                )
                self._event(db, ns, "birth", entry=memory.id, data={"via": via, "energy": cfg.spawnEnergy}, at=now)
            return {"action": "created", "entry": self.entry_dict(row, cum, cfg)}
        finally:
            self.engine.written()  # new index items: wake the embedding worker

    def store_entries(
        self, items: Sequence[dict[str, Any]], namespace: str | None = None, *, kind: str = "experience"
    ) -> dict[str, Any]:
        """Bulk write (one transaction): no write-time twin check, every entry is marked changed,
        so the next tick's consolidation merges near-duplicates among them."""
        ns = self._ns(namespace)
        prepared = [
            self.engine._new_memory(
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
        now = iso(self.clock())
        created = 0
        with self.store.transaction() as db:
            st = self._state(db, ns)
            cfg, cum = self._config(st), st["cum_upkeep"]
            for memory, is_new in self.store.add_memories(prepared):
                if not is_new and self._rows(db, [memory.id], alive=False).get(memory.id) is not None:
                    continue
                self._insert_entry(
                    db, ns, memory.id, cfg, cum, kind, [memory.source or "agent"], now, category=memory.category
                )
                created += 1
            self._event(db, ns, "bulk_store", at=now, data={"items": len(items), "created": created})
        self.engine.written()
        if created >= 500:  # a bulk load: fold the new postings into the compact BM25 base now
            self.engine.lexical.sync()
            self.engine.lexical.index.merge()
        return {"namespace": ns, "items": len(items), "created": created}

    def _create(
        self,
        db: sqlite3.Connection,
        ns: str,
        new: NewMemory,
        cfg: LedgerConfig,
        cum: float,
        kind: str,
        source: str | None,
        now: str,
    ) -> sqlite3.Row:
        memory, is_new = self.store.add_memories([new])[0]
        if not is_new:
            row = self._rows(db, [memory.id]).get(memory.id)
            if row is not None:
                return row
        row = self._insert_entry(db, ns, memory.id, cfg, cum, kind, [source or "agent"], now, category=memory.category)
        self._event(db, ns, "birth", entry=memory.id, data={"energy": cfg.spawnEnergy}, at=now)
        return row

    def _insert_entry(
        self,
        db: sqlite3.Connection,
        ns: str,
        memory_id: str,
        cfg: LedgerConfig,
        cum: float,
        kind: str,
        sources: list[str],
        now: str,
        *,
        category: str | None = None,
        energy: float | None = None,
        uses: int = 0,
        lineage: Sequence[str] = (),
        pinned: bool = False,
        probation: int = 0,
        origin_id: str | None = None,
        extra: dict[str, Any] | None = None,
        dirty: int = 1,
        last_settled_at: str | None = None,
        wins: int = 0,
        losses: int = 0,
        net_credit: float = 0.0,
        damaged: bool = False,
        born_at: str | None = None,
    ) -> sqlite3.Row:
        energy = cfg.spawnEnergy if energy is None else energy
        exempt = bool(category and category in cfg.upkeepExemptCategories)
        db.execute(
            """
            INSERT INTO ledger_entries (memory_id, namespace, origin_id, kind, sources, energy, anchor, death_at,
                                        exempt, pinned, probation, born_at, last_settled_at, uses, wins, losses,
                                        net_credit, damaged, lineage, dirty, extra)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (
                memory_id,
                ns,
                origin_id,
                kind,
                json.dumps(eco.union([sources])),
                energy,
                cum,
                eco.death_at(energy, cum, exempt=exempt, pinned=pinned),
                int(exempt),
                int(pinned),
                probation,
                born_at or now,
                last_settled_at,
                uses,
                wins,
                losses,
                net_credit,
                int(damaged),
                json.dumps(list(lineage)),
                dirty,
                json.dumps(extra or {}, ensure_ascii=False),
            ),
        )
        return self._rows(db, [memory_id], alive=False)[memory_id]

    def _reinforce(
        self,
        db: sqlite3.Connection,
        ns: str,
        row: sqlite3.Row,
        cum: float,
        cfg: LedgerConfig,
        source: str | None,
        now: str,
        similarity: float,
    ) -> dict[str, Any]:
        """A near-twin stored again: no new entry; its balance is topped up to spawn energy
        (never above what it had: re-storing cannot pump energy) and the source is recorded."""
        before = self._balance(row, cum)
        after = max(before, cfg.spawnEnergy)
        sources = eco.union([json.loads(row["sources"]), [source or "agent"]])
        self._set_energy(
            db,
            row["memory_id"],
            after,
            cum,
            exempt=bool(row["exempt"]),
            pinned=bool(row["pinned"]),
            extra_sql=", sources = ?",
            params=[json.dumps(sources)],
        )
        self._event(
            db,
            ns,
            "reinforce",
            entry=row["memory_id"],
            data={"before": round(before, 6), "after": round(after, 6), "similarity": round(similarity, 4)},
            at=now,
        )
        fresh = self._rows(db, [row["memory_id"]])[row["memory_id"]]
        return {"action": "reinforced", "entry": self.entry_dict(fresh, cum, cfg), "similarity": round(similarity, 4)}

    def _bury(
        self, db: sqlite3.Connection, ns: str, row: sqlite3.Row, cause: str, cum: float, now: str, **data: Any
    ) -> None:
        balance = self._balance(row, cum) if cause != "merged" else 0.0
        db.execute(
            "UPDATE ledger_entries SET status = 'dead', cause = ?, died_at = ?, energy = ?, anchor = ?, "
            "death_at = NULL, dirty = 0, merged_into = ? WHERE memory_id = ? AND status = 'alive'",
            (cause, now, balance, cum, data.get("merged_into"), row["memory_id"]),
        )
        self.store.forget_memory(row["memory_id"])  # out of search; the row stays (joins this transaction)
        self._event(
            db,
            ns,
            "death",
            entry=row["memory_id"],
            at=now,
            data={
                "cause": cause,
                "balance": round(balance, 6),
                "uses": row["uses"],
                "last_settled_at": row["last_settled_at"],
                **data,
            },
        )

    def forget(self, entry_id: str, namespace: str | None = None, *, via: str = "api") -> dict[str, Any]:
        """Mark an entry forgotten: out of recall and search at once, row and history kept.
        Pinned entries are refused (unpin first). Open tickets naming it stay settleable;
        a forgotten entry simply earns nothing more."""
        ns = self._ns(namespace)
        now = iso(self.clock())
        with self.store.transaction() as db:
            cum = self._state(db, ns)["cum_upkeep"]
            row = self._find(db, ns, entry_id)
            if row["status"] != "alive":
                return {"forgotten": False, "id": row["memory_id"], "reason": f"already dead ({row['cause']})"}
            if row["pinned"]:
                return {"forgotten": False, "id": row["memory_id"], "reason": "pinned; unpin first"}
            escrow = sorted(self._escrowed(db, [row["memory_id"]]))
            self._bury(db, ns, row, "forgotten", cum, now, via=via)
        return {"forgotten": True, "id": row["memory_id"], "open_tickets": escrow}

    def pin(self, entry_id: str, namespace: str | None = None, *, pinned: bool = True) -> dict[str, Any]:
        """Pin (never starves, never merges, floors at 0) or unpin an entry."""
        ns = self._ns(namespace)
        with self.store.transaction() as db:
            cum = self._state(db, ns)["cum_upkeep"]
            row = self._find(db, ns, entry_id)
            if row["status"] != "alive":
                raise Conflict(f"entry {row['memory_id']} is dead ({row['cause']}); restore it first", field="entryId")
            now_balance = self._balance(row, cum)
            if pinned:
                now_balance = max(0.0, now_balance)
            self._set_energy(
                db,
                row["memory_id"],
                now_balance,
                cum,
                exempt=bool(row["exempt"]),
                pinned=pinned,
                extra_sql=", pinned = ?",
                params=[int(pinned)],
            )
            self._event(db, ns, "pin" if pinned else "unpin", entry=row["memory_id"])
        return {"pinned" if pinned else "unpinned": True, "id": row["memory_id"]}

    def restore(self, entry_id: str, namespace: str | None = None) -> dict[str, Any]:
        """Bring a dead entry back (any cause): searchable again, at spawn energy."""
        ns = self._ns(namespace)
        now = iso(self.clock())
        with self.store.transaction() as db:
            st = self._state(db, ns)
            cfg, cum = self._config(st), st["cum_upkeep"]
            row = self._find(db, ns, entry_id)
            if row["status"] == "alive":
                return {"restored": False, "id": row["memory_id"], "reason": "alive"}
            try:
                self.store.restore_memory(row["memory_id"])  # back in the index (joins this transaction)
            except sqlite3.IntegrityError as exc:
                raise Conflict("an identical memory is active; restore would duplicate it", field="entryId") from exc
            energy = max(cfg.spawnEnergy, 0.0)
            db.execute(
                "UPDATE ledger_entries SET status = 'alive', cause = NULL, died_at = NULL, dirty = 0 "
                "WHERE memory_id = ?",
                (row["memory_id"],),
            )
            self._set_energy(db, row["memory_id"], energy, cum, exempt=bool(row["exempt"]), pinned=bool(row["pinned"]))
            self._event(db, ns, "restore", entry=row["memory_id"], data={"was": row["cause"], "energy": energy}, at=now)
            fresh = self._rows(db, [row["memory_id"]])[row["memory_id"]]
        self.engine.written()
        return {"restored": True, "entry": self.entry_dict(fresh, cum, cfg)}

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
        ns = self._ns(namespace)
        if isinstance(delta, bool) or not isinstance(delta, int | float):
            raise InvalidInput("delta must be a number", field="delta")
        if not math.isfinite(delta):
            return {"settled": False, "ticket": ticket_id, "reason": "non-finite delta rejected"}
        if scale is not None and (not isinstance(scale, int | float) or not scale > 0 or not math.isfinite(scale)):
            raise InvalidInput("scale must be a positive number", field="scale")
        now = iso(self.clock())
        with self.store.transaction() as db:
            st = self._state(db, ns)
            cfg = self._config(st)
            outcome = "abandoned" if delta == 0 else "measured"
            out = self._settle_tickets(
                db,
                ns,
                st,
                cfg,
                [ticket_id],
                float(delta),
                scale or cfg.resourceScale,
                outcome,
                detail,
                via,
                now,
                split=False,
            )
        result = out["tickets"][0]
        return result | {"credit": out["credit"]} if result["settled"] else result

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
        ns = self._ns(namespace)
        if not session_key:
            return {"namespace": ns, "settled": 0, "tickets": [], "reason": "no session key"}
        now = iso(self.clock())
        until = min(now, iso(ended_at)) if ended_at is not None else now
        with self.store.transaction() as db:
            st = self._state(db, ns)
            cfg = self._config(st)
            if overrides:
                cfg = cfg.merged({k: v for k, v in overrides.items() if k in SESSION_KEYS})
            if delta is None:
                if success is None:
                    raise InvalidInput("give success or delta", field="success")
                delta = cfg.successDelta if success else cfg.failureDelta
                outcome = "success" if success else "failure"
            else:
                outcome = "measured"
            ids = [
                r[0]
                for r in db.execute(
                    "SELECT id FROM ledger_tickets WHERE namespace = ? AND session_key = ? AND status = 'open' "
                    "AND opened_at <= ? ORDER BY opened_at, id",
                    (ns, session_key, until),
                )
            ]
            if not ids:
                return {"namespace": ns, "settled": 0, "tickets": [], "outcome": outcome, "delta": delta}
            cum = st["cum_upkeep"] + cfg.upkeepPerSession
            db.execute("UPDATE ledger_state SET cum_upkeep = ?, sessions = sessions + 1 WHERE namespace = ?", (cum, ns))
            st = self._state(db, ns)
            out = self._settle_tickets(
                db,
                ns,
                st,
                cfg,
                ids,
                float(delta),
                cfg.resourceScale,
                outcome,
                detail,
                via,
                now,
                split=cfg.splitSessionCredit,
            )
        settled = [t for t in out["tickets"] if t["settled"]]
        return {
            "namespace": ns,
            "settled": len(settled),
            "tickets": out["tickets"],
            "outcome": outcome,
            "delta": delta,
            "credit": out["credit"],
            "upkeep_charged": cfg.upkeepPerSession,
        }

    def _settle_tickets(
        self,
        db: sqlite3.Connection,
        ns: str,
        st: sqlite3.Row,
        cfg: LedgerConfig,
        ids: Sequence[str],
        delta: float,
        scale: float,
        outcome: str,
        detail: str,
        via: str,
        now: str,
        *,
        split: bool,
    ) -> dict[str, Any]:
        cum = st["cum_upkeep"]
        baseline = st["baseline"]
        total = eco.credit(delta, scale, baseline, cfg) if outcome not in ("expired", "abandoned") else 0.0
        per_ticket = total / len(ids) if split and ids else total
        results = []
        touched: dict[str, sqlite3.Row] = {}
        status = {"expired": "expired", "abandoned": "abandoned"}.get(outcome, "settled")
        for ticket_id in ids:
            cur = db.execute(
                "UPDATE ledger_tickets SET status = ?, closed_at = ? "
                "WHERE id = ? AND namespace = ? AND status = 'open'",
                (status, now, ticket_id, ns),
            )
            if cur.rowcount == 0:
                row = db.execute(
                    "SELECT status FROM ledger_tickets WHERE id = ? AND namespace = ?", (ticket_id, ns)
                ).fetchone()
                reason = "unknown ticket" if row is None else f"already {row['status']}"
                results.append({"settled": False, "ticket": ticket_id, "reason": reason})
                continue
            members = db.execute(
                "SELECT entry_id, role FROM ledger_ticket_entries WHERE ticket_id = ? ORDER BY rank", (ticket_id,)
            ).fetchall()
            rows = self._rows(db, [m["entry_id"] for m in members])
            applied = []
            for m in members:
                row = rows.get(m["entry_id"])
                amount = per_ticket * (1.0 if m["role"] == "decider" else cfg.supporterShare)
                if row is None:  # died or forgotten meanwhile: nothing to pay
                    applied.append({"entry": m["entry_id"], "role": m["role"], "credit": 0.0, "alive": False})
                    continue
                if amount != 0.0:
                    row = self._credit(db, ns, row, amount, cum, cfg, now, ticket_id, delta, detail)
                    rows[m["entry_id"]] = row
                    touched[m["entry_id"]] = row
                applied.append(
                    {
                        "entry": m["entry_id"],
                        "role": m["role"],
                        "credit": round(amount, 6),
                        "energy": round(self._balance(row, cum), 6),
                    }
                )
            db.execute(
                "INSERT INTO ledger_settlements (ticket_id, namespace, outcome, delta, scale, baseline, credit, "
                "detail, via, settled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (ticket_id, ns, outcome, delta, scale, baseline, per_ticket, detail, via, now),
            )
            self._event(
                db,
                ns,
                "settle",
                ticket=ticket_id,
                at=now,
                data={"outcome": outcome, "delta": delta, "credit": round(per_ticket, 6), "applied": applied},
            )
            results.append({"settled": True, "ticket": ticket_id, "outcome": outcome, "applied": applied})
        # Escrow released: bury what these settlements drained, unless another open ticket holds it.
        buried = self._sweep(db, ns, touched, cum, now)
        for r in results:
            if r["settled"]:
                r["buried"] = [a["entry"] for a in r["applied"] if a["entry"] in buried]
        if total != 0.0 and any(r["settled"] for r in results):
            db.execute(
                "UPDATE ledger_state SET baseline = ?, baseline_n = baseline_n + 1 WHERE namespace = ?",
                (eco.update_baseline(baseline, st["baseline_n"], delta, cfg.baselineAlpha), ns),
            )
        return {"tickets": results, "credit": round(per_ticket, 6)}

    def _credit(
        self,
        db: sqlite3.Connection,
        ns: str,
        row: sqlite3.Row,
        amount: float,
        cum: float,
        cfg: LedgerConfig,
        now: str,
        ticket_id: str,
        delta: float,
        detail: str,
    ) -> sqlite3.Row:
        before = self._balance(row, cum)
        after = eco.apply_credit(before, amount, cfg, pinned=bool(row["pinned"]))
        win, loss = int(delta > 0), int(delta < 0)
        probation = max(0, row["probation"] - 1) if amount > 0 else row["probation"]
        self._set_energy(
            db,
            row["memory_id"],
            after,
            cum,
            exempt=bool(row["exempt"]),
            pinned=bool(row["pinned"]),
            extra_sql=", uses = uses + 1, wins = wins + ?, losses = losses + ?, net_credit = net_credit + ?, "
            "damaged = max(damaged, ?), last_settled_at = ?, probation = ?, dirty = max(dirty, ?)",
            params=[
                win,
                loss,
                amount,
                int(amount < 0),
                now,
                probation,
                int(row["probation"] > 0 and probation == 0),
            ],  # graduated: may merge now
        )
        self._event(
            db,
            ns,
            "credit",
            entry=row["memory_id"],
            ticket=ticket_id,
            at=now,
            data={
                "credit": round(amount, 6),
                "delta": delta,
                "before": round(before, 6),
                "after": round(after, 6),
                **({"detail": detail} if detail else {}),
            },
        )
        return self._rows(db, [row["memory_id"]])[row["memory_id"]]

    def _sweep(self, db: sqlite3.Connection, ns: str, rows: dict[str, sqlite3.Row], cum: float, now: str) -> set[str]:
        dead = [r for r in rows.values() if not r["pinned"] and self._balance(r, cum) <= eco.EPS]
        if not dead:
            return set()
        held = self._escrowed(db, [r["memory_id"] for r in dead])
        buried = set()
        for row in dead:
            if row["memory_id"] in held:
                continue
            cause = "executed" if row["damaged"] else "starved"
            self._bury(db, ns, row, cause, cum, now, via="settle")
            buried.add(row["memory_id"])
        return buried

    # -- tick -----------------------------------------------------------------------------

    def tick(self, namespace: str | None = None, *, force: bool = True, via: str = "cli") -> dict[str, Any]:
        """Ticket expiry, per-tick upkeep, deaths (with obituaries) and consolidation of the
        entries that changed since the last tick. Cost: O(expired + deaths + changed)."""
        ns = self._ns(namespace)
        state = self._peek_state(ns)
        cfg = self._config(state)
        if not force and not self._due(state, cfg):
            return {"namespace": ns, "ticked": False, "reason": "not due"}
        plan = self._consolidation_plan(ns, cfg)  # read-only neighbour searches, before the write lock
        now_dt = self.clock()
        now = iso(now_dt)
        with self.store.transaction() as db:
            st = self._state(db, ns)
            cfg = self._config(st)
            if not force and not self._due(st, cfg):
                return {"namespace": ns, "ticked": False, "reason": "not due"}
            cum = st["cum_upkeep"] + cfg.upkeepPerTick
            db.execute(
                "UPDATE ledger_state SET ticks = ticks + 1, last_tick_at = ?, cum_upkeep = ? WHERE namespace = ?",
                (now, cum, ns),
            )
            st = self._state(db, ns)
            expired = [
                r[0]
                for r in db.execute(
                    "SELECT id FROM ledger_tickets WHERE namespace = ? AND status = 'open' AND expires_at <= ?",
                    (ns, now),
                )
            ]
            self._expire_tickets(db, ns, st, cfg, expired, "expired unsettled", "tick", now)
            due = db.execute(
                f"{_ENTRY_SQL} WHERE l.namespace = ? AND l.status = 'alive' AND l.death_at IS NOT NULL "
                "AND l.death_at <= ? AND l.pinned = 0",
                (ns, cum + eco.EPS),
            ).fetchall()
            held = self._escrowed(db, [r["memory_id"] for r in due])
            deaths = []
            for row in due:
                if row["memory_id"] in held:
                    continue
                cause = "executed" if row["damaged"] else "starved"
                self._bury(db, ns, row, cause, cum, now, via="tick")
                deaths.append({"id": row["memory_id"], "cause": cause})
            merges = self._apply_plan(db, ns, plan, cfg, cum, now)
            stats = db.execute(
                "SELECT (SELECT count(*) FROM ledger_entries WHERE namespace = ? AND status = 'alive') AS population, "
                "(SELECT count(*) FROM ledger_tickets WHERE namespace = ? AND status = 'open') AS pending",
                (ns, ns),
            ).fetchone()
            result = {
                "namespace": ns,
                "ticked": True,
                "tick": st["ticks"],
                "population": stats["population"],
                "deaths": len(deaths),
                "died": deaths,
                "merges": len(merges),
                "merged": merges,
                "pending": stats["pending"],
                "expired": len(expired),
                "examined": len(plan["examined"]),
                "upkeep_charged": cfg.upkeepPerTick,
                "cum_upkeep": round(cum, 6),
            }
            self._event(
                db,
                ns,
                "tick",
                at=now,
                data={k: v for k, v in result.items() if k not in ("died", "merged")} | {"via": via},
            )
        if result["merges"]:
            self.engine.written()
        return result

    def _expire_tickets(
        self,
        db: sqlite3.Connection,
        ns: str,
        st: sqlite3.Row,
        cfg: LedgerConfig,
        ids: Sequence[str],
        detail: str,
        via: str,
        now: str,
    ) -> int:
        """Close open tickets as ``expired``: no credit, escrow released (``tick``, ``session_end``)."""
        if not ids:
            return 0
        out = self._settle_tickets(
            db, ns, st, cfg, ids, 0.0, cfg.resourceScale, "expired", detail, via, now, split=False
        )
        return sum(1 for t in out["tickets"] if t["settled"])

    def _due(self, state: dict[str, Any] | sqlite3.Row, cfg: LedgerConfig) -> bool:
        if cfg.tickIntervalHours <= 0 or not state["last_tick_at"]:
            return False
        return self.clock() >= parse_iso(state["last_tick_at"]) + timedelta(hours=cfg.tickIntervalHours)

    def _consolidation_plan(self, ns: str, cfg: LedgerConfig) -> dict[str, Any]:
        """For each changed entry, its nearest neighbours from the search index and their
        similarity; pairs at or above ``mergeThreshold`` are merge candidates."""
        db = self.store.db
        changed = db.execute(
            f"{_ENTRY_SQL} WHERE l.namespace = ? AND l.status = 'alive' AND l.dirty = 1 LIMIT ?",
            (ns, cfg.consolidateBatch),
        ).fetchall()
        pairs: list[tuple[str, str, float]] = []
        for row in changed:
            if row["pinned"] or row["probation"] > 0:  # never merge (probation: until it graduates)
                continue
            mine = eco.term_set(row["text"])
            for nid, ntext in self._neighbours(ns, row["text"], cfg.mergeNeighbours, exclude=row["memory_id"]):
                sim = eco.jaccard(mine, eco.term_set(ntext))
                if sim >= cfg.mergeThreshold:
                    pairs.append((row["memory_id"], nid, sim))
        return {"examined": [r["memory_id"] for r in changed], "pairs": pairs}

    def _apply_plan(
        self, db: sqlite3.Connection, ns: str, plan: dict[str, Any], cfg: LedgerConfig, cum: float, now: str
    ) -> list[dict[str, Any]]:
        merges: list[dict[str, Any]] = []
        retry: set[str] = set()
        if plan["pairs"]:
            ids = {i for a, b, _ in plan["pairs"] for i in (a, b)}
            rows = self._rows(db, list(ids))
            held = self._escrowed(db, rows)
            ok = {i for i, r in rows.items() if not r["pinned"] and r["probation"] <= 0 and i not in held}
            partners: dict[str, list[str]] = {}
            for a, b, _ in sorted(plan["pairs"], key=lambda p: -p[2]):
                if a in ok and b in ok:
                    partners.setdefault(a, []).append(b)
                    partners.setdefault(b, []).append(a)
                elif a in held or b in held:
                    retry.add(a)  # escrowed by an open ticket: try again at a later tick
            consumed: set[str] = set()
            # Greedy anchors, strongest first; members join only through the anchor (not transitively).
            for anchor in sorted(partners, key=lambda i: -self._balance(rows[i], cum)):
                if anchor in consumed:
                    continue
                cluster = [anchor] + [p for p in dict.fromkeys(partners[anchor]) if p not in consumed and p != anchor]
                if len(cluster) < 2:
                    continue
                consumed.update(cluster)
                heir = self._merge(db, ns, [rows[i] for i in cluster], cfg, cum, now, via="tick")
                merges.append({"into": heir["memory_id"], "members": cluster})
        done = [i for i in plan["examined"] if i not in retry]
        chunked_in(db, "UPDATE ledger_entries SET dirty = 0 WHERE memory_id IN ({marks}) AND status = 'alive'", done)
        return merges

    def _merge(
        self,
        db: sqlite3.Connection,
        ns: str,
        members: Sequence[sqlite3.Row],
        cfg: LedgerConfig,
        cum: float,
        now: str,
        *,
        via: str,
    ) -> sqlite3.Row:
        """Merge near-duplicates into one new ``consolidated`` entry: the strongest member's
        question and answer plus only the sentences the others add; energy pooled (capped),
        evidence summed, lineage kept; members die with cause ``merged``."""
        ordered = sorted(members, key=lambda r: -self._balance(r, cum))
        anchor = ordered[0]
        answer = eco.merge_answers([r["answer"] or r["text"] for r in ordered], cfg.maxMergedChars)
        new = self.engine._new_memory(
            {
                "question": anchor["question"],
                "answer": answer,
                "kind": "qa",
                "source": anchor["memory_source"],
                "category": anchor["category"],
            },
            ns,
        )
        memory, _ = self.store.add_memories([new])[0]
        heir_id = memory.id  # an existing live memory when the merged text is already stored
        existing = self._rows(db, [heir_id]).get(heir_id)
        if existing is not None and heir_id not in {r["memory_id"] for r in ordered}:
            ordered.append(existing)  # that entry joins the cluster: its evidence is pooled too
        energy = min(cfg.maxEnergy, sum(max(0.0, self._balance(r, cum)) for r in ordered))
        fields = dict(
            energy=energy,
            uses=sum(r["uses"] for r in ordered),
            wins=sum(r["wins"] for r in ordered),
            losses=sum(r["losses"] for r in ordered),
            net_credit=sum(r["net_credit"] for r in ordered),
            damaged=any(r["damaged"] for r in ordered),
            last_settled_at=max((r["last_settled_at"] for r in ordered if r["last_settled_at"]), default=None),
        )
        sources = eco.union(json.loads(r["sources"]) for r in ordered)
        lineage = [r["memory_id"] for r in ordered if r["memory_id"] != heir_id]
        for row in ordered:
            if row["memory_id"] != heir_id:
                self._bury(db, ns, row, "merged", cum, now, merged_into=heir_id, via=via)
        if existing is None:
            heir = self._insert_entry(
                db,
                ns,
                heir_id,
                cfg,
                cum,
                "consolidated",
                sources,
                now,
                category=memory.category,
                lineage=lineage,
                dirty=1,
                **fields,
            )
        else:
            db.execute(
                "UPDATE ledger_entries SET uses = ?, wins = ?, losses = ?, net_credit = ?, damaged = ?, "
                "last_settled_at = ?, lineage = ?, sources = ?, dirty = 1 WHERE memory_id = ?",
                (
                    fields["uses"],
                    fields["wins"],
                    fields["losses"],
                    fields["net_credit"],
                    int(fields["damaged"]),
                    fields["last_settled_at"],
                    json.dumps(eco.union([json.loads(existing["lineage"]), lineage])),
                    json.dumps(sources),
                    heir_id,
                ),
            )
            self._set_energy(db, heir_id, energy, cum, exempt=bool(existing["exempt"]), pinned=bool(existing["pinned"]))
            heir = self._rows(db, [heir_id], alive=False)[heir_id]
        self._event(
            db, ns, "merge", entry=heir_id, at=now, data={"members": lineage, "energy": round(energy, 6), "via": via}
        )
        return heir

    # -- reads ----------------------------------------------------------------------------

    def show(self, entry_id: str, namespace: str | None = None, *, history: int = 100) -> dict[str, Any]:
        """One entry (alive or dead) with its balance, runway, open tickets and history."""
        ns = self._ns(namespace)
        db = self.store.db
        state = self._peek_state(ns)
        cfg = self._config(state)
        row = self._find(db, ns, entry_id)
        out = self.entry_dict(row, state["cum_upkeep"], cfg)
        out["open_tickets"] = sorted(self._escrowed(db, [row["memory_id"]]))
        out["history"] = self._history(row["memory_id"], history)
        extra = json.loads(row["extra"])
        if extra:
            out["extra"] = extra
        if row["status"] == "dead":
            out["obituary"] = self._obituary_text(row, out["history"])
        return out

    def _history(self, entry_id: str, limit: int) -> list[dict[str, Any]]:
        rows = self.store.db.execute(
            "SELECT * FROM (SELECT seq, type, ticket_id, at, data FROM ledger_events WHERE entry_id = ? "
            "ORDER BY seq DESC LIMIT ?) ORDER BY seq",
            (entry_id, limit),
        ).fetchall()
        return [{"type": r["type"], "at": r["at"], "ticket": r["ticket_id"], **json.loads(r["data"])} for r in rows]

    def _obituary_text(self, row: sqlite3.Row, history: list[dict[str, Any]]) -> str:
        reasons = {
            "starved": "starved: never earned its upkeep",
            "executed": "executed: negative outcomes drained it",
            "merged": f"merged into {row['merged_into']}",
            "forgotten": "forgotten on request",
        }
        title = row["question"] or row["text"]
        lines = [
            f"{row['memory_id']} [{row['kind']}] {title[:120]!r}",
            f"  born {row['born_at']}, died {row['died_at']} ({reasons.get(row['cause'], row['cause'])}); "
            f"uses={row['uses']} wins={row['wins']} losses={row['losses']} "
            f"last settled {row['last_settled_at'] or 'never'}",
        ]
        for h in history:
            if h["type"] == "credit":
                lines.append(
                    f"  {h['at'][:19]} credit {h['credit']:+.3f} (delta {h['delta']:+g}) "
                    f"{h['before']:.3f} -> {h['after']:.3f}"
                )
            elif h["type"] in ("reinforce", "restore", "pin", "unpin", "merge"):
                lines.append(f"  {h['at'][:19]} {h['type']}")
        for note in json.loads(row["extra"]).get("darwin_history", []):
            lines.append(f"  darwin-memo: {note.get('text', note) if isinstance(note, dict) else note}")
        if row["cause"] == "starved" and not row["uses"]:
            lines.append("  no credited outcomes on record")
        return "\n".join(lines)

    def obituaries(self, namespace: str | None = None, *, limit: int = 50, cause: str | None = None) -> dict[str, Any]:
        """Dead entries, most recent first, each with its obituary (all restorable)."""
        ns = self._ns(namespace)
        validation.integer(limit, "limit", lo=1, hi=1000)
        if cause is not None and cause not in ("starved", "executed", "merged", "forgotten"):
            raise InvalidInput("cause must be starved, executed, merged or forgotten", field="cause")
        db = self.store.db
        rows = db.execute(
            f"{_ENTRY_SQL} WHERE l.namespace = ? AND l.status = 'dead' AND (? IS NULL OR l.cause = ?) "
            "ORDER BY l.died_at DESC, l.memory_id LIMIT ?",
            (ns, cause, cause, limit),
        ).fetchall()
        out = []
        for row in rows:
            out.append(
                {
                    "id": row["memory_id"],
                    "origin_id": row["origin_id"],
                    "cause": row["cause"],
                    "died_at": row["died_at"],
                    "merged_into": row["merged_into"],
                    "uses": row["uses"],
                    "question": row["question"],
                    "answer": row["answer"],
                    "obituary": self._obituary_text(row, self._history(row["memory_id"], 100)),
                }
            )
        return {"namespace": ns, "obituaries": out}

    def stats(self, namespace: str | None = None) -> dict[str, Any]:
        """Population, graveyard by cause, open tickets, energy, the upkeep clock."""
        ns = self._ns(namespace)
        state = self._peek_state(ns)
        cfg = self._config(state)
        cum = state["cum_upkeep"]
        db = self.store.db
        live = "CASE WHEN exempt = 1 THEN energy ELSE energy - max(0, ? - anchor) END"
        bal = f"CASE WHEN pinned = 1 THEN max(0, {live}) ELSE {live} END"
        by_kind = db.execute(
            f"SELECT kind, count(*) AS n, sum({bal}) AS e FROM ledger_entries WHERE namespace = ? AND status = 'alive' "
            "GROUP BY kind",
            (cum, cum, ns),
        ).fetchall()
        dead = db.execute(
            "SELECT cause, count(*) AS n FROM ledger_entries WHERE namespace = ? AND status = 'dead' GROUP BY cause",
            (ns,),
        ).fetchall()
        pending = db.execute(
            "SELECT count(*) FROM ledger_tickets WHERE namespace = ? AND status = 'open'", (ns,)
        ).fetchone()[0]
        dirty = db.execute(
            "SELECT count(*) FROM ledger_entries WHERE namespace = ? AND status = 'alive' AND dirty = 1", (ns,)
        ).fetchone()[0]
        total = sum(r["e"] or 0.0 for r in by_kind)
        next_tick = None
        if state["last_tick_at"] and cfg.tickIntervalHours > 0:
            next_tick = iso(parse_iso(state["last_tick_at"]) + timedelta(hours=cfg.tickIntervalHours))
        return {
            "namespace": ns,
            "alive": sum(r["n"] for r in by_kind),
            "graveyard": sum(r["n"] for r in dead),
            "dead_by_cause": {r["cause"]: r["n"] for r in dead},
            "pending_tickets": pending,
            "awaiting_consolidation": dirty,
            "total_energy": round(total, 3),
            "energy_share_by_kind": {r["kind"]: round((r["e"] or 0.0) / total, 3) for r in by_kind}
            if total > 0
            else {},
            "clock": {
                "sessions": state["sessions"],
                "ticks": state["ticks"],
                "cum_upkeep": round(cum, 6),
                "last_tick_at": state["last_tick_at"],
                "next_tick_at": next_tick,
            },
            "baseline": state["baseline"],
        }

    # -- the OpenClaw tool / hook shapes ----------------------------------------------------

    def tool_store(self, namespace: str | None, params: dict[str, Any]) -> dict[str, Any]:
        """``memory_store``: darwin form (question, answer, source) or memory-lancedb form
        (text, importance, category). Returns ``{content, details}``."""
        result = self.store_entry(
            namespace,
            question=params.get("question"),
            answer=params.get("answer"),
            text=params.get("text"),
            source=params.get("source"),
            category=params.get("category"),
            importance=params.get("importance"),
            via="tool",
        )
        entry = result["entry"]
        verb = {"created": "Stored", "reinforced": "Already known; reinforced", "merged": "Merged into"}[
            result["action"]
        ]
        return {
            "content": f"{verb} memory {entry['id']}.",
            "details": {
                "action": result["action"],
                "id": entry["id"],
                "entryId": entry["id"],
                "merged": result.get("merged"),
                "similarity": result.get("similarity"),
            },
        }

    def tool_forget(self, namespace: str | None, params: dict[str, Any]) -> dict[str, Any]:
        """``memory_forget``: forget ``entryId``/``memoryId``; with only ``query``, list the
        candidates (nothing is forgotten until the caller names one)."""
        entry_id = params.get("entryId") or params.get("memoryId")
        if entry_id:
            out = self.forget(entry_id, namespace, via="tool")
            text = (
                f"Forgot memory {out['id']}." if out["forgotten"] else f"Did not forget {out['id']}: {out['reason']}."
            )
            return {"content": text, "details": {"action": "forgotten" if out["forgotten"] else "refused", **out}}
        query = params.get("query")
        if not query:
            raise InvalidInput("give entryId (or memoryId), or a query to find candidates", field="entryId")
        ns = self._ns(namespace)
        hits = [h for h in self.engine.search(query, ns, limit=20, corpus="memory") if h.relevant]
        rows = self._rows(self.store.db, [h.id for h in hits])
        found = [{"id": h.id, "text": h.text, "score": round(h.score, 4)} for h in hits if h.id in rows][:5]
        if not found:
            return {"content": "No matching memory to forget.", "details": {"action": "none", "candidates": []}}
        lines = [f"- {f['id']} (score {f['score']:.2f}): {escape(f['text'], 200)}" for f in found]
        return {
            "content": "Candidates (call memory_forget with entryId to forget one):\n" + "\n".join(lines),
            "details": {"action": "candidates", "candidates": found},
        }

    def tool_settle(self, namespace: str | None, session: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        """``memory_settle`` (MCP clients have no ``agent_end``): the run's outcome as ``success``
        (read as ``successDelta`` / ``failureDelta``) or a measured ``delta``, for one ``ticketId``
        or for every ticket the session opened that is still open. Exactly once, like agent_end."""
        success, delta, detail = params.get("success"), params.get("delta"), params.get("detail") or ""
        if (success is None) == (delta is None):
            raise InvalidInput("give exactly one of success or delta", field="success")
        ticket = params.get("ticketId")
        if ticket:
            if delta is None:
                cfg = self._config(self._peek_state(self._ns(namespace)))
                delta = cfg.successDelta if success else cfg.failureDelta
            one = self.settle(ticket, delta, namespace, detail=detail, via="tool")
            text = (
                f"Settled ticket {ticket} (credit {one['credit']:+.3f})."
                if one["settled"]
                else f"Ticket {ticket} not settled: {one['reason']}."
            )
            return {"content": text, "details": {"settled": int(one["settled"]), "tickets": [one]}}
        out = self.settle_session(
            session.get("sessionKey"), namespace, success=success, delta=delta, detail=detail, via="tool"
        )
        text = (
            f"Settled {out['settled']} ticket(s) as {out['outcome']} (credit {out['credit']:+.3f} each)."
            if out["settled"]
            else "No open tickets to settle."
        )
        return {"content": text, "details": out}

    def on_agent_end(self, namespace: str | None, session: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
        """``agent_end``: settle the session's open tickets with ``successDelta`` / ``failureDelta``
        (the plugin may pass its configured values in ``event.ledger``, and when the run ended
        in ``event.endedAt``)."""
        key = (session or {}).get("sessionKey") or (session or {}).get("sessionId")
        detail = str(event.get("error") or "")[:500]
        ended = event.get("endedAt")
        return self.settle_session(
            key,
            namespace,
            success=bool(event.get("success")),
            overrides=event.get("ledger") or None,
            detail=detail,
            via="agent_end",
            ended_at=parse_iso(ended) if ended else None,
        )

    def on_session_end(self, namespace: str | None, session: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
        """``session_end``: the run's outcome is unknown, so nothing is credited; the session's
        still-open tickets are closed as ``expired`` (the path ``tick`` takes) and one
        ``session_end`` event is logged. Replays expire nothing and log nothing more."""
        key = (
            (session or {}).get("sessionKey")
            or (session or {}).get("sessionId")
            or event.get("sessionKey")
            or event.get("sessionId")
        )
        ns = self._ns(namespace)
        if not key:
            return {"expired": 0}
        now = iso(self.clock())
        with self.store.transaction() as db:
            ids = [
                r[0]
                for r in db.execute(
                    "SELECT id FROM ledger_tickets WHERE namespace = ? AND session_key = ? AND status = 'open' "
                    "AND opened_at <= ? ORDER BY opened_at, id",
                    (ns, key, now),
                )
            ]
            seen = db.execute(
                "SELECT 1 FROM ledger_events WHERE namespace = ? AND type = 'session_end' "
                "AND json_extract(data, '$.sessionKey') = ? LIMIT 1",
                (ns, key),
            ).fetchone()
            if not ids and seen:
                return {"expired": 0}
            st = self._state(db, ns)
            n = self._expire_tickets(db, ns, st, self._config(st), ids, "session ended", "session_end", now)
            info = {
                k: (v[:200] if isinstance(v, str) else v)
                for k in ("sessionId", "reason", "messageCount", "durationMs")
                if isinstance(v := event.get(k), str | int | float) and not isinstance(v, bool)
            }
            self._event(db, ns, "session_end", at=now, data={"sessionKey": key, **info, "expired": n, "tickets": ids})
        return {"expired": n}

    # -- background ticks -------------------------------------------------------------------

    def tick_due(self) -> list[dict[str, Any]]:
        """Tick every namespace whose ``tickIntervalHours`` has elapsed (the cadence is
        persisted, so it survives restarts; two daemons never both tick one period)."""
        out = []
        for (ns,) in self.store.db.execute("SELECT namespace FROM ledger_state").fetchall():
            result = self.tick(ns, force=False, via="schedule")
            if result.get("ticked"):
                out.append(result)
        return out

    def start_ticker(self, check_every_s: float = 60.0) -> Ticker:
        """Run :meth:`tick_due` in a daemon thread (the HTTP daemon starts this)."""
        self._ticker = Ticker(self, check_every_s)
        self._ticker.start()
        return self._ticker


class Ticker(threading.Thread):
    """Background thread that runs due ticks; failures are logged, never raised."""

    def __init__(self, ledger: Ledger, every: float) -> None:
        super().__init__(name="clawmemory-ledger-ticker", daemon=True)
        self.ledger, self.every = ledger, every
        self._stop_event = threading.Event()

    def run(self) -> None:
        import logging

        log = logging.getLogger("clawmemory.ledger")
        while not self._stop_event.wait(self.every):
            try:
                for result in self.ledger.tick_due():
                    log.info(
                        "ledger tick %s: %s deaths, %s merges, %s expired",
                        result["namespace"],
                        result["deaths"],
                        result["merges"],
                        result["expired"],
                    )
            except Exception:  # noqa: BLE001 - a failed background tick must not kill the daemon
                log.exception("ledger tick failed")

    def stop(self) -> None:
        self._stop_event.set()
