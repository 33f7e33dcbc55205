"""Formation's SQL: per-session extraction progress, and the validity columns formation keeps
on memories (``valid_from``, ``valid_to``, ``superseded_by``, ``confirmations``, ``revised_by``) with the
provenance in a formed memory's metadata. Plain functions over a connection (``?`` placeholders:
SQLite, and PostgreSQL through ``pgconn``)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from ..store.records import Memory, now_iso
from ..store.sqlite import chunked_in, memory_from_row

VALIDITY = ("valid_from", "valid_to", "superseded_by", "confirmations", "revised_by")  # the columns formation adds


def done_seq(db: sqlite3.Connection, namespace: str, session_key: str) -> int:
    """The last message seq of the session that formation has processed (0: none)."""
    row = db.execute(
        "SELECT done_seq FROM formation_progress WHERE namespace = ? AND session_key = ?", (namespace, session_key)
    ).fetchone()
    return row[0] if row else 0


def last_seq(db: sqlite3.Connection, namespace: str, session_key: str) -> int:
    """The session's newest stored message seq (0: none)."""
    row = db.execute(
        "SELECT max(seq) FROM messages WHERE namespace = ? AND session_key = ?", (namespace, session_key)
    ).fetchone()
    return row[0] or 0


def set_done_seq(db: sqlite3.Connection, namespace: str, session_key: str, seq: int) -> None:
    db.execute(
        "INSERT INTO formation_progress (namespace, session_key, done_seq, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (namespace, session_key) DO UPDATE SET done_seq = excluded.done_seq, "
        "updated_at = excluded.updated_at",
        (namespace, session_key, seq, now_iso()),
    )


def provenance(db: sqlite3.Connection, ids: list[str]) -> dict[str, tuple[str | None, str | None, int | None]]:
    """``{id: (role, session_key, seq)}`` of the formed memories among ``ids``."""
    rows = chunked_in(
        db,
        "SELECT id, json_extract(metadata, '$.formation.role'), json_extract(metadata, '$.formation.session_key'), "
        "json_extract(metadata, '$.formation.seq') FROM memories WHERE source = 'formation' AND id IN ({marks})",
        ids,
    )
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def forgotten_text(db: Any, namespace: str, content_hash: str, text: str) -> bool:
    """Whether the user forgot a memory of this content (hash, or the same text in any case)."""
    row = db.execute(
        "SELECT 1 FROM memories WHERE namespace = ? AND status = 'forgotten' AND "
        "(content_hash = ? OR lower(text) = lower(?)) LIMIT 1",
        (namespace, content_hash, text),
    ).fetchone()
    return row is not None


def active_with_hash(db: Any, namespace: str, content_hash: str) -> bool:
    row = db.execute(
        "SELECT 1 FROM memories WHERE namespace = ? AND content_hash = ? AND status = 'active'",
        (namespace, content_hash),
    ).fetchone()
    return row is not None


def confirm(db: Any, memory_id: str) -> None:
    """One more statement of a memory."""
    db.execute("UPDATE memories SET confirmations = confirmations + 1 WHERE id = ?", (memory_id,))


def set_valid_from(db: Any, memory_id: str, at: str) -> None:
    db.execute("UPDATE memories SET valid_from = ? WHERE id = ?", (at, memory_id))


def supersede(db: Any, targets: Sequence[str], by: str, at: str) -> None:
    """``targets`` stop being valid at ``at``, replaced by memory ``by``."""
    db.executemany(
        "UPDATE memories SET valid_to = ?, superseded_by = ?, updated_at = ? WHERE id = ?",
        [(at, by, now_iso(), target) for target in targets],
    )


def revise(db: Any, targets: Sequence[str], by: str) -> None:
    """``targets`` stay valid, linked to memory ``by`` that revises them (the latest link wins)."""
    db.executemany("UPDATE memories SET revised_by = ? WHERE id = ?", [(by, target) for target in targets])


def refine(db: Any, memory_id: str, text: str, content_hash: str, metadata: dict[str, Any]) -> None:
    """A fuller text for a memory (one more confirmation); the caller re-indexes it."""
    db.execute(
        "UPDATE memories SET text = ?, content_hash = ?, updated_at = ?, confirmations = confirmations + 1, "
        "metadata = ? WHERE id = ?",
        (text, content_hash, now_iso(), json.dumps(metadata, ensure_ascii=False), memory_id),
    )


def unsupersede(db: Any, memory_id: str, namespace: str) -> bool:
    """Make a superseded memory current again; False when no such memory is in ``namespace``."""
    cur = db.execute(
        "UPDATE memories SET valid_to = NULL, superseded_by = NULL, updated_at = ? WHERE id = ? AND namespace = ?",
        (now_iso(), memory_id, namespace),
    )
    return cur.rowcount > 0


def with_validity(db: Any, ids: Sequence[str]) -> dict[str, tuple[Memory, dict[str, Any]]]:
    """Memories by id, each with its validity columns (:data:`VALIDITY`), in one read."""
    rows = chunked_in(db, "SELECT * FROM memories WHERE id IN ({marks})", ids)
    return {r["id"]: (memory_from_row(r), {k: r[k] for k in VALIDITY}) for r in rows}


def superseded_count(db: Any, namespaces: Sequence[str]) -> int:
    """Active memories of ``namespaces`` that something superseded."""
    marks = ",".join("?" * len(namespaces))
    return db.execute(
        f"SELECT count(*) FROM memories WHERE namespace IN ({marks}) AND valid_to IS NOT NULL AND status = 'active'",
        list(namespaces),
    ).fetchone()[0]


def superseded_by_any(db: Any, ids: Sequence[str]) -> list[Any]:
    """(id, valid_to) of the active memories that ``ids`` superseded."""
    sql = "SELECT id, valid_to FROM memories WHERE superseded_by IN ({marks}) AND status = 'active'"
    return chunked_in(db, sql, ids)


def superseded(db: Any, namespace: str, limit: int) -> list[str]:
    """Ids of the namespace's superseded memories, newest change first."""
    rows = db.execute(
        "SELECT id FROM memories WHERE namespace = ? AND valid_to IS NOT NULL AND status = 'active' "
        "ORDER BY valid_to DESC LIMIT ?",
        (namespace, limit),
    ).fetchall()
    return [r[0] for r in rows]
