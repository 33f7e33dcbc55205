"""OpenClaw session transcripts, read only: the per-agent SQLite database of OpenClaw 2026.9
(``agents/<agentId>/agent/openclaw-agent.sqlite``: ``transcript_events(session_id, seq,
event_json, created_at)``, keys from ``session_windows(session_id, session_key)``) and the JSONL
files under ``agents/<agentId>/sessions/`` (legacy transcripts and explicit exports).

Each event is a pi-session event: ``{type: "session", version, id, timestamp, cwd}`` first,
then ``{type: "message", id, parentId, timestamp, message: {role, content, ...}}``, model and
thinking changes, ``compaction`` (with its ``summary``) and custom events. Messages are read
with the context engine's own parser, so an imported turn reads like a live one: user and
assistant text, tool calls as one-line markers, tool results as role ``tool`` with the tool's
name as speaker. OpenClaw's internal-context messages are skipped; a compaction summary
becomes a system message. The session key comes from ``session_windows`` / ``sessions.json``
when they name the session, else ``session:<id>``; a session in both forms is stored once.

PATH: the agent database, one ``.jsonl`` file, a ``sessions`` folder, or an OpenClaw state dir
(``~/.openclaw``: every agent's database and JSONL files).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..context.messages import parse_message, stored_text
from ..errors import ClawMemoryError
from .records import MessageRecord, Problem, Record, is_sqlite, json_lines

ROLES = {"user": "user", "assistant": "assistant", "toolResult": "tool"}


def transcript_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    found = sorted(path.glob("*.jsonl"))
    return found or sorted(path.glob("agents/*/agent/openclaw-agent.sqlite")) + sorted(
        path.glob("agents/*/sessions/*.jsonl")
    )


def _session_keys(folder: Path) -> dict[str, str]:
    """sessionId → sessionKey from ``sessions.json`` (empty when absent or unreadable)."""
    try:
        index = json.loads((folder / "sessions.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    if not isinstance(index, dict):
        return {}
    return {v["sessionId"]: k for k, v in index.items() if isinstance(v, dict) and isinstance(v.get("sessionId"), str)}


def _message(event: dict[str, Any], key: str, where: str, meta: dict[str, Any]) -> Record | None:
    raw = event.get("message")
    if isinstance(raw, dict) and raw.get("timestamp") is None and event.get("timestamp") is not None:
        raw = {**raw, "timestamp": event["timestamp"]}
    try:
        msg = parse_message(raw, 0, "message")
    except ClawMemoryError as exc:
        return Problem(where, exc.message)
    text = stored_text(msg)
    if msg.internal or not text.strip():
        return None
    return MessageRecord(
        key,
        ROLES[msg.role],
        text,
        where,
        created_at=msg.timestamp,
        speaker=msg.tool_name if msg.role == "toolResult" else None,
        metadata={**meta, "entry_id": event.get("id"), "tool_call_id": msg.tool_call_id},
    )


def _event_records(event: dict[str, Any], key: str, where: str, session_id: str) -> Iterator[Record]:
    meta = {"session_id": session_id, "source": "openclaw.transcript"}
    if event.get("type") == "message":
        record = _message(event, key, where, meta)
        if record is not None:
            yield record
    elif event.get("type") == "compaction" and isinstance(event.get("summary"), str):
        yield MessageRecord(
            key,
            "system",
            event["summary"],
            where,
            created_at=event.get("timestamp"),
            speaker="compaction",
            metadata={**meta, "entry_id": event.get("id")},
        )


def _file_records(path: Path, keys: dict[str, str]) -> Iterator[Record]:
    session_id = path.stem
    key = keys.get(session_id) or f"session:{session_id}"
    for item in json_lines(path):
        if isinstance(item, Problem):
            yield item
            continue
        where, event = item
        if event.get("type") == "session" and isinstance(event.get("id"), str):
            session_id = event["id"]
            key = keys.get(session_id) or keys.get(path.stem) or f"session:{session_id}"
        yield from _event_records(event, key, where, session_id)


def _db_records(path: Path) -> Iterator[Record]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "transcript_events" not in tables:
            yield Problem(path.name, "no transcript_events table (not an OpenClaw agent database)")
            return
        keys = (
            dict(db.execute("SELECT session_id, session_key FROM session_windows"))
            if "session_windows" in tables
            else {}
        )
        for session_id, seq, raw in db.execute(
            "SELECT session_id, seq, event_json FROM transcript_events ORDER BY session_id, seq"
        ):
            where = f"transcript_events:{session_id}:{seq}"
            try:
                event = json.loads(raw)
            except (TypeError, json.JSONDecodeError):
                yield Problem(where, "event_json is not JSON")
                continue
            if isinstance(event, dict):
                yield from _event_records(event, keys.get(session_id) or f"session:{session_id}", where, session_id)
            else:
                yield Problem(where, "not an event object")
    except sqlite3.Error as exc:
        yield Problem(path.name, f"unreadable: {exc}")
    finally:
        db.close()


def read(path: Path) -> Iterator[Record]:
    keys: dict[Path, dict[str, str]] = {}
    for file in transcript_files(path):
        if is_sqlite(file):
            yield from _db_records(file)
            continue
        folder_keys = keys.setdefault(file.parent, _session_keys(file.parent))
        yield from _file_records(file, folder_keys)
