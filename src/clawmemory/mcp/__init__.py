"""MCP adapter over the Engine (official ``mcp`` SDK): ``clawmemory mcp`` on stdio
(``stdio.py``) and streamable HTTP at ``/mcp`` on the daemon (``http.py``); the tools and
resources both serve are in ``server.py`` and ``tools.py``."""
