"""OpenClaw messages: validation, normalisation and their plain-text views.

Shapes (pi-ai ``AgentMessage`` as OpenClaw 2026.9 sends them)::

    {role: "user", content: str | [{type: "text", text} | {type: "image", ...}], timestamp?}
    {role: "assistant", content: [{type: "text"|"thinking"|"toolCall", ...}], timestamp?, ...}
    {role: "toolResult", toolCallId, toolName, content: [...], isError?, timestamp?}

``timestamp`` is ms since the epoch (a number) or an ISO string; it becomes ISO UTC.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..errors import InvalidInput
from ..store.records import content_hash

ROLES = ("user", "assistant", "toolResult")
INTERNAL_MARKER = "<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>"
_RUNTIME_LINE = re.compile(r"^Runtime: agent=.*$", re.M)
# OpenClaw stamps each user message at the LLM boundary: "[Thu 2026-12-03 15:54 UTC] ..."
_STAMP = re.compile(r"^\[[A-Z][a-z]{2} \d{4}-\d{2}-\d{2} \d{2}:\d{2}[^\]\n]{0,40}\]\s*")
_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text


@dataclass(frozen=True)
class Msg:
    """A validated message: the host's object (``raw``) and its plain views."""

    index: int
    role: str
    text: str  # visible text (user/assistant text parts, tool result text)
    timestamp: str | None  # ISO UTC, or None when the host sent none
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    tool_name: str | None = None
    is_error: bool = False
    images: int = 0
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def internal(self) -> bool:
        """OpenClaw's ephemeral internal-context user message (not the user's words)."""
        return self.role == "user" and INTERNAL_MARKER in self.text

    def anchor(self) -> str:
        """Where this message sits in a session: role and timestamp (text when it has none).
        Stable between the host's objects and the stored rows, so a compaction's first kept
        message is found again in later histories."""
        if self.timestamp:
            return content_hash("anchor", self.role, self.timestamp)
        return content_hash("anchor", self.role, self.text)

    def fingerprint(self) -> str:
        """Identity of the message within a session (role, text, time, tool ids)."""
        return content_hash(self.role, self.text, self.timestamp, self.tool_call_id, [c.id for c in self.tool_calls])


def iso_time(value: Any, field_name: str) -> str:
    """A message timestamp (ms epoch number, or ISO text) as ISO 8601 UTC with ``Z``."""
    if isinstance(value, bool):
        raise InvalidInput(f"{field_name} must be a number (ms since epoch) or an ISO time", field=field_name)
    if isinstance(value, int | float):
        seconds = value / 1000 if abs(value) > 1e11 else float(value)
        try:
            moment = datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise InvalidInput(f"{field_name} is out of range", field=field_name) from exc
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("z", "Z"))
        except ValueError as exc:
            raise InvalidInput(f"{field_name} is not an ISO 8601 time: {value[:40]!r}", field=field_name) from exc
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    else:
        raise InvalidInput(f"{field_name} must be a number (ms since epoch) or an ISO time", field=field_name)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _blocks(content: Any, where: str) -> list[Mapping[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if not isinstance(content, list):
        raise InvalidInput(f"{where} must be a string or a list of content blocks", field=where)
    for j, block in enumerate(content):
        if not isinstance(block, Mapping):
            raise InvalidInput(f"{where}[{j}] must be an object", field=f"{where}[{j}]")
    return content


def _arguments(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return str(value)


def parse_message(raw: Any, index: int, where: str) -> Msg:
    """Validate one message; ``where`` names it in errors (e.g. ``params.messages[3]``)."""
    if not isinstance(raw, Mapping):
        raise InvalidInput(f"{where} must be an object", field=where)
    role = raw.get("role")
    if role not in ROLES:
        raise InvalidInput(
            f"{where}.role must be one of {', '.join(ROLES)}; got {str(role)[:40]!r}", field=f"{where}.role"
        )
    blocks = _blocks(raw.get("content"), f"{where}.content")
    texts: list[str] = []
    calls: list[ToolCall] = []
    images = 0
    for block in blocks:
        kind = block.get("type")
        if kind == "text" and isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif kind == "toolCall":
            calls.append(
                ToolCall(
                    str(block.get("id") or ""), str(block.get("name") or "tool"), _arguments(block.get("arguments"))
                )
            )
        elif kind == "image":
            images += 1
    timestamp = raw.get("timestamp")
    ts = None if timestamp is None else iso_time(timestamp, f"{where}.timestamp")
    tool_call_id = raw.get("toolCallId")
    if role == "toolResult" and not isinstance(tool_call_id, str):
        raise InvalidInput(f"{where}.toolCallId is required for a toolResult", field=f"{where}.toolCallId")
    return Msg(
        index=index,
        role=role,
        text="\n".join(t for t in texts if t).strip(),
        timestamp=ts,
        tool_calls=tuple(calls),
        tool_call_id=tool_call_id if isinstance(tool_call_id, str) else None,
        tool_name=str(raw.get("toolName")) if raw.get("toolName") is not None else None,
        is_error=raw.get("isError") is True,
        images=images,
        raw=raw,
    )


def parse_messages(value: Any, where: str = "params.messages") -> list[Msg]:
    """Validate a message list (every message, before anything is written)."""
    if not isinstance(value, list):
        raise InvalidInput(f"{where} must be a list of messages", field=where)
    return [parse_message(m, i, f"{where}[{i}]") for i, m in enumerate(value)]


def one_line(text: str, limit: int) -> str:
    text = _WS.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def query_text(msg: Msg) -> str:
    """The user's words in a message: without OpenClaw's runtime line and time stamp."""
    return _STAMP.sub("", _RUNTIME_LINE.sub("", msg.text).strip())


def stored_text(msg: Msg) -> str:
    """The searchable text of a message as stored: its words plus one-line tool markers."""
    words = query_text(msg) if msg.role == "user" else msg.text
    parts = [words] if words else []
    if msg.images:
        parts.append(f"[{msg.images} image(s)]")
    for call in msg.tool_calls:
        parts.append(f"[tool call: {call.name}] {one_line(call.arguments, 500)}")
    if msg.role == "toolResult":
        head = f"[tool result: {msg.tool_name or 'tool'}{' (error)' if msg.is_error else ''}]"
        return f"{head} {msg.text}".strip()
    return "\n".join(parts)


def last_user_text(messages: Sequence[Msg]) -> str:
    """The last real user message's words (not OpenClaw's internal context)."""
    for msg in reversed(messages):
        if msg.role == "user" and not msg.internal and query_text(msg):
            return query_text(msg)
    return ""
