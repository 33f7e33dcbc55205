"""Start the daemon: refuse a non-loopback bind unless allowed, create the token,
print where to connect, and serve with uvicorn until stopped."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import uvicorn

from ..engine import Engine
from ..serving import bind_socket, check_bind, ensure_token, listening_url
from ..settings import load_settings
from .app import create_app


def run(home: str | Path | None = None, **overrides: object) -> None:
    """Serve the daemon in the foreground (blocking)."""
    settings = load_settings(home, **overrides)
    check_bind(settings.host, settings.allow_remote)
    settings.home.mkdir(parents=True, exist_ok=True)
    token = ensure_token(settings.token_path)
    engine = Engine(settings)
    engine.start_background()
    ticker = engine.ledger.start_ticker()  # due ledger ticks (tickIntervalHours), persisted cadence
    sock = bind_socket(settings.host, settings.port)
    print(f"clawmemory daemon listening on {listening_url(sock)}", flush=True)
    print(f"  data dir:   {settings.home}", flush=True)
    print(f"  token file: {settings.token_path}", flush=True)
    print("  next: connect OpenClaw with `clawmemory openclaw install`, then restart the gateway", flush=True)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = uvicorn.Config(
        create_app(engine, token), log_level="warning", access_log=False, timeout_graceful_shutdown=5
    )
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        ticker.stop()
        engine.close()
        sock.close()
