"""Run the real ``clawmemory serve`` as a subprocess on a free loopback port."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

_URL = re.compile(r"listening on (http://\S+)")


class Daemon:
    """A daemon process over ``home``; ``start()`` waits until /health answers."""

    def __init__(self, home: Path, *, port: int = 0, env: dict[str, str] | None = None,
                 args: tuple[str, ...] = ()) -> None:
        self.home = Path(home)
        self.port = port
        self.env = env or {}
        self.args = args
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.log = self.home.parent / f"{self.home.name}-daemon.log"

    @property
    def token(self) -> str:
        return (self.home / "token").read_text().strip()

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token if token is not None else self.token}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def start(self, timeout: float = 30) -> Daemon:
        env = {**os.environ, **self.env}
        cmd = [sys.executable, "-m", "clawmemory", "serve", "--data-dir", str(self.home),
               "--port", str(self.port), *self.args]
        self.home.parent.mkdir(parents=True, exist_ok=True)
        logfile = open(self.log, "ab")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=logfile, env=env,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode()
        match = _URL.search(line)
        if not match:
            self.stop()
            raise RuntimeError(f"daemon did not start: {line!r}; log: {self.log.read_text()[-2000:]}")
        self.url = match.group(1)
        self.port = int(self.url.rsplit(":", 1)[1])
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"daemon at {self.url} never became healthy")

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        code, self.proc = self.proc.returncode, None
        return code

    def restart(self) -> Daemon:
        self.stop()
        return self.start()

    def __enter__(self) -> Daemon:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
