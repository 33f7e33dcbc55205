"""Read-only views of captured observations for the web inspector."""

from __future__ import annotations

from typing import Any

from ..store import Store


def recent(
    store: Store, namespace: str, *, tool: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """Observations newest first (optionally of one tool), and how many there are."""
    where, params = "namespace = ? AND (? IS NULL OR tool_name = ?)", (namespace, tool, tool)
    total = store.db.execute(f"SELECT count(*) FROM observations WHERE {where}", params).fetchone()[0]
    rows = store.db.execute(
        "SELECT id, ts, tool_name, session_key, agent_id, is_error, summary FROM observations "
        f"WHERE {where} ORDER BY ts DESC, id DESC LIMIT ? OFFSET ?",
        (*params, limit, offset),
    )
    return [{**dict(r), "is_error": bool(r["is_error"])} for r in rows], total
