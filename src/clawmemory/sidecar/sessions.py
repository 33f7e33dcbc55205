"""Per-session attention state in memory: an LRU with an idle TTL, a cap on the number
of sessions and a cap on the bytes they hold together.

A session holds the snippets it has been given or has retrieved (oldest dropped first past
its own caps) and whatever its backend keeps for it (a llama.cpp KV blob, a δ-state). Keys
are kept only in memory; everything reported outside shows the key's hash.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .intake import Snippet
from .routing import key_hash

SNIPPET_OVERHEAD = 96  # bytes of bookkeeping per snippet, a rough but stable figure


@dataclass
class Session:
    key: str
    key_hash: str
    created_at: float
    updated_at: float
    created_wall: float
    updated_wall: float
    turns: int = 0
    snippets: OrderedDict[str, Snippet] = field(default_factory=OrderedDict)
    backend_state: Any = None  # owned by the backend; must expose ``nbytes`` when not None
    version: int = 0  # bumps whenever the snippet set changes
    text_bytes: int = 0
    text_chars: int = 0

    def add_snippets(self, snippets: Iterable[Snippet], max_snippets: int, max_chars: int) -> list[Snippet]:
        """Append new snippets (repeats are ignored); drop the oldest past the caps.
        Returns the ones that were new."""
        added = []
        for s in snippets:
            if s.key not in self.snippets:
                self.snippets[s.key] = s
                self._count(s, 1)
                added.append(s)
        while len(self.snippets) > max_snippets or (len(self.snippets) > 1 and self.text_chars > max_chars):
            _, old = self.snippets.popitem(last=False)
            self._count(old, -1)
        if added:
            self.version += 1
        return added

    def _count(self, s: Snippet, sign: int) -> None:
        self.text_bytes += sign * (len(s.text.encode()) + len(s.source) + SNIPPET_OVERHEAD)
        self.text_chars += sign * len(s.text)

    def snippet_list(self) -> list[Snippet]:
        return list(self.snippets.values())

    @property
    def nbytes(self) -> int:
        text = self.text_bytes
        extra = getattr(self.backend_state, "nbytes", 0) if self.backend_state is not None else 0
        return text + int(extra) + len(self.key) + 256

    def metadata(self) -> dict[str, Any]:
        """What the admin routes show: never the key or any text."""
        return {
            "object": "delta.state",
            "state_key_hash": self.key_hash,
            "created_at": int(self.created_wall),
            "updated_at": int(self.updated_wall),
            "updates": self.turns,
            "snippets": len(self.snippets),
            "bytes": self.nbytes,
        }


class SessionStore:
    """Sessions by key hash, least recently used first."""

    def __init__(
        self,
        *,
        max_sessions: int,
        ttl_s: float,
        max_bytes: int,
        clock: Callable[[], float] = time.monotonic,
        on_evict: Callable[[Session, str], None] | None = None,
    ) -> None:
        self.max_sessions = max_sessions
        self.ttl_s = ttl_s
        self.max_bytes = max_bytes
        self.clock = clock
        self.on_evict = on_evict
        self.evictions = {"lru": 0, "ttl": 0, "bytes": 0, "reset": 0}
        self._items: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def _drop(self, h: str, reason: str) -> None:
        session = self._items.pop(h, None)
        if session is not None:
            self.evictions[reason] += 1
            if self.on_evict:
                self.on_evict(session, reason)

    def _expire(self, now: float) -> None:
        for h in [h for h, s in self._items.items() if now - s.updated_at > self.ttl_s]:
            self._drop(h, "ttl")

    def _enforce(self, keep: str | None = None) -> None:
        while len(self._items) > self.max_sessions:
            self._drop(next(iter(self._items)), "lru")
        while self._items and self.total_bytes() > self.max_bytes:
            victim = next((h for h in self._items if h != keep), None)
            if victim is None:
                break
            self._drop(victim, "bytes")

    def open(self, key: str) -> Session:
        """The session for ``key`` (created when absent), marked most recently used."""
        h = key_hash(key)
        with self._lock:
            now = self.clock()
            self._expire(now)
            session = self._items.get(h)
            if session is None:
                wall = time.time()
                session = Session(key, h, now, now, wall, wall)
                self._items[h] = session
            session.updated_at = now
            session.updated_wall = time.time()
            self._items.move_to_end(h)
            self._enforce(keep=h)
            return session

    def touched(self, session: Session) -> None:
        """Re-check the byte cap after a session grew (keeps that session)."""
        with self._lock:
            if session.key_hash in self._items:
                self._enforce(keep=session.key_hash)

    def find(self, key_or_hash: str) -> Session | None:
        with self._lock:
            self._expire(self.clock())
            return self._items.get(key_or_hash) or self._items.get(key_hash(key_or_hash))

    def reset(self, key_or_hash: str) -> bool:
        """Forget one session (by key, or by the hash the admin routes show)."""
        with self._lock:
            for h in (key_or_hash, key_hash(key_or_hash)):
                if h in self._items:
                    self._drop(h, "reset")
                    return True
            return False

    def total_bytes(self) -> int:
        return sum(s.nbytes for s in self._items.values())

    def stats(self) -> dict[str, Any]:
        with self._lock:
            self._expire(self.clock())
            return {
                "held": len(self._items),
                "bytes": self.total_bytes(),
                "max_sessions": self.max_sessions,
                "max_bytes": self.max_bytes,
                "ttl_s": self.ttl_s,
                "evictions": dict(self.evictions),
            }
