"""Run the real ``clawmemory sidecar serve`` as a subprocess on a free loopback port."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import httpx

from support.server_process import ServerProcess


class SidecarProcess(ServerProcess):
    """``clawmemory sidecar serve --data-dir HOME --port 0 ARGS``; start() waits for /health."""

    kind = "sidecar"
    log_tail = 3000

    def __init__(self, home: Path, *args: str, env: dict[str, str] | None = None) -> None:
        super().__init__(home, env)
        self.args = args
        self.banner: list[str] = []

    def client(self, **kw) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=30, **kw)

    def start(self, timeout: float = 60) -> SidecarProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLAWMEMORY_")}
        env.update(self.env)
        cmd = [
            sys.executable,
            "-m",
            "clawmemory",
            "sidecar",
            "serve",
            "--data-dir",
            str(self.home),
            "--port",
            "0",
            *self.args,
        ]
        self.home.mkdir(parents=True, exist_ok=True)
        self._launch(cmd, env)
        self._await_health(time.monotonic() + timeout, quote_log=True)
        return self
