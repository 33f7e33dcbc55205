"""``/mcp`` on the daemon: MCP over streamable HTTP, behind the same bearer token as ``/v1``
(``api.auth.BearerAuthMiddleware`` guards both, before any body is read).

The daemon's loopback rule covers it (it listens where ``/v1`` does), and while it is bound
to loopback the SDK's DNS-rebinding check also refuses a ``Host`` or ``Origin`` that is not
a loopback name. A client picks its namespace with ``/mcp?namespace=NAME``; tickets are filed
per MCP session (``Mcp-Session-Id``), so ``memory_settle`` closes that session's run.

The SDK is imported when the first authorised ``/mcp`` request arrives, not when the daemon
starts: importing it is more than half of the daemon's import time (7.9 of 14.1 s measured on
a loaded 2-core box), and most daemons serve only the OpenClaw plugin.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
from anyio.abc import TaskStatus
from fastapi import FastAPI
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ..api.errors import error_response
from ..engine import Engine
from ..serving import is_loopback
from ..settings import Settings

if TYPE_CHECKING:
    from mcp.server import ServerRequestContext
    from mcp.server.transport_security import TransportSecuritySettings

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
    from mcp.server.transport_security import TransportSecuritySettings

    if settings.allow_remote or not is_loopback(settings.host):
        return None
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[f"{h}:*" for h in LOOPBACK_HOSTS],
        allowed_origins=[f"http://{h}:*" for h in LOOPBACK_HOSTS],
    )


class McpEndpoint:
    """The ``/mcp`` route (the app's bearer middleware has checked the token): the SDK's session
    manager, started on first use by :meth:`host` (which runs for the app's lifetime in its lifespan)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.app: ASGIApp | None = None
        self.failure: str | None = None
        self.wanted: anyio.Event | None = None
        self.ready: anyio.Event | None = None

    def _manager(self) -> Any:
        from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

        from .server import build_server

        return StreamableHTTPSessionManager(
            app=build_server(self.engine, request_scope),
            security_settings=transport_security(self.engine.settings),
            max_request_body_size=self.engine.settings.max_body_bytes,
        )

    async def host(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Wait for the first request, import the SDK (off the event loop), run its manager."""
        self.wanted, self.ready = anyio.Event(), anyio.Event()
        task_status.started()
        await self.wanted.wait()
        try:
            manager = await anyio.to_thread.run_sync(self._manager)
        except Exception as exc:  # an SDK that fails to load leaves /v1 working
            self.failure = f"MCP unavailable: {exc}"
            self.ready.set()
            return
        from mcp.server.streamable_http_manager import StreamableHTTPASGIApp

        async with manager.run():
            self.app = StreamableHTTPASGIApp(manager)
            self.ready.set()
            await anyio.sleep_forever()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.wanted is None or self.ready is None:
            await error_response(503, "unavailable", "MCP is not running (app lifespan not started)")(
                scope, receive, send
            )
            return
        self.wanted.set()
        await self.ready.wait()
        if self.app is None:
            await error_response(503, "unavailable", self.failure or "MCP unavailable")(scope, receive, send)
            return
        await self.app(scope, receive, send)


def mount_mcp(app: FastAPI, engine: Engine) -> None:
    """Serve MCP at ``/mcp`` on ``app``; its host task runs within the app's lifespan."""
    endpoint = McpEndpoint(engine)
    app.router.routes.append(Route(PATH, endpoint=endpoint))
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(asgi_app: Any) -> AsyncIterator[Any]:
        async with anyio.create_task_group() as tg:
            await tg.start(endpoint.host)
            async with inner(asgi_app) as state:
                yield state
            tg.cancel_scope.cancel()

    app.router.lifespan_context = lifespan
