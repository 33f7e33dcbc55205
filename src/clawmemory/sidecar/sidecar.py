"""The sidecar itself: validates and routes a chat request, gathers its attention state,
keeps the session, and hands the turn to the backend. The HTTP app (``app.py``) only
parses bytes and calls these methods."""

from __future__ import annotations

import json
import logging
import os
import resource
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import anyio
import httpx
from starlette.responses import Response

from .. import __version__
from . import intake
from .backends import make_backend
from .backends.base import Backend, ChatTurn
from .errors import SidecarError, bad_request
from .retrieve import Retriever
from .routing import resolve_session
from .sessions import Session, SessionStore
from .settings import SidecarSettings

if TYPE_CHECKING:
    from ..engine import Engine

log = logging.getLogger("clawmemory.sidecar")


def _int_field(body: Mapping[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise bad_request(f"{name} must be an integer >= 1", param=name)
    return value


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Sidecar:
    """One sidecar process: settings, an optional engine for retrieval, a backend, sessions."""

    def __init__(
        self,
        settings: SidecarSettings,
        engine: Engine | None = None,
        backend: Backend | None = None,
        token: str | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.token = token
        self.backend: Backend = backend or make_backend(settings, token)
        self.sessions = SessionStore(
            max_sessions=settings.max_sessions,
            ttl_s=settings.session_ttl_s,
            max_bytes=settings.max_session_bytes,
            on_evict=self._evicted,
        )
        self._http: httpx.AsyncClient | None = None
        self.retriever = Retriever(engine, settings)

    def _evicted(self, session: Session, reason: str) -> None:
        self.backend.drop_session(session)

    async def start(self) -> None:
        self._http = httpx.AsyncClient(timeout=self.settings.qmd_timeout_s)
        self.retriever.client = self._http
        await self.backend.start()
        # load the query embedder and the index now, not inside the first turn's budget
        await anyio.to_thread.run_sync(self.retriever.warm_up)

    async def close(self) -> None:
        await self.backend.close()
        if self._http is not None:
            await self._http.aclose()

    # -- read-only views ------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """Backend, model, sessions held and memory used."""
        stats = self.sessions.stats()
        return {
            "status": "ok",
            "version": __version__,
            "backend": self.backend.name,
            "mechanism": self.backend.mechanism,
            "model": self.backend.model_id,
            "backend_info": self.backend.describe(),
            "sessions": stats,
            "memory": {"sessions_bytes": stats["bytes"], "process_rss_bytes": _rss_bytes()},
            "retrieval": {
                "engine": self.engine is not None and self.settings.retrieve,
                "qmd": bool(self.settings.qmd_url),
                "limit": self.settings.retrieve_limit,
                "failures": dict(self.retriever.failures),
            },
        }

    def models(self) -> dict[str, Any]:
        return {
            "object": "list",
            "data": [
                {
                    "id": self.backend.model_id,
                    "object": "model",
                    "created": 0,
                    "owned_by": f"clawmemory-sidecar/{self.backend.name}",
                }
            ],
        }

    def reset(self, key: str) -> bool:
        """Forget one session's state (by key or by its hash)."""
        return self.sessions.reset(key)

    def metadata(self, key: str) -> dict[str, Any] | None:
        session = self.sessions.find(key)
        return session.metadata() if session else None

    # -- chat ------------------------------------------------------------------------------

    def parse(self, raw: bytes) -> dict[str, Any]:
        """The request body as a validated dict, or an OpenAI-style 400/404."""
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise bad_request(f"request body is not valid JSON: {exc}", code="invalid_json") from exc
        if not isinstance(body, dict):
            raise bad_request("request body must be a JSON object", code="invalid_json")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise bad_request("messages must be a non-empty array", param="messages")
        for i, m in enumerate(messages):
            if not isinstance(m, dict) or not isinstance(m.get("role"), str):
                raise bad_request(f"messages[{i}] must be an object with a string role", param=f"messages[{i}]")
        model = body.get("model")
        if model is None:
            body["model"] = self.backend.model_id
        elif model != self.backend.model_id:
            raise SidecarError(
                404,
                f"The model {model!r} does not exist on this sidecar; it serves "
                f"{self.backend.model_id!r} (backend {self.backend.name})",
                param="model",
                code="model_not_found",
            )
        if "stream" in body and not isinstance(body["stream"], bool):
            raise bad_request("stream must be a boolean", param="stream")
        temperature = body.get("temperature")
        if temperature is not None and (
            isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or temperature < 0
        ):
            raise bad_request("temperature must be a number >= 0", param="temperature")
        return body

    async def chat(self, raw: bytes, headers: Mapping[str, str]) -> Response:
        body = self.parse(raw)
        max_tokens = _int_field(body, "max_completion_tokens") or _int_field(body, "max_tokens")
        key, key_source = resolve_session(headers, body)
        if key is None and self.settings.require_session_key:
            raise bad_request(
                "no session: send X-OpenClaw-Session-Key, prompt_cache_key, user, or a Runtime session= line",
                code="missing_session_key",
            )
        arrived = intake.clean(intake.from_request(body, headers), self.settings.snippet_max_chars)
        for name in intake.BODY_FIELDS:
            body.pop(name, None)
        sources = ["request"] if arrived else []
        if not arrived:
            found, sources = await self.retriever.retrieve(body["messages"])
            arrived = intake.clean(found, self.settings.snippet_max_chars)
        session = self.sessions.open(key) if key is not None else None
        if session is not None:
            session.add_snippets(arrived, self.settings.session_max_snippets, self.settings.session_max_chars)
            session.turns += 1
            snippets = session.snippet_list()
        else:
            snippets = arrived
        turn = ChatTurn(
            body=body,
            headers=headers,
            session=session,
            snippets=snippets,
            stream=bool(body.get("stream")),
            max_tokens=max_tokens,
        )
        out = {
            "x-delta-attention-state-count": str(len(arrived)),
            "x-delta-attention-state-source": ",".join(sources) or "none",
            "x-delta-mem-backend": self.backend.name,
            "x-delta-mem-mechanism": self.backend.mechanism,
            "x-delta-mem-session-source": key_source,
            "x-delta-mem-session-snippets": str(len(snippets)),
        }
        if session is not None:
            out["x-delta-state-key-hash"] = session.key_hash
        try:
            response = await self.backend.chat(turn)
        except SidecarError as exc:
            exc.headers.update(out)
            raise
        if session is not None:
            self.sessions.touched(session)
        response.headers.update({**out, **turn.extra_headers})
        return response
