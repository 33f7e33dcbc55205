"""The FastAPI application: health without auth, everything under /v1 and /mcp behind the token."""

from __future__ import annotations

from typing import Any

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
    app = FastAPI(
        title="clawmemory",
        version=__version__,
        summary="Memory engine for AI agents: store, search, recall ledger, context engine.",
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
