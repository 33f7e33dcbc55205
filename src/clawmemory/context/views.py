"""Read-only views of the context engine's tables for the web inspector."""

from __future__ import annotations

import json
from typing import Any

from ..store import Store
from . import rows


def compactions(
    store: Store, namespace: str, session_key: str | None = None, *, limit: int = 50
) -> list[dict[str, Any]]:
    """Compaction summaries, newest first (one session's when ``session_key`` is given)."""
    found = rows.compactions(store.db, namespace, session_key, limit=limit)
    return [{**dict(r), "sections": json.loads(r["sections"])} for r in found]


def daily_files(store: Store, namespace: str) -> list[dict[str, Any]]:
    """The day files written for a namespace: path, size after our last append, when."""
    return [dict(r) for r in rows.daily_files(store.db, namespace)]
