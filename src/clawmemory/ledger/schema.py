"""The ledger's tables (component ``ledger``), registered with the store's migrations.

A ledger entry *is* a memory (``memories`` row, kind ``qa``) plus one
``ledger_entries`` row keyed by the memory id. Energy is stored lazily:
``energy`` is the balance at the moment the namespace's cumulative upkeep
stood at ``anchor``; the balance now is ``energy - (cum_upkeep - anchor)``.
``death_at`` (= ``anchor + energy``) is indexed, so finding the starved is
a range query, not a sweep over every entry.
"""

from __future__ import annotations

import sqlite3

from ..store.migrations import register


@register("ledger")
def m001_ledger_tables(db: sqlite3.Connection) -> None:
    db.execute(
        """
        CREATE TABLE ledger_state (
            namespace     TEXT PRIMARY KEY REFERENCES namespaces(name),
            cum_upkeep    REAL NOT NULL DEFAULT 0,    -- upkeep charged per entry since birth of the ledger
            sessions      INTEGER NOT NULL DEFAULT 0, -- settled sessions (agent_end with tickets)
            ticks         INTEGER NOT NULL DEFAULT 0,
            last_tick_at  TEXT NOT NULL,
            baseline      REAL,                       -- running mean of settled outcome deltas
            baseline_n    INTEGER NOT NULL DEFAULT 0,
            config        TEXT NOT NULL DEFAULT '{}', -- persisted economics (camelCase keys)
            created_at    TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE ledger_entries (
            memory_id        TEXT PRIMARY KEY REFERENCES memories(id),
            namespace        TEXT NOT NULL REFERENCES namespaces(name),
            origin_id        TEXT,                      -- id in the system it was imported from
            kind             TEXT NOT NULL DEFAULT 'experience',
            sources          TEXT NOT NULL DEFAULT '[]',
            energy           REAL NOT NULL,
            anchor           REAL NOT NULL,
            death_at         REAL,                      -- NULL: cannot starve (pinned / exempt)
            exempt           INTEGER NOT NULL DEFAULT 0,  -- pays no upkeep (category policy)
            pinned           INTEGER NOT NULL DEFAULT 0,
            probation        INTEGER NOT NULL DEFAULT 0,  -- positive settlements owed before it may decide
            born_at          TEXT NOT NULL,
            last_settled_at  TEXT,
            uses             INTEGER NOT NULL DEFAULT 0,
            wins             INTEGER NOT NULL DEFAULT 0,
            losses           INTEGER NOT NULL DEFAULT 0,
            net_credit       REAL NOT NULL DEFAULT 0,
            damaged          INTEGER NOT NULL DEFAULT 0,  -- ever took negative credit
            lineage          TEXT NOT NULL DEFAULT '[]',
            merged_into      TEXT,
            status           TEXT NOT NULL DEFAULT 'alive' CHECK (status IN ('alive', 'dead')),
            cause            TEXT CHECK (cause IN ('starved', 'executed', 'merged', 'forgotten')),
            died_at          TEXT,
            dirty            INTEGER NOT NULL DEFAULT 1,  -- new/changed since the last consolidation
            extra            TEXT NOT NULL DEFAULT '{}'
        )
        """
    )
    db.execute(
        "CREATE INDEX ledger_entries_death ON ledger_entries (namespace, death_at) "
        "WHERE status = 'alive' AND death_at IS NOT NULL"
    )
    db.execute("CREATE INDEX ledger_entries_dirty ON ledger_entries (namespace) WHERE status = 'alive' AND dirty = 1")
    db.execute("CREATE INDEX ledger_entries_graveyard ON ledger_entries (namespace, status, died_at)")
    db.execute("CREATE UNIQUE INDEX ledger_entries_origin ON ledger_entries (namespace, origin_id)")
    db.execute(
        """
        CREATE TABLE ledger_tickets (
            id           TEXT PRIMARY KEY,
            namespace    TEXT NOT NULL REFERENCES namespaces(name),
            session_key  TEXT,
            session_id   TEXT,
            agent_id     TEXT,
            query        TEXT NOT NULL,
            shown        TEXT NOT NULL,
            opened_at    TEXT NOT NULL,
            expires_at   TEXT,
            status       TEXT NOT NULL DEFAULT 'open'
                         CHECK (status IN ('open', 'settled', 'expired', 'abandoned')),
            closed_at    TEXT,
            extra        TEXT NOT NULL DEFAULT '{}'
        )
        """
    )
    db.execute(
        "CREATE INDEX ledger_tickets_open_session ON ledger_tickets (namespace, session_key) WHERE status = 'open'"
    )
    db.execute(
        "CREATE INDEX ledger_tickets_open_expiry ON ledger_tickets (namespace, expires_at) WHERE status = 'open'"
    )
    db.execute(
        """
        CREATE TABLE ledger_ticket_entries (
            ticket_id  TEXT NOT NULL REFERENCES ledger_tickets(id),
            entry_id   TEXT NOT NULL REFERENCES ledger_entries(memory_id),
            role       TEXT NOT NULL CHECK (role IN ('decider', 'supporter')),
            rank       INTEGER NOT NULL,
            score      REAL NOT NULL,
            PRIMARY KEY (ticket_id, entry_id)
        )
        """
    )
    db.execute("CREATE INDEX ledger_ticket_entries_by_entry ON ledger_ticket_entries (entry_id)")
    db.execute(
        """
        CREATE TABLE ledger_settlements (
            ticket_id   TEXT PRIMARY KEY REFERENCES ledger_tickets(id),  -- the idempotency key
            namespace   TEXT NOT NULL REFERENCES namespaces(name),
            outcome     TEXT NOT NULL,   -- success, failure, measured, expired, abandoned
            delta       REAL NOT NULL,
            scale       REAL NOT NULL,
            baseline    REAL,
            credit      REAL NOT NULL,   -- the decider's credit (supporters get a share)
            detail      TEXT NOT NULL DEFAULT '',
            via         TEXT NOT NULL,   -- agent_end, cli, http, tick
            settled_at  TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE ledger_events (
            seq        INTEGER PRIMARY KEY AUTOINCREMENT,
            namespace  TEXT NOT NULL REFERENCES namespaces(name),
            entry_id   TEXT,
            ticket_id  TEXT,
            type       TEXT NOT NULL,
            at         TEXT NOT NULL,
            data       TEXT NOT NULL DEFAULT '{}'
        )
        """
    )
    db.execute("CREATE INDEX ledger_events_by_entry ON ledger_events (entry_id, seq)")
    db.execute("CREATE INDEX ledger_events_by_type ON ledger_events (namespace, type, seq)")
