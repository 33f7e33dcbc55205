"""The one interface every backend implements, and what a chat turn hands it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.responses import Response

from ..intake import Snippet
from ..sessions import Session


@dataclass
class ChatTurn:
    """One ``/v1/chat/completions`` request, parsed and routed.

    ``body`` is the client's JSON with the attention-state fields removed; ``snippets`` is
    what the memory block holds for this turn (the session's set, or this request's own when
    no session was named)."""

    body: dict[str, Any]
    headers: Mapping[str, str]
    session: Session | None
    snippets: list[Snippet]
    stream: bool
    max_tokens: int | None
    extra_headers: dict[str, str] = field(default_factory=dict)  # the backend may add its own


class Backend(Protocol):
    name: str  # proxy | kv-prefix | delta-mem
    mechanism: str  # context-injection | kv-prefix-cache | delta-state
    model_id: str

    async def start(self) -> None:
        """Load models, open clients. Raise ``Unavailable`` with a clear message when a
        requirement is missing."""

    async def close(self) -> None: ...

    def describe(self) -> dict[str, Any]:
        """What ``/health`` shows about this backend, in plain words."""

    async def chat(self, turn: ChatTurn) -> Response:
        """Answer one turn: a JSON ``chat.completion`` or an SSE stream of chunks."""

    def drop_session(self, session: Session) -> None:
        """Release whatever the backend keeps for ``session`` (called on eviction)."""
