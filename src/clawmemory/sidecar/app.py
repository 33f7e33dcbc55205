"""The sidecar's HTTP app (FastAPI, separate from the daemon): ``/health``, ``/v1/models``,
``/v1/chat/completions`` and the ``/delta`` session admin routes. Errors are OpenAI-style.

Routes only move bytes: every decision is in :class:`~clawmemory.sidecar.sidecar.Sidecar`.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from .. import __version__
from ..errors import ClawMemoryError
from .errors import SidecarError, error_response
from .sidecar import Sidecar

log = logging.getLogger("clawmemory.sidecar")
OPEN_PATHS = ("/health",)


def create_sidecar_app(sidecar: Sidecar) -> FastAPI:
    """Build the app over ``sidecar``; when ``sidecar.token`` is set, every route but
    ``/health`` needs ``Authorization: Bearer <token>``."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await sidecar.start()
        try:
            yield
        finally:
            await sidecar.close()

    app = FastAPI(
        title="clawmemory sidecar",
        version=__version__,
        lifespan=lifespan,
        summary="OpenAI-compatible chat endpoint with per-session attention state.",
    )
    app.state.sidecar = sidecar
    limit = sidecar.settings.max_body_bytes
    expected = sidecar.token.encode() if sidecar.token else None

    @app.exception_handler(SidecarError)
    async def _sidecar_error(_: Request, exc: SidecarError) -> Response:
        return exc.response()

    @app.exception_handler(ClawMemoryError)
    async def _domain(_: Request, exc: ClawMemoryError) -> Response:
        kind = "invalid_request_error" if exc.status < 500 else "api_error"
        return error_response(exc.status, exc.message, type=kind, code=exc.code, param=exc.field)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> Response:
        codes = {404: "not_found", 405: "method_not_allowed"}
        return error_response(exc.status_code, str(exc.detail), code=codes.get(exc.status_code, "http_error"))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0]
        return error_response(
            400, str(first.get("msg")), param=".".join(map(str, first.get("loc", ()))) or None, code="invalid_request"
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal sidecar error; see its log", type="api_error", code="internal")

    @app.get("/health", summary="Backend, model, sessions held and memory used (no auth)")
    async def health() -> dict[str, Any]:
        return sidecar.health()

    @app.get("/v1/models", summary="The one model this sidecar serves")
    async def models() -> dict[str, Any]:
        return sidecar.models()

    @app.post("/v1/chat/completions", summary="OpenAI chat completions with per-session attention state")
    async def chat(request: Request) -> Response:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            raise SidecarError(413, f"request body exceeds {limit} bytes", code="body_too_large")
        chunks, seen = [], 0
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > limit:
                raise SidecarError(413, f"request body exceeds {limit} bytes", code="body_too_large")
            chunks.append(chunk)
        return await sidecar.chat(b"".join(chunks), request.headers)

    @app.delete("/delta/sessions/{key:path}", summary="Reset one session (by key or key hash)")
    async def delete_session(key: str) -> JSONResponse:
        found = sidecar.reset(key)
        if not found:
            raise SidecarError(404, "no such session", code="session_not_found", param="key")
        return JSONResponse({"object": "delta.session.reset", "reset": True})

    @app.post("/delta/session/reset", summary="Reset the session named by the request headers")
    async def reset_from_header(request: Request) -> JSONResponse:
        key = request.headers.get("x-openclaw-session-key") or request.headers.get("x-delta-mem-session-key")
        if not key:
            raise SidecarError(
                400, "send X-OpenClaw-Session-Key or X-Delta-Mem-Session-Key", code="missing_session_key"
            )
        return JSONResponse({"object": "delta.session.reset", "reset": sidecar.reset(key)})

    @app.post("/delta/state/{key:path}/reset", summary="Reset one session (delta-mem sidecar route)")
    async def reset_state(key: str) -> JSONResponse:
        return JSONResponse({"object": "delta.session.reset", "reset": sidecar.reset(key)})

    @app.get("/delta/state/{key:path}/metadata", summary="A session's metadata (never its text)")
    async def state_metadata(key: str) -> dict[str, Any]:
        meta = sidecar.metadata(key)
        if meta is None:
            raise SidecarError(404, "no such session", code="session_not_found", param="key")
        return meta

    if expected is not None:
        app.add_middleware(BearerGuard, token=expected)
    return app


class BearerGuard:
    """Pure-ASGI token check (no per-chunk cost on streamed responses): every path but
    ``/health`` needs ``Authorization: Bearer <token>``."""

    def __init__(self, app: ASGIApp, token: bytes) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in OPEN_PATHS:
            header = dict(scope["headers"]).get(b"authorization", b"")
            scheme, _, given = header.partition(b" ")
            if scheme.lower() != b"bearer" or not hmac.compare_digest(given.strip(), self.token):
                response = error_response(
                    401,
                    "missing or wrong bearer token (the sidecar uses the data dir's token)",
                    type="authentication_error",
                    code="invalid_api_key",
                    headers={"WWW-Authenticate": "Bearer"},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
