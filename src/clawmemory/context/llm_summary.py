"""The LLM summariser: the configured model writes the structured summary as JSON.

The older half is rendered as a plain transcript (``User:`` / ``Agent:`` lines, tool
calls and results as one-line markers), cut into chunks at user-turn boundaries when
it is longer than ``compactionChunkTokens``; each chunk is summarised in order under
one overall deadline and the parts are merged. Any failure (no endpoint, timeout,
HTTP error, an answer that is not the JSON asked for) raises :class:`LLMError`; the
caller then uses the offline summary.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence

from ..llm import LLMClient, LLMError
from . import summary
from .messages import Msg, one_line, query_text
from .tokens import TokenEstimator

SYSTEM = """You compress the older part of a conversation between a user and an AI agent into a \
structured summary that replaces it in the agent's context window.

Most important: keep the question-and-answer structure. For every question the user asked, \
record what was asked and what was already answered, so the agent never answers it twice. \
Write these as "User asked about X → Already answered: Y".

Also keep, with exact names, numbers and dates:
- decisions that were made (what was chosen, and why if said);
- commitments and promises (who will do what, by when);
- open questions (asked but not answered yet);
- the user's preferences (tone, format, style, tools, habits);
- emotional context (how the user felt, if it matters);
- key facts and information shared;
- tool actions the agent took and their results.

Be specific: "Decided to deploy to Fly.io region ams on Friday" beats "Discussed deployment". \
The raw transcript stays saved in memory files and can be searched later, so prefer precise \
items over prose.

Answer with one JSON object and nothing else. Its keys are qa_log, decisions, commitments, \
open_questions, preferences, emotional_context, key_facts, tool_actions; each value is a list \
of short strings (an empty list when there is nothing)."""

_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.S)


def transcript(messages: Sequence[Msg]) -> str:
    """Messages as the summariser reads them."""
    lines = []
    for msg in messages:
        if msg.role == "user" and not msg.internal:
            lines.append(f"User: {query_text(msg)}")
        elif msg.role == "assistant":
            parts = [msg.text] if msg.text else []
            parts += [f"[Used tool: {c.name} {one_line(c.arguments, 200)}]" for c in msg.tool_calls]
            if parts:
                lines.append("Agent: " + "\n".join(parts))
        elif msg.role == "toolResult":
            lines.append(f"[Tool result: {one_line(msg.text, 200)}]")
    return "\n\n".join(lines)


def chunks(messages: Sequence[Msg], limit: int, tokens: TokenEstimator) -> list[list[Msg]]:
    """Split at user messages so no chunk is much longer than ``limit`` tokens."""
    out: list[list[Msg]] = [[]]
    size = 0
    for msg in messages:
        cost = tokens.message(msg.raw)
        if msg.role == "user" and out[-1] and size + cost > limit:
            out.append([])
            size = 0
        out[-1].append(msg)
        size += cost
    return [c for c in out if c]


def parse_sections(text: str) -> summary.Sections:
    """The model's JSON answer as sections; LLMError if it is not that."""
    raw = _FENCE.sub("", text.strip())
    start, end = raw.find("{"), raw.rfind("}")
    try:
        data = json.loads(raw[start : end + 1]) if start >= 0 and end > start else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise LLMError("the model's summary is not a JSON object")
    out = summary.empty()
    for key in summary.KEYS:
        value = data.get(key, [])
        if isinstance(value, str):
            value = [value] if value.strip() else []
        if not isinstance(value, list):
            raise LLMError(f"the model's summary has a non-list {key!r}")
        out[key] = [one_line(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False), 600) for v in value if v]
    if not any(out.values()):
        raise LLMError("the model's summary is empty")
    return out


class LLMSummarizer:
    """Summaries from ``client``; chunked at ``chunk_tokens``."""

    def __init__(self, client: LLMClient, *, chunk_tokens: int, tokens: TokenEstimator, max_tokens: int = 2048) -> None:
        self.client = client
        self.chunk_tokens = chunk_tokens
        self.tokens = tokens
        self.max_tokens = max_tokens
        self.name = f"llm:{client.model}"

    def summarize(self, messages: Sequence[Msg], deadline: float | None = None) -> summary.Sections:
        parts = chunks(messages, self.chunk_tokens, self.tokens)
        results = []
        for n, part in enumerate(parts, 1):
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise LLMError("compaction deadline passed before every chunk was summarised")
            header = f"Part {n} of {len(parts)} of the conversation, in order.\n\n" if len(parts) > 1 else ""
            reply = self.client.complete(
                SYSTEM,
                header + transcript(part),
                max_tokens=self.max_tokens,
                timeout_s=left if left is None else min(left, self.client.timeout_s),
                json_mode=True,
            )
            results.append(parse_sections(reply.text))
        return summary.merge(*results)
