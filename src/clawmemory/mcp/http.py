"""``/mcp`` on the daemon: MCP over streamable HTTP, behind the same bearer token as ``/v1``
(``api.auth.BearerAuthMiddleware`` guards both).

The daemon's loopback rule covers it (it listens where ``/v1`` does), and while it is bound
to loopback the SDK's DNS-rebinding check also refuses a ``Host`` or ``Origin`` that is not
a loopback name. A client picks its namespace with ``/mcp?namespace=NAME``; tickets are filed
per MCP session (``Mcp-Session-Id``), so ``memory_settle`` closes that session's run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from mcp.server import ServerRequestContext
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.routing import Route

from ..engine import Engine
from ..settings import Settings
from .server import build_server

PATH = "/mcp"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def request_scope(ctx: ServerRequestContext[Any, Any]) -> tuple[str | None, str | None]:
    """The namespace named in the URL and the MCP session id of one HTTP request."""
    request = ctx.request
    if request is None:
        return None, None
    return request.query_params.get("namespace"), request.headers.get("mcp-session-id")


def transport_security(settings: Settings) -> TransportSecuritySettings | None:
    """DNS-rebinding protection while the daemon is bound to loopback."""
    from ..api.server import is_loopback  # api.server imports the app, which mounts this

    if settings.allow_remote or not is_loopback(settings.host):
        return None
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[f"{h}:*" for h in LOOPBACK_HOSTS],
        allowed_origins=[f"http://{h}:*" for h in LOOPBACK_HOSTS],
    )


def mount_mcp(app: FastAPI, engine: Engine) -> None:
    """Serve MCP at ``/mcp`` on ``app`` (the app's bearer middleware guards it); its session
    manager runs within the app's lifespan."""
    manager = StreamableHTTPSessionManager(
        app=build_server(engine, request_scope),
        security_settings=transport_security(engine.settings),
        max_request_body_size=engine.settings.max_body_bytes,
    )
    app.router.routes.append(Route(PATH, endpoint=StreamableHTTPASGIApp(manager)))
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(asgi_app: Any) -> AsyncIterator[Any]:
        async with manager.run(), inner(asgi_app) as state:
            yield state

    app.router.lifespan_context = lifespan
