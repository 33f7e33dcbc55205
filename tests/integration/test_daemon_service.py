"""``clawmemory daemon status`` against the real daemon: the health it reports is the daemon's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.daemon import Daemon

pytestmark = pytest.mark.integration


def test_status_reports_the_running_daemon(tmp_path: Path):
    env = {
        **os.environ,
        "HOME": str(tmp_path / "user"),
        "XDG_CONFIG_HOME": str(tmp_path / "user" / "xdg"),
        "CLAWMEMORY_EMBEDDING_PROVIDER": "none",
    }
    with Daemon(tmp_path / "home", env={"CLAWMEMORY_EMBEDDING_PROVIDER": "none"}) as daemon:
        port = daemon.url.rsplit(":", 1)[1]
        cmd = [
            sys.executable,
            "-m",
            "clawmemory",
            "daemon",
            "status",
            "-d",
            str(daemon.home),
            "--port",
            port,
            "--platform",
            "linux",
            "--json",
        ]
        info = json.loads(subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout)
        version = daemon.client().get("/health").json()["version"]
    assert info["health"] == {"url": daemon.url, "ok": True, "version": version}
    assert info["installed"] is False and info["path"].endswith("xdg/systemd/user/clawmemory.service")
    after = json.loads(subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout)
    assert after["health"]["ok"] is False and after["health"]["error"]
