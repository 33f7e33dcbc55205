"""``clawmemory backend``: which plugin owns OpenClaw's memory, is ours ready, and what
happens if the memory slot goes back to ``memory-core``.

It reads ``openclaw.json`` (through :mod:`clawmemory.openclaw.config`) and asks the daemon the
plugin points at for health and token acceptance (the same checks as ``clawmemory doctor``);
it never opens a store and never changes anything.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .capture_files import CAPTURE_ID, DEFAULT_OUTPUT, capture_config, capture_plugin_dir, files_in
from .config import (
    PLUGIN_ID,
    OpenClawConfigError,
    effective_slot,
    find_config_path,
    load_config,
    load_paths,
    plugin_entry,
    plugins_section,
    read_manifest,
    resolve_load_path,
    slot,
)
from .doctor import run_doctor
from .install import MEMORY_PEERS

MULTI_KIND = {PLUGIN_ID}  # memory + context-engine: still loads when it does not own the memory slot


def _config_enabled(data: Mapping[str, Any], plugin_id: str) -> tuple[bool, str]:
    """(enabled by config, why not) the way OpenClaw decides: global switch, deny, entry, allow."""
    plugins = plugins_section(data)
    if plugins.get("enabled") is False:
        return False, "plugins.enabled is false"
    if plugin_id in (plugins.get("deny") or []):
        return False, "in plugins.deny"
    entry = plugin_entry(data, plugin_id)
    if entry is not None and entry.get("enabled") is False:
        return False, f"plugins.entries.{plugin_id}.enabled is false"
    allow = plugins.get("allow")
    if isinstance(allow, list) and plugin_id not in allow:
        return False, "not in plugins.allow"
    return True, ""


def _memory_plugin_ids(data: Mapping[str, Any], config_path: Path) -> dict[str, str]:
    """Memory plugins this config knows of → where they were found."""
    found: dict[str, str] = {"memory-core": "bundled"}
    for raw in load_paths(data):
        m = read_manifest(resolve_load_path(raw, config_path)) or {}
        kinds = kinds if isinstance(kinds := m.get("kind"), list) else [m.get("kind")]
        if isinstance(m.get("id"), str) and "memory" in kinds:
            found.setdefault(m["id"], "linked")
    entries = plugins_section(data).get("entries")
    for pid in entries if isinstance(entries, dict) else {}:
        if pid in (PLUGIN_ID, "memory-lancedb", *MEMORY_PEERS):
            found.setdefault(pid, "entry")
    memory_slot = slot(data, "memory")
    if memory_slot and memory_slot != "none":
        found.setdefault(memory_slot, "slot")
    return found


@dataclass
class BackendReport:
    config_path: str
    config_found: bool
    config_error: str | None = None
    memory_slot: str = "memory-core"
    memory_slot_explicit: bool = False
    context_engine_slot: str = "legacy"
    memory_plugins: list[dict[str, Any]] = field(default_factory=list)
    clawmemory: dict[str, Any] = field(default_factory=dict)
    embeddings: dict[str, Any] = field(default_factory=dict)
    capture: dict[str, Any] = field(default_factory=dict)
    fallback: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _plugins(report: BackendReport, data: Mapping[str, Any], config_path: Path) -> None:
    for pid, source in sorted(_memory_plugin_ids(data, config_path).items()):
        enabled, why = _config_enabled(data, pid)
        selected = report.memory_slot == pid
        if not enabled:
            note = why
        elif selected:
            note = "owns the memory slot"
        elif pid == "memory-core":
            note = "loads as a sidecar of the selected slot and still registers memory_search/memory_get"
        elif pid in MULTI_KIND:
            note = "loads without its memory runtime (not the memory slot owner)"
        else:
            note = f'disabled at load: memory slot set to "{report.memory_slot}"'
        report.memory_plugins.append(
            {
                "id": pid,
                "source": source,
                "enabled": enabled,
                "selected": selected,
                "active": enabled and (selected or pid in MULTI_KIND or pid == "memory-core"),
                "note": note,
            }
        )


def _readiness(
    report: BackendReport,
    config_path: Path,
    data_dir: str | os.PathLike[str] | None,
    daemon_url: str | None,
    token_file: str | os.PathLike[str] | None,
    timeout: float,
    client: httpx.Client | None,
) -> None:
    """Daemon health, token and embeddings: the doctor's own checks (no executables probed)."""
    doc = run_doctor(
        config_path,
        data_dir=data_dir,
        daemon_url=daemon_url,
        token_file=token_file,
        timeout=timeout,
        which=lambda _name: None,
        client=client,
    )

    def check(cid: str) -> dict[str, Any]:
        c = doc.check(cid)
        return {"ok": None, "detail": "not checked"} if c is None else {"ok": c.ok, "detail": c.detail, "fix": c.fix}

    health, token = check("daemon.health"), check("daemon.token")
    report.clawmemory = {
        "selected_memory": report.memory_slot == PLUGIN_ID,
        "selected_context_engine": report.context_engine_slot == PLUGIN_ID,
        "daemon_url": doc.daemon_url,
        "data_dir": doc.data_dir,
        "daemon": health,
        "token": token,
        "store": check("store.schema"),
        "ready": health["ok"] is True and token["ok"] is True,
    }
    report.embeddings = check("embeddings")


def _capture(report: BackendReport, data: Mapping[str, Any], config_path: Path) -> None:
    cfg = capture_config(data)
    linked = capture_plugin_dir(data, config_path)
    entry = plugin_entry(data, CAPTURE_ID)
    enabled, why = _config_enabled(data, CAPTURE_ID)
    installed = linked is not None or entry is not None
    mode = cfg.get("backendMode") or "auto"
    report.capture = {
        "id": CAPTURE_ID,
        "installed": installed,
        "plugin_dir": str(linked) if linked else None,
        "enabled": installed and enabled,
        "why_not": None if not installed or enabled else why,
        "backend_mode": mode,
        "annotates_as": report.memory_slot if mode == "auto" else mode,
        "output_path": cfg.get("outputPath") or DEFAULT_OUTPUT,
        "files": [{"path": str(f), "bytes": f.stat().st_size} for f in files_in(data)],
    }


def _fallback(report: BackendReport, data: Mapping[str, Any]) -> None:
    core_enabled, why = _config_enabled(data, "memory-core")
    capture_on = bool(report.capture.get("enabled"))
    effects: list[str] = []
    steps: list[str] = []
    if report.memory_slot == "memory-core":
        effects.append("memory-core already owns the memory slot: this is the fallback posture")
    else:
        steps.append('set plugins.slots.memory to "memory-core" (clawmemory stays installed; no uninstall)')
        if core_enabled:
            effects.append(
                "memory-core serves memory_search/memory_get from MEMORY.md and memory/**/*.md "
                "in the workspace (lexical when no embedding provider is configured)"
            )
        else:
            effects.append(f"memory-core is disabled ({why}): switching the slot alone leaves no memory-core tools")
            steps.append("set plugins.entries.memory-core.enabled to true")
        if report.memory_slot == PLUGIN_ID:
            effects.append(
                "clawmemory still loads (it is also a context engine) but without its memory runtime; "
                "its tools named like memory-core's (memory_search, memory_get) are skipped as collisions"
            )
    if report.context_engine_slot == PLUGIN_ID:
        effects.append("plugins.slots.contextEngine stays clawmemory: context assembly and compaction continue")
    effects.append("the clawmemory store keeps every memory; selecting clawmemory again restores recall")
    effects.append(
        "capture continues: new observation lines carry memory_backend=memory-core"
        if capture_on and report.capture.get("backend_mode") == "auto"
        else "capture continues, pinned to " + str(report.capture.get("backend_mode"))
        if capture_on
        else "capture is not installed/enabled: nothing is observed either way"
    )
    report.fallback = {
        "slot": "memory-core",
        "memory_core_enabled": core_enabled,
        "capture_continues": capture_on,
        "effects": effects,
        "steps": steps,
    }


def backend_report(
    config_path: str | os.PathLike[str] | None = None,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    daemon_url: str | None = None,
    token_file: str | os.PathLike[str] | None = None,
    timeout: float = 2.0,
    client: httpx.Client | None = None,
) -> BackendReport:
    """The memory-backend report.

    Args:
        config_path: openclaw.json (default: found the way OpenClaw does).
        data_dir / daemon_url / token_file: override what the clawmemory plugin config says.
        timeout: seconds for each request to the daemon.
        client: an httpx client to use (tests pass one bound to a test daemon).
    """
    path = find_config_path(config_path)
    report = BackendReport(str(path), path.exists())
    data: dict[str, Any] = {}
    try:
        data = load_config(path).data
    except OpenClawConfigError as exc:
        report.config_error = str(exc)
    report.memory_slot = effective_slot(data, "memory")
    report.memory_slot_explicit = slot(data, "memory") is not None
    report.context_engine_slot = effective_slot(data, "contextEngine")
    _plugins(report, data, path)
    _readiness(report, path, data_dir, daemon_url, token_file, timeout, client)
    _capture(report, data, path)
    _fallback(report, data)
    return report
