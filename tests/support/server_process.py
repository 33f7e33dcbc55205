"""Run a ``python -m clawmemory ... serve`` server as a subprocess on a loopback port.

Shared by :mod:`support.daemon` and :mod:`support.sidecar`: launch with stdout piped and
stderr to a log file, read the ``listening on URL`` banner, poll ``/health``, stop with a
signal (SIGKILL after 15 s).
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path

import httpx

_URL = re.compile(r"listening on (http://\S+)")


class ServerProcess:
    """A server over ``home``; subclasses build the command and call the steps below."""

    kind = "server"  # in the log file name and in error messages
    log_tail = 2000  # characters of the log quoted when the server does not start

    def __init__(self, home: Path, env: dict[str, str] | None) -> None:
        self.home = Path(home)
        self.env = env or {}
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.log = self.home.parent / f"{self.home.name}-{self.kind}.log"

    @property
    def token(self) -> str:
        return (self.home / "token").read_text().strip()

    def _launch(self, cmd: list[str], env: dict[str, str]) -> None:
        """Start ``cmd`` and read its banner into ``self.url`` (stops and raises without one)."""
        logfile = open(self.log, "ab")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=logfile, env=env, start_new_session=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode()
        match = _URL.search(line)
        if not match:
            self.stop()
            raise RuntimeError(f"{self.kind} did not start: {line!r}; log: {self.log.read_text()[-self.log_tail :]}")
        self.url = match.group(1)

    def _await_health(self, deadline: float, *, quote_log: bool) -> None:
        """Poll ``/health`` until it answers 200; past ``deadline`` stop and raise."""
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        self.stop()
        log = f"; log: {self.log.read_text()[-self.log_tail :]}" if quote_log else ""
        raise RuntimeError(f"{self.kind} at {self.url} never became healthy{log}")

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

    def start(self, timeout: float = 30) -> ServerProcess:
        raise NotImplementedError

    def __enter__(self):  # the subclass's own type
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
