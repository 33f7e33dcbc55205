"""Recall: rank the live entries a search found relevant and open a *ticket* naming the ones
shown, for the outcome to settle later (``settle.py``).

Relevance (the search's calibrated floor) decides *what* is shown; energy and evidence only
re-rank among relevant entries, by at most ``rankWeight``. A ticket needs a decider out of
probation; otherwise, or with nothing relevant, the answer is "no relevant memory"."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from ..redaction import redact
from ..store import Store
from ..store.records import new_id
from . import economics as eco
from . import rows
from .config import LedgerConfig
from .reads import entry_dict
from .render import NOTHING, recall_block

Ranked = tuple[float, Any, sqlite3.Row]  # (rank score, search hit, entry row)
SHOWN_KEYS = (
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


def rank(db: Any, hits: Sequence[Any], cum: float, cfg: LedgerConfig, limit: int) -> list[Ranked]:
    """The best ``limit`` live entries among the relevant ``hits`` (search hits of the memory
    corpus), by :func:`economics.rank_score`; hits below ``supporterMinRatio`` of the best are cut."""
    relevant = [h for h in hits if h.relevant]
    found = rows.entries(db, [h.id for h in relevant])
    candidates = [(h, found[h.id]) for h in relevant if h.id in found]
    if not candidates:
        return []
    top = max(h.score for h, _ in candidates)
    scored = []
    for hit, row in candidates:
        if hit.score < cfg.supporterMinRatio * top:
            continue
        now = rows.balance(row, cum)
        scored.append((eco.rank_score(hit.score, top, now, row["uses"], cfg), hit, row))
    scored.sort(key=lambda t: -t[0])
    return scored[:limit]


def open_ticket(
    store: Store,
    ns: str,
    query: str,
    picked: Sequence[Ranked],
    *,
    session: dict[str, Any],
    via: str,
    opened: datetime,
) -> dict[str, Any]:
    """Show ``picked`` (re-read inside the write transaction: an entry may have died since)
    and open the ticket; ``{content, details}`` as the recall tool returns it."""
    ticket_id = new_id("tkt")
    with store.transaction() as db:
        st = rows.state(db, ns, rows.iso(opened))
        cfg, cum = rows.config(st), st["cum_upkeep"]
        fresh = rows.entries(db, [row["memory_id"] for _, _, row in picked])
        live = [(s, h, fresh[r["memory_id"]]) for s, h, r in picked if r["memory_id"] in fresh]
        decider = next((r["memory_id"] for _, _, r in live if r["probation"] <= 0), None)
        if decider is None:
            withheld = [r["memory_id"] for _, _, r in live]
            return silent(ns, "only probationary entries matched" if live else "no relevant memory", withheld=withheld)
        entries = []
        for score, hit, row in live:
            item = entry_dict(row, cum, cfg)
            item.update(
                score=round(score, 6),
                relevance=round(hit.score, 6),
                role="decider" if row["memory_id"] == decider else "supporter",
            )
            entries.append(item)
        shown = recall_block(ticket_id, entries)
        expires = rows.iso(opened + timedelta(hours=cfg.maxTicketAgeHours)) if cfg.maxTicketAgeHours > 0 else None
        session_key = session.get("sessionKey") or session.get("sessionId")
        rows.open_ticket(
            db,
            ticket_id,
            ns,
            query=redact(query),
            shown=shown,
            opened_at=rows.iso(opened),
            expires_at=expires,
            extra={"via": via},
            members=[(e["id"], e["role"], e["score"]) for e in entries],
            session_key=session_key,
            session_id=session.get("sessionId"),
            agent_id=session.get("agentId"),
        )
    details = {
        "silent": False,
        "ticketId": ticket_id,
        "namespace": ns,
        "count": len(entries),
        "entries": [{k: e[k] for k in SHOWN_KEYS} for e in entries],
        "sessionKey": session_key,
        "expiresAt": expires,
    }
    return {"content": shown, "details": details}


def silent(ns: str, reason: str, **extra: Any) -> dict[str, Any]:
    """A recall that shows nothing and opens no ticket."""
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
