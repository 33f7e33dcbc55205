"""Formation's schema: temporal validity on memories, per-session extraction progress and
revision links."""

from __future__ import annotations

import sqlite3

from ..store.migrations import register


@register("formation")
def m001_memory_validity(db: sqlite3.Connection) -> None:
    # valid_from: when the fact became true (the message time; NULL = created_at);
    # valid_to / superseded_by: set when a newer memory contradicts it (it leaves recall,
    # stays listed and restorable); confirmations: how often it was said again.
    for column in (
        "valid_from TEXT",
        "valid_to TEXT",
        "superseded_by TEXT",
        "confirmations INTEGER NOT NULL DEFAULT 0",
    ):
        db.execute(f"ALTER TABLE memories ADD COLUMN {column}")
    db.execute("CREATE INDEX memories_by_validity ON memories (namespace, valid_to)")
    # The last message seq of each session that extraction has processed: a replayed or
    # restarted worker resumes after it and never extracts one message twice.
    db.execute(
        """
        CREATE TABLE formation_progress (
            namespace    TEXT NOT NULL REFERENCES namespaces(name),
            session_key  TEXT NOT NULL,
            done_seq     INTEGER NOT NULL,
            updated_at   TEXT NOT NULL,
            PRIMARY KEY (namespace, session_key)
        )
        """
    )


@register("formation")
def m002_revised_by(db: sqlite3.Connection) -> None:
    # revised_by: a later memory that gives another value for the same slot, linked below the bar for
    # superseding (the older stays in recall; where a search returns both, the newer ranks above it).
    db.execute("ALTER TABLE memories ADD COLUMN revised_by TEXT")
