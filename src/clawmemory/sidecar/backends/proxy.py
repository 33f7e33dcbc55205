"""``proxy``: context injection in front of any OpenAI-compatible upstream (llama.cpp
server, vLLM, Ollama, OpenAI).

The session's snippets go into the request as one byte-stable memory block at the end of
the leading system message; everything else is forwarded unchanged, and the upstream's
answer (JSON or SSE) is relayed as it arrives. This is context injection, nothing more:
the model sees the retrieved text in its prompt.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

from starlette.background import BackgroundTask
from starlette.responses import Response, StreamingResponse

from ..errors import SidecarError, upstream_error
from ..render import inject, memory_block
from ..sessions import Session
from ..settings import SidecarSettings
from ..upstream import UpstreamClient, UpstreamError, UpstreamResponse, UpstreamTimeout
from .base import ChatTurn

log = logging.getLogger("clawmemory.sidecar")
DEFAULT_MODEL = "clawmemory-proxy"
DROP_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "content-type",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "proxy-authorization",
        "proxy-connection",
        "accept-encoding",
        "authorization",
        "cookie",
        "expect",
        "x-openclaw-session-key",
        "x-delta-mem-session-key",
        "x-delta-attention-state",
        "x-request-id",
    }
)
RELAY_HEADERS = ("content-type", "openai-processing-ms", "openai-model", "x-request-id")


class ProxyBackend:
    name = "proxy"
    mechanism = "context-injection"

    def __init__(self, settings: SidecarSettings, client_token: str | None = None) -> None:
        self.settings = settings
        self.model_id = settings.model or settings.upstream_model or DEFAULT_MODEL
        self.upstream_model = settings.upstream_model or self.model_id
        self.base_url = settings.upstream_base_url.rstrip("/")
        self.client_token = client_token  # the sidecar's own token: never forwarded upstream
        self.client: UpstreamClient | None = None

    async def start(self) -> None:
        self.client = UpstreamClient(self.base_url, read_timeout=self.settings.upstream_timeout_s)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "mechanism": self.mechanism,
            "what": (
                "Context injection: the session's retrieved snippets are added to the prompt as one "
                "byte-stable, escaped memory block and the request is forwarded to an "
                "OpenAI-compatible upstream. The model reads the snippets as text; no model state is kept."
            ),
            "upstream": self.base_url,
            "upstream_model": self.upstream_model,
        }

    def drop_session(self, session: Session) -> None:
        pass

    # -- the request ----------------------------------------------------------------------

    def _headers(self, incoming: Mapping[str, str]) -> dict[str, str]:
        out = {k: v for k, v in incoming.items() if k not in DROP_HEADERS and not k.startswith("x-delta-")}
        out["content-type"] = "application/json"
        out["accept-encoding"] = "identity"  # relay bytes as they come; never buffer to decompress
        if self.settings.upstream_api_key:
            out["authorization"] = f"Bearer {self.settings.upstream_api_key}"
        else:
            given = incoming.get("authorization", "")
            if given and not (self.client_token and given.partition(" ")[2].strip() == self.client_token):
                out["authorization"] = given
        return out

    def _body(self, turn: ChatTurn) -> bytes:
        body = dict(turn.body)
        body["model"] = self.upstream_model
        field = self.settings.max_tokens_field
        if field != "keep" and turn.max_tokens is not None:
            body.pop("max_tokens", None)
            body.pop("max_completion_tokens", None)
            body[field] = turn.max_tokens
        block = memory_block(turn.snippets)
        if block:
            body["messages"] = inject(body["messages"], block)
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()

    async def chat(self, turn: ChatTurn) -> Response:
        assert self.client is not None, "backend not started"
        try:
            upstream = await self.client.post("/chat/completions", self._body(turn), self._headers(turn.headers))
            headers = {k: upstream.headers[k] for k in RELAY_HEADERS if k in upstream.headers}
            if upstream.status >= 400:
                return _error_passthrough(upstream.status, await upstream.read(), headers)
            if not turn.stream:
                return Response(await upstream.read(), status_code=upstream.status, headers=headers)
        except UpstreamTimeout as exc:
            raise upstream_error(504, f"upstream {self.base_url} timed out: {exc}", "upstream_timeout") from exc
        except UpstreamError as exc:
            raise upstream_error(502, f"upstream {self.base_url} unreachable: {exc}", "upstream_unreachable") from exc
        headers.setdefault("content-type", "text/event-stream")
        headers["cache-control"] = "no-cache"
        headers["x-accel-buffering"] = "no"
        return StreamingResponse(
            _relay(upstream), status_code=upstream.status, headers=headers, background=BackgroundTask(upstream.aclose)
        )


def _error_passthrough(status: int, raw: bytes, headers: dict[str, str]) -> Response:
    """Relay an upstream error unchanged when it is already OpenAI-shaped; wrap it otherwise."""
    try:
        data = json.loads(raw)
        if isinstance(data, dict) and isinstance(data.get("error"), (dict, str)):
            if isinstance(data["error"], str):  # some servers send {"error": "text"}
                data = {
                    "error": {
                        "message": data["error"],
                        "type": "upstream_error",
                        "param": None,
                        "code": f"upstream_{status}",
                    }
                }
            headers["content-type"] = "application/json"
            return Response(json.dumps(data), status_code=status, headers=headers)
    except ValueError:
        pass
    text = raw.decode("utf-8", "replace").strip()[:500] or f"HTTP {status}"
    err = SidecarError(status, f"upstream answered {status}: {text}", type="upstream_error", code=f"upstream_{status}")
    return err.response()


async def _relay(upstream: UpstreamResponse) -> AsyncIterator[bytes]:
    """Yield the upstream's bytes as they arrive. A failure mid-stream becomes one SSE error
    event (the status line has already gone out)."""
    try:
        async for chunk in upstream.iter_bytes():
            if chunk:
                yield chunk
    except UpstreamError as exc:
        log.warning("upstream stream broke: %s", exc)
        err = {
            "error": {
                "message": f"upstream stream broke: {exc}",
                "type": "api_error",
                "param": None,
                "code": "upstream_stream_error",
            }
        }
        yield b"data: " + json.dumps(err).encode() + b"\n\n"
