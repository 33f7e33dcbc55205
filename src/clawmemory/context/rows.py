"""The context engine's SQL: its tables ``context_turns``, ``context_compactions``,
``context_daily_outbox`` and ``context_daily_files``, as plain functions over a connection
(``?`` placeholders: SQLite, and PostgreSQL through ``pgconn``). Messages themselves are the
store's (``add_messages``, ``unpaired_twin``, ``delete_messages_before``, …)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..store.records import now_iso

# -- turns ----------------------------------------------------------------------------------


def begin_turn(db: Any, namespace: str, key: str, session_key: str, method: str, message_count: int) -> bool:
    """Record a turn under its advancement ``key``; False when the key was recorded before."""
    cur = db.execute(
        "INSERT INTO context_turns (namespace, advancement_key, session_key, method, message_count, "
        "stored, committed_at) VALUES (?, ?, ?, ?, ?, 0, ?) ON CONFLICT DO NOTHING",
        (namespace, key, session_key, method, message_count, now_iso()),
    )
    return cur.rowcount == 1


def set_turn_stored(db: Any, namespace: str, key: str, stored: int) -> None:
    db.execute(
        "UPDATE context_turns SET stored = ? WHERE namespace = ? AND advancement_key = ?", (stored, namespace, key)
    )


# -- compactions ----------------------------------------------------------------------------


def latest_compaction(db: Any, namespace: str, session_key: str) -> Any:
    return db.execute(
        "SELECT * FROM context_compactions WHERE namespace = ? AND session_key = ? "
        "ORDER BY created_at DESC, id DESC LIMIT 1",
        (namespace, session_key),
    ).fetchone()


def insert_compaction(
    db: Any,
    compaction_id: str,
    namespace: str,
    session_key: str,
    *,
    boundary: str,
    boundary_index: int,
    first_kept_entry_id: str | None,
    summary: str,
    sections: Any,
    summarizer: str,
    fallback_reason: str | None,
    tokens_before: int,
    tokens_after: int,
) -> None:
    db.execute(
        "INSERT INTO context_compactions (id, namespace, session_key, boundary, boundary_index, "
        "first_kept_entry_id, summary, sections, summarizer, fallback_reason, tokens_before, "
        "tokens_after, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            compaction_id,
            namespace,
            session_key,
            boundary,
            boundary_index,
            first_kept_entry_id,
            summary,
            json.dumps(sections, ensure_ascii=False),
            summarizer,
            fallback_reason,
            tokens_before,
            tokens_after,
            now_iso(),
        ),
    )


def replace_summary(
    db: Any, namespace: str, session_key: str, boundary: str, summary: str, sections: Any, summarizer: str
) -> None:
    """A better summary for the compaction at ``boundary`` (the background LLM's)."""
    db.execute(
        "UPDATE context_compactions SET summary = ?, sections = ?, summarizer = ? "
        "WHERE namespace = ? AND session_key = ? AND boundary = ?",
        (summary, json.dumps(sections, ensure_ascii=False), summarizer, namespace, session_key, boundary),
    )


def compactions(db: Any, namespace: str, session_key: str | None = None, *, limit: int = 50) -> list[Any]:
    """Compaction rows, newest first (one session's when ``session_key`` is given)."""
    return db.execute(
        "SELECT id, session_key, summary, sections, summarizer, fallback_reason, tokens_before, tokens_after, "
        "created_at FROM context_compactions WHERE namespace = ? AND (? IS NULL OR session_key = ?) "
        "ORDER BY created_at DESC LIMIT ?",
        (namespace, session_key, session_key, limit),
    ).fetchall()


# -- day files ------------------------------------------------------------------------------


def enqueue_daily(
    db: Any, namespace: str, workspace: str, turn_key: str, items: Sequence[tuple[str, str, str]]
) -> None:
    """Queue (day, HH:MM, body) day-file entries."""
    stamp = now_iso()
    db.executemany(
        "INSERT INTO context_daily_outbox (namespace, workspace_dir, day, hhmm, turn_key, body, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(namespace, workspace, day, hhmm, turn_key, body, stamp) for day, hhmm, body in items],
    )


def pending_daily(db: Any) -> int:
    return db.execute("SELECT count(*) FROM context_daily_outbox").fetchone()[0]


def queued_daily(db: Any) -> list[Any]:
    """Every queued day-file entry, oldest first."""
    return db.execute(
        "SELECT id, namespace, workspace_dir, day, hhmm, turn_key, body FROM context_daily_outbox ORDER BY id"
    ).fetchall()


def daily_file_size(db: Any, path: str) -> int | None:
    """The size of ``path`` after our last append to it, or None if we never wrote it."""
    row = db.execute("SELECT size FROM context_daily_files WHERE path = ?", (path,)).fetchone()
    return None if row is None else row[0]


def daily_written(db: Any, path: str, namespace: str, size: int, entry_ids: Sequence[int]) -> None:
    """Entries appended to ``path`` (now ``size`` bytes): record the size, drop them from the queue."""
    db.execute(
        "INSERT INTO context_daily_files (path, namespace, size, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (path) DO UPDATE SET size = excluded.size, updated_at = excluded.updated_at",
        (path, namespace, size, now_iso()),
    )
    db.executemany("DELETE FROM context_daily_outbox WHERE id = ?", [(i,) for i in entry_ids])


def daily_files(db: Any, namespace: str) -> list[Any]:
    """The day files written for a namespace: path, size after our last append, when."""
    return db.execute(
        "SELECT path, size, updated_at FROM context_daily_files WHERE namespace = ? ORDER BY path DESC", (namespace,)
    ).fetchall()
