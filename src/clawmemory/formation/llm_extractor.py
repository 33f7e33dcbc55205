"""The LLM path of formation: extraction and reconciliation as JSON-schema answers.

Extraction sends the new messages (with a little earlier context) in chunks, each answer
``{"items": [{"kind", "text", "message", "confidence"}]}`` naming the message number it
came from; reconciliation sends one candidate and its neighbours and gets
``{"action": "add|duplicate|refine|contradict", "target": "<id or null>"}``. Every call
is time-limited; any failure (timeout, HTTP error, invalid JSON, an answer outside the
schema) raises, and the caller falls back to the offline path.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from ..llm import LLMClient, LLMError
from .classifier import KINDS, Item, Utterance
from .reconcile import ACTIONS, Candidate, Decision, Neighbour

ITEMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["items"],
    "additionalProperties": False,
    "properties": {
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["kind", "text", "message"],
                "additionalProperties": False,
                "properties": {
                    "kind": {"enum": list(KINDS)},
                    "text": {"type": "string", "maxLength": 500},
                    "message": {"type": "integer"},
                    "confidence": {"type": "number"},
                },
            },
        }
    },
}
DECISION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["action"],
    "additionalProperties": False,
    "properties": {
        "action": {"enum": ["add", "duplicate", "refine", "contradict"]},
        "target": {"type": ["string", "null"]},
        "reason": {"type": "string"},
    },
}
EXTRACT_SYSTEM = (
    "You extract durable memory items from a conversation: facts about the user or their work, "
    "preferences, decisions, commitments (with dates) and open questions. Skip greetings, thanks, "
    "explanations and anything only true for this moment. Each item is one self-contained sentence "
    "in the speaker's words. Only messages marked NEW count; earlier ones are context. Answer with "
    "JSON only, matching this JSON schema: " + json.dumps(ITEMS_SCHEMA)
)
DECIDE_SYSTEM = (
    "You reconcile a new memory candidate with existing memories. duplicate: an existing memory says "
    "the same; refine: an existing memory says less of the same thing (the candidate replaces it); "
    "contradict: the candidate changes a value an existing memory states (the old one is superseded); "
    "add: none of these. target is the id of the existing memory for duplicate/refine/contradict. "
    "Answer with JSON only, matching this JSON schema: " + json.dumps(DECISION_SCHEMA)
)


def _object(text: str) -> dict[str, Any]:
    text = text.strip()
    if text.startswith("```"):
        text = text.strip("`").split("\n", 1)[-1]
    try:
        data = json.loads(text[text.find("{") : text.rfind("}") + 1])
    except ValueError as exc:
        raise LLMError("the llm answer is not a JSON object") from exc
    if not isinstance(data, dict):
        raise LLMError("the llm answer is not a JSON object")
    return data


class LLMExtractor:
    """Extraction and reconciliation through ``client``."""

    def __init__(self, client: LLMClient, *, chunk_chars: int = 12_000, timeout_s: float = 20.0) -> None:
        self.client = client
        self.chunk_chars = chunk_chars
        self.timeout_s = timeout_s

    def items(self, turns: Sequence[Utterance], first_new: int) -> list[Item]:
        """Items said in ``turns[first_new:]``, chunked; raises on any failure."""
        deadline = time.monotonic() + self.timeout_s
        by_seq = {t.seq: t for t in turns}
        out: list[Item] = []
        for chunk in self._chunks(turns, first_new):
            lines = [f"[{t.seq}]{' NEW' if new else ''} {t.role}: {t.text}" for t, new in chunk]
            reply = self.client.complete(
                EXTRACT_SYSTEM, "\n".join(lines), json_mode=True, max_tokens=2048, timeout_s=deadline - time.monotonic()
            )
            data = _object(reply.text)
            raw = data.get("items")
            if not isinstance(raw, list):
                raise LLMError("the llm answer has no items list")
            allowed = {t.seq for t, new in chunk if new}
            for entry in raw:
                if (
                    not isinstance(entry, dict)
                    or entry.get("kind") not in KINDS
                    or not isinstance(entry.get("text"), str)
                    or not entry["text"].strip()
                    or entry.get("message") not in allowed
                ):
                    raise LLMError(f"an llm item is outside the schema: {str(entry)[:200]}")
                confidence = entry.get("confidence", 0.8)
                if isinstance(confidence, bool) or not isinstance(confidence, int | float):
                    raise LLMError("an llm item's confidence is not a number")
                turn = by_seq[entry["message"]]
                text = " ".join(entry["text"].split())[:500]
                out.append(
                    Item(
                        entry["kind"],
                        text,
                        turn.role,
                        turn.seq,
                        turn.at,
                        round(min(max(float(confidence), 0.0), 1.0), 2),
                    )
                )
        return out

    def _chunks(self, turns: Sequence[Utterance], first_new: int) -> list[list[tuple[Utterance, bool]]]:
        """New turns in chunks of at most ``chunk_chars``, each led by the context before it."""
        context = [(t, False) for t in turns[:first_new]]
        chunks: list[list[tuple[Utterance, bool]]] = []
        current: list[tuple[Utterance, bool]] = list(context)
        size = sum(len(t.text) for t, _ in current)
        for t in turns[first_new:]:
            if any(new for _, new in current) and size + len(t.text) > self.chunk_chars:
                chunks.append(current)
                current, size = [], 0
            current.append((t, True))
            size += len(t.text)
        if any(new for _, new in current):
            chunks.append(current)
        return chunks

    def decide(self, candidate: Candidate, near: Sequence[Neighbour]) -> Decision:
        """The model's reconciliation of ``candidate`` with ``near``; raises on any failure."""
        prompt = json.dumps(
            {
                "candidate": {"kind": candidate.kind, "text": candidate.text, "said_at": candidate.at},
                "existing": [{"id": n.id, "kind": n.kind, "text": n.text, "valid_from": n.valid_from} for n in near],
            },
            ensure_ascii=False,
        )
        reply = self.client.complete(DECIDE_SYSTEM, prompt, json_mode=True, max_tokens=300, timeout_s=self.timeout_s)
        data = _object(reply.text)
        action, target = data.get("action"), data.get("target")
        if action not in ACTIONS or action == "forgotten":
            raise LLMError(f"the llm action {action!r} is not one of add, duplicate, refine, contradict")
        if action != "add" and target not in {n.id for n in near}:
            raise LLMError(f"the llm target {target!r} is not one of the neighbours")
        return Decision(action, (str(target),) if action != "add" else (), str(data.get("reason") or "llm"))
