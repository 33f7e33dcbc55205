"""Upkeep: a tick expires old tickets, charges ``upkeepPerTick``, buries the starved and the
executed (with obituaries, restorable) and merges near-duplicates found among the nearest
neighbours of the entries that changed since the last tick; the :class:`Ticker` thread runs
due ticks in the daemon. Cost per tick: O(expired + deaths + changed)."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from ..store import Store
from . import economics as eco
from . import rows
from .config import LedgerConfig
from .entries import MakeMemory, bury, merge
from .settle import expire_tickets

Neighbours = Callable[[str, int, str], list[tuple[str, str]]]  # (text, k, exclude id) → [(id, text)]
log = logging.getLogger("clawmemory.ledger")


def due(state: dict[str, Any] | sqlite3.Row, cfg: LedgerConfig, now: datetime) -> bool:
    """Whether ``tickIntervalHours`` has elapsed since the namespace's last tick."""
    if cfg.tickIntervalHours <= 0 or not state["last_tick_at"]:
        return False
    return now >= rows.parse_iso(state["last_tick_at"]) + timedelta(hours=cfg.tickIntervalHours)


def consolidation_plan(db: Any, ns: str, cfg: LedgerConfig, neighbours: Neighbours) -> dict[str, Any]:
    """For each changed entry, its nearest neighbours from the search index and their
    similarity; pairs at or above ``mergeThreshold`` are merge candidates. Read-only."""
    changed = rows.changed(db, ns, cfg.consolidateBatch)
    pairs: list[tuple[str, str, float]] = []
    for row in changed:
        if row["pinned"] or row["probation"] > 0:  # never merge (probation: until it graduates)
            continue
        mine = eco.term_set(row["text"])
        for nid, ntext in neighbours(row["text"], cfg.mergeNeighbours, row["memory_id"]):
            sim = eco.jaccard(mine, eco.term_set(ntext))
            if sim >= cfg.mergeThreshold:
                pairs.append((row["memory_id"], nid, sim))
    return {"examined": [r["memory_id"] for r in changed], "pairs": pairs}


def tick(
    store: Store, ns: str, plan: dict[str, Any], *, force: bool, via: str, now: datetime, make: MakeMemory
) -> dict[str, Any]:
    """One tick of the namespace at ``now`` applying ``plan`` (unless not ``force`` and not due)."""
    at = rows.iso(now)
    with store.transaction() as db:
        st = rows.state(db, ns, at)
        cfg = rows.config(st)
        if not force and not due(st, cfg, now):
            return {"namespace": ns, "ticked": False, "reason": "not due"}
        cum = st["cum_upkeep"] + cfg.upkeepPerTick
        rows.advance_tick(db, ns, at, cum)
        st = rows.state(db, ns, at)
        expired = rows.expired_tickets(db, ns, at)
        expire_tickets(db, store, ns, st, cfg, expired, "expired unsettled", "tick", at)
        dying = rows.due_to_die(db, ns, cum)
        held = rows.escrowed(db, [r["memory_id"] for r in dying])
        deaths = []
        for row in dying:
            if row["memory_id"] in held:
                continue
            cause = "executed" if row["damaged"] else "starved"
            bury(db, store, ns, row, cause, cum, at, via="tick")
            deaths.append({"id": row["memory_id"], "cause": cause})
        merges = apply_plan(db, store, ns, plan, cfg, cum, at, make)
        counts = rows.counts(db, ns)
        result = {
            "namespace": ns,
            "ticked": True,
            "tick": st["ticks"],
            "population": counts["population"],
            "deaths": len(deaths),
            "died": deaths,
            "merges": len(merges),
            "merged": merges,
            "pending": counts["pending"],
            "expired": len(expired),
            "examined": len(plan["examined"]),
            "upkeep_charged": cfg.upkeepPerTick,
            "cum_upkeep": round(cum, 6),
        }
        rows.event(
            db, ns, "tick", at=at, data={k: v for k, v in result.items() if k not in ("died", "merged")} | {"via": via}
        )
    return result


def apply_plan(
    db: Any, store: Store, ns: str, plan: dict[str, Any], cfg: LedgerConfig, cum: float, now: str, make: MakeMemory
) -> list[dict[str, Any]]:
    """Merge the plan's pairs still mergeable (alive, unpinned, out of probation, not in an
    open ticket): greedy anchors, strongest first; members join only through the anchor."""
    merges: list[dict[str, Any]] = []
    retry: set[str] = set()
    if plan["pairs"]:
        ids = {i for a, b, _ in plan["pairs"] for i in (a, b)}
        found = rows.entries(db, list(ids))
        held = rows.escrowed(db, found)
        ok = {i for i, r in found.items() if not r["pinned"] and r["probation"] <= 0 and i not in held}
        partners: dict[str, list[str]] = {}
        for a, b, _ in sorted(plan["pairs"], key=lambda p: -p[2]):
            if a in ok and b in ok:
                partners.setdefault(a, []).append(b)
                partners.setdefault(b, []).append(a)
            elif a in held or b in held:
                retry.add(a)  # escrowed by an open ticket: try again at a later tick
        consumed: set[str] = set()
        for anchor in sorted(partners, key=lambda i: -rows.balance(found[i], cum)):
            if anchor in consumed:
                continue
            cluster = [anchor] + [p for p in dict.fromkeys(partners[anchor]) if p not in consumed and p != anchor]
            if len(cluster) < 2:
                continue
            consumed.update(cluster)
            heir = merge(db, store, ns, [found[i] for i in cluster], cfg, cum, now, via="tick", make=make)
            merges.append({"into": heir["memory_id"], "members": cluster})
    rows.mark_consolidated(db, [i for i in plan["examined"] if i not in retry])
    return merges


class Ticker(threading.Thread):
    """Background thread that runs ``tick_due`` every ``every`` seconds; failures are
    logged, never raised."""

    def __init__(self, tick_due: Callable[[], list[dict[str, Any]]], every: float) -> None:
        super().__init__(name="clawmemory-ledger-ticker", daemon=True)
        self.tick_due, self.every = tick_due, every
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.every):
            try:
                for result in self.tick_due():
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
