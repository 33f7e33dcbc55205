"""What the ledger shows of itself: one entry as the API sees it, an entry with its history,
obituaries of the dead, and the namespace's stats. Read-only."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from typing import Any

from . import rows
from .config import LedgerConfig

CAUSES = ("starved", "executed", "merged", "forgotten")


def entry_dict(row: sqlite3.Row, cum: float, cfg: LedgerConfig) -> dict[str, Any]:
    """One entry as the API shows it (balance now, runway in settled sessions)."""
    alive = row["status"] == "alive"
    now = rows.balance(row, cum) if alive else row["energy"]
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


def show(db: Any, ns: str, entry_id: str, *, history: int = 100) -> dict[str, Any]:
    """One entry (alive or dead) with its balance, runway, open tickets and history."""
    state = rows.peek_state(db, ns)
    row = rows.find(db, ns, entry_id)
    out = entry_dict(row, state["cum_upkeep"], rows.config(state))
    out["open_tickets"] = sorted(rows.escrowed(db, [row["memory_id"]]))
    out["history"] = rows.history(db, row["memory_id"], history)
    extra = json.loads(row["extra"])
    if extra:
        out["extra"] = extra
    if row["status"] == "dead":
        out["obituary"] = obituary(row, out["history"])
    return out


def obituary(row: sqlite3.Row, history: list[dict[str, Any]]) -> str:
    """A dead entry's life in a few lines: cause, evidence, credits, darwin-memo notes."""
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


def obituaries(db: Any, ns: str, *, limit: int, cause: str | None) -> dict[str, Any]:
    """Dead entries, most recent first, each with its obituary (all restorable)."""
    out = []
    for row in rows.dead(db, ns, cause, limit):
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
                "obituary": obituary(row, rows.history(db, row["memory_id"], 100)),
            }
        )
    return {"namespace": ns, "obituaries": out}


def stats(db: Any, ns: str) -> dict[str, Any]:
    """Population, graveyard by cause, open tickets, energy, the upkeep clock."""
    state = rows.peek_state(db, ns)
    cfg = rows.config(state)
    cum = state["cum_upkeep"]
    by_kind = rows.alive_by_kind(db, ns, cum)
    dead = rows.dead_by_cause(db, ns)
    counts = rows.counts(db, ns)
    total = sum(r["e"] or 0.0 for r in by_kind)
    next_tick = None
    if state["last_tick_at"] and cfg.tickIntervalHours > 0:
        next_tick = rows.iso(rows.parse_iso(state["last_tick_at"]) + timedelta(hours=cfg.tickIntervalHours))
    return {
        "namespace": ns,
        "alive": sum(r["n"] for r in by_kind),
        "graveyard": sum(r["n"] for r in dead),
        "dead_by_cause": {r["cause"]: r["n"] for r in dead},
        "pending_tickets": counts["pending"],
        "awaiting_consolidation": counts["changed"],
        "total_energy": round(total, 3),
        "energy_share_by_kind": {r["kind"]: round((r["e"] or 0.0) / total, 3) for r in by_kind} if total > 0 else {},
        "clock": {
            "sessions": state["sessions"],
            "ticks": state["ticks"],
            "cum_upkeep": round(cum, 6),
            "last_tick_at": state["last_tick_at"],
            "next_tick_at": next_tick,
        },
        "baseline": state["baseline"],
    }
