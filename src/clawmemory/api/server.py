"""Start the daemon: refuse a non-loopback bind unless allowed, create the token,
print where to connect, and serve with uvicorn until stopped."""

from __future__ import annotations

import ipaddress
import logging
import socket
import sys
from pathlib import Path

import uvicorn

from ..engine import Engine
from ..errors import InvalidInput
from ..settings import load_settings
from .app import create_app
from .auth import ensure_token


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0 picks a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP: asyncio then sets TCP_NODELAY on accepted connections (with proto 0 it
    # does not, and Nagle + delayed ACK add ~40 ms to every small response)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise InvalidInput(f"cannot bind {host}:{port}: {exc.strerror}", field="port") from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def run(home: str | Path | None = None, **overrides: object) -> None:
    """Serve the daemon in the foreground (blocking)."""
    settings = load_settings(home, **overrides)
    if not is_loopback(settings.host) and not settings.allow_remote:
        raise InvalidInput(
            f"refusing to bind non-loopback address {settings.host}; pass --allow-remote to do so",
            field="host",
        )
    settings.home.mkdir(parents=True, exist_ok=True)
    token = ensure_token(settings.token_path)
    engine = Engine(settings)
    engine.start_background()
    ticker = engine.ledger.start_ticker()  # due ledger ticks (tickIntervalHours), persisted cadence
    sock = bind_socket(settings.host, settings.port)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"clawmemory daemon listening on http://{shown}:{port}", flush=True)
    print(f"  data dir:   {settings.home}", flush=True)
    print(f"  store:      {engine.store.path}", flush=True)
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
