"""Auth: every ``/v1`` route (enumerated from the app itself, so a new route is covered
without editing this file) refuses a missing, wrong or malformed token before it reads or
writes anything; the token file is private; non-loopback binds need ``--allow-remote``."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from support.daemon import LEXICAL, Daemon

from clawmemory.api.app import create_app
from clawmemory.engine import Engine

pytestmark = pytest.mark.integration


def v1_routes(tmp: Path) -> list[tuple[str, str]]:
    """(method, concrete path) for every operation of the daemon's app under /v1 (from the app's
    own OpenAPI document, which FastAPI derives from every included route)."""
    with Engine.open(tmp, embedding_provider="none") as engine:
        paths = create_app(engine, "t").openapi()["paths"]
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", "x", path))
        for path, ops in paths.items()
        if path.startswith("/v1")
        for method in ops
    ]


BAD_AUTH = [
    {},
    {"Authorization": "Bearer wrong-token"},
    {"Authorization": "Bearer  x"},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": "bearer"},
]


def test_every_v1_route_refuses_missing_or_wrong_token(shared_daemon, tmp_path):
    routes = v1_routes(tmp_path / "probe")
    assert len(routes) >= 25  # the enumeration found the app's routes
    real = shared_daemon.token
    BAD_AUTH.append({"Authorization": f"Bearer {real[:-1]}"})  # one character short
    BAD_AUTH.append({"Authorization": f"Token {real}"})  # right secret, wrong scheme
    with httpx.Client(base_url=shared_daemon.url, timeout=30) as c:
        for method, path in routes:
            for headers in BAD_AUTH:
                for body in (b"{}", b"not json", b""):
                    r = c.request(
                        method,
                        path,
                        headers={**headers, "content-type": "application/json"},
                        content=body if method != "GET" else None,
                    )
                    assert r.status_code == 401, (method, path, headers, body, r.status_code, r.text)
                    assert r.json()["error"]["code"] == "unauthorized"
    with shared_daemon.client() as c:
        assert c.get("/v1/memories").json()["total"] == 0  # nothing was written
        assert c.post("/v1/search", json={"query": "anything"}).status_code == 200


def test_token_file_is_private_and_repaired(tmp_path):
    home = tmp_path / "home"
    with Daemon(home, env=LEXICAL) as d:
        assert stat.S_IMODE(os.stat(home / "token").st_mode) == 0o600
        token = d.token
    os.chmod(home / "token", 0o644)  # someone loosened it
    with Daemon(home, env=LEXICAL) as d:
        assert d.token == token
        assert stat.S_IMODE(os.stat(home / "token").st_mode) == 0o600


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.com"])
def test_remote_bind_refused_without_allow_remote(tmp_path, host):
    cmd = [
        sys.executable,
        "-m",
        "clawmemory",
        "serve",
        "--data-dir",
        str(tmp_path / "home"),
        "--host",
        host,
        "--port",
        "0",
    ]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env={**os.environ, **LEXICAL})
    assert r.returncode == 2, r.stdout + r.stderr
    assert "--allow-remote" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "home" / "token").exists()  # refused before anything was created
