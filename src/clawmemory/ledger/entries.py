"""An entry's life: written (or a near-twin reinforced or merged), pinned, forgotten, merged
into an heir, buried and restored. Each public operation is one store transaction; the
helpers (``create``, ``reinforce``, ``merge``, ``bury``) run inside the caller's."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import Conflict
from ..store import NewMemory, Store
from . import economics as eco
from . import rows
from .config import LedgerConfig
from .reads import entry_dict

MakeMemory = Callable[[dict[str, Any]], NewMemory]  # a memory item → a validated new memory of the namespace


def write(
    store: Store,
    ns: str,
    new: NewMemory,
    twin: tuple[float, str] | None,
    *,
    kind: str,
    source: str | None,
    via: str,
    now: str,
    make: MakeMemory,
) -> dict[str, Any]:
    """Write ``new`` at spawn energy, unless ``twin`` (similarity, id of the nearest live
    entry) is a near-twin: then it is reinforced (nothing new) or merged with the new text."""
    with store.transaction() as db:
        st = rows.state(db, ns, now)
        cfg, cum = rows.config(st), st["cum_upkeep"]
        sim, twin_id = twin or (0.0, "")
        found = rows.entries(db, [twin_id]).get(twin_id) if twin and sim >= cfg.dedupThreshold else None
        if found is not None:
            if eco.term_set(new.text) <= eco.term_set(found["text"]):  # nothing new: reinforce the twin
                return reinforce(db, ns, found, cum, cfg, source, now, sim)
            if not found["pinned"] and not rows.escrowed(db, [found["memory_id"]]):
                created = create(db, store, ns, new, cfg, cum, kind, source, now)
                if created["memory_id"] != found["memory_id"]:
                    heir = merge(db, store, ns, [found, created], cfg, cum, now, via="store", make=make)
                    return {
                        "action": "merged",
                        "entry": entry_dict(heir, cum, cfg),
                        "merged": [found["memory_id"], created["memory_id"]],
                        "similarity": round(sim, 4),
                    }
            # pinned or escrowed twin: add the new entry; a later tick may merge them
        memory, is_new = store.add_memories([new])[0]
        if not is_new:
            existing = rows.entries(db, [memory.id]).get(memory.id)
            if existing is not None:
                return reinforce(db, ns, existing, cum, cfg, source, now, 1.0)
        row = rows.insert_entry(db, ns, memory.id, cfg, cum, kind, [source or "agent"], now, category=memory.category)
        rows.event(db, ns, "birth", entry=memory.id, data={"via": via, "energy": cfg.spawnEnergy}, at=now)
    return {"action": "created", "entry": entry_dict(row, cum, cfg)}


def write_many(store: Store, ns: str, prepared: Sequence[NewMemory], *, kind: str, now: str) -> int:
    """Bulk write (one transaction, no twin check): every new entry is marked changed, so
    the next tick's consolidation merges near-duplicates among them. Returns how many were created."""
    created = 0
    with store.transaction() as db:
        st = rows.state(db, ns, now)
        cfg, cum = rows.config(st), st["cum_upkeep"]
        for memory, is_new in store.add_memories(prepared):
            if not is_new and rows.entries(db, [memory.id], alive=False).get(memory.id) is not None:
                continue
            rows.insert_entry(
                db, ns, memory.id, cfg, cum, kind, [memory.source or "agent"], now, category=memory.category
            )
            created += 1
        rows.event(db, ns, "bulk_store", at=now, data={"items": len(prepared), "created": created})
    return created


def create(
    db: Any,
    store: Store,
    ns: str,
    new: NewMemory,
    cfg: LedgerConfig,
    cum: float,
    kind: str,
    source: str | None,
    now: str,
) -> sqlite3.Row:
    """Store ``new`` and make it an entry (the live entry already holding it, if any)."""
    memory, is_new = store.add_memories([new])[0]
    if not is_new:
        row = rows.entries(db, [memory.id]).get(memory.id)
        if row is not None:
            return row
    row = rows.insert_entry(db, ns, memory.id, cfg, cum, kind, [source or "agent"], now, category=memory.category)
    rows.event(db, ns, "birth", entry=memory.id, data={"energy": cfg.spawnEnergy}, at=now)
    return row


def reinforce(
    db: Any,
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
    before = rows.balance(row, cum)
    after = max(before, cfg.spawnEnergy)
    sources = eco.union([json.loads(row["sources"]), [source or "agent"]])
    rows.set_energy(
        db,
        row["memory_id"],
        after,
        cum,
        exempt=bool(row["exempt"]),
        pinned=bool(row["pinned"]),
        extra_sql=", sources = ?",
        params=[json.dumps(sources)],
    )
    rows.event(
        db,
        ns,
        "reinforce",
        entry=row["memory_id"],
        data={"before": round(before, 6), "after": round(after, 6), "similarity": round(similarity, 4)},
        at=now,
    )
    fresh = rows.entries(db, [row["memory_id"]])[row["memory_id"]]
    return {"action": "reinforced", "entry": entry_dict(fresh, cum, cfg), "similarity": round(similarity, 4)}


def bury(db: Any, store: Store, ns: str, row: sqlite3.Row, cause: str, cum: float, now: str, **data: Any) -> None:
    """A live entry dies of ``cause``: out of search, row and history kept, a ``death`` event."""
    balance = rows.balance(row, cum) if cause != "merged" else 0.0
    rows.bury(db, row["memory_id"], cause, now, balance, cum, data.get("merged_into"))
    store.forget_memory(row["memory_id"])  # out of search; the row stays (joins this transaction)
    rows.event(
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


def merge(
    db: Any,
    store: Store,
    ns: str,
    members: Sequence[sqlite3.Row],
    cfg: LedgerConfig,
    cum: float,
    now: str,
    *,
    via: str,
    make: MakeMemory,
) -> sqlite3.Row:
    """Merge near-duplicates into one new ``consolidated`` entry: the strongest member's
    question and answer plus only the sentences the others add; energy pooled (capped),
    evidence summed, lineage kept; members die with cause ``merged``."""
    ordered = sorted(members, key=lambda r: -rows.balance(r, cum))
    anchor = ordered[0]
    answer = eco.merge_answers([r["answer"] or r["text"] for r in ordered], cfg.maxMergedChars)
    new = make(
        {
            "question": anchor["question"],
            "answer": answer,
            "kind": "qa",
            "source": anchor["memory_source"],
            "category": anchor["category"],
        }
    )
    memory, _ = store.add_memories([new])[0]
    heir_id = memory.id  # an existing live memory when the merged text is already stored
    existing = rows.entries(db, [heir_id]).get(heir_id)
    if existing is not None and heir_id not in {r["memory_id"] for r in ordered}:
        ordered.append(existing)  # that entry joins the cluster: its evidence is pooled too
    energy = min(cfg.maxEnergy, sum(max(0.0, rows.balance(r, cum)) for r in ordered))
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
            bury(db, store, ns, row, "merged", cum, now, merged_into=heir_id, via=via)
    if existing is None:
        heir = rows.insert_entry(
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
        rows.pool_into(db, heir_id, fields, eco.union([json.loads(existing["lineage"]), lineage]), sources)
        rows.set_energy(db, heir_id, energy, cum, exempt=bool(existing["exempt"]), pinned=bool(existing["pinned"]))
        heir = rows.entries(db, [heir_id], alive=False)[heir_id]
    rows.event(
        db, ns, "merge", entry=heir_id, at=now, data={"members": lineage, "energy": round(energy, 6), "via": via}
    )
    return heir


def forget(store: Store, ns: str, entry_id: str, *, via: str, now: str) -> dict[str, Any]:
    """Mark an entry forgotten: out of recall and search at once, row and history kept.
    Pinned entries are refused (unpin first). Open tickets naming it stay settleable;
    a forgotten entry simply earns nothing more."""
    with store.transaction() as db:
        cum = rows.state(db, ns, now)["cum_upkeep"]
        row = rows.find(db, ns, entry_id)
        if row["status"] != "alive":
            return {"forgotten": False, "id": row["memory_id"], "reason": f"already dead ({row['cause']})"}
        if row["pinned"]:
            return {"forgotten": False, "id": row["memory_id"], "reason": "pinned; unpin first"}
        escrow = sorted(rows.escrowed(db, [row["memory_id"]]))
        bury(db, store, ns, row, "forgotten", cum, now, via=via)
    return {"forgotten": True, "id": row["memory_id"], "open_tickets": escrow}


def pin(store: Store, ns: str, entry_id: str, *, pinned: bool, now: str) -> dict[str, Any]:
    """Pin (never starves, never merges, floors at 0) or unpin an entry."""
    with store.transaction() as db:
        cum = rows.state(db, ns, now)["cum_upkeep"]
        row = rows.find(db, ns, entry_id)
        if row["status"] != "alive":
            raise Conflict(f"entry {row['memory_id']} is dead ({row['cause']}); restore it first", field="entryId")
        now_balance = rows.balance(row, cum)
        if pinned:
            now_balance = max(0.0, now_balance)
        rows.set_energy(
            db,
            row["memory_id"],
            now_balance,
            cum,
            exempt=bool(row["exempt"]),
            pinned=pinned,
            extra_sql=", pinned = ?",
            params=[int(pinned)],
        )
        rows.event(db, ns, "pin" if pinned else "unpin", entry=row["memory_id"], at=now)
    return {"pinned" if pinned else "unpinned": True, "id": row["memory_id"]}


def restore(store: Any, ns: str, entry_id: str, *, now: str) -> dict[str, Any]:
    """Bring a dead entry back (any cause): searchable again, at spawn energy."""
    with store.transaction() as db:
        st = rows.state(db, ns, now)
        cfg, cum = rows.config(st), st["cum_upkeep"]
        row = rows.find(db, ns, entry_id)
        if row["status"] == "alive":
            return {"restored": False, "id": row["memory_id"], "reason": "alive"}
        try:
            store.restore_memory(row["memory_id"])  # back in the index (joins this transaction)
        except sqlite3.IntegrityError as exc:
            raise Conflict("an identical memory is active; restore would duplicate it", field="entryId") from exc
        energy = max(cfg.spawnEnergy, 0.0)
        rows.revive(db, row["memory_id"])
        rows.set_energy(db, row["memory_id"], energy, cum, exempt=bool(row["exempt"]), pinned=bool(row["pinned"]))
        rows.event(db, ns, "restore", entry=row["memory_id"], data={"was": row["cause"], "energy": energy}, at=now)
        fresh = rows.entries(db, [row["memory_id"]])[row["memory_id"]]
    return {"restored": True, "entry": entry_dict(fresh, cum, cfg)}
