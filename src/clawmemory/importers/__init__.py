"""Importers: ``clawmemory import SOURCE PATH`` for the peers' memories and for clawmemory's
own export. One small reader per source (files → records, no store access) and one runner
(:mod:`.runner`: validation, redaction, idempotence, dry run, progress, report)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInput
from . import clawmemory, lia, mem0, memory_core, memory_lancedb, openclaw_mem, openclaw_sessions, remnic
from .runner import Reader, WriterFactory, run_import

if TYPE_CHECKING:
    from .runner import Target


@dataclass(frozen=True)
class Source:
    reader: Reader
    summary: str  # one line for --help
    writers: dict[type, WriterFactory] | None = None
    namespaced: bool = True  # False: the source's rows carry their own namespaces


SOURCES: dict[str, Source] = {
    "memory-core": Source(memory_core.read, "OpenClaw memory-core: MEMORY.md, memory/**/*.md, its SQLite index."),
    "memory-lancedb": Source(memory_lancedb.read, "OpenClaw memory-lancedb: its LanceDB folder (dbPath)."),
    "remnic": Source(remnic.read, "Remnic: markdown memory files with YAML frontmatter (memoryDir)."),
    "openclaw-mem": Source(openclaw_mem.read, "openclaw-mem: its JSONL spools and SQLite store."),
    "lia": Source(lia.read, "Lia: daily transcripts memory/daily/YYYY-MM-DD.md."),
    "mem0": Source(mem0.read, "mem0: its get_all / export JSON."),
    "openclaw-sessions": Source(
        openclaw_sessions.read, "OpenClaw session transcripts: agent SQLite or JSONL (read only)."
    ),
    "clawmemory": Source(
        clawmemory.read,
        "clawmemory's own `export --format jsonl` (round trip).",
        writers={clawmemory.RowRecord: clawmemory.RowWriter},
        namespaced=False,
    ),
}


def import_source(
    target: Target,
    source: str,
    path: str | Path,
    namespace: str | None = None,
    *,
    dry_run: bool = False,
    into: str = "memories",
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Import ``path`` from ``source`` (a key of :data:`SOURCES`) ``into`` memories or the ledger;
    the report as a dict."""
    found = SOURCES.get(source)
    if found is None:
        raise InvalidInput(f"unknown source {source!r}; one of {', '.join(SOURCES)}", field="source")
    if namespace is not None and not found.namespaced:
        raise InvalidInput(
            f"a {source} export carries its own namespaces; --namespace does not apply here "
            "(`export --namespace NS` exports one)",
            field="namespace",
        )
    return run_import(
        target,
        source,
        found.reader,
        path,
        namespace,
        dry_run=dry_run,
        into=into,
        progress=progress,
        writers=found.writers,
    )
