"""OpenClaw session transcripts: the JSONL files under ``agents/<agentId>/sessions/`` (legacy
transcripts and explicit exports; read only, never changed).

Each line is a pi-session event: ``{type: "session", version, id, timestamp, cwd}`` first,
then ``{type: "message", id, parentId, timestamp, message: {role, content, ...}}``, model and
thinking changes, ``compaction`` (with its ``summary``) and custom events. Messages are read
with the context engine's own parser, so an imported turn reads like a live one: user and
assistant text, tool calls as one-line markers, tool results as role ``tool`` with the tool's
name as speaker. OpenClaw's internal-context messages are skipped; a compaction summary
becomes a system message. The session key comes from ``sessions.json`` beside the files
when it names the session, else ``session:<id>``.

PATH: one ``.jsonl`` file, a ``sessions`` folder, or an OpenClaw state dir (``~/.openclaw``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..context.messages import parse_message, stored_text
from ..errors import ClawMemoryError
from .records import MessageRecord, Problem, Record, json_lines

ROLES = {"user": "user", "assistant": "assistant", "toolResult": "tool"}


def transcript_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    found = sorted(path.glob("*.jsonl"))
    return found or sorted(path.glob("agents/*/sessions/*.jsonl"))


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
    return MessageRecord(key, ROLES[msg.role], text, where, created_at=msg.timestamp,
                         speaker=msg.tool_name if msg.role == "toolResult" else None,
                         metadata={**meta, "entry_id": event.get("id"), "tool_call_id": msg.tool_call_id})


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
        meta = {"session_id": session_id, "source": "openclaw.transcript"}
        if event.get("type") == "message":
            record = _message(event, key, where, meta)
            if record is not None:
                yield record
        elif event.get("type") == "compaction" and isinstance(event.get("summary"), str):
            yield MessageRecord(key, "system", event["summary"], where, created_at=event.get("timestamp"),
                                speaker="compaction", metadata={**meta, "entry_id": event.get("id")})


def read(path: Path) -> Iterator[Record]:
    keys: dict[Path, dict[str, str]] = {}
    for file in transcript_files(path):
        folder_keys = keys.setdefault(file.parent, _session_keys(file.parent))
        try:
            yield from _file_records(file, folder_keys)
        except OSError as exc:
            yield Problem(file.name, f"unreadable: {exc}")
