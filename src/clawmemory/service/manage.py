"""Install, remove and inspect the login service; the service manager does the running.

``install`` writes the unit (``units.py``) and asks systemd (``systemctl --user``) or launchd
(``launchctl``) to start it now and at every login; ``uninstall`` stops it and removes the
file; ``status`` says whether the file is there, what the manager reports and whether the
daemon answers ``/health``. ``files_only`` writes or removes the file without asking the
manager (for a machine without a user session bus, or to review it first).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from ..errors import ClawMemoryError, Unavailable
from .units import LAUNCHD_LABEL, SYSTEMD_UNIT, Unit

MANAGER_TIMEOUT_S = 30


@dataclass(frozen=True)
class Step:
    """One service-manager command and whether its failure matters."""

    argv: list[str]
    required: bool = True


def start_steps(unit: Unit) -> list[Step]:
    if unit.platform == "linux":
        return [
            Step(["systemctl", "--user", "daemon-reload"]),
            Step(["systemctl", "--user", "enable", "--now", SYSTEMD_UNIT]),
        ]
    domain = f"gui/{os.getuid()}"
    return [
        Step(["launchctl", "bootout", f"{domain}/{LAUNCHD_LABEL}"], required=False),  # reload if loaded
        Step(["launchctl", "bootstrap", domain, str(unit.path)]),
    ]


def stop_steps(unit: Unit) -> list[Step]:
    if unit.platform == "linux":
        return [Step(["systemctl", "--user", "disable", "--now", SYSTEMD_UNIT], required=False)]
    return [Step(["launchctl", "bootout", f"gui/{os.getuid()}/{LAUNCHD_LABEL}"], required=False)]


def state_step(unit: Unit) -> Step:
    if unit.platform == "linux":
        return Step(["systemctl", "--user", "is-active", SYSTEMD_UNIT], required=False)
    return Step(["launchctl", "print", f"gui/{os.getuid()}/{LAUNCHD_LABEL}"], required=False)


def run_step(step: Step) -> dict[str, Any]:
    """Run one command; a required one that fails raises :class:`Unavailable` with its reason."""
    if shutil.which(step.argv[0]) is None:
        result: dict[str, Any] = {"command": step.argv, "returncode": None, "output": f"{step.argv[0]} not found"}
    else:
        p = subprocess.run(
            step.argv, capture_output=True, text=True, timeout=MANAGER_TIMEOUT_S, stdin=subprocess.DEVNULL
        )
        result = {"command": step.argv, "returncode": p.returncode, "output": (p.stdout + p.stderr).strip()}
    if step.required and result["returncode"] != 0:
        reason = (result["output"].splitlines() or ["failed"])[0]
        raise Unavailable(f"`{' '.join(step.argv)}` failed: {reason}")
    return result


def run_steps(steps: Sequence[Step]) -> list[dict[str, Any]]:
    return [run_step(s) for s in steps]


def install(unit: Unit, *, files_only: bool = False) -> dict[str, Any]:
    """Write the unit (mode 0644) and, unless ``files_only``, start and enable it."""
    unit.path.parent.mkdir(parents=True, exist_ok=True)
    replaced = unit.path.exists()
    unit.path.write_text(unit.text, encoding="utf-8")
    unit.path.chmod(0o644)
    out: dict[str, Any] = {"platform": unit.platform, "path": str(unit.path), "replaced": replaced}
    if not files_only:
        try:
            out["commands"] = run_steps(start_steps(unit))
        except ClawMemoryError as exc:
            raise Unavailable(
                f"wrote {unit.path}, but {exc.message}; start it yourself or re-run with --files-only"
            ) from exc
    return out


def uninstall(unit: Unit, *, files_only: bool = False) -> dict[str, Any]:
    """Stop and disable the service (unless ``files_only``) and remove its file."""
    commands = [] if files_only else run_steps(stop_steps(unit))
    removed = unit.path.exists()
    unit.path.unlink(missing_ok=True)
    if removed and not files_only and unit.platform == "linux":
        commands += run_steps([Step(["systemctl", "--user", "daemon-reload"], required=False)])
    return {"platform": unit.platform, "path": str(unit.path), "removed": removed, "commands": commands}


def health(url: str, timeout: float = 2.0) -> dict[str, Any]:
    """What the daemon at ``url`` answers on ``/health`` (or why it does not)."""
    try:
        r = httpx.get(f"{url}/health", timeout=timeout)
        return {"url": url, "ok": r.status_code == 200, "version": r.json().get("version")}
    except (httpx.HTTPError, ValueError) as exc:
        return {"url": url, "ok": False, "error": str(exc) or type(exc).__name__}


def status(unit: Unit, url: str) -> dict[str, Any]:
    """Whether the unit file is installed (and matches ``unit``), the manager's state and health."""
    installed = unit.path.exists()
    state = run_step(state_step(unit))
    return {
        "platform": unit.platform,
        "path": str(unit.path),
        "installed": installed,
        "current": installed and unit.path.read_text(encoding="utf-8") == unit.text,
        "manager": {"command": state["command"], "returncode": state["returncode"], "output": state["output"][:500]},
        "health": health(url),
    }
