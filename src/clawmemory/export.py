"""``clawmemory export``: every row needed to rebuild the store, as JSONL (lossless; ``import
clawmemory`` reads it back) or markdown (for people).

Generic on purpose: the tables and their columns are read from the database, so a column or
table another component adds later travels without a change here. Left out are only the
tables that are derived or bound to this machine (:data:`DERIVED`); the search index and the
vectors are rebuilt on import. Rows come in foreign-key order (parents first), each table in
primary-key order, and nothing in the output depends on the time of the export, so exporting
the same store twice gives the same bytes.

JSONL: a header line ``{"format": "clawmemory-export", "version": 1, "namespace", "tables":
{table: [columns]}, "migrations"}``, then one ``{"table", "row": {column: value}}`` per row
(TEXT stays text, JSON columns included; a BLOB is ``{"$base64": ...}``).
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import IO, Any

from . import __version__

FORMAT = "clawmemory-export"
VERSION = 1
DERIVED = {
    "_migrations": "schema bookkeeping (the header lists the migrations applied)",
    "search_items": "the search index, rebuilt from the rows on import",
    "search_tombstones": "search index bookkeeping",
    "embeddings": "vectors of the search index, re-embedded after import",
    "capture_offsets": "read positions in this machine's capture files",
    "context_daily_outbox": "day-file appends pending on this machine",
    "context_daily_files": "sizes of this machine's day files",
    "collection_documents": "derived from the collection's files (`clawmemory update` rebuilds it)",
    "collection_chunks": "derived from the collection's files (`clawmemory update` rebuilds it)",
}


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]  # primary-key columns; () when the table has only a rowid
    integer_key: bool  # the key is the rowid (INTEGER PRIMARY KEY): assigned by the store
    parents: tuple[tuple[str, str, str], ...]  # (column, parent table, parent column)


def quote_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def tables(db: sqlite3.Connection, skip: Collection[str] = tuple(DERIVED)) -> list[Table]:
    """The store's tables, parents before children (virtual ones and ``skip`` left out: by
    default the derived ones)."""
    if getattr(db, "dialect", "sqlite") == "postgres":
        return _ordered(_postgres_tables(db, skip))
    rows = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall()
    virtual = [r[0] for r in rows if (r[1] or "").upper().startswith("CREATE VIRTUAL TABLE")]
    found: dict[str, Table] = {}
    for name, _ in rows:
        if name.startswith("sqlite_") or name in skip or any(name == v or name.startswith(v + "_") for v in virtual):
            continue
        info = db.execute(f"PRAGMA table_info({quote_name(name)})").fetchall()
        key = tuple(c[1] for c in sorted((c for c in info if c[5]), key=lambda c: c[5]))
        integer_key = len(key) == 1 and next(c[2] for c in info if c[1] == key[0]).upper() == "INTEGER"
        parents = tuple((f[3], f[2], f[4] or f[3]) for f in db.execute(f"PRAGMA foreign_key_list({quote_name(name)})"))
        found[name] = Table(name, tuple(c[1] for c in info), key, integer_key, parents)
    return _ordered(found)


def _postgres_tables(db: Any, skip: Collection[str]) -> dict[str, Table]:
    """The same from PostgreSQL's catalog (its bookkeeping tables, named ``_…``, left out)."""
    found: dict[str, Table] = {}
    names = [r[0] for r in db.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_type = 'BASE TABLE' ORDER BY table_name"
    )]  # fmt: skip
    for name in names:
        if name.startswith("_") or name in skip:
            continue
        info = db.execute(
            "SELECT column_name, data_type, is_identity FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
            (name,),
        ).fetchall()
        key = tuple(r[0] for r in db.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = ?::regclass AND i.indisprimary "
            "ORDER BY array_position(i.indkey, a.attnum)",
            (quote_name(name),),
        ))  # fmt: skip
        integer_key = len(key) == 1 and any(c[0] == key[0] and c[2] == "YES" for c in info)
        parents = tuple(tuple(r) for r in db.execute(
            "SELECT kcu.column_name, ccu.table_name, ccu.column_name "
            "FROM information_schema.table_constraints tc "
            "JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name "
            "AND kcu.table_schema = tc.table_schema "
            "JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = tc.constraint_name "
            "AND ccu.table_schema = tc.table_schema "
            "WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema() AND tc.table_name = ?",
            (name,),
        ))  # fmt: skip
        found[name] = Table(name, tuple(c[0] for c in info), key, integer_key, parents)
    return found


def _ordered(found: dict[str, Table]) -> list[Table]:
    """Parents before children."""
    ordered: list[Table] = []
    seen: set[str] = set()

    def visit(t: Table, path: tuple[str, ...] = ()) -> None:
        if t.name in seen or t.name in path:
            return
        for _, parent, _ in t.parents:
            if parent in found and parent != t.name:
                visit(found[parent], (*path, t.name))
        seen.add(t.name)
        ordered.append(t)

    for t in found.values():
        visit(t)
    return ordered


def _namespace_filter(t: Table, by_name: dict[str, Table]) -> str | None:
    """SQL condition (one ``?``) that keeps a table's rows of one namespace; None: global table."""
    if t.name == "namespaces":
        return "name = ?"
    if "namespace" in t.columns:
        return "namespace = ?"
    for column, parent, parent_column in t.parents:
        p = by_name.get(parent)
        if p is not None and "namespace" in p.columns:
            return f"{quote_name(column)} IN (SELECT {quote_name(parent_column)} FROM {quote_name(parent)} WHERE namespace = ?)"
    return None


def encode(value: Any) -> Any:
    return {"$base64": base64.b64encode(value).decode()} if isinstance(value, bytes) else value


def decode(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"$base64"}:
        return base64.b64decode(value["$base64"])
    return value


def rows(db: sqlite3.Connection, namespace: str | None = None) -> Iterator[tuple[Table, dict[str, Any]]]:
    """Every exported row as (table, {column: value}), in export order."""
    all_tables = tables(db)
    by_name = {t.name: t for t in all_tables}
    for t in all_tables:
        where, params = "", []
        if namespace is not None:
            cond = _namespace_filter(t, by_name)
            if cond is None:
                continue
            where, params = f" WHERE {cond}", [namespace]
        order = ", ".join(quote_name(c) for c in t.key) if t.key else "rowid"
        cols = ", ".join(quote_name(c) for c in t.columns)
        for values in db.execute(f"SELECT {cols} FROM {quote_name(t.name)}{where} ORDER BY {order}", params):
            yield t, dict(zip(t.columns, values))


def header(db: sqlite3.Connection, namespace: str | None) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "clawmemory": __version__,
        "namespace": namespace,
        "tables": {t.name: list(t.columns) for t in tables(db)},
        "migrations": [r[0] for r in db.execute("SELECT name FROM _migrations ORDER BY name")],
    }


def write_jsonl(db: sqlite3.Connection, out: IO[str], namespace: str | None = None) -> dict[str, int]:
    """Write the export; returns the row count per table."""
    counts: dict[str, int] = {}
    out.write(json.dumps(header(db, namespace), ensure_ascii=False, separators=(",", ":")) + "\n")
    for t, row in rows(db, namespace):
        out.write(
            json.dumps(
                {"table": t.name, "row": {k: encode(v) for k, v in row.items()}},
                ensure_ascii=False,
                separators=(",", ":"),
            )
            + "\n"
        )
        counts[t.name] = counts.get(t.name, 0) + 1
    return counts


def _md_value(value: Any) -> str:
    text = "" if value is None else str(encode(value))
    return text.replace("\n", " ⏎ ") if len(text) < 200 else text[:197].replace("\n", " ⏎ ") + "…"


def write_markdown(db: sqlite3.Connection, out: IO[str], namespace: str | None = None) -> dict[str, int]:
    """A readable rendering: memories as sections, sessions as transcripts, other tables as lists."""
    counts: dict[str, int] = {}
    out.write(f"# clawmemory export{f' of namespace {namespace}' if namespace else ''}\n")
    current = None
    for t, row in rows(db, namespace):
        counts[t.name] = counts.get(t.name, 0) + 1
        if t.name != current:
            current = t.name
            out.write(f"\n## {t.name}\n\n")
        if t.name == "memories":
            out.write(f"### {row['id']} ({row['kind']}, {row['status']}, {row['namespace']})\n\n{row['text']}\n\n")
            meta = {
                k: v
                for k, v in row.items()
                if k not in ("id", "kind", "status", "namespace", "text") and v not in (None, "", "{}")
            }
            out.write("".join(f"- {k}: {_md_value(v)}\n" for k, v in meta.items()) + "\n")
        elif t.name == "messages":
            who = row.get("speaker") or row.get("role")
            out.write(f"- `{row['session_key']}` #{row['seq']} {row['created_at']} **{who}:** {row['text']}\n")
        else:
            out.write("- " + "; ".join(f"{k}: {_md_value(v)}" for k, v in row.items()) + "\n")
    return counts
