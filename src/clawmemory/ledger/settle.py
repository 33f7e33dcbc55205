"""Settlement: a ticket's outcome pays the entries it showed with bounded credit, exactly
once. The ticket flips ``open`` → closed with a conditional UPDATE inside the store's write
transaction, so two processes can never both apply it; entries a settlement drained are
buried unless another open ticket still holds them (escrow)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from ..errors import InvalidInput
from ..store import Store
from . import economics as eco
from . import rows
from .config import LedgerConfig
from .entries import bury

SESSION_KEYS = ("successDelta", "failureDelta", "resourceScale")  # what agent_end may override


def settle(
    store: Store,
    ns: str,
    ticket_id: str,
    delta: float,
    *,
    scale: float | None,
    detail: str,
    via: str,
    now: str,
) -> dict[str, Any]:
    """Settle one ticket with a measured ``delta`` (read at ``scale``, default ``resourceScale``)."""
    with store.transaction() as db:
        st = rows.state(db, ns, now)
        cfg = rows.config(st)
        outcome = "abandoned" if delta == 0 else "measured"
        out = settle_tickets(
            db,
            store,
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
    store: Store,
    ns: str,
    session_key: str,
    *,
    success: bool | None,
    delta: float | None,
    overrides: dict[str, Any] | None,
    detail: str,
    via: str,
    now: str,
    until: str,
) -> dict[str, Any]:
    """Settle the session's tickets opened up to ``until`` with ``delta`` (or ``successDelta``
    / ``failureDelta`` by ``success``); the run's one credit is split over them when
    ``splitSessionCredit``. Upkeep advances one session when anything was open."""
    with store.transaction() as db:
        st = rows.state(db, ns, now)
        cfg = rows.config(st)
        if overrides:
            cfg = cfg.merged({k: v for k, v in overrides.items() if k in SESSION_KEYS})
        if delta is None:
            if success is None:
                raise InvalidInput("give success or delta", field="success")
            delta = cfg.successDelta if success else cfg.failureDelta
            outcome = "success" if success else "failure"
        else:
            outcome = "measured"
        ids = rows.session_tickets(db, ns, session_key, until)
        if not ids:
            return {"namespace": ns, "settled": 0, "tickets": [], "outcome": outcome, "delta": delta}
        rows.advance_session(db, ns, st["cum_upkeep"] + cfg.upkeepPerSession)
        st = rows.state(db, ns, now)
        out = settle_tickets(
            db,
            store,
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


def end_session(store: Store, ns: str, session_key: str, info: dict[str, Any], *, now: str) -> dict[str, Any]:
    """``session_end``: the session's open tickets close as ``expired`` (no credit) and one
    ``session_end`` event is logged; a replay expires and logs nothing more."""
    with store.transaction() as db:
        ids = rows.session_tickets(db, ns, session_key, now)
        if not ids and rows.session_ended(db, ns, session_key):
            return {"expired": 0}
        st = rows.state(db, ns, now)
        n = expire_tickets(db, store, ns, st, rows.config(st), ids, "session ended", "session_end", now)
        rows.event(
            db, ns, "session_end", at=now, data={"sessionKey": session_key, **info, "expired": n, "tickets": ids}
        )
    return {"expired": n}


def expire_tickets(
    db: Any,
    store: Store,
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
    out = settle_tickets(db, store, ns, st, cfg, ids, 0.0, cfg.resourceScale, "expired", detail, via, now, split=False)
    return sum(1 for t in out["tickets"] if t["settled"])


def settle_tickets(
    db: Any,
    store: Store,
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
    """Close each ticket (once) with ``outcome`` and pay its entries: the decider the full
    credit, supporters ``supporterShare`` of it; then bury what the payments drained."""
    cum = st["cum_upkeep"]
    baseline = st["baseline"]
    total = eco.credit(delta, scale, baseline, cfg) if outcome not in ("expired", "abandoned") else 0.0
    per_ticket = total / len(ids) if split and ids else total
    results: list[dict[str, Any]] = []
    touched: dict[str, sqlite3.Row] = {}
    status = {"expired": "expired", "abandoned": "abandoned"}.get(outcome, "settled")
    for ticket_id in ids:
        if not rows.close_ticket(db, ticket_id, ns, status, now):
            was = rows.ticket_status(db, ticket_id, ns)
            reason = "unknown ticket" if was is None else f"already {was}"
            results.append({"settled": False, "ticket": ticket_id, "reason": reason})
            continue
        members = rows.ticket_members(db, ticket_id)
        found = rows.entries(db, [m["entry_id"] for m in members])
        applied = []
        for m in members:
            row = found.get(m["entry_id"])
            amount = per_ticket * (1.0 if m["role"] == "decider" else cfg.supporterShare)
            if row is None:  # died or forgotten meanwhile: nothing to pay
                applied.append({"entry": m["entry_id"], "role": m["role"], "credit": 0.0, "alive": False})
                continue
            if amount != 0.0:
                row = credit(db, ns, row, amount, cum, cfg, now, ticket_id, delta, detail)
                found[m["entry_id"]] = row
                touched[m["entry_id"]] = row
            applied.append(
                {
                    "entry": m["entry_id"],
                    "role": m["role"],
                    "credit": round(amount, 6),
                    "energy": round(rows.balance(row, cum), 6),
                }
            )
        rows.add_settlement(
            db,
            ticket_id,
            ns,
            outcome=outcome,
            delta=delta,
            scale=scale,
            baseline=baseline,
            credit=per_ticket,
            detail=detail,
            via=via,
            at=now,
        )
        rows.event(
            db,
            ns,
            "settle",
            ticket=ticket_id,
            at=now,
            data={"outcome": outcome, "delta": delta, "credit": round(per_ticket, 6), "applied": applied},
        )
        results.append({"settled": True, "ticket": ticket_id, "outcome": outcome, "applied": applied})
    # Escrow released: bury what these settlements drained, unless another open ticket holds it.
    buried = sweep(db, store, ns, touched, cum, now)
    for r in results:
        if r["settled"]:
            r["buried"] = [a["entry"] for a in r["applied"] if a["entry"] in buried]
    if total != 0.0 and any(r["settled"] for r in results):
        rows.set_baseline(db, ns, eco.update_baseline(baseline, st["baseline_n"], delta, cfg.baselineAlpha))
    return {"tickets": results, "credit": round(per_ticket, 6)}


def credit(
    db: Any,
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
    """Pay ``amount`` to one entry (bounded by the economics) and count the use; returns the fresh row."""
    before = rows.balance(row, cum)
    after = eco.apply_credit(before, amount, cfg, pinned=bool(row["pinned"]))
    win, loss = int(delta > 0), int(delta < 0)
    probation = max(0, row["probation"] - 1) if amount > 0 else row["probation"]
    rows.set_energy(
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
    rows.event(
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
    return rows.entries(db, [row["memory_id"]])[row["memory_id"]]


def sweep(db: Any, store: Store, ns: str, touched: dict[str, sqlite3.Row], cum: float, now: str) -> set[str]:
    """Bury the ``touched`` entries whose balance ran out, unless an open ticket holds them."""
    dead = [r for r in touched.values() if not r["pinned"] and rows.balance(r, cum) <= eco.EPS]
    if not dead:
        return set()
    held = rows.escrowed(db, [r["memory_id"] for r in dead])
    buried = set()
    for row in dead:
        if row["memory_id"] in held:
            continue
        cause = "executed" if row["damaged"] else "starved"
        bury(db, store, ns, row, cause, cum, now, via="settle")
        buried.add(row["memory_id"])
    return buried
