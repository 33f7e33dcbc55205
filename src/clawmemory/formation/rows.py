"""Formation's SQL: per-session extraction progress (the validity columns are read and written
by :mod:`.service` until the memory record carries them)."""

from __future__ import annotations

import sqlite3

from ..store.records import now_iso
from ..store.sqlite import chunked_in


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


def exchanges(db: sqlite3.Connection, ids: list[str]) -> dict[str, tuple[str, str]]:
    """``{id: (role, context)}`` of the formed memories among ``ids``: who said each and the words
    of the exchange it came from."""
    rows = chunked_in(
        db,
        "SELECT id, json_extract(metadata, '$.formation.role'), json_extract(metadata, '$.formation.context') "
        "FROM memories WHERE source = 'formation' AND id IN ({marks})",
        ids,
    )
    return {r[0]: (r[1] or "user", r[2] or "") for r in rows}
