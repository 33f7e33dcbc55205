"""Render the service definition that runs ``clawmemory serve`` at login.

Linux: a systemd *user* unit (``~/.config/systemd/user/clawmemory.service``; logs in the
journal). macOS: a launchd agent (``~/Library/LaunchAgents/clawmemory.daemon.plist``; logs
in ``<data dir>/daemon.log``). Both restart the daemon when it fails, not when it was
stopped on purpose, and create files private to the user (umask 077) like the token file.
The command is this interpreter with ``-m clawmemory``, so the unit runs the installation
(virtualenv included) that wrote it.
"""

from __future__ import annotations

import os
import plistlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

SYSTEMD_UNIT = "clawmemory.service"
LAUNCHD_LABEL = "clawmemory.daemon"
PLATFORMS = ("linux", "macos")
_SYSTEMD_PLAIN = re.compile(r"^[A-Za-z0-9_./:@=+,-]+$")


def current_platform() -> str:
    return "macos" if sys.platform == "darwin" else "linux"


def serve_command(home: Path, port: int | None = None, python: str | None = None) -> list[str]:
    """The daemon's command line: this interpreter, ``-m clawmemory serve``, data dir, port."""
    cmd = [python or sys.executable, "-m", "clawmemory", "serve", "--data-dir", str(home)]
    return [*cmd, "--port", str(port)] if port is not None else cmd


def systemd_quote(arg: str) -> str:
    """One ExecStart word: quoted when needed; ``%`` and ``$`` escaped (systemd expands them)."""
    if not _SYSTEMD_PLAIN.match(arg):
        arg = '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return arg.replace("%", "%%").replace("$", "$$")


@dataclass(frozen=True)
class Unit:
    """A rendered service definition and where it belongs."""

    platform: str
    path: Path
    text: str


def systemd_unit(command: list[str], config_home: Path) -> Unit:
    text = "\n".join(
        [
            "# Written by `clawmemory daemon install`; remove it with `clawmemory daemon uninstall`.",
            "[Unit]",
            "Description=clawmemory memory daemon (HTTP and MCP on loopback)",
            "",
            "[Service]",
            "Type=exec",
            "ExecStart=" + " ".join(systemd_quote(a) for a in command),
            "Restart=on-failure",
            "RestartSec=2",
            "TimeoutStopSec=20",
            "UMask=0077",
            "NoNewPrivileges=yes",
            "",
            "[Install]",
            "WantedBy=default.target",
            "",
        ]
    )
    return Unit("linux", config_home / "systemd" / "user" / SYSTEMD_UNIT, text)


def launchd_plist(command: list[str], home: Path, user_home: Path) -> Unit:
    log = str(home / "daemon.log")
    data = {
        "Label": LAUNCHD_LABEL,
        "ProgramArguments": command,
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},
        "ProcessType": "Background",
        "Umask": 0o077,
        "StandardOutPath": log,
        "StandardErrorPath": log,
    }
    text = plistlib.dumps(data, sort_keys=False).decode("utf-8")
    return Unit("macos", user_home / "Library" / "LaunchAgents" / f"{LAUNCHD_LABEL}.plist", text)


def render(
    platform: str, home: Path, port: int | None = None, *, python: str | None = None, user_home: Path | None = None
) -> Unit:
    """The unit for ``platform`` (``linux`` or ``macos``) that serves data dir ``home``."""
    user_home = user_home or Path.home()
    command = serve_command(home, port, python)
    if platform == "linux":
        config_home = Path(os.environ.get("XDG_CONFIG_HOME") or user_home / ".config")
        return systemd_unit(command, config_home)
    if platform == "macos":
        return launchd_plist(command, home, user_home)
    raise ValueError(f"platform must be one of {PLATFORMS}")
