"""The context engine's tables (component ``context``)."""

from __future__ import annotations

import sqlite3

from ..store.migrations import register


@register("context")
def m001_turns(db: sqlite3.Connection) -> None:
    # One row per committed turn: commitTurn's advancementKey (or, for the afterTurn and
    # ingest fallbacks, a hash of what they carried). A replay finds its row and writes nothing.
    db.execute(
        """
        CREATE TABLE context_turns (
            namespace        TEXT NOT NULL REFERENCES namespaces(name),
            advancement_key  TEXT NOT NULL,
            session_key      TEXT NOT NULL,
            method           TEXT NOT NULL,
            message_count    INTEGER NOT NULL,
            stored           INTEGER NOT NULL,
            committed_at     TEXT NOT NULL,
            PRIMARY KEY (namespace, advancement_key)
        )
        """
    )
    db.execute("CREATE INDEX context_turns_by_session ON context_turns (namespace, session_key, committed_at)")


@register("context")
def m002_daily_files(db: sqlite3.Connection) -> None:
    # Entries waiting to be appended to a day file, written in the commit's transaction.
    db.execute(
        """
        CREATE TABLE context_daily_outbox (
            id             INTEGER PRIMARY KEY AUTOINCREMENT,
            namespace      TEXT NOT NULL REFERENCES namespaces(name),
            workspace_dir  TEXT NOT NULL,
            day            TEXT NOT NULL,
            hhmm           TEXT NOT NULL,
            turn_key       TEXT NOT NULL,
            body           TEXT NOT NULL,
            created_at     TEXT NOT NULL
        )
        """
    )
    # The size of each day file after our last append (what a torn append is checked against).
    db.execute(
        """
        CREATE TABLE context_daily_files (
            path        TEXT PRIMARY KEY,
            namespace   TEXT NOT NULL REFERENCES namespaces(name),
            size        INTEGER NOT NULL,
            updated_at  TEXT NOT NULL
        )
        """
    )


@register("context")
def m003_compactions(db: sqlite3.Connection) -> None:
    # Each compaction of a session: the summary and the first kept message (by fingerprint),
    # so assemble can apply it again to the host's full history on later turns.
    db.execute(
        """
        CREATE TABLE context_compactions (
            id                   TEXT PRIMARY KEY,
            namespace            TEXT NOT NULL REFERENCES namespaces(name),
            session_key          TEXT NOT NULL,
            boundary             TEXT NOT NULL,
            boundary_index       INTEGER NOT NULL,
            first_kept_entry_id  TEXT,
            summary              TEXT NOT NULL,
            sections             TEXT NOT NULL,
            summarizer           TEXT NOT NULL,
            fallback_reason      TEXT,
            tokens_before        INTEGER NOT NULL,
            tokens_after         INTEGER NOT NULL,
            created_at           TEXT NOT NULL
        )
        """
    )
    db.execute(
        "CREATE INDEX context_compactions_by_session ON context_compactions (namespace, session_key, created_at)"
    )
