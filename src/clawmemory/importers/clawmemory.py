"""``clawmemory export --format jsonl`` read back: the rows as they were, then the search index.

Rows keep their ids and every column (a column this store lacks is reported, and the row
skipped, never half-written). A row whose key is already there is skipped, so a re-import
adds nothing; rows keyed by the store's own counter (``ledger_events.seq``) are matched on
all their other columns and keep their number when it is free. Text of memories and
messages is redacted with the current rules (a no-op for a clawmemory export). Afterwards
active memories, observations and every session that got messages are indexed, exactly
as their own writes index them; the embedding backfill follows as for any write.
Exporting the imported store gives the same rows again (tested).

PATH: the ``.jsonl`` export.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import validation
from ..capture.batch import CORPUS as OBSERVATION_CORPUS
from ..capture.lines import index_text
from ..errors import ClawMemoryError
from ..export import DERIVED, FORMAT, VERSION, Table, decode, quote_name, tables
from ..redaction import redact
from ..store.records import IndexItem
from .records import Problem, Record, RowRecord, json_lines
from .runner import Counts, ImportReport

if TYPE_CHECKING:
    from .runner import Target

REDACTED = {"memories": ("text", "question", "answer"), "messages": ("text",)}


def read(path: Path) -> Iterator[Record]:
    lines = json_lines(path)
    head = next(lines, None)
    if not isinstance(head, tuple) or head[1].get("format") != FORMAT:
        yield Problem(f"{path.name}:1", "not a clawmemory JSONL export (no header line)")
        return
    if head[1].get("version") != VERSION:
        yield Problem(f"{path.name}:1", f"export version {head[1].get('version')!r}; this clawmemory reads {VERSION}")
        return
    for item in lines:
        if isinstance(item, Problem):
            yield item
            continue
        where, obj = item
        if not isinstance(obj.get("table"), str) or not isinstance(obj.get("row"), dict):
            yield Problem(where, "expected {table, row}")
            continue
        yield RowRecord(obj["table"], {k: decode(v) for k, v in obj["row"].items()}, where)


class RowWriter:
    """Rows into their tables (the namespace option does not apply: rows carry their own)."""

    kind = "rows"

    def __init__(self, target: Target, namespace: str, source: str) -> None:
        self.target = target
        self.tables = {t.name: t for t in tables(target.store.db)}
        self.sessions: set[tuple[str, str]] = set()

    def _check(self, r: RowRecord) -> Table:
        t = self.tables.get(r.table)
        if t is None:
            why = f"not exported data ({DERIVED[r.table]})" if r.table in DERIVED else "unknown to this store"
            raise ValueError(f"table {r.table!r} is {why}")
        unknown = sorted(set(r.row) - set(t.columns))
        if unknown:
            raise ValueError(f"{r.table} has no column(s) {', '.join(unknown)} here (an export from a newer version?)")
        if r.table == "namespaces":
            validation.namespace_name(r.row.get("name"), "name")
        return t

    def _present(self, db: sqlite3.Connection, t: Table, row: dict[str, Any]) -> bool:
        cols = [c for c in row if c not in t.key] if t.integer_key or not t.key else [c for c in t.key]
        cond = " AND ".join(f"{quote_name(c)} IS ?" for c in cols)
        return (
            db.execute(f"SELECT 1 FROM {quote_name(t.name)} WHERE {cond} LIMIT 1", [row[c] for c in cols]).fetchone()
            is not None
        )

    def _insert(self, db: sqlite3.Connection, t: Table, row: dict[str, Any]) -> None:
        if (
            t.integer_key
            and db.execute(
                f"SELECT 1 FROM {quote_name(t.name)} WHERE {quote_name(t.key[0])} = ?", (row.get(t.key[0]),)
            ).fetchone()
        ):
            row = {k: v for k, v in row.items() if k != t.key[0]}  # its number is taken: the store assigns one
        cols = list(row)
        db.execute(
            f"INSERT INTO {quote_name(t.name)} ({', '.join(quote_name(c) for c in cols)}) "
            f"VALUES ({', '.join('?' * len(cols))})",
            [row[c] for c in cols],
        )

    def _keep_older_namespace(self, db: sqlite3.Connection, row: dict[str, Any]) -> None:
        """A namespace both stores have (``default``): keep the earlier creation time."""
        db.execute(
            "UPDATE namespaces SET created_at = min(created_at, ?) WHERE name = ?",
            (row.get("created_at"), row.get("name")),
        )

    def _index_item(self, t: Table, row: dict[str, Any]) -> IndexItem | None:
        """What the row's own write would have indexed (messages: their session, at the end)."""
        if t.name == "memories" and row.get("status") == "active":
            return IndexItem(row["namespace"], "memory", row["id"], row["text"], created_at=row["created_at"])
        if t.name == "observations":
            return IndexItem(
                row["namespace"],
                OBSERVATION_CORPUS,
                row["id"],
                index_text(row.get("tool_name"), row["summary"]),
                container=row.get("session_key"),
                created_at=row["ts"],
            )
        if t.name == "messages":
            self.sessions.add((row["namespace"], row["session_key"]))
        return None

    def write(self, batch: Sequence[RowRecord], dry_run: bool, report: ImportReport) -> Counts:
        counts = Counts()
        redacted = 0
        index: list[IndexItem] = []
        with self.target.store.transaction() as db:
            for r in batch:
                try:
                    t = self._check(r)
                except (ValueError, ClawMemoryError) as exc:
                    report.problem(Problem(r.where, getattr(exc, "message", str(exc))))
                    continue
                row = dict(r.row)
                for column in REDACTED.get(t.name, ()):
                    if isinstance(row.get(column), str):
                        clean = redact(row[column])
                        redacted += clean != row[column]
                        row[column] = clean
                if self._present(db, t, row):
                    counts.skipped += 1
                    if t.name == "namespaces" and not dry_run:
                        self._keep_older_namespace(db, row)
                    continue
                if dry_run:
                    counts.added += 1
                    continue
                db.execute("SAVEPOINT row")
                try:
                    self._insert(db, t, row)
                except sqlite3.IntegrityError as exc:
                    db.execute("ROLLBACK TO row")
                    report.problem(Problem(r.where, f"{t.name}: {exc}"))
                    continue
                finally:
                    db.execute("RELEASE row")
                counts.added += 1
                item = self._index_item(t, row)
                if item is not None:
                    index.append(item)
            self.target.store.index_items(db, index)
            for t in {self.tables[r.table] for r in batch if r.table in self.tables}:
                if t.integer_key and not dry_run:
                    self.target.store.advance_ids(db, t.name, t.key[0])  # kept numbers: new ones follow
        if redacted:
            report.notes["redacted"] = report.notes.get("redacted", 0) + redacted
        return counts

    def finish(self, dry_run: bool, report: ImportReport) -> None:
        """Index every session that got messages, each message with its neighbours."""
        if dry_run or not self.sessions:
            return
        with self.target.store.transaction() as db:
            for namespace, session_key in sorted(self.sessions):
                self.target.store.reindex_session(db, namespace, session_key)
