"""What a source reader yields: plain records the runner validates, redacts and writes.

A reader never touches the store. It turns a peer's files into these records (and
:class:`Problem` for what it could not read), so every source gets the same checks,
idempotence, dry run and report.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class MemoryRecord:
    """A memory to store. ``active=False`` stores it forgotten (kept, out of search): what the
    peer itself had retired (superseded, archived). ``where`` names it in the report."""

    text: str
    where: str
    kind: str = "note"
    category: str | None = None
    importance: float = 0.5
    source: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    active: bool = True


@dataclass(frozen=True)
class MessageRecord:
    """A conversation message of session ``session_key`` (``role``: user, assistant, system, tool)."""

    session_key: str
    role: str
    text: str
    where: str
    created_at: str | int | None = None
    speaker: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ObservationRecord:
    """A tool-result observation as one capture-format JSONL line (see ``capture/lines.py``)."""

    line: bytes
    where: str


@dataclass(frozen=True)
class RowRecord:
    """A row of a clawmemory table, as ``clawmemory export`` wrote it."""

    table: str
    row: dict[str, Any]
    where: str


@dataclass(frozen=True)
class Problem:
    """Something in the source that could not be read (reported, never fatal)."""

    where: str
    error: str


Record = MemoryRecord | MessageRecord | ObservationRecord | RowRecord | Problem


def json_lines(path: Path) -> Iterator[tuple[str, dict[str, Any]] | Problem]:
    """The objects of a JSONL file as (``file:line``, object); a Problem for each line that is
    not a JSON object; blank lines skipped. Undecodable bytes become U+FFFD."""
    with path.open("r", encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = f"{path.name}:{n}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Problem(where, f"not JSON: {exc.msg}")
                continue
            yield (where, obj) if isinstance(obj, dict) else Problem(where, "not a JSON object")


def is_sqlite(path: Path) -> bool:
    """Whether ``path`` is an SQLite database file (by its magic header)."""
    with path.open("rb") as f:
        return f.read(16) == b"SQLite format 3\x00"
