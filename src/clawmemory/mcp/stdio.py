"""``clawmemory mcp``: the MCP server on stdin/stdout, with the Engine in this process.

No daemon is needed: the store takes writes from several processes (the daemon, the CLI,
other MCP servers) at once. One process serves one client, so its tickets are filed under a
session key of their own (``mcp:<client>:<random tag>``) and ``memory_settle`` closes exactly
this client's run. Vectors for what it stores are added by a running daemon's background
worker, or by ``clawmemory embed``; until then search is lexical for those items.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import anyio
from mcp.server.stdio import stdio_server

from .. import validation
from ..engine import Engine
from ..settings import load_settings
from .server import build_server


def run_stdio(home: str | Path | None = None, namespace: str | None = None) -> None:
    """Serve MCP on stdio until the client closes stdin."""
    if namespace is not None:
        validation.namespace_name(namespace, "namespace")
    engine = Engine(load_settings(home))
    tag = uuid.uuid4().hex[:12]
    server = build_server(engine, lambda ctx: (namespace, tag))

    async def serve() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    try:
        anyio.run(serve)
    finally:
        engine.close()
