"""``clawmemory postgres migrate``: copy a SQLite store into PostgreSQL, every table (memories,
messages, the ledger and its tickets, collections, observations, context, the search index and
its vectors), then verify it.

Tables come parents first (as ``export`` orders them), each in primary-key order and batches:
a batch is COPYed into a staging table and upserted on its key in one transaction, so an
interrupted copy re-run from the same file finishes the job and a repeated one changes nothing.
Postgres-only columns are computed on the way (the search items' tsvector, the vectors'
namespace and corpus). Afterwards the identity counters move past the copied ids, each
embedding model gets its HNSW index, and every table is compared: row count and a content
hash (an order-independent sum of per-row SHA-256 over the SQLite columns) on both sides.

A target that holds data not copied from this file is refused unless ``force``, which empties
it first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import export
from .errors import Conflict, InvalidInput
from .store.postgres import PostgresStore, as_array, tsvector
from .store.records import now_iso
from .store.sqlite import SQLiteStore

BATCH = 5_000
MOD = 1 << 256
SEEDED = {"namespaces": {"default"}}  # rows the migrations write into an empty store


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
    seconds: float = 0.0
    tables: list[TableCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "copied": self.copied,
            "seconds": round(self.seconds, 1),
            "verified": self.ok,
            "tables": [{**asdict(t), "ok": t.ok} for t in self.tables],
        }


def row_hash(values: Sequence[Any]) -> int:
    """SHA-256 of one row's values, typed so 1, 1.0, "1" and b"1" differ."""
    parts = []
    for v in values:
        if v is None:
            parts.append("n")
        elif isinstance(v, bool | int):
            parts.append(f"i{int(v)}")
        elif isinstance(v, float):
            parts.append(f"f{v!r}")
        elif isinstance(v, bytes | memoryview):
            parts.append("b" + bytes(v).hex())
        elif isinstance(v, np.ndarray) or hasattr(v, "to_numpy"):
            parts.append("b" + as_array(v).astype("<f4").tobytes().hex())
        else:
            parts.append(f"s{v}")
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).digest(), "big")


def copy_to_postgres(
    sqlite_path: str | Path,
    url: str,
    *,
    force: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> CopyReport:
    """Copy the SQLite store at ``sqlite_path`` into the PostgreSQL database ``url`` and verify
    it. ``progress(table, rows_done, rows_total)`` is called after every batch."""
    import time

    started = time.monotonic()
    path = Path(sqlite_path).expanduser().resolve()
    if not path.is_file():
        raise InvalidInput(f"no SQLite store at {path}", field="data_dir")
    source = SQLiteStore(path)
    target = PostgresStore(url)
    report = CopyReport(str(path), target.path)
    try:
        tables = export.tables(source.db, skip={"_migrations"})
        totals = {t.name: source.db.execute(f"SELECT count(*) FROM {_q(t.name)}").fetchone()[0] for t in tables}
        _claim(target, tables, str(path), force)
        grand, done = sum(totals.values()), 0
        hashes: dict[str, int] = {}
        for t in tables:
            hashes[t.name] = 0
            for batch in _batches(source, t):
                for row in batch:
                    hashes[t.name] = (hashes[t.name] + row_hash(row)) % MOD
                _write(target, t, batch)
                done += len(batch)
                if progress:
                    progress(t.name, done, grand)
        report.copied = done
        _finish(target, tables)
        for t in tables:
            count, digest = _target_hash(target, t)
            report.tables.append(TableCheck(t.name, totals[t.name], count, f"{hashes[t.name]:064x}", f"{digest:064x}"))
        with target.transaction() as db:
            db.execute("UPDATE _store_copies SET finished_at = ? WHERE source = ?", (now_iso(), str(path)))
    finally:
        source.close()
        target.close()
    report.seconds = time.monotonic() - started
    return report


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _claim(target: PostgresStore, tables: Sequence[export.Table], source: str, force: bool) -> None:
    """Refuse (or with ``force`` empty) a target holding data that was not copied from ``source``."""
    with target.transaction() as db:
        db.execute(
            "CREATE TABLE IF NOT EXISTS _store_copies (source TEXT PRIMARY KEY, started_at TEXT NOT NULL, "
            "finished_at TEXT)"
        )
        ours = db.execute("SELECT 1 FROM _store_copies WHERE source = ?", (source,)).fetchone() is not None
        (others,) = db.execute("SELECT count(*) FROM _store_copies WHERE source <> ?", (source,)).fetchone() or (0,)
        holding = [t.name for t in tables if _holds_data(db, t.name)]
        if holding and (others or not ours):
            if not force:
                raise Conflict(
                    f"the target already holds data ({', '.join(holding[:3])}…); pass --force to empty it first",
                    field="to",
                )
            names = ", ".join(_q(t.name) for t in tables)
            db.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            db.execute("DELETE FROM _store_copies")
            db.execute("INSERT INTO namespaces (name, created_at) VALUES ('default', ?)", (now_iso(),))
        db.execute(
            "INSERT INTO _store_copies (source, started_at) VALUES (?, ?) "
            "ON CONFLICT (source) DO UPDATE SET started_at = excluded.started_at, finished_at = NULL",
            (source, now_iso()),
        )


def _holds_data(db: Any, table: str) -> bool:
    seeded = SEEDED.get(table)
    if seeded:
        marks = ",".join("?" * len(seeded))
        return db.execute(f"SELECT 1 FROM {_q(table)} WHERE name NOT IN ({marks}) LIMIT 1", list(seeded)).fetchone()
    return db.execute(f"SELECT 1 FROM {_q(table)} LIMIT 1").fetchone() is not None


def _batches(source: SQLiteStore, t: export.Table) -> Iterator[list[tuple]]:
    cols = ", ".join(_q(c) for c in t.columns)
    order = ", ".join(_q(c) for c in t.key) if t.key else "rowid"
    cursor = source.db.cursor()
    cursor.row_factory = None
    cursor.execute(f"SELECT {cols} FROM {_q(t.name)} ORDER BY {order}")
    while batch := cursor.fetchmany(BATCH):
        yield batch


def _extra(source_rows: list[tuple], t: export.Table, target: PostgresStore) -> tuple[list[str], list[tuple]]:
    """The Postgres-only columns of ``t`` and each row with them appended."""
    col = {c: n for n, c in enumerate(t.columns)}
    if t.name == "search_items":
        return ["tsv"], [
            (*r, tsvector(r[col["terms"]], r[col["context"]], r[col["context_next"]])) for r in source_rows
        ]
    if t.name == "embeddings":
        ids = [r[col["item_id"]] for r in source_rows]
        where = target.db.execute("SELECT id, namespace, corpus FROM search_items WHERE id = ANY(?)", (ids,))
        place = {r[0]: (r[1], r[2]) for r in where}
        v = col["vector"]
        rows = [
            (*r[:v], np.frombuffer(r[v], dtype=np.float32), *r[v + 1 :], *place.get(r[col["item_id"]], (None, None)))
            for r in source_rows
        ]
        return ["namespace", "corpus"], rows
    return [], source_rows


def _write(target: PostgresStore, t: export.Table, source_rows: list[tuple]) -> None:
    """COPY one batch into a staging table, then upsert it on the table's key."""
    extra, rows = _extra(source_rows, t, target)
    columns = [*t.columns, *extra]
    cols = ", ".join(_q(c) for c in columns)
    stage = _q(f"_stage_{t.name}")
    with target.transaction() as db:
        db.raw.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {_q(t.name)}) ON COMMIT DELETE ROWS")
        with db.raw.cursor().copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        keys = ", ".join(_q(c) for c in t.key)
        rest = [c for c in columns if c not in t.key]
        action = "DO UPDATE SET " + ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in rest) if rest else "DO NOTHING"
        db.raw.execute(f"INSERT INTO {_q(t.name)} ({cols}) SELECT {cols} FROM {stage} ON CONFLICT ({keys}) {action}")


def _finish(target: PostgresStore, tables: Sequence[export.Table]) -> None:
    """Identity counters past the copied ids, an HNSW index per embedding model, fresh statistics."""
    with target.transaction() as db:
        for t in tables:
            if t.integer_key:
                target.advance_ids(db, t.name, t.key[0])
        for model, dim in db.execute("SELECT DISTINCT model, dim FROM embeddings").fetchall():
            target.ensure_hnsw(db, model, dim)
    for t in tables:
        target.db.raw.execute(f"ANALYZE {_q(t.name)}")


def _target_hash(target: PostgresStore, t: export.Table) -> tuple[int, int]:
    cols = ", ".join(_q(c) for c in t.columns)
    cursor = target.db.raw.cursor()
    cursor.execute(f"SELECT {cols} FROM {_q(t.name)}")
    count, total = 0, 0
    while batch := cursor.fetchmany(BATCH):
        for row in batch:
            total = (total + row_hash(tuple(row))) % MOD
        count += len(batch)
    return count, total
