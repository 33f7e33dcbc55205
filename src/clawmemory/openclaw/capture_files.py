"""Where the capture plugin writes: its entry in ``openclaw.json`` and the agents' workspaces.

Workspaces follow OpenClaw's rules closely enough to find existing files: each
``agents.list[].workspace``, ``agents.defaults.workspace`` (and ``<it>/<agentId>`` for
other agents), ``<state dir>/workspace`` and ``<state dir>/workspace-<agentId>``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .config import (
    find_config_path,
    load_config,
    load_paths,
    plugin_entry,
    read_manifest,
    resolve_load_path,
    state_dir,
)

CAPTURE_ID = "clawmemory-capture"
DEFAULT_OUTPUT = "memory/clawmemory-observations.jsonl"


def capture_config(data: Mapping[str, Any]) -> dict[str, Any]:
    """``plugins.entries.clawmemory-capture.config`` (empty when absent)."""
    cfg = (plugin_entry(data, CAPTURE_ID) or {}).get("config")
    return cfg if isinstance(cfg, dict) else {}


def capture_plugin_dir(data: Mapping[str, Any], config_path: Path) -> Path | None:
    """The linked directory holding the capture plugin, if ``plugins.load.paths`` has one."""
    for raw in load_paths(data):
        p = resolve_load_path(raw, config_path)
        if (read_manifest(p) or {}).get("id") == CAPTURE_ID:
            return p
    return None


def workspaces(data: Mapping[str, Any], env: Mapping[str, str] | None = None) -> list[Path]:
    """Candidate workspace directories, existing or not, most specific first."""
    env = os.environ if env is None else env
    agents = agents if isinstance(agents := data.get("agents"), dict) else {}
    out: list[Path] = []
    for a in agents.get("list") or []:
        if isinstance(a, dict) and isinstance(a.get("workspace"), str) and a["workspace"].strip():
            out.append(Path(a["workspace"].strip()).expanduser())
    defaults = defaults if isinstance(defaults := agents.get("defaults"), dict) else {}
    if isinstance(defaults.get("workspace"), str) and defaults["workspace"].strip():
        base = Path(defaults["workspace"].strip()).expanduser()
        out.append(base)
        if base.is_dir():
            out.extend(sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")))
    sd = state_dir(env)
    out.append(sd / "workspace")
    if sd.is_dir():
        out.extend(sorted(sd.glob("workspace-*")))
    return list(dict.fromkeys(out))  # first of each, in order


def files_in(data: Mapping[str, Any], env: Mapping[str, str] | None = None) -> list[Path]:
    """Existing observation files for a parsed config (see :func:`observation_files`)."""
    output = capture_config(data).get("outputPath") or DEFAULT_OUTPUT
    out = Path(str(output)).expanduser()
    if out.is_absolute():
        return [out] if out.is_file() else []
    return [w / out for w in workspaces(data, env) if (w / out).is_file()]


def observation_files(
    config_path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> list[Path]:
    """Existing observation files the capture plugin writes, per its config in openclaw.json."""
    return files_in(load_config(find_config_path(config_path, env)).data, env)
