"""The FastAPI application: health without auth, everything under /v1 and /mcp behind the token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request

from .. import __version__
from ..engine import Engine
from ..mcp.http import PATH as MCP_PATH
from ..mcp.http import mount_mcp
from ..ui import mount_ui
from . import errors
from .auth import BearerAuthMiddleware
from .middleware import BodyLimitMiddleware, RequestIdMiddleware
from .routes import router
from .routes_context import router as context_router
from .routes_ledger import router as ledger_router
from .routes_sidecar import router as sidecar_router
from .routes_tools import router as tools_router


def create_app(engine: Engine, token: str) -> FastAPI:
    """Build the daemon's app over ``engine``; ``/v1/*`` requires ``token``."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Sync routes run in anyio's thread pool (40 threads by default). The work holds the
        # GIL and SQLite writes one at a time, so more threads add no throughput, only GIL
        # switching and one connection (page cache, statements) each: bounded here.
        anyio.to_thread.current_default_thread_limiter().total_tokens = engine.settings.http_threads
        yield

    app = FastAPI(
        title="clawmemory",
        version=__version__,
        summary="Memory engine for AI agents: store, search, recall ledger, context engine.",
        lifespan=lifespan,
    )
    app.state.engine = engine
    errors.install(app)

    @app.get("/health", summary="Liveness, version, store and backend readiness (no auth)")
    def health(request: Request) -> dict[str, Any]:
        return engine.health()

    for component_router in (
        router,
        ledger_router,
        tools_router,
        context_router,
        sidecar_router,
    ):
        app.include_router(component_router)
    mount_mcp(app, engine)  # MCP (streamable HTTP) at /mcp, behind the same token
    mount_ui(app, token)  # the web inspector at /ui (its own token login; ui/session.py)
    # outermost last: request id → bearer token (before any body is read) → body limit → routes
    app.add_middleware(BodyLimitMiddleware, max_bytes=engine.settings.max_body_bytes)
    app.add_middleware(BearerAuthMiddleware, token=token, prefixes=("/v1", MCP_PATH))
    app.add_middleware(RequestIdMiddleware)
    return app
