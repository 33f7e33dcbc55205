"""The ledger's SQL, as plain functions taking the connection first (``fn(db, …)``): the
per-namespace state and config, entries, tickets, settlements and events. Call the writers
inside a store transaction. ``?`` placeholders only: the PostgreSQL connection translates
them, so this module is the whole storage surface a backend must carry for the ledger."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from ..errors import InvalidInput, NotFound
from ..store.sqlite import chunked_in
from . import economics as eco
from .config import DEFAULTS, LedgerConfig

ENTRY_SQL = """
    SELECT l.*, m.question, m.answer, m.text, m.category, m.source AS memory_source
      FROM ledger_entries l JOIN memories m ON m.id = l.memory_id
"""
EMPTY_STATE: dict[str, Any] = {
    "cum_upkeep": 0.0,
    "sessions": 0,
    "ticks": 0,
    "last_tick_at": None,
    "baseline": None,
    "baseline_n": 0,
    "config": "{}",
}


def iso(moment: datetime) -> str:
    """The ledger's timestamp text (UTC, microseconds, ``Z``): it sorts as time does."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# -- state and config ------------------------------------------------------------------


def state(db: Any, ns: str, now: str) -> sqlite3.Row:
    """The namespace's ledger state, created at ``now`` on first use (call inside a transaction)."""
    row = db.execute("SELECT * FROM ledger_state WHERE namespace = ?", (ns,)).fetchone()
    if row is None:
        db.execute("INSERT INTO ledger_state (namespace, last_tick_at, created_at) VALUES (?, ?, ?)", (ns, now, now))
        row = db.execute("SELECT * FROM ledger_state WHERE namespace = ?", (ns,)).fetchone()
    return row


def peek_state(db: Any, ns: str) -> dict[str, Any]:
    """The namespace's state without creating it (:data:`EMPTY_STATE` when there is none)."""
    row = db.execute("SELECT * FROM ledger_state WHERE namespace = ?", (ns,)).fetchone()
    return dict(EMPTY_STATE) if row is None else dict(row)


def stored_config(state: dict[str, Any] | sqlite3.Row) -> dict[str, Any]:
    """The settings a state carries (camelCase keys), without the defaults."""
    return json.loads(state["config"] or "{}")


def config(state: dict[str, Any] | sqlite3.Row) -> LedgerConfig:
    """The economics a state carries: the defaults plus what was set."""
    return DEFAULTS.merged(stored_config(state))


def save_config(db: Any, ns: str, stored: dict[str, Any]) -> None:
    db.execute("UPDATE ledger_state SET config = ? WHERE namespace = ?", (json.dumps(stored), ns))


def advance_session(db: Any, ns: str, cum: float) -> None:
    """One settled session: the upkeep clock moves to ``cum``."""
    db.execute("UPDATE ledger_state SET cum_upkeep = ?, sessions = sessions + 1 WHERE namespace = ?", (cum, ns))


def advance_tick(db: Any, ns: str, now: str, cum: float) -> None:
    """One tick at ``now``: the upkeep clock moves to ``cum``."""
    db.execute(
        "UPDATE ledger_state SET ticks = ticks + 1, last_tick_at = ?, cum_upkeep = ? WHERE namespace = ?",
        (now, cum, ns),
    )


def set_baseline(db: Any, ns: str, baseline: float) -> None:
    db.execute("UPDATE ledger_state SET baseline = ?, baseline_n = baseline_n + 1 WHERE namespace = ?", (baseline, ns))


def namespaces(db: Any) -> list[str]:
    """Namespaces that have a ledger state."""
    return [r[0] for r in db.execute("SELECT namespace FROM ledger_state").fetchall()]


def counts(db: Any, ns: str) -> sqlite3.Row:
    """``population`` (alive entries), ``pending`` (open tickets) and ``changed`` (alive
    entries awaiting consolidation) of the namespace."""
    return db.execute(
        "SELECT (SELECT count(*) FROM ledger_entries WHERE namespace = ? AND status = 'alive') AS population, "
        "(SELECT count(*) FROM ledger_tickets WHERE namespace = ? AND status = 'open') AS pending, "
        "(SELECT count(*) FROM ledger_entries WHERE namespace = ? AND status = 'alive' AND dirty = 1) AS changed",
        (ns, ns, ns),
    ).fetchone()


# -- events ----------------------------------------------------------------------------


def event(
    db: Any,
    ns: str,
    type_: str,
    *,
    at: str,
    entry: str | None = None,
    ticket: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    db.execute(
        "INSERT INTO ledger_events (namespace, entry_id, ticket_id, type, at, data) VALUES (?, ?, ?, ?, ?, ?)",
        (ns, entry, ticket, type_, at, json.dumps(data or {}, ensure_ascii=False)),
    )


def history(db: Any, entry_id: str, limit: int) -> list[dict[str, Any]]:
    """The entry's last ``limit`` events, oldest first."""
    rows = db.execute(
        "SELECT * FROM (SELECT seq, type, ticket_id, at, data FROM ledger_events WHERE entry_id = ? "
        "ORDER BY seq DESC LIMIT ?) ORDER BY seq",
        (entry_id, limit),
    ).fetchall()
    return [{"type": r["type"], "at": r["at"], "ticket": r["ticket_id"], **json.loads(r["data"])} for r in rows]


def session_ended(db: Any, ns: str, session_key: str) -> bool:
    """Whether a ``session_end`` was logged for the session."""
    return (
        db.execute(
            "SELECT 1 FROM ledger_events WHERE namespace = ? AND type = 'session_end' "
            "AND json_extract(data, '$.sessionKey') = ? LIMIT 1",
            (ns, session_key),
        ).fetchone()
        is not None
    )


# -- entries ---------------------------------------------------------------------------


def entries(db: Any, ids: Sequence[str], *, alive: bool = True) -> dict[str, sqlite3.Row]:
    """Entries (joined with their memory) by memory id; only live ones unless ``alive=False``."""
    if not ids:
        return {}
    cond = " AND l.status = 'alive'" if alive else ""
    rows = chunked_in(db, ENTRY_SQL + " WHERE l.memory_id IN ({marks})" + cond, dict.fromkeys(ids))
    return {row["memory_id"]: row for row in rows}


def find(db: Any, ns: str, entry_id: str) -> sqlite3.Row:
    """One entry of the namespace by memory id or darwin ``origin_id`` (NotFound otherwise)."""
    if not isinstance(entry_id, str) or not entry_id:
        raise InvalidInput("entry id must be a non-empty string", field="entryId")
    row = db.execute(
        f"{ENTRY_SQL} WHERE l.namespace = ? AND (l.memory_id = ? OR l.origin_id = ?)", (ns, entry_id, entry_id)
    ).fetchone()
    if row is None:
        raise NotFound(f"no ledger entry {entry_id!r} in namespace {ns!r}", field="entryId")
    return row


def origins(db: Any, ns: str) -> dict[str, str]:
    """darwin ``origin_id`` → memory id of the namespace's imported entries."""
    return {
        r[0]: r[1]
        for r in db.execute(
            "SELECT origin_id, memory_id FROM ledger_entries WHERE namespace = ? AND origin_id IS NOT NULL", (ns,)
        )
    }


def due_to_die(db: Any, ns: str, cum: float) -> list[sqlite3.Row]:
    """Live unpinned entries whose balance has run out at upkeep clock ``cum``."""
    return db.execute(
        f"{ENTRY_SQL} WHERE l.namespace = ? AND l.status = 'alive' AND l.death_at IS NOT NULL "
        "AND l.death_at <= ? AND l.pinned = 0",
        (ns, cum + eco.EPS),
    ).fetchall()


def changed(db: Any, ns: str, limit: int) -> list[sqlite3.Row]:
    """Up to ``limit`` live entries changed since they were last consolidated."""
    return db.execute(
        f"{ENTRY_SQL} WHERE l.namespace = ? AND l.status = 'alive' AND l.dirty = 1 LIMIT ?", (ns, limit)
    ).fetchall()


def mark_consolidated(db: Any, ids: Sequence[str]) -> None:
    chunked_in(db, "UPDATE ledger_entries SET dirty = 0 WHERE memory_id IN ({marks}) AND status = 'alive'", ids)


def dead(db: Any, ns: str, cause: str | None, limit: int) -> list[sqlite3.Row]:
    """Dead entries (of ``cause``, or any), most recent first."""
    return db.execute(
        f"{ENTRY_SQL} WHERE l.namespace = ? AND l.status = 'dead' AND (? IS NULL OR l.cause = ?) "
        "ORDER BY l.died_at DESC, l.memory_id LIMIT ?",
        (ns, cause, cause, limit),
    ).fetchall()


def alive_by_kind(db: Any, ns: str, cum: float) -> list[sqlite3.Row]:
    """``kind``, count ``n`` and summed balance ``e`` of live entries at upkeep clock ``cum``."""
    live = "CASE WHEN exempt = 1 THEN energy ELSE energy - max(0, ? - anchor) END"
    bal = f"CASE WHEN pinned = 1 THEN max(0, {live}) ELSE {live} END"
    return db.execute(
        f"SELECT kind, count(*) AS n, sum({bal}) AS e FROM ledger_entries WHERE namespace = ? AND status = 'alive' "
        "GROUP BY kind",
        (cum, cum, ns),
    ).fetchall()


def dead_by_cause(db: Any, ns: str) -> list[sqlite3.Row]:
    return db.execute(
        "SELECT cause, count(*) AS n FROM ledger_entries WHERE namespace = ? AND status = 'dead' GROUP BY cause",
        (ns,),
    ).fetchall()


def balance(row: sqlite3.Row | dict[str, Any], cum: float) -> float:
    """An entry's balance at upkeep clock ``cum``."""
    return eco.balance(row["energy"], row["anchor"], cum, exempt=bool(row["exempt"]), pinned=bool(row["pinned"]))


def set_energy(
    db: Any,
    memory_id: str,
    energy: float,
    cum: float,
    *,
    exempt: bool,
    pinned: bool,
    extra_sql: str = "",
    params: Sequence[Any] = (),
) -> None:
    """Re-anchor an entry at ``energy`` now (clock ``cum``); ``extra_sql`` sets more columns
    (``, col = ?``) from ``params``."""
    due = eco.death_at(energy, cum, exempt=exempt, pinned=pinned)
    db.execute(
        f"UPDATE ledger_entries SET energy = ?, anchor = ?, death_at = ?{extra_sql} WHERE memory_id = ?",
        (energy, cum, due, *params, memory_id),
    )


def insert_entry(
    db: Any,
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
    """Make the stored memory ``memory_id`` an entry (spawn energy unless given); returns its row."""
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
    return entries(db, [memory_id], alive=False)[memory_id]


def bury(
    db: Any, memory_id: str, cause: str, now: str, energy: float, cum: float, merged_into: str | None = None
) -> None:
    """A live entry dies of ``cause`` at ``now``, keeping ``energy`` as its last balance."""
    db.execute(
        "UPDATE ledger_entries SET status = 'dead', cause = ?, died_at = ?, energy = ?, anchor = ?, "
        "death_at = NULL, dirty = 0, merged_into = ? WHERE memory_id = ? AND status = 'alive'",
        (cause, now, energy, cum, merged_into, memory_id),
    )


def mark_dead(db: Any, memory_id: str, cause: str, died_at: str) -> None:
    """Record an entry as dead of ``cause`` (an imported graveyard row keeps its energy)."""
    db.execute(
        "UPDATE ledger_entries SET status = 'dead', cause = ?, died_at = ?, death_at = NULL, "
        "dirty = 0 WHERE memory_id = ?",
        (cause, died_at, memory_id),
    )


def revive(db: Any, memory_id: str) -> None:
    """A dead entry is alive again (re-anchor it with :func:`set_energy`)."""
    db.execute(
        "UPDATE ledger_entries SET status = 'alive', cause = NULL, died_at = NULL, dirty = 0 WHERE memory_id = ?",
        (memory_id,),
    )


def pool_into(db: Any, memory_id: str, fields: dict[str, Any], lineage: Sequence[str], sources: Sequence[str]) -> None:
    """An existing entry takes a merge's pooled evidence (``fields``: uses, wins, losses,
    net_credit, damaged, last_settled_at) and lineage; marked changed."""
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
            json.dumps(list(lineage)),
            json.dumps(list(sources)),
            memory_id,
        ),
    )


def relink(db: Any, memory_id: str, lineage: Sequence[str], merged_into: str | None) -> None:
    """Set an entry's lineage, and its merge target unless it has one."""
    db.execute(
        "UPDATE ledger_entries SET lineage = ?, merged_into = coalesce(merged_into, ?) WHERE memory_id = ?",
        (json.dumps(list(lineage)), merged_into, memory_id),
    )


# -- tickets and settlements -----------------------------------------------------------


def escrowed(db: Any, ids: Iterable[str], *, besides: str | None = None) -> set[str]:
    """Which of ``ids`` an open ticket (other than ``besides``) holds."""
    sql = (
        "SELECT DISTINCT te.entry_id FROM ledger_ticket_entries te JOIN ledger_tickets t ON t.id = te.ticket_id "
        "WHERE t.status = 'open' AND t.id IS NOT ? AND te.entry_id IN ({marks})"
    )
    return {r[0] for r in chunked_in(db, sql, ids, [besides])}


def open_ticket(
    db: Any,
    ticket_id: str,
    ns: str,
    *,
    query: str,
    shown: str,
    opened_at: str,
    expires_at: str | None,
    extra: dict[str, Any],
    members: Sequence[tuple[str, str, float]],
    session_key: str | None = None,
    session_id: str | None = None,
    agent_id: str | None = None,
) -> None:
    """Write an open ticket and its ``members`` (entry id, role, score) in rank order."""
    db.execute(
        "INSERT INTO ledger_tickets (id, namespace, session_key, session_id, agent_id, query, shown, "
        "opened_at, expires_at, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (ticket_id, ns, session_key, session_id, agent_id, query, shown, opened_at, expires_at, json.dumps(extra)),
    )
    db.executemany(
        "INSERT INTO ledger_ticket_entries (ticket_id, entry_id, role, rank, score) VALUES (?, ?, ?, ?, ?)",
        [(ticket_id, entry, role, n, score) for n, (entry, role, score) in enumerate(members)],
    )


def ticket_exists(db: Any, ticket_id: str) -> bool:
    return db.execute("SELECT 1 FROM ledger_tickets WHERE id = ?", (ticket_id,)).fetchone() is not None


def session_tickets(db: Any, ns: str, session_key: str, until: str) -> list[str]:
    """Ids of the session's open tickets opened up to ``until``, oldest first."""
    return [
        r[0]
        for r in db.execute(
            "SELECT id FROM ledger_tickets WHERE namespace = ? AND session_key = ? AND status = 'open' "
            "AND opened_at <= ? ORDER BY opened_at, id",
            (ns, session_key, until),
        )
    ]


def expired_tickets(db: Any, ns: str, now: str) -> list[str]:
    """Ids of open tickets past their ``expires_at``."""
    return [
        r[0]
        for r in db.execute(
            "SELECT id FROM ledger_tickets WHERE namespace = ? AND status = 'open' AND expires_at <= ?", (ns, now)
        )
    ]


def close_ticket(db: Any, ticket_id: str, ns: str, status: str, now: str) -> bool:
    """Flip an open ticket to ``status``; False when it was not open (never applied twice)."""
    cur = db.execute(
        "UPDATE ledger_tickets SET status = ?, closed_at = ? WHERE id = ? AND namespace = ? AND status = 'open'",
        (status, now, ticket_id, ns),
    )
    return cur.rowcount != 0


def ticket_status(db: Any, ticket_id: str, ns: str) -> str | None:
    row = db.execute("SELECT status FROM ledger_tickets WHERE id = ? AND namespace = ?", (ticket_id, ns)).fetchone()
    return None if row is None else row["status"]


def ticket_members(db: Any, ticket_id: str) -> list[sqlite3.Row]:
    """``entry_id`` and ``role`` of the ticket's entries in rank order."""
    return db.execute(
        "SELECT entry_id, role FROM ledger_ticket_entries WHERE ticket_id = ? ORDER BY rank", (ticket_id,)
    ).fetchall()


def add_settlement(
    db: Any,
    ticket_id: str,
    ns: str,
    *,
    outcome: str,
    delta: float,
    scale: float,
    baseline: float | None,
    credit: float,
    detail: str,
    via: str,
    at: str,
) -> None:
    db.execute(
        "INSERT INTO ledger_settlements (ticket_id, namespace, outcome, delta, scale, baseline, credit, "
        "detail, via, settled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (ticket_id, ns, outcome, delta, scale, baseline, credit, detail, via, at),
    )
