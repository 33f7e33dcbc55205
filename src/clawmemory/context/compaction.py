"""Compaction: split the live messages, summarise the older half, keep the newer half.

The split starts at the midpoint (by message count) and moves forward to the next
user message, else backward; a user message is a valid split only if no tool call
before it has its result after it, and if it is not OpenClaw's internal context.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import summary
from .messages import Msg
from .tokens import TokenEstimator


class Summarizer(Protocol):
    name: str

    def summarize(self, messages: Sequence[Msg], deadline: float | None = None) -> summary.Sections: ...


@dataclass
class Compaction:
    """What a compaction produced."""

    ok: bool
    compacted: bool
    reason: str | None = None
    split: int | None = None  # index of the first kept message
    sections: summary.Sections = field(default_factory=summary.empty)
    summary_text: str = ""
    summarizer: str = ""
    fallback_reason: str | None = None
    messages: list[Mapping[str, Any]] = field(default_factory=list)
    tokens_before: int = 0
    tokens_after: int = 0
    summarized_messages: int = 0
    elapsed_ms: float = 0.0

    def summary_json(self) -> dict[str, Any]:
        """The summary as JSON: sections, counts and provenance (what the CLI prints)."""
        return {
            "sections": self.sections,
            "counts": summary.count(self.sections),
            "summarizer": self.summarizer,
            "fallback_reason": self.fallback_reason,
            "summarized_messages": self.summarized_messages,
            "kept_messages": len(self.messages) - 2 if self.compacted else len(self.messages),
            "tokens_before": self.tokens_before,
            "tokens_after": self.tokens_after,
            "text": self.summary_text,
        }


def split_point(messages: Sequence[Msg]) -> int | None:
    """Index of the first kept message, or None when no valid split exists."""
    n = len(messages)
    blocked = [0] * (n + 2)
    called: dict[str, int] = {}
    for pos, msg in enumerate(messages):
        for call in msg.tool_calls:
            called.setdefault(call.id, pos)
        if msg.role == "toolResult" and msg.tool_call_id in called:
            start = called[msg.tool_call_id]
            blocked[start + 1] += 1  # splits in (call, result] separate the pair
            blocked[pos + 1] -= 1
    open_pairs = 0
    valid = []
    for i in range(n):
        open_pairs += blocked[i]
        valid.append(open_pairs == 0)
    first_real = 2 if n >= 2 and messages[0].role == "user" and summary.is_summary(messages[0].text) else 0

    def ok(i: int) -> bool:
        m = messages[i]
        return i > first_real and m.role == "user" and not m.internal and valid[i]

    mid = n // 2
    for i in range(mid, n):
        if ok(i):
            return i
    for i in range(mid - 1, 0, -1):
        if ok(i):
            return i
    return None


def carried_over(older: Sequence[Msg]) -> tuple[summary.Sections, list[Msg]]:
    """(sections of an earlier summary at the head, the real messages after it)."""
    older = list(older)
    if older and older[0].role == "user" and summary.is_summary(older[0].text):
        rest = [m for m in older[1:] if not (m.role == "assistant" and m.text == summary.ACK)]
        return summary.parse(older[0].text), rest
    return summary.empty(), older


def summary_messages(text: str, timestamp: Any) -> list[dict[str, Any]]:
    """The summary as a user message plus the fixed assistant acknowledgement."""
    user: dict[str, Any] = {"role": "user", "content": [{"type": "text", "text": text}]}
    ack: dict[str, Any] = {
        "role": "assistant",
        "content": [{"type": "text", "text": summary.ACK}],
        "stopReason": "stop",
    }
    if timestamp is not None:
        user["timestamp"] = ack["timestamp"] = timestamp
    return [user, ack]


def compact(
    messages: Sequence[Msg],
    primary: Summarizer | None,
    offline: Summarizer,
    tokens: TokenEstimator,
    *,
    min_messages: int = 4,
    deadline: float | None = None,
) -> Compaction:
    """Compact ``messages``: summary of the older half + the newer half verbatim.

    ``primary`` (an LLM) is tried first when given; on any failure ``offline`` is used and
    ``fallback_reason`` says why. A summary already at the head (an earlier compaction)
    has its items carried into the new one.
    """
    start = time.perf_counter()
    raw = [m.raw for m in messages]
    before = tokens.messages(raw)
    if len(messages) < min_messages:
        return Compaction(
            True,
            False,
            f"only {len(messages)} messages (fewer than {min_messages})",
            messages=list(raw),
            tokens_before=before,
            tokens_after=before,
        )
    cut = split_point(messages)
    if cut is None:
        return Compaction(
            True,
            False,
            "no user message to split at without separating a tool call from its result",
            messages=list(raw),
            tokens_before=before,
            tokens_after=before,
        )
    carried, older = carried_over(messages[:cut])
    used, reason = offline.name, None
    sections = None
    if primary is not None:
        try:
            sections = primary.summarize(older, deadline)
            used = primary.name
        except Exception as exc:  # any failure of the model path falls back
            reason = f"{type(exc).__name__}: {exc}"
    if sections is None:
        sections = offline.summarize(older, None)
    sections = summary.merge(carried, sections)
    text = summary.render(sections)
    stamp = older[0].raw.get("timestamp") if older else None
    kept: list[Mapping[str, Any]] = [*summary_messages(text, stamp), *raw[cut:]]
    after = tokens.messages(kept)
    if after >= before:
        return Compaction(
            True,
            False,
            f"the summary would not be smaller ({after} >= {before} tokens)",
            messages=list(raw),
            tokens_before=before,
            tokens_after=before,
        )
    return Compaction(
        ok=True,
        compacted=True,
        split=cut,
        sections=sections,
        summary_text=text,
        summarizer=used,
        fallback_reason=reason,
        messages=kept,
        tokens_before=before,
        tokens_after=after,
        summarized_messages=len(older),
        elapsed_ms=(time.perf_counter() - start) * 1000,
    )
