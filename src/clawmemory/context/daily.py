"""Auto-flush: every committed message is appended to
``<workspace>/memory/daily/YYYY-MM-DD.md`` for people and for interop.

Format (the date and ``HH:MM`` come from each message's own timestamp, in the
configured time zone)::

    # 2026-11-20

    ## 23:58

    **User:** Shall we ship on Friday?

    **Agent:** Yes, Friday 14:00.
    - tool call `calendar`: {"day": "friday"}
    - tool result `calendar`: booked

    ---

Writes are exactly-once and crash-safe. A commit puts the rendered entries into an
outbox table in the same transaction as the messages; the flush appends whole entries
to the file, flushes and fsyncs it, then records the file's new size and deletes the
outbox rows in one transaction. If the process dies between the append and that
record, the next flush finds bytes past the recorded size that are a prefix of what it
is about to write, and writes only the rest; bytes someone else added are left alone.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import InvalidInput
from ..redaction import redact
from . import rows
from .messages import Msg, one_line, query_text

log = logging.getLogger("clawmemory.context.daily")

DAILY_DIR = Path("memory") / "daily"
_DAY_FILE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.md$")


def resolve_timezone(name: str) -> tzinfo:
    """'local' (the machine's zone), 'UTC', or an IANA name."""
    if name == "local":
        return datetime.now().astimezone().tzinfo or UTC
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone {name!r}", field="context.dailyTimezone") from exc


def local_stamp(iso: str, tz: tzinfo) -> tuple[str, str]:
    """(YYYY-MM-DD, HH:MM) of an ISO UTC time in ``tz``."""
    moment = datetime.fromisoformat(iso).astimezone(tz)
    return moment.strftime("%Y-%m-%d"), moment.strftime("%H:%M")


def entry(msg: Msg) -> str | None:
    """One message as markdown (secrets redacted); None when there is nothing to show."""
    lines = []
    if msg.role == "user":
        words = query_text(msg)
        if msg.internal or not words:
            return None
        lines.append(f"**User:** {words}")
    elif msg.role == "assistant":
        if msg.text:
            lines.append(f"**Agent:** {msg.text}")
        lines += [f"- tool call `{c.name}`: {one_line(c.arguments, 160)}" for c in msg.tool_calls]
    else:
        error = " (error)" if msg.is_error else ""
        lines.append(f"- tool result `{msg.tool_name or 'tool'}`{error}: {one_line(msg.text, 160) or '(no output)'}")
    return redact("\n".join(lines)) if lines else None


def render(rows: Sequence[Any]) -> str:
    """Rows (``turn_key``, ``hhmm``, ``body``; in order) as markdown: a ``## HH:MM`` heading
    whenever the minute changes within a turn, ``---`` after each turn."""
    out: list[str] = []
    turn = None
    minute = None
    for row in rows:
        if row["turn_key"] != turn:
            if turn is not None:
                out.append("\n---\n")
            turn, minute = row["turn_key"], None
        if row["hhmm"] != minute:
            minute = row["hhmm"]
            out.append(f"\n## {minute}\n")
        out.append(f"\n{row['body']}\n")
    if turn is not None:
        out.append("\n---\n")
    return "".join(out)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def append_exactly_once(path: Path, day: str, entries: str, recorded: int | None) -> int:
    """Append ``entries`` to the day file unless (a prefix of) it is already there past
    ``recorded`` bytes; returns the file's new size."""
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    with open(path, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            full = f"# {day}\n{entries}".encode()
            part = entries.encode()
            start = recorded if recorded is not None and recorded <= size else None
            if start is None:  # never written by us (or shrunk): the whole file is the tail
                candidates = (full, part) if size == 0 or recorded is None else (part,)
                start = 0
            else:
                candidates = (part,) if start > 0 else (full, part)
            fh.seek(start)
            tail = fh.read()
            data = None
            for block in candidates:
                if block.startswith(tail):  # nothing, or a torn earlier attempt of ours
                    data = block[len(tail) :]
                    break
                if tail.startswith(block):  # ours is there in full, someone wrote after it
                    data = b""
                    break
            if data is None:  # someone else wrote after us: append our entries after theirs
                data = part if size > 0 else full
            if data:
                fh.seek(0, os.SEEK_END)
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            new_size = fh.seek(0, os.SEEK_END)
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    if created:
        _fsync_dir(path.parent)
    return new_size


class DailyFiles:
    """The outbox and the day files of every workspace the engine writes to."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self._lock = threading.Lock()

    def enqueue(
        self, db: Any, namespace: str, workspace: str, turn_key: str, items: Sequence[tuple[str, str, str]]
    ) -> None:
        """Queue (day, HH:MM, body) entries inside the caller's transaction."""
        rows.enqueue_daily(db, namespace, workspace, turn_key, items)

    def pending(self) -> int:
        return rows.pending_daily(self.store.db)

    def flush(self) -> dict[str, Any]:
        """Write every queued entry; returns {files, entries} written (errors are logged and
        the entries stay queued for the next flush)."""
        with self._lock:
            return self._flush()

    def _flush(self) -> dict[str, Any]:
        groups: dict[tuple[str, str, str], list[Any]] = {}
        for row in rows.queued_daily(self.store.db):
            groups.setdefault((row["namespace"], row["workspace_dir"], row["day"]), []).append(row)
        files = entries = 0
        for (namespace, workspace, day), group in groups.items():
            path = Path(workspace) / DAILY_DIR / f"{day}.md"
            try:
                recorded = rows.daily_file_size(self.store.db, str(path))
                size = append_exactly_once(path, day, render(group), recorded)
            except OSError as exc:
                log.warning("could not write %s (%s); the entries stay queued", path, exc)
                continue
            with self.store.transaction() as db:
                rows.daily_written(db, str(path), namespace, size, [r["id"] for r in group])
            files += 1
            entries += len(group)
        return {"files": files, "entries": entries}


def prune(workspace: Path, days: int, today: date | None = None) -> list[str]:
    """Delete day files older than ``days`` days (by the date in the name); returns their names."""
    if days <= 0:
        return []
    folder = Path(workspace) / DAILY_DIR
    if not folder.is_dir():
        return []
    cutoff = (today or datetime.now(UTC).date()) - timedelta(days=days)
    removed = []
    for path in sorted(folder.iterdir()):
        m = _DAY_FILE.match(path.name)
        if not m:
            continue
        try:
            day = date.fromisoformat(m.group(1))
        except ValueError:
            continue
        if day < cutoff:
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed
