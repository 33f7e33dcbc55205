"""mem0: the JSON of its memories, as ``Memory.get_all()`` / ``MemoryClient.get_all()`` return
them (``{"results": [...]}``), a platform export (``{"memories": [...]}``) or a bare list.

Each item: ``id``, ``memory`` (the text), ``hash``, ``metadata``, ``categories``, ``user_id`` /
``agent_id`` / ``run_id``, ``created_at``, ``updated_at``. Everything but the text is kept in the
metadata; the first category becomes the category. mem0's ``expiration_date`` in the past means
the memory was retired: it is imported forgotten.

PATH: the JSON file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .records import MemoryRecord, Problem, Record

TEXT_KEYS = ("memory", "text", "content", "data")


def _items(payload: Any) -> list[Any] | None:
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict):
        for key in ("results", "memories", "data"):
            if isinstance(payload.get(key), list):
                return payload[key]
    return None


def _expired(value: Any) -> bool:
    if not isinstance(value, str) or not value:
        return False
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)) < datetime.now(UTC)


def read(path: Path) -> Iterator[Record]:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        yield Problem(str(path), f"not a mem0 JSON export: {exc}")
        return
    items = _items(payload)
    if items is None:
        yield Problem(str(path), "not a mem0 export: expected a list, or an object with 'results' or 'memories'")
        return
    for n, item in enumerate(items):
        where = f"[{n}]" + (f" {item['id']}" if isinstance(item, dict) and item.get("id") else "")
        if not isinstance(item, dict):
            yield Problem(where, "not an object")
            continue
        text = next((item[k] for k in TEXT_KEYS if isinstance(item.get(k), str) and item[k].strip()), None)
        if text is None:
            yield Problem(where, "no memory text")
            continue
        categories = categories if isinstance(categories := item.get("categories"), list) else []
        yield MemoryRecord(
            text,
            where,
            kind="fact",
            category=categories[0] if categories else None,
            source="mem0",
            active=not _expired(item.get("expiration_date")),
            metadata={"mem0": {k: v for k, v in item.items() if k not in TEXT_KEYS}},
        )
