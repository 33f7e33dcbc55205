"""Attention-state intake: whatever a caller sends as snippets, normalised to
``Snippet(text, source, score)``.

Accepted forms (the delta-mem sidecar's contract): the body fields ``attention_state``,
``attentionState`` and ``delta_attention_state``, and the ``X-Delta-Attention-State``
header. Each may be a string (JSON-looking strings are parsed), a list (flattened), or an
object that contributes its first non-empty ``text``/``content``/``snippet``/``summary``
or, failing that, whatever sits under ``snippets``/``results``/``items``/``documents``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

BODY_FIELDS = ("attention_state", "attentionState", "delta_attention_state")
HEADER = "x-delta-attention-state"
TEXT_KEYS = ("text", "content", "snippet", "summary")
NESTED_KEYS = ("snippets", "results", "items", "documents")
SOURCE_KEYS = ("source", "file", "path", "docid", "id")
_SPACE = re.compile(r"\s+")
_MAX_DEPTH = 8


@dataclass(frozen=True)
class Snippet:
    """One piece of attention state: its text, where it came from, and a score if known."""

    text: str
    source: str
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "source": self.source, "score": self.score}

    @property
    def key(self) -> str:
        """Identity for de-duplication: the text with whitespace collapsed, case-folded."""
        return _SPACE.sub(" ", self.text).strip().casefold()


def _score(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _walk(value: Any, source: str, score: float | None, depth: int = 0) -> Iterator[Snippet]:
    if depth > _MAX_DEPTH or value is None:
        return
    if isinstance(value, str):
        stripped = value.strip()
        if not stripped:
            return
        if stripped[0] in '[{"':
            try:
                parsed = json.loads(stripped)
            except ValueError:
                parsed = None
            if parsed is not None and not isinstance(parsed, (int, float, bool)):
                yield from _walk(parsed, source, score, depth + 1)
                return
        yield Snippet(stripped, source, score)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _walk(item, source, score, depth + 1)
    elif isinstance(value, Mapping):
        src = next(
            (str(value[k]) for k in SOURCE_KEYS if isinstance(value.get(k), (str, int)) and value.get(k) != ""), source
        )
        sc = _score(value.get("score"))
        sc = score if sc is None else sc
        for k in TEXT_KEYS:
            text = value.get(k)
            if isinstance(text, str) and text.strip():
                yield Snippet(text.strip(), src, sc)
                return
        for k in NESTED_KEYS:
            if k in value:
                yield from _walk(value[k], src, sc, depth + 1)
                return
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield Snippet(str(value), source, score)
    else:
        text = str(value).strip()
        if text:
            yield Snippet(text, source, score)


def coerce(value: Any, source: str = "request") -> list[Snippet]:
    """Snippets from one attention-state value, in order."""
    return list(_walk(value, source, None))


def from_request(body: Mapping[str, Any], headers: Mapping[str, str]) -> list[Snippet]:
    """Every snippet a request carries: the three body aliases, then the header."""
    out: list[Snippet] = []
    for name in BODY_FIELDS:
        if name in body:
            out.extend(coerce(body[name]))
    raw = headers.get(HEADER)
    if raw:
        out.extend(coerce(raw))
    return out


def clean(snippets: Iterable[Snippet], max_chars: int) -> list[Snippet]:
    """Cut each snippet to ``max_chars`` and drop repeats (first occurrence wins)."""
    seen: set[str] = set()
    out: list[Snippet] = []
    for s in snippets:
        key = s.key
        if key and key not in seen:
            seen.add(key)
            text = s.text if len(s.text) <= max_chars else s.text[: max_chars - 1] + "…"
            out.append(Snippet(text, s.source, s.score))
    return out
