"""Plain records that cross the store boundary, plus id, time and hash helpers."""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def new_id(prefix: str) -> str:
    """A time-ordered unique id: ``prefix_`` + 10 chars of ms time + 16 random chars."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        value, rem = divmod(value, 32)
        chars.append(_CROCKFORD[rem])
    return f"{prefix}_{''.join(reversed(chars))}"


def now_iso() -> str:
    """Current UTC time as ISO 8601 with microseconds and ``Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def content_hash(*parts: Any) -> str:
    """SHA-256 over the JSON of ``parts``: the identity used for idempotent writes."""
    blob = json.dumps(parts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@lru_cache(maxsize=4096)
def ns_token(namespace: str) -> str:
    """The FTS filter token for a namespace (names may hold ``.-_``; tokens may not)."""
    return "n" + hashlib.sha1(namespace.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class NewMemory:
    """A memory to write. ``text`` is what gets searched; ``question``/``answer`` are kept as given."""

    namespace: str
    text: str
    kind: str = "note"
    question: str | None = None
    answer: str | None = None
    source: str | None = None
    importance: float = 0.5
    category: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def identity(self) -> str:
        return content_hash(self.kind, self.text, self.question, self.answer)


@dataclass(frozen=True)
class Memory:
    id: str
    namespace: str
    kind: str
    text: str
    question: str | None
    answer: str | None
    source: str | None
    importance: float
    category: str | None
    metadata: dict[str, Any]
    status: str
    created_at: str
    updated_at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class NewMessage:
    """A conversation message to write; ``created_at`` is the message's own time (ISO)."""

    namespace: str
    session_key: str
    role: str
    text: str
    created_at: str
    speaker: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def identity(self) -> str:
        return content_hash(self.role, self.speaker, self.text, self.created_at)


@dataclass(frozen=True)
class Message:
    id: str
    namespace: str
    session_key: str
    seq: int
    role: str
    speaker: str | None
    text: str
    metadata: dict[str, Any]
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class IndexItem:
    """Something to make searchable: its text, optional neighbouring ``context`` and
    ``context_next`` (lexical, down-weighted), its ``author``, and ``embed_text`` (what the
    embedder sees; defaults to ``text``)."""

    namespace: str
    corpus: str
    ref_id: str
    text: str
    context: str = ""
    context_next: str = ""
    author: str | None = None
    embed_text: str = ""
    container: str | None = None
    created_at: str = field(default_factory=now_iso)


@dataclass(frozen=True, slots=True)
class SearchRow:
    """A search item: where the searchable text came from."""

    item_id: int
    namespace: str
    corpus: str
    ref_id: str
    container: str | None
    author: str | None = None
