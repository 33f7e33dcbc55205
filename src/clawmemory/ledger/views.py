"""Read-only views of the ledger's tables for the web inspector: energy trajectories, open
tickets per session, settlements and the energy part of a search hit."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from . import economics as eco
from . import rows

if TYPE_CHECKING:
    from .ledger import Ledger

# Events whose data records an entry's balance at that moment, and the key it is under.
_ENERGY_KEYS = {
    "birth": "energy",
    "credit": "after",
    "reinforce": "after",
    "restore": "energy",
    "merge": "energy",
    "death": "balance",
}


def energy_points(
    ledger: Ledger, namespace: str, entry_ids: Sequence[str] | None = None, *, entries: int = 8
) -> dict[str, list[dict[str, Any]]]:
    """Balance of each entry at every event that recorded it (birth, credit, reinforce,
    restore, merge, death), oldest first. Without ``entry_ids``: the ``entries`` most recently
    active entries of the namespace."""
    db = ledger.store.db
    types = tuple(_ENERGY_KEYS)
    marks = ",".join("?" * len(types))
    if entry_ids is None:
        entry_ids = [
            r[0]
            for r in db.execute(
                f"SELECT entry_id FROM ledger_events WHERE namespace = ? AND entry_id IS NOT NULL AND type IN ({marks}) "
                "GROUP BY entry_id ORDER BY max(seq) DESC LIMIT ?",
                (namespace, *types, entries),
            )
        ]
    out: dict[str, list[dict[str, Any]]] = {}
    for entry_id in entry_ids:
        events = db.execute(
            f"SELECT type, at, data FROM ledger_events WHERE entry_id = ? AND namespace = ? AND type IN ({marks}) "
            "ORDER BY seq",
            (entry_id, namespace, *types),
        )
        points = []
        for r in events:
            value = json.loads(r["data"]).get(_ENERGY_KEYS[r["type"]])
            if isinstance(value, int | float):
                points.append({"at": r["at"], "energy": float(value), "event": r["type"]})
        if points:
            out[entry_id] = points
    return out


def open_tickets_by_session(ledger: Ledger, namespace: str, *, limit: int = 100) -> list[dict[str, Any]]:
    """Sessions with open tickets: how many, the oldest and newest opening time."""
    found = ledger.store.db.execute(
        "SELECT coalesce(session_key, '') AS session_key, count(*) AS open, min(opened_at) AS first_at, "
        "max(opened_at) AS last_at FROM ledger_tickets WHERE namespace = ? AND status = 'open' "
        "GROUP BY session_key ORDER BY last_at DESC LIMIT ?",
        (namespace, limit),
    )
    return [dict(r) for r in found]


def settlements(ledger: Ledger, namespace: str, *, limit: int = 50) -> list[dict[str, Any]]:
    """The latest settlements with their ticket's session and query."""
    found = ledger.store.db.execute(
        "SELECT s.ticket_id, s.outcome, s.delta, s.credit, s.via, s.settled_at, t.session_key, t.query "
        "FROM ledger_settlements s JOIN ledger_tickets t ON t.id = s.ticket_id "
        "WHERE s.namespace = ? ORDER BY s.settled_at DESC, s.ticket_id LIMIT ?",
        (namespace, limit),
    )
    return [dict(r) for r in found]


def entry_parts(ledger: Ledger, namespace: str, hits: Sequence[tuple[str, float]]) -> dict[str, dict[str, Any]]:
    """For ``(memory id, relevance)`` pairs that are live entries: balance now, uses, pinned,
    and the rank score recall would give them (relevance normalised to the best, moved by
    usefulness by at most ``rankWeight``)."""
    db = ledger.store.db
    state = rows.peek_state(db, namespace)
    cfg = rows.config(state)
    found = rows.entries(db, [memory_id for memory_id, _ in hits])
    top = max((score for memory_id, score in hits if memory_id in found), default=0.0)
    out = {}
    for memory_id, score in hits:
        row = found.get(memory_id)
        if row is None:
            continue
        now = rows.balance(row, state["cum_upkeep"])
        out[memory_id] = {
            "energy": round(now, 6),
            "uses": row["uses"],
            "pinned": bool(row["pinned"]),
            "rank_score": round(eco.rank_score(score, top, now, row["uses"], cfg), 6),
        }
    return out
