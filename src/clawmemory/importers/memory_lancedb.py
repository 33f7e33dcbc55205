"""memory-lancedb (OpenClaw's vector memory plugin): its LanceDB table, read with ``lancedb``.

The plugin keeps one table, ``memories`` (``id, text, vector, importance, category,
createdAt`` in ms), under its ``dbPath`` (default ``~/.openclaw/memory/lancedb``). Vectors are
not imported: they belong to the plugin's embedding model; clawmemory embeds with its own.
Other tables in the folder (clones that add columns) are read the same way: every column but
the vector is kept in the metadata. Needs the optional extra: ``pip install 'clawmemory[lancedb]'``.

PATH: the LanceDB folder (``dbPath``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import Unavailable
from .records import MemoryRecord, Problem, Record

TABLE = "memories"
TEXT_COLUMNS = ("text", "content", "memory")


def _connect(path: Path) -> Any:
    try:
        import lancedb
    except ImportError as exc:
        raise Unavailable(
            "importing memory-lancedb needs the lancedb package: pip install 'clawmemory[lancedb]'"
        ) from exc
    return lancedb.connect(str(path))


def _tables(db: Any) -> list[str]:
    listed = db.list_tables() if hasattr(db, "list_tables") else db.table_names()
    names = list(getattr(listed, "tables", listed))
    return [TABLE] if TABLE in names else sorted(names)


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def read(path: Path) -> Iterator[Record]:
    db = _connect(path)
    names = _tables(db)
    if not names:
        yield Problem(str(path), "no LanceDB table here (memory-lancedb's dbPath holds a 'memories' table)")
        return
    for name in names:
        rows = db.open_table(name).to_arrow().to_pylist()
        for n, row in enumerate(rows):
            where = f"{name}:{row.get('id', n)}"
            text = next((row[c] for c in TEXT_COLUMNS if isinstance(row.get(c), str) and row[c].strip()), None)
            if text is None:
                yield Problem(where, "row has no text")
                continue
            importance = row.get("importance")
            meta = {k: _plain(v) for k, v in row.items() if k != "vector" and k not in TEXT_COLUMNS}
            yield MemoryRecord(
                text,
                where,
                kind="fact",
                category=row.get("category"),
                importance=importance if isinstance(importance, int | float) else 0.5,
                source="memory-lancedb",
                metadata={"lancedb": meta, "table": name},
            )
