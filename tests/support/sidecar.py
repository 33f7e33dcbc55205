"""Run the real ``clawmemory sidecar serve`` as a subprocess on a free loopback port."""

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


class SidecarProcess:
    """``clawmemory sidecar serve --data-dir HOME --port 0 ARGS``; start() waits for /health."""

    def __init__(self, home: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.home = Path(home)
        self.args = args
        self.env = env or {}
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.log = self.home.parent / f"{self.home.name}-sidecar.log"
        self.banner: list[str] = []

    @property
    def token(self) -> str:
        return (self.home / "token").read_text().strip()

    def client(self, **kw) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=30, **kw)

    def start(self, timeout: float = 60) -> SidecarProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLAWMEMORY_")}
        env.update(self.env)
        cmd = [sys.executable, "-m", "clawmemory", "sidecar", "serve", "--data-dir", str(self.home),
               "--port", "0", *self.args]
        self.home.mkdir(parents=True, exist_ok=True)
        logfile = open(self.log, "ab")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=logfile, env=env, start_new_session=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode()
        match = _URL.search(line)
        if not match:
            self.stop()
            raise RuntimeError(f"sidecar did not start: {line!r}; log: {self.log.read_text()[-3000:]}")
        self.url = match.group(1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"sidecar at {self.url} never became healthy; log: {self.log.read_text()[-3000:]}")

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        code, self.proc = self.proc.returncode, None
        return code

    def __enter__(self) -> SidecarProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
