"""Run the real ``clawmemory serve`` as a subprocess on a free loopback port."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import httpx

from support.server_process import ServerProcess

# Embeddings off and lexical search: for tests about the store, HTTP and the ledger, not the embedder.
LEXICAL = {"CLAWMEMORY_EMBEDDING_PROVIDER": "none", "CLAWMEMORY_SEARCH_MODE": "lexical"}


class Daemon(ServerProcess):
    """A daemon process over ``home``; ``start()`` waits until /health answers."""

    kind = "daemon"

    def __init__(
        self, home: Path, *, port: int = 0, env: dict[str, str] | None = None, args: tuple[str, ...] = ()
    ) -> None:
        super().__init__(home, env)
        self.port = port
        self.args = args

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token if token is not None else self.token}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def start(self, timeout: float = 30) -> Daemon:
        deadline = time.monotonic() + timeout
        cmd = [
            sys.executable,
            "-m",
            "clawmemory",
            "serve",
            "--data-dir",
            str(self.home),
            "--port",
            str(self.port),
            *self.args,
        ]
        self.home.parent.mkdir(parents=True, exist_ok=True)
        self._launch(cmd, {**os.environ, **self.env})
        self.port = int(self.url.rsplit(":", 1)[1])
        self._await_health(deadline, quote_log=False)
        return self

    def restart(self) -> Daemon:
        self.stop()
        return self.start()
