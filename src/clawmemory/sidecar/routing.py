"""Which session a chat request belongs to.

OpenClaw 2026.9.6 sends no session header to a model endpoint (provider headers are static),
so the sidecar tries, in order:

1. ``X-OpenClaw-Session-Key`` (the delta-mem plugin's header; also what the Gateway's own
   OpenAI endpoint takes), then ``X-Delta-Mem-Session-Key`` (the sidecar's later name);
2. the body's ``prompt_cache_key``, which OpenClaw sends as ``"<sessionId>:<n>"`` when the
   model has ``compat.supportsPromptCacheKey``; ``n`` counts the session's compaction and
   reset boundaries, so it is dropped: the session keeps its memory across compactions;
3. the body's ``user``;
4. the ``Runtime: ... | session=<key> | ...`` line OpenClaw puts in the first user message.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

HEADERS = (("x-openclaw-session-key", "header"), ("x-delta-mem-session-key", "header"))
MAX_KEY_CHARS = 256
_BOUNDARY = re.compile(r":\d+$")
_RUNTIME = re.compile(r"(?m)^\s*Runtime:[^\n]*?\bsession=([^\s|]+)")
_PARTS = ("text", "content")


def text_of(content: Any) -> str:
    """Plain text of an OpenAI message ``content``: a string or a list of parts (strings,
    ``{text}``, ``{type: "input_text", content}``)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        out = []
        for part in content:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, Mapping):
                value = next((part[k] for k in _PARTS if isinstance(part.get(k), str)), "")
                out.append(value)
        return "\n".join(p for p in out if p)
    return ""


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value[:MAX_KEY_CHARS] if value else None


def runtime_session(messages: Any) -> str | None:
    """The ``session=`` value of the Runtime line in the first user message, if any."""
    if not isinstance(messages, list):
        return None
    for m in messages:
        if isinstance(m, Mapping) and m.get("role") == "user":
            match = _RUNTIME.search(text_of(m.get("content")))
            return _clean(match.group(1)) if match else None
    return None


def resolve_session(headers: Mapping[str, str], body: Mapping[str, Any]) -> tuple[str | None, str]:
    """``(key, source)``; source is ``header``, ``prompt_cache_key``, ``user``, ``runtime``
    or ``none`` (then key is ``None``)."""
    for name, source in HEADERS:
        key = _clean(headers.get(name))
        if key:
            return key, source
    key = _clean(body.get("prompt_cache_key"))
    if key:
        stripped = _BOUNDARY.sub("", key)
        return (stripped or key), "prompt_cache_key"
    key = _clean(body.get("user"))
    if key:
        return key, "user"
    key = runtime_session(body.get("messages"))
    if key:
        return key, "runtime"
    return None, "none"


def key_hash(key: str) -> str:
    """The hash that identifies a session in headers, logs and the admin routes' answers
    (the same derivation as the delta-mem sidecar, so its clients can compare)."""
    return hashlib.sha256(("delta-mem-sidecar-v0:" + key).encode()).hexdigest()
