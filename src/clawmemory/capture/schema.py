"""The capture component's tables (migrations ``capture.*``)."""

from __future__ import annotations

import sqlite3

from ..store.migrations import register


@register("capture")
def m001_observations(db: sqlite3.Connection) -> None:
    # One row per captured tool result. `id` is derived from (namespace, line hash), so
    # re-ingesting a line is a primary-key no-op; `content_hash` is the SHA-256 of the
    # line as written. Fields that are not columns live in `detail_json`.
    db.execute(
        """
        CREATE TABLE observations (
            id            TEXT PRIMARY KEY,
            namespace     TEXT NOT NULL REFERENCES namespaces(name),
            ts            TEXT NOT NULL,
            kind          TEXT NOT NULL DEFAULT 'tool',
            tool_name     TEXT,
            tool_call_id  TEXT,
            session_key   TEXT,
            agent_id      TEXT,
            is_synthetic  INTEGER NOT NULL DEFAULT 0,
            is_error      INTEGER NOT NULL DEFAULT 0,
            summary       TEXT NOT NULL,
            result        TEXT,
            detail_json   TEXT NOT NULL DEFAULT '{}',
            source        TEXT,
            line_no       INTEGER,
            content_hash  TEXT NOT NULL,
            ingested_at   TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX observations_by_time ON observations (namespace, ts)")


@register("capture")
def m002_capture_offsets(db: sqlite3.Connection) -> None:
    # How far each file has been read, per target (`namespace` is the --namespace given,
    # or '*' when each line picks its own). A file is the same file while (device, inode)
    # and `head` (SHA-256 of its first line; NULL until it has one) match and it has not
    # shrunk below `offset`; otherwise it was rotated, replaced or truncated.
    db.execute(
        """
        CREATE TABLE capture_offsets (
            path        TEXT NOT NULL,
            namespace   TEXT NOT NULL,
            device      INTEGER NOT NULL,
            inode       INTEGER NOT NULL,
            offset      INTEGER NOT NULL,
            size        INTEGER NOT NULL,
            line_no     INTEGER NOT NULL,
            head        TEXT,
            updated_at  TEXT NOT NULL,
            PRIMARY KEY (path, namespace)
        )
        """
    )
