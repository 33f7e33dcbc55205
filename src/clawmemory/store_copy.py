"""``clawmemory postgres migrate``: copy a SQLite store into PostgreSQL, every table (memories,
messages, the ledger and its tickets, collections, observations, context, the search index and
its vectors), then verify it.

All of it is one transaction, so a migration that fails or is interrupted leaves the target
as it was (run it again), and a mismatch found by the verification is rolled back too:

1. claim: a target holding data not copied from this file is refused unless ``force``; a
   finished copy of this file is only verified again (nothing is written);
2. copy: the tables are emptied, their secondary indexes dropped, and each table streamed
   from SQLite by one COPY, parents first (as ``export`` orders them), in binary where every
   column has a binary form we write (vectors travel as pgvector's wire bytes); Postgres-only
   columns are computed on the way (the search items' tsvector; the vectors' namespace and
   corpus, joined in SQLite);
3. index: the dropped indexes are built again over the loaded tables (faster than growing them
   row by row), each embedding model gets its HNSW index, the identity counters move past the
   copied ids, and ANALYZE runs;
4. verify: per table, the row count and a content hash on both sides: SHA-256 over the sorted
   SHA-256 digests of the rows, each row typed and encoded the same way in Python (on the rows
   as they are copied, one pass over SQLite) and in SQL on the target.
"""

from __future__ import annotations

import hashlib
import struct
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import export
from .errors import Conflict, InvalidInput
from .store.pgconn import Connection
from .store.postgres import PostgresStore, tsvector
from .store.records import now_iso
from .store.sqlite import SQLiteStore

BATCH = 5_000  # rows read from SQLite at a time (and between progress calls)
SEEDED = {"namespaces": {"default"}}  # rows the migrations write into an empty store
BINARY = {"int8": "int8", "float8": "float8", "text": "text", "bytea": "bytea", "vector": "bytea"}  # COPY type
INDEX_MEMORY = 2 << 30  # maintenance_work_mem (bytes) for the index builds, at most: the HNSW graph wants it
PARALLEL_BUILD = 2  # max_parallel_maintenance_workers for the index builds, at least (HNSW: 2x faster)
# Postgres-only columns: how each is made from the SQLite row (see _source_rows)
EXTRA = {"search_items": ("tsv",), "embeddings": ("namespace", "corpus")}

Progress = Callable[[str, int, int], None]


@dataclass
class TableCheck:
    table: str
    source_rows: int
    target_rows: int
    source_hash: str
    target_hash: str

    @property
    def ok(self) -> bool:
        return self.source_rows == self.target_rows and self.source_hash == self.target_hash


@dataclass
class CopyReport:
    source: str
    target: str
    copied: int = 0
    committed: bool = False  # False: nothing was written (already a verified copy, or a mismatch rolled back)
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds: copy, index (rebuild + HNSW + ANALYZE), verify
    tables: list[TableCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "copied": self.copied,
            "committed": self.committed,
            "seconds": round(self.seconds, 1),
            "phases": {k: round(v, 1) for k, v in self.phases.items()},
            "verified": self.ok,
            "tables": [{**asdict(t), "ok": t.ok} for t in self.tables],
        }


class _Mismatch(Exception):
    """Raised inside the copy's transaction to roll it back when the verification fails."""


def copy_to_postgres(
    sqlite_path: str | Path,
    url: str,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> CopyReport:
    """Copy the SQLite store at ``sqlite_path`` into the PostgreSQL database ``url`` and verify
    it, in one transaction. ``progress(what, rows_done, rows_total)`` is called after every batch."""
    started = time.monotonic()
    path = Path(sqlite_path).expanduser().resolve()
    if not path.is_file():
        raise InvalidInput(f"no SQLite store at {path}", field="data_dir")
    source = SQLiteStore(path)
    target = PostgresStore(url)
    report = CopyReport(str(path), target.path)
    tell = progress or (lambda what, done, total: None)

    def lap(phase: str) -> None:
        report.phases[phase] = time.monotonic() - started - sum(report.phases.values())

    try:
        tables = export.tables(source.db, skip={"_migrations"})
        grand = sum(source.db.execute(f"SELECT count(*) FROM {_q(t.name)}").fetchone()[0] for t in tables)
        with target.transaction() as db:
            types = {t.name: _column_types(db, t.name) for t in tables}
            if _claim(db, tables, str(path), force):  # a finished copy of this file: verify it first
                hashes = {t.name: _source_hash(source, t) for t in tables}
                report.tables = _checks(db, tables, types, hashes)
                lap("verify")
                if report.ok or not force:
                    if not report.ok:
                        differ = ", ".join(t.table for t in report.tables if not t.ok)
                        raise Conflict(
                            f"the target holds a copy of this store that differs from it now ({differ}); "
                            "pass --force to replace it",
                            field="to",
                        )
                    tell("verified (already copied)", grand, grand)
                    return report
            began = now_iso()
            _empty(db, tables)
            indexes = _drop_indexes(db, tables)
            hashes = {}
            for t in tables:
                hashes[t.name] = _copy_table(source, db, t, types[t.name], tell, report.copied, grand)
                report.copied += hashes[t.name][0]
            lap("copy")
            tell("building indexes", report.copied, grand)
            _index(target, db, tables, indexes)
            lap("index")
            tell("verifying", report.copied, grand)
            report.tables = _checks(db, tables, types, hashes)
            lap("verify")
            if not report.ok:
                raise _Mismatch
            db.execute(
                "INSERT INTO _store_copies (source, started_at, finished_at) VALUES (?, ?, ?) ON CONFLICT (source) "
                "DO UPDATE SET started_at = excluded.started_at, finished_at = excluded.finished_at",
                (str(path), began, now_iso()),
            )
        report.committed = True
    except _Mismatch:
        pass  # rolled back: the report names the tables that differ
    finally:
        source.close()
        target.close()
        report.seconds = time.monotonic() - started
    return report


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _column_types(db: Connection, table: str) -> dict[str, str]:
    """Column name → type name (``pg_type.typname``: int8, text, vector…) of a target table."""
    rows = db.execute(
        "SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
        "WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        (_q(table),),
    )
    return {r[0]: r[1] for r in rows}


def _claim(db: Connection, tables: Sequence[export.Table], source: str, force: bool) -> bool:
    """Refuse a target holding data that was not copied from ``source`` (unless ``force``).
    True when it holds a finished copy of ``source`` (verified before anything is written)."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS _store_copies (source TEXT PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT)"
    )
    ours = db.execute("SELECT finished_at FROM _store_copies WHERE source = ?", (source,)).fetchone()
    (others,) = db.execute("SELECT count(*) FROM _store_copies WHERE source <> ?", (source,)).fetchone() or (0,)
    holding = [t.name for t in tables if _holds_data(db, t.name)]
    if holding and (others or ours is None) and not force:
        raise Conflict(
            f"the target already holds data ({', '.join(holding[:3])}…); pass --force to empty it first", field="to"
        )
    db.execute("DELETE FROM _store_copies WHERE source <> ?", (source,))
    return bool(holding) and not others and ours is not None and ours[0] is not None


def _holds_data(db: Connection, table: str) -> bool:
    seeded = SEEDED.get(table)
    if seeded:
        marks = ",".join("?" * len(seeded))
        row = db.execute(f"SELECT 1 FROM {_q(table)} WHERE name NOT IN ({marks}) LIMIT 1", list(seeded)).fetchone()
    else:
        row = db.execute(f"SELECT 1 FROM {_q(table)} LIMIT 1").fetchone()
    return row is not None


def _empty(db: Connection, tables: Sequence[export.Table]) -> None:
    db.execute(f"TRUNCATE {', '.join(_q(t.name) for t in tables)} RESTART IDENTITY CASCADE")


def _drop_indexes(db: Connection, tables: Sequence[export.Table]) -> list[str]:
    """Drop the copied tables' indexes that back no constraint (the keys and unique columns
    stay); returns their definitions, to build them again after the copy."""
    rows = db.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = ANY(?::regclass[]) AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)",
        ([_q(t.name) for t in tables],),
    ).fetchall()
    for name, _ in rows:
        db.raw.execute(f"DROP INDEX {name}")
    return [definition for _, definition in rows]


# -- rows and their hashes ------------------------------------------------------------------

Encode = Callable[[Any], bytes]


def _value(v: Any) -> bytes:
    """One SQLite value, typed and self-delimiting (as :func:`_sql_value` encodes a column)."""
    if v is None:
        return b"n"
    if isinstance(v, int):
        return b"i" + struct.pack(">q", v)
    if isinstance(v, float):
        return b"f" + struct.pack(">d", v)
    if isinstance(v, str):
        return b"s" + v.encode("utf-8") + b"\x00"  # text holds no NUL in Postgres
    return b"b" + struct.pack(">i", len(v)) + bytes(v)


def vector_wire(blob: bytes) -> bytes:
    """A float32 vector as SQLite stores it → pgvector's binary form (``vector_send``)."""
    floats = np.frombuffer(blob, dtype="<f4")
    return struct.pack(">HH", len(floats), 0) + floats.astype(">f4").tobytes()


def _sql_value(column: str, typname: str) -> str:
    """SQL that encodes ``column`` of type ``typname`` the way :func:`_value` does in Python."""
    c = _q(column)
    encoded = {
        "int8": f"'\\x69'::bytea || int8send({c})",
        "int4": f"'\\x69'::bytea || int8send({c}::int8)",
        "float8": f"'\\x66'::bytea || float8send({c})",
        "text": f"'\\x73'::bytea || convert_to({c}, 'UTF8') || '\\x00'::bytea",
        "bytea": f"'\\x62'::bytea || int4send(length({c})) || {c}",
        "vector": f"'\\x62'::bytea || int4send(length(vector_send({c}))) || vector_send({c})",
    }.get(typname)
    if encoded is None:
        raise InvalidInput(f"cannot verify a column of type {typname} ({column})", field="to")
    return f"coalesce({encoded}, '\\x6e'::bytea)"


def _digest(digests: list[bytes]) -> str:
    digests.sort()
    return hashlib.sha256(b"".join(digests)).hexdigest()


def _source_rows(source: SQLiteStore, t: export.Table) -> Iterator[list[tuple]]:
    """``t``'s rows in key order, in batches, with the Postgres-only columns made in SQLite
    (the vectors' namespace and corpus) appended; a vector as its pgvector wire bytes."""
    cols = ", ".join(f"t.{_q(c)}" for c in t.columns)
    order = ", ".join(f"t.{_q(c)}" for c in t.key) if t.key else "t.rowid"
    join = ""
    if t.name == "embeddings":
        cols += ", i.namespace, i.corpus"
        join = " LEFT JOIN search_items i ON i.id = t.item_id"
    cursor = source.db.cursor()
    cursor.row_factory = None
    cursor.execute(f"SELECT {cols} FROM {_q(t.name)} t{join} ORDER BY {order}")
    vector = t.columns.index("vector") if t.name == "embeddings" else -1
    while batch := cursor.fetchmany(BATCH):
        if vector >= 0:
            batch = [(*r[:vector], vector_wire(r[vector]), *r[vector + 1 :]) for r in batch]
        yield batch


def _copy_table(
    source: SQLiteStore, db: Connection, t: export.Table, types: dict[str, str], tell: Progress, done: int, grand: int
) -> tuple[int, str]:
    """COPY ``t`` from SQLite into the (empty) target table; returns the rows' count and hash."""
    columns = [*t.columns, *(c for c in EXTRA.get(t.name, ()) if c in types)]
    binary = all(types[c] in BINARY for c in columns)
    n = len(t.columns)
    words = [t.columns.index(c) for c in ("terms", "context", "context_next")] if "tsv" in columns else []
    digests: list[bytes] = []
    sha = hashlib.sha256
    names = ", ".join(_q(c) for c in columns)
    with db.raw.cursor().copy(f"COPY {_q(t.name)} ({names}) FROM STDIN{' (FORMAT BINARY)' if binary else ''}") as copy:
        if binary:
            copy.set_types([BINARY[types[c]] for c in columns])
        for batch in _source_rows(source, t):
            for row in batch:
                digests.append(sha(b"".join(map(_value, row[:n]))).digest())
                copy.write_row((*row, tsvector(*(row[i] for i in words))) if words else row)
            done += len(batch)
            tell(f"copying {t.name}", done, grand)
    return len(digests), _digest(digests)


def _source_hash(source: SQLiteStore, t: export.Table) -> tuple[int, str]:
    """The row count and content hash of ``t`` in SQLite (without copying it)."""
    n = len(t.columns)
    digests = [hashlib.sha256(b"".join(map(_value, row[:n]))).digest() for b in _source_rows(source, t) for row in b]
    return len(digests), _digest(digests)


def _checks(
    db: Connection, tables: Sequence[export.Table], types: dict[str, dict[str, str]], hashes: dict[str, tuple[int, str]]
) -> list[TableCheck]:
    """Each table's row count and content hash on the target (computed by the server) against
    the source's."""
    checks = []
    for t in tables:
        row = " || ".join(_sql_value(c, types[t.name][c]) for c in t.columns)
        count, digest = db.raw.execute(
            "SELECT count(*), sha256(coalesce(string_agg(d, ''::bytea ORDER BY d), ''::bytea)) "
            f"FROM (SELECT sha256({row}) AS d FROM {_q(t.name)}) rows"
        ).fetchone() or (0, b"")
        rows, expected = hashes[t.name]
        checks.append(TableCheck(t.name, rows, count, expected, bytes(digest).hex()))
    return checks


def _index(target: PostgresStore, db: Connection, tables: Sequence[export.Table], indexes: Sequence[str]) -> None:
    """Build the dropped indexes again and an HNSW index per embedding model (with memory for
    the graph), move the identity counters past the copied ids, and ANALYZE the tables."""
    models = db.execute("SELECT model, dim, count(*) FROM embeddings GROUP BY model, dim").fetchall()
    graph = sum(count * (4 * dim + 1024) for _, dim, count in models)  # bytes, about (vector + neighbours)
    have, workers = db.execute(
        "SELECT pg_size_bytes(current_setting('maintenance_work_mem')), "
        "current_setting('max_parallel_maintenance_workers')::int"
    ).fetchone() or (0, 0)
    if graph > have:  # settings are only raised, for this transaction
        db.raw.execute(f"SET LOCAL maintenance_work_mem = '{min(graph, INDEX_MEMORY) // 1024}kB'")
    if workers < PARALLEL_BUILD:
        db.raw.execute(f"SET LOCAL max_parallel_maintenance_workers = {PARALLEL_BUILD}")
    for definition in indexes:
        db.raw.execute(definition)
    for model, dim, _ in models:
        target.ensure_hnsw(db, model, dim)
    for t in tables:
        if t.integer_key:
            target.advance_ids(db, t.name, t.key[0])
        db.raw.execute(f"ANALYZE {_q(t.name)}")
