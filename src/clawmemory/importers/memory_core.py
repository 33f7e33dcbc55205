"""memory-core (OpenClaw's built-in memory): the agent's markdown workspace and its index.

``MEMORY.md`` and ``memory/**/*.md`` are cut at their sections (memory-core's chunker,
without overlap) and each piece becomes a memory with its path, line range and heading.
The files are memory-core's source of truth; its SQLite index (``memory_index_chunks`` in
OpenClaw 2026.9's per-agent ``agents/<id>/agent/openclaw-agent.sqlite``, ``chunks`` in older
``memory/<agent>.sqlite`` files) adds what only it has: the chunks of indexed session
transcripts (``source`` other than ``memory``). It is opened read-only.

PATH: the workspace folder, one markdown file, or the SQLite index file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from ..collections.chunking import chunk_markdown
from .records import MemoryRecord, Problem, Record, is_sqlite
from .runner import as_label

INDEX_TABLES = ("memory_index_chunks", "chunks")


def _file_time(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def markdown_files(root: Path) -> list[Path]:
    files = [root / "MEMORY.md"] if (root / "MEMORY.md").is_file() else []
    return files + sorted(p for p in (root / "memory").glob("**/*.md") if p.is_file())


def _file_records(path: Path, rel: str) -> Iterator[Record]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        yield Problem(rel, f"unreadable: {exc}")
        return
    stamp = _file_time(path)
    for chunk in chunk_markdown(text, overlap_tokens=0):
        if not chunk.text.strip():
            continue
        yield MemoryRecord(
            chunk.text.strip(),
            f"{rel}#L{chunk.start_line}-L{chunk.end_line}",
            source=f"memory-core:{rel}",
            category="curated" if rel == "MEMORY.md" else "daily",
            metadata={
                "path": rel,
                "startLine": chunk.start_line,
                "endLine": chunk.end_line,
                "heading": chunk.heading,
                "file_mtime": stamp,
            },
        )


def _index_records(db_path: Path) -> Iterator[Record]:
    try:
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        yield Problem(str(db_path), f"cannot open: {exc}")
        return
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        table = next((t for t in INDEX_TABLES if t in tables), None)
        if table is None:
            yield Problem(str(db_path), f"no memory-core index table ({' or '.join(INDEX_TABLES)})")
            return
        rows = db.execute(
            f"SELECT id, path, source, start_line, end_line, text, updated_at FROM {table} "
            "ORDER BY path, start_line, id"
        )
        for cid, path, source, start, end, text, updated in rows:
            if source == "memory":
                continue  # a workspace file's chunk: the file is imported instead
            if not isinstance(text, str) or not text.strip():
                yield Problem(f"{table}:{cid}", "empty chunk text")
                continue
            yield MemoryRecord(
                text.strip(),
                f"{table}:{cid}",
                source=f"memory-core:{path}",
                category="session" if source == "sessions" else as_label(source),
                metadata={
                    "path": path,
                    "startLine": start,
                    "endLine": end,
                    "index_source": source,
                    "chunk_id": cid,
                    "updated_at": updated,
                },
            )
    except sqlite3.Error as exc:
        yield Problem(str(db_path), f"unreadable index: {exc}")
    finally:
        db.close()


def read(path: Path) -> Iterator[Record]:
    if path.is_file() and is_sqlite(path):
        yield from _index_records(path)
    elif path.is_file():
        yield from _file_records(path, path.name)
    else:
        for file in markdown_files(path):
            yield from _file_records(file, file.relative_to(path).as_posix())
