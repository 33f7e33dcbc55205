"""The capture component's SQL: its tables ``observations`` and ``capture_offsets``, as plain
functions over a connection (``?`` placeholders: SQLite, and PostgreSQL through ``pgconn``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..store.records import now_iso
from ..store.sqlite import chunked_in

ANY_NAMESPACE = "*"  # capture_offsets.namespace when each line picks its own


def offset(db: Any, path: str, namespace: str | None) -> Any:
    """Where the last pass over ``path`` stopped (for ``namespace``, or lines' own), or None."""
    return db.execute(
        "SELECT * FROM capture_offsets WHERE path = ? AND namespace = ?", (path, namespace or ANY_NAMESPACE)
    ).fetchone()


def save_offset(
    db: Any,
    path: str,
    namespace: str | None,
    *,
    device: int,
    inode: int,
    offset: int,
    size: int,
    line_no: int,
    head: str | None,
) -> None:
    db.execute(
        """
        INSERT INTO capture_offsets (path, namespace, device, inode, offset, size, line_no, head, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (path, namespace) DO UPDATE SET device = excluded.device, inode = excluded.inode,
            offset = excluded.offset, size = excluded.size, line_no = excluded.line_no,
            head = excluded.head, updated_at = excluded.updated_at
        """,
        (path, namespace or ANY_NAMESPACE, device, inode, offset, size, line_no, head, now_iso()),
    )


def insert_observations(db: Any, rows: Sequence[tuple]) -> None:
    """Observation rows as :mod:`.batch` prepares them (column order below)."""
    db.executemany(
        """
        INSERT INTO observations (id, namespace, ts, kind, tool_name, tool_call_id, session_key, agent_id,
                                  is_synthetic, is_error, summary, result, detail_json, source, line_no,
                                  content_hash, ingested_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        rows,
    )


def existing(db: Any, ids: Iterable[str]) -> set[str]:
    """Which of ``ids`` are stored already."""
    return {r[0] for r in chunked_in(db, "SELECT id FROM observations WHERE id IN ({marks})", ids)}


def observations(db: Any, ids: Iterable[str]) -> list[Any]:
    """Whole observation rows by id (those that exist)."""
    return chunked_in(db, "SELECT * FROM observations WHERE id IN ({marks})", ids)


def observation(db: Any, observation_id: str, namespace: str) -> Any:
    return db.execute(
        "SELECT * FROM observations WHERE id = ? AND namespace = ?", (observation_id, namespace)
    ).fetchone()


def count(db: Any, namespace: str | None = None) -> int:
    """Observations in ``namespace`` (all of them when None)."""
    if namespace is None:
        return db.execute("SELECT count(*) FROM observations").fetchone()[0]
    return db.execute("SELECT count(*) FROM observations WHERE namespace = ?", (namespace,)).fetchone()[0]
