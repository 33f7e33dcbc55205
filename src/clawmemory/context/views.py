"""Read-only views of the context engine's tables for the web inspector."""

from __future__ import annotations

import json
from typing import Any

from ..store import Store


def compactions(
    store: Store, namespace: str, session_key: str | None = None, *, limit: int = 50
) -> list[dict[str, Any]]:
    """Compaction summaries, newest first (one session's when ``session_key`` is given)."""
    rows = store.db.execute(
        "SELECT id, session_key, summary, sections, summarizer, fallback_reason, tokens_before, tokens_after, "
        "created_at FROM context_compactions WHERE namespace = ? AND (? IS NULL OR session_key = ?) "
        "ORDER BY created_at DESC LIMIT ?",
        (namespace, session_key, session_key, limit),
    )
    return [{**dict(r), "sections": json.loads(r["sections"])} for r in rows]


def daily_files(store: Store, namespace: str) -> list[dict[str, Any]]:
    """The day files written for a namespace: path, size after our last append, when."""
    rows = store.db.execute(
        "SELECT path, size, updated_at FROM context_daily_files WHERE namespace = ? ORDER BY path DESC", (namespace,)
    )
    return [dict(r) for r in rows]
