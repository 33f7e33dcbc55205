"""The one import loop: read a source, validate and redact each record like any other write,
skip what the store already holds (by content hash), write in batches, report.

Idempotence: a memory whose content hash is in the namespace in *any* status is skipped,
so a re-import adds nothing and never brings back what was forgotten; messages are keyed
by (session, content hash), observations by their content-derived id, exported rows by
their primary key. ``dry_run`` runs every check and counts, and writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import ClawMemoryError, InvalidInput, NotFound
from ..ledger import rows as ledger_rows
from ..store.records import NewMemory, NewMessage
from ..store.sqlite import chunked_in
from .records import MemoryRecord, MessageRecord, ObservationRecord, Problem, Record

if TYPE_CHECKING:
    from ..capture import CaptureLog
    from ..core import Core
    from ..ledger import Ledger
    from ..settings import Settings
    from ..store import Store

BATCH = 500
MAX_PROBLEMS_KEPT = 100
_NOT_LABEL = re.compile(r"[^a-z0-9_-]+")


def as_label(value: Any) -> str | None:
    """A peer's category/kind as one of our labels (``[a-z][a-z0-9_-]{0,31}``), or None."""
    if not isinstance(value, str):
        return None
    text = _NOT_LABEL.sub("-", value.strip().lower()).strip("-")[:32]
    return text if text[:1].isalpha() else None


@dataclass(frozen=True)
class Target:
    """What an import writes through: the core (namespaces, validated rows, the store), the
    ledger (``into="ledger"``) and capture (observation lines)."""

    core: Core
    ledger: Ledger
    capture: CaptureLog

    @property
    def store(self) -> Store:
        return self.core.store

    @property
    def settings(self) -> Settings:
        return self.core.settings


@dataclass
class Counts:
    added: int = 0
    skipped: int = 0


@dataclass
class ImportReport:
    source: str
    path: str
    namespace: str
    dry_run: bool
    read: int = 0
    by_type: dict[str, Counts] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    notes: dict[str, Any] = field(default_factory=dict)

    def problem(self, p: Problem) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(p)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "path": self.path,
            "namespace": self.namespace,
            "dry_run": self.dry_run,
            "read": self.read,
            "added": sum(c.added for c in self.by_type.values()),
            "skipped": sum(c.skipped for c in self.by_type.values()),
            "errors": self.problem_count,
            "by_type": {k: {"added": c.added, "skipped": c.skipped} for k, c in sorted(self.by_type.items())},
            "error_details": [{"where": p.where, "error": p.error} for p in self.problems],
            **self.notes,
        }


class Writer(Protocol):
    kind: str

    def write(self, batch: Sequence[Any], dry_run: bool, report: ImportReport) -> Counts: ...

    def finish(self, dry_run: bool, report: ImportReport) -> None: ...


class MemoryWriter:
    """Memories through the core's own validation and redaction (``Core.new_memory``)."""

    kind = "memories"

    def __init__(self, target: Target, namespace: str, source: str) -> None:
        self.target, self.ns, self.source = target, namespace, source

    def _known(self, digests: Sequence[str]) -> set[str]:
        sql = "SELECT content_hash FROM memories WHERE namespace = ? AND content_hash IN ({marks})"
        return {r[0] for r in chunked_in(self.target.store.db, sql, set(digests), [self.ns])}

    def _item(self, r: MemoryRecord) -> dict[str, Any]:
        return {
            "text": r.text,
            "kind": as_label(r.kind) or "note",
            "category": as_label(r.category),
            "importance": min(1.0, max(0.0, float(r.importance))),
            "source": r.source,
            "metadata": {**r.metadata, "imported": {"from": self.source, "ref": r.where}},
        }

    def _store(self, fresh: Sequence[tuple[MemoryRecord, NewMemory]]) -> None:
        store = self.target.store
        with store.transaction():
            for (r, _), (memory, _) in zip(fresh, store.add_memories([n for _, n in fresh])):
                if not r.active:
                    store.forget_memory(memory.id)

    def write(self, batch: Sequence[MemoryRecord], dry_run: bool, report: ImportReport) -> Counts:
        prepared: list[tuple[MemoryRecord, NewMemory]] = []
        for r in batch:
            try:
                prepared.append((r, self.target.core.new_memory(self._item(r), self.ns)))
            except ClawMemoryError as exc:
                report.problem(Problem(r.where, exc.message))
        known = self._known([n.identity() for _, n in prepared])
        counts, fresh = Counts(), []
        for r, new in prepared:
            digest = new.identity()
            if digest in known:
                counts.skipped += 1
                continue
            known.add(digest)
            fresh.append((r, new))
        counts.added = len(fresh)
        if fresh and not dry_run:
            self._store(fresh)
        return counts

    def finish(self, dry_run: bool, report: ImportReport) -> None:
        """Nothing to do after the last batch."""


class LedgerWriter(MemoryWriter):
    """``--into ledger``: each memory becomes a recall-ledger entry (found by ``memory_recall``)
    at spawn energy, marked changed so the next tick's consolidation merges near-duplicates,
    like the ledger's own bulk store. What the peer had retired is stored forgotten, no entry."""

    def _item(self, r: MemoryRecord) -> dict[str, Any]:
        item = super()._item(r)
        return {**item, "kind": "qa", "answer": item.pop("text")}

    def _store(self, fresh: Sequence[tuple[MemoryRecord, NewMemory]]) -> None:
        ledger, store = self.target.ledger, self.target.store
        now = ledger_rows.iso(ledger.clock())
        with store.transaction() as db:
            st = ledger_rows.state(db, self.ns, now)
            cfg, cum = ledger_rows.config(st), st["cum_upkeep"]
            created = 0
            for (r, _), (memory, _) in zip(fresh, store.add_memories([n for _, n in fresh])):
                if not r.active:
                    store.forget_memory(memory.id)
                    continue
                ledger_rows.insert_entry(
                    db,
                    self.ns,
                    memory.id,
                    cfg,
                    cum,
                    "experience",
                    [memory.source or self.source],
                    now,
                    category=memory.category,
                    extra={"imported_from": self.source},
                )
                created += 1
            ledger_rows.event(db, self.ns, "bulk_store", at=now, data={"from": self.source, "created": created})


class MessageWriter:
    """Conversation messages through ``Core.new_message``; over-long ones are cut with a
    marker (as the context engine does) rather than refused."""

    kind = "messages"

    def __init__(self, target: Target, namespace: str, source: str) -> None:
        self.target, self.ns, self.source = target, namespace, source

    def _known(self, digests: Sequence[str]) -> set[tuple[str, str]]:
        sql = "SELECT session_key, content_hash FROM messages WHERE namespace = ? AND content_hash IN ({marks})"
        return {(r[0], r[1]) for r in chunked_in(self.target.store.db, sql, set(digests), [self.ns])}

    def write(self, batch: Sequence[MessageRecord], dry_run: bool, report: ImportReport) -> Counts:
        limit = self.target.settings.max_text_chars
        prepared: list[NewMessage] = []
        for r in batch:
            text = (
                r.text
                if len(r.text) <= limit
                else r.text[: limit - 40] + f" … [truncated {len(r.text) - limit + 40} chars]"
            )
            item = {
                "role": r.role,
                "text": text,
                "speaker": r.speaker,
                "created_at": r.created_at,
                "metadata": {**r.metadata, "imported": {"from": self.source, "ref": r.where}},
            }
            try:
                prepared.append(self.target.core.new_message(self.ns, r.session_key, item, ""))
            except ClawMemoryError as exc:
                report.problem(Problem(r.where, exc.message))
        known = self._known([m.identity() for m in prepared])
        counts, fresh = Counts(), []
        for m in prepared:
            key = (m.session_key, m.identity())
            if key in known:
                counts.skipped += 1
                continue
            known.add(key)
            fresh.append(m)
        counts.added = len(fresh)
        if fresh and not dry_run:
            self.target.store.add_messages(fresh)
        return counts

    def finish(self, dry_run: bool, report: ImportReport) -> None:
        """Nothing to do after the last batch."""


class ObservationWriter:
    """Tool-result observations through the capture component's own parser, redaction and ids."""

    kind = "observations"

    def __init__(self, target: Target, namespace: str, source: str) -> None:
        self.target, self.ns, self.source = target, namespace, source

    def write(self, batch: Sequence[ObservationRecord], dry_run: bool, report: ImportReport) -> Counts:
        added, duplicates, errors = self.target.capture.load_lines(
            [r.line for r in batch], self.ns, source=self.source, dry_run=dry_run
        )
        for n, why in errors:
            report.problem(Problem(batch[n].where, why))
        return Counts(added, duplicates)

    def finish(self, dry_run: bool, report: ImportReport) -> None:
        """Nothing to do after the last batch."""


Reader = Callable[[Path], Iterable[Record]]
WriterFactory = Callable[["Target", str, str], Writer]
WRITERS: dict[type, WriterFactory] = {
    MemoryRecord: MemoryWriter,
    MessageRecord: MessageWriter,
    ObservationRecord: ObservationWriter,
}


INTO = {"memories": MemoryWriter, "ledger": LedgerWriter}


def run_import(
    target: Target,
    source: str,
    reader: Reader,
    path: str | Path,
    namespace: str | None = None,
    *,
    dry_run: bool = False,
    into: str = "memories",
    progress: Callable[[int, int], None] | None = None,
    writers: dict[type, WriterFactory] | None = None,
) -> dict[str, Any]:
    """Import ``path`` with ``reader`` into ``namespace``; memories go ``into`` plain memories or
    the recall ledger; ``progress(done, total)`` after each batch."""
    ns = target.core.namespace(namespace)
    if into not in INTO:
        raise InvalidInput(f"into must be one of {', '.join(INTO)}", field="into")
    where = Path(path).expanduser()
    if not where.exists():
        raise NotFound(f"no such file or folder: {where}", field="path")
    report = ImportReport(source, str(where), ns, dry_run, notes={"into": into})
    try:
        records = list(reader(where))
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {where} as {source}: {exc}", field="path") from exc
    report.read = sum(not isinstance(r, Problem) for r in records)
    factories = {**WRITERS, MemoryRecord: INTO[into], **(writers or {})}
    active: dict[type, Writer] = {}
    done = 0
    for start in range(0, len(records), BATCH):
        batch = records[start : start + BATCH]
        groups: dict[type, list[Any]] = {}
        for r in batch:
            if isinstance(r, Problem):
                report.problem(r)
            else:
                groups.setdefault(type(r), []).append(r)
        for kind, items in groups.items():
            writer = active.get(kind) or active.setdefault(kind, factories[kind](target, ns, source))
            counts = writer.write(items, dry_run, report)
            total = report.by_type.setdefault(writer.kind, Counts())
            total.added += counts.added
            total.skipped += counts.skipped
        done += len(batch)
        if progress:
            progress(done, len(records))
    for writer in active.values():
        writer.finish(dry_run, report)
    return report.to_dict()
