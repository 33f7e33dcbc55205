"""Remnic (formerly openclaw-engram): markdown memory files with YAML frontmatter.

Under its ``memoryDir`` (default ``~/.openclaw/workspace/memory/local``) every memory is a
file such as ``facts/2026-05-01/preference-<ts>-<hash>.md``; also ``entities/``,
``corrections/``, ``procedures/``, ``archive/`` and more. The frontmatter carries ``id``,
``category``, ``created``/``updated``, ``source``, ``confidence``, ``importance``, ``status``
(active, superseded, archived), ``tags``, ``entityRef``, ``validAt``/``invalidAt``. The body
is the memory. What Remnic retired (``status`` superseded or archived, or under
``archive/``) is imported forgotten: kept, out of search. ``state/`` (buffers, indexes) and
``namespaces/`` of other spaces are not memories and are skipped; import a namespace's own
folder to bring it in.

PATH: the memoryDir, or one memory file.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from .records import MemoryRecord, Problem, Record

SKIPPED_DIRS = {"state", "namespaces", ".git"}
RETIRED = {"superseded", "archived", "deleted", "forgotten"}
FOLDER_CATEGORY = {
    "facts": "fact",
    "entities": "entity",
    "corrections": "correction",
    "artifacts": "artifact",
    "boxes": "episode",
    "summaries": "summary",
    "threads": "thread",
    "procedures": "procedure",
}


def split_frontmatter(text: str) -> tuple[dict[str, Any] | None, str]:
    """(frontmatter mapping or None, body) of a markdown file; raises ValueError on bad YAML."""
    if not text.startswith("---"):
        return None, text
    head, sep, body = text[3:].partition("\n---")
    if not sep:
        return None, text
    try:
        meta = yaml.safe_load(head)
    except yaml.YAMLError as exc:
        raise ValueError(f"bad frontmatter: {str(exc).splitlines()[0]}") from exc
    if meta is not None and not isinstance(meta, dict):
        raise ValueError("frontmatter is not a mapping")
    return meta or {}, body.partition("\n")[2]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _importance(value: Any) -> float:
    if isinstance(value, dict):
        value = value.get("score")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.5


def _record(path: Path, rel: str) -> Record:
    try:
        meta, body = split_frontmatter(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return Problem(rel, str(exc))
    meta = _plain(meta or {})
    folder = rel.split("/", 1)[0] if "/" in rel else ""
    category = meta.get("category") or FOLDER_CATEGORY.get(folder) or (Path(rel).stem if not folder else None)
    status = str(meta.get("status") or "active").lower()
    return MemoryRecord(
        body.strip(),
        rel,
        kind=str(meta.get("type") or "fact"),
        category=category,
        importance=_importance(meta.get("importance", meta.get("importanceScore"))),
        source=f"remnic:{meta['source']}" if isinstance(meta.get("source"), str) else "remnic",
        metadata={"remnic": meta, "path": rel},
        active=status not in RETIRED and folder != "archive",
    )


def read(path: Path) -> Iterator[Record]:
    if path.is_file():
        yield _record(path, path.name)
        return
    for file in sorted(path.rglob("*.md")):
        rel = file.relative_to(path).as_posix()
        if SKIPPED_DIRS.isdisjoint(rel.split("/")[:-1]) and file.is_file():
            yield _record(file, rel)
