"""Lia (lia-memory-engine): its daily transcripts, ``memory/daily/YYYY-MM-DD.md``.

Each file is one day: ``# YYYY-MM-DD``, then per turn ``## HH:MM`` and the messages as
``**User:** text`` / ``**Agent:** text`` (``**Assistant:**`` too), continuation lines and
``- tool call``/``- tool result`` lines belonging to the message above, turns separated by
``---``. clawmemory's own day files (``context``) use the same format, so they import too.
Each day becomes one session (``daily:YYYY-MM-DD``); a message's time is the day and the
turn's ``HH:MM``, read as UTC (the files carry no zone).

PATH: the workspace, its ``memory/daily`` folder, or one day file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from .records import MessageRecord, Problem, Record

_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})\.md$")
_TIME = re.compile(r"^##\s+(\d{1,2}):(\d{2})\s*$")
_SPEAKER = re.compile(r"^\*\*([^*:]{1,40}):\*\*\s?(.*)$")
ROLES = {"user": "user", "agent": "assistant", "assistant": "assistant", "system": "system", "tool": "tool"}


def day_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    folder = path / "memory" / "daily" if (path / "memory" / "daily").is_dir() else path
    return sorted(p for p in folder.iterdir() if _DAY.match(p.name) and p.is_file())


def _messages(path: Path, day: str) -> Iterator[Record]:
    hhmm = "00:00"
    current: tuple[str, str, list[str], int] | None = None  # role, speaker, lines, line number

    def flush() -> Iterator[Record]:
        if current and "\n".join(current[2]).strip():
            role, speaker, lines, line_no = current
            yield MessageRecord(
                f"daily:{day}",
                role,
                "\n".join(lines).strip(),
                f"{path.name}:{line_no}",
                created_at=f"{day}T{hhmm}:00Z",
                speaker=speaker,
                metadata={"day_file": path.name, "time": hhmm},
            )

    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        time = _TIME.match(line)
        said = _SPEAKER.match(line)
        if time or said or line.strip() == "---" or line.startswith("# "):
            yield from flush()
            current = None
        if time:
            hhmm = f"{int(time[1]):02d}:{time[2]}"
        elif said:
            name = said[1].strip()
            current = (ROLES.get(name.lower(), "assistant"), name, [said[2]], n)
        elif current is not None:
            current[2].append(line)
    yield from flush()


def read(path: Path) -> Iterator[Record]:
    for file in day_files(path):
        match = _DAY.match(file.name)
        if not match:
            yield Problem(file.name, "not a day file (YYYY-MM-DD.md)")
            continue
        try:
            yield from _messages(file, match[1])
        except (OSError, UnicodeDecodeError) as exc:
            yield Problem(file.name, f"unreadable: {exc}")
