"""Start the sidecar: refuse a non-loopback bind unless allowed, load the backend (so a
missing requirement is one clear line, not a traceback), then serve with uvicorn."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import uvicorn

from ..engine import Engine
from ..serving import bind_socket, check_bind, ensure_token, listening_url
from .app import create_sidecar_app
from .backends import make_backend
from .settings import load_sidecar_settings
from .sidecar import Sidecar


def run(home: str | Path | None = None, **overrides: object) -> None:
    """Serve the sidecar in the foreground (blocking)."""
    settings = load_sidecar_settings(home, **overrides)
    check_bind(settings.host, settings.allow_remote)
    settings.home.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    token = ensure_token(settings.token_path) if settings.auth else None
    backend = make_backend(settings, token)
    load = getattr(backend, "load", None)
    if load is not None:
        load()  # raises Unavailable with what is missing
    engine = Engine.open(settings.home) if settings.retrieve else None
    sidecar = Sidecar(settings, engine=engine, backend=backend, token=token)
    sock = bind_socket(settings.host, settings.port)
    print(f"clawmemory sidecar listening on {listening_url(sock)}", flush=True)
    print(f"  backend:    {backend.name} ({backend.mechanism}), model {backend.model_id}", flush=True)
    print(
        f"  retrieval:  {'engine at ' + str(settings.home) if engine else 'off'}"
        f"{', qmd at ' + settings.qmd_url if settings.qmd_url else ''}",
        flush=True,
    )
    print(f"  auth:       {'bearer token from ' + str(settings.token_path) if token else 'off'}", flush=True)
    print("  next: `clawmemory sidecar provider-config` prints the OpenClaw models.providers block", flush=True)
    config = uvicorn.Config(
        create_sidecar_app(sidecar), log_level="warning", access_log=False, timeout_graceful_shutdown=5
    )
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        if engine is not None:
            engine.close()
        sock.close()
