"""Connect clawmemory to OpenClaw (``install``) and disconnect it (``uninstall``).

``install`` makes these changes to ``openclaw.json`` (after a timestamped backup):

- links the plugin directory: through ``openclaw plugins install --link DIR --force
  --accept-capabilities`` when the ``openclaw`` CLI is available (this also records the
  install and the capability consent in OpenClaw's state DB), otherwise by writing
  ``plugins.load.paths`` and ``plugins.entries.clawmemory.enabled`` itself;
- selects clawmemory in both slots (``plugins.slots.memory`` and ``.contextEngine``);
- sets ``plugins.entries.clawmemory.hooks.allowConversationAccess: true`` (without it
  OpenClaw drops the ``agent_end``/``before_prompt_build`` hooks of non-bundled plugins);
- writes the plugin config: ``daemonUrl``, ``tokenFile``, ``dataDir``, ``clawmemoryCommand``;
- with ``disable_memory_core``: ``plugins.entries.memory-core.enabled: false`` (else
  memory-core keeps registering ``memory_search``/``memory_get``);
- adds clawmemory to ``plugins.allow`` when an allowlist exists and drops it from
  ``plugins.deny``.

It creates the data dir, and records the slot values it replaced in
``<dataDir>/openclaw-install.json`` so ``uninstall`` can put them back. Running it again
changes nothing. ``dry_run`` changes nothing and returns the unified diff.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..settings import resolve_home
from ..settings import token_file as default_token_file
from .config import (
    DEFAULT_DAEMON_URL,
    PLUGIN_ID,
    SLOT_DEFAULTS,
    OpenClawConfigError,
    backup_config,
    config_diff,
    find_config_path,
    load_config,
    parse_config_text,
    plugin_config,
    plugin_entry,
    plugins_section,
    read_manifest,
    render_config,
    resolve_load_path,
    slot,
    write_config,
)

MEMORY_PEERS = (
    "openclaw-remnic",
    "openclaw-engram",
    "memory-lancedb",
    "openclaw-memory-darwin",
    "lia-memory-engine",
    "openclaw-mem",
)
STATE_FILE = "openclaw-install.json"
SLOT_NAMES = ("memory", "contextEngine")
KEEPABLE_SLOT_VALUES = {"memory-core", "legacy", "none"}
CLI_TIMEOUT_S = 180


# --- locating things ---------------------------------------------------------------


def find_plugin_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The directory holding the JS plugin (``openclaw.plugin.json`` with id clawmemory).

    Looked for in: the argument, ``$CLAWMEMORY_OPENCLAW_PLUGIN_DIR``, ``plugins/openclaw`` of
    a source checkout (editable installs), ``<prefix>/share/clawmemory/plugins/openclaw``
    (where the wheel puts it).
    """
    here = Path(__file__).resolve().parent
    candidates = [explicit, os.environ.get("CLAWMEMORY_OPENCLAW_PLUGIN_DIR")]
    candidates += [parent / "plugins" / "openclaw" for parent in here.parents[:4]]
    candidates.append(Path(sys.prefix) / "share" / "clawmemory" / "plugins" / "openclaw")
    for c in candidates:
        if not c:
            continue
        d = Path(c).expanduser().resolve()
        m = read_manifest(d)
        if m and m.get("id") == PLUGIN_ID and (d / "index.js").is_file():
            return d
    if explicit:
        raise OpenClawConfigError(
            f"{explicit} is not the clawmemory OpenClaw plugin (no openclaw.plugin.json with id {PLUGIN_ID!r})"
        )
    raise OpenClawConfigError(
        "cannot find the clawmemory OpenClaw plugin files; reinstall clawmemory or set CLAWMEMORY_OPENCLAW_PLUGIN_DIR"
    )


def find_clawmemory_command() -> str:
    """Absolute path of the ``clawmemory`` executable the plugin should spawn."""
    beside = Path(sys.executable).parent / "clawmemory"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("clawmemory")
    return str(Path(found).resolve()) if found else "clawmemory"


def find_openclaw(explicit: str | None = None) -> str | None:
    """The ``openclaw`` CLI: the argument, else ``openclaw`` on PATH, else None."""
    if explicit:
        p = shutil.which(explicit) or (explicit if Path(explicit).is_file() else None)
        if not p:
            raise OpenClawConfigError(f"openclaw CLI not found at {explicit}")
        return p
    return shutil.which("openclaw")


def validate_daemon_url(url: str) -> str:
    from urllib.parse import urlparse

    u = urlparse(url)
    if u.scheme not in ("http", "https") or not u.hostname:
        raise OpenClawConfigError(f"daemon URL must look like http://127.0.0.1:7411, got {url!r}")
    return url.rstrip("/")


# --- install record (previous slot values) ------------------------------------------


def _state_path(data_dir: Path) -> Path:
    return data_dir / STATE_FILE


def read_install_state(data_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads(_state_path(data_dir).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_install_state(data_dir: Path, state: Mapping[str, Any]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    p = _state_path(data_dir)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, p)


def _value(container: Mapping[str, Any] | None, key: str) -> dict[str, Any]:
    """{"present": bool, "value": ...}: records absence apart from a null value."""
    if isinstance(container, Mapping) and key in container:
        return {"present": True, "value": container[key]}
    return {"present": False}


def snapshot_previous(data: Mapping[str, Any]) -> dict[str, Any]:
    """What install is about to replace, to be restored by uninstall."""
    plugins = plugins_section(data)
    slots = slots if isinstance(slots := plugins.get("slots"), dict) else {}
    core = plugin_entry(data, "memory-core")
    return {
        "slots": {name: _value(slots, name) for name in SLOT_NAMES},
        "memory_core_enabled": _value(core, "enabled"),
        "entry_existed": plugin_entry(data) is not None,
        "allow_had_plugin": PLUGIN_ID in (plugins.get("allow") or [])
        if isinstance(plugins.get("allow"), list)
        else None,
    }


# --- the pure config transformation --------------------------------------------------


def _dict(parent: dict[str, Any], key: str) -> dict[str, Any]:
    v = parent.get(key)
    if not isinstance(v, dict):
        v = {}
        parent[key] = v
    return v


def _is_clawmemory_dir(raw: str, config_path: Path) -> bool:
    m = read_manifest(resolve_load_path(raw, config_path))
    return bool(m and m.get("id") == PLUGIN_ID)


def apply_install(
    data: dict[str, Any],
    *,
    config_path: Path,
    plugin_dir: Path,
    data_dir: Path,
    daemon_url: str,
    clawmemory_command: str,
    disable_memory_core: bool = False,
    token_file: Path | None = None,
) -> list[str]:
    """Change ``data`` in place to the installed state; return one line per change."""
    changes: list[str] = []
    plugins = _dict(data, "plugins")

    load = _dict(plugins, "load")
    paths = [p for p in load.get("paths", []) if isinstance(p, str)] if isinstance(load.get("paths"), list) else []
    target = str(plugin_dir)
    stale = [p for p in paths if p != target and _is_clawmemory_dir(p, config_path)]
    if stale:
        changes.append(f"plugins.load.paths: removed older clawmemory plugin path(s) {', '.join(stale)}")
    new_paths = [p for p in paths if p not in stale]
    if target not in new_paths:
        new_paths.append(target)
        changes.append(f"plugins.load.paths: added {target}")
    load["paths"] = new_paths

    entries = _dict(plugins, "entries")
    entry = _dict(entries, PLUGIN_ID)
    if entry.get("enabled") is not True:
        entry["enabled"] = True
        changes.append(f"plugins.entries.{PLUGIN_ID}.enabled: true")
    hooks = _dict(entry, "hooks")
    if hooks.get("allowConversationAccess") is not True:
        hooks["allowConversationAccess"] = True
        changes.append(f"plugins.entries.{PLUGIN_ID}.hooks.allowConversationAccess: true")
    if hooks.get("allowPromptInjection") is False:
        changes.append(
            f"note: plugins.entries.{PLUGIN_ID}.hooks.allowPromptInjection is false; auto-recall cannot inject context"
        )

    cfg = _dict(entry, "config")
    wanted = {
        "daemonUrl": daemon_url,
        "dataDir": str(data_dir),
        "tokenFile": str(token_file or default_token_file(data_dir)),
        "clawmemoryCommand": clawmemory_command,
    }
    for k, v in wanted.items():
        if cfg.get(k) != v:
            cfg[k] = v
            changes.append(f"plugins.entries.{PLUGIN_ID}.config.{k}: {v}")

    slots = _dict(plugins, "slots")
    for name in SLOT_NAMES:
        if slots.get(name) != PLUGIN_ID:
            before = slots.get(name, "(default)")
            slots[name] = PLUGIN_ID
            changes.append(f"plugins.slots.{name}: {before} -> {PLUGIN_ID}")

    if disable_memory_core:
        core = _dict(entries, "memory-core")
        if core.get("enabled") is not False:
            core["enabled"] = False
            changes.append("plugins.entries.memory-core.enabled: false")

    allow = plugins.get("allow")
    if isinstance(allow, list) and PLUGIN_ID not in allow:
        allow.append(PLUGIN_ID)
        changes.append(f"plugins.allow: added {PLUGIN_ID}")
    deny = plugins.get("deny")
    if isinstance(deny, list) and PLUGIN_ID in deny:
        plugins["deny"] = [d for d in deny if d != PLUGIN_ID]
        changes.append(f"plugins.deny: removed {PLUGIN_ID}")
    return changes


def find_peers(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Other memory plugins configured in this OpenClaw, and what happens to them."""
    out = []
    memory_slot = slot(data, "memory")
    for pid in MEMORY_PEERS:
        e = plugin_entry(data, pid)
        if e is None and memory_slot != pid:
            continue
        enabled = (e or {}).get("enabled", True) is not False
        note = f"{pid} stays configured"
        if memory_slot == pid:
            note += f"; it held the memory slot, which now goes to {PLUGIN_ID} (uninstall gives it back)"
        if enabled:
            note += (
                "; while enabled it may still register tools with the same names (memory_recall/memory_store/memory_forget); disable it with `openclaw plugins disable "
                + pid
                + "` if tools collide"
            )
        out.append({"id": pid, "enabled": enabled, "held_memory_slot": memory_slot == pid, "note": note})
    return out


# --- install / uninstall -------------------------------------------------------------


@dataclass
class InstallResult:
    """What install did (or, with dry_run, would do)."""

    config_path: str
    plugin_dir: str
    data_dir: str
    daemon_url: str
    dry_run: bool
    changed: bool
    method: str  # "openclaw-cli", "config" or "none"
    changes: list[str] = field(default_factory=list)
    diff: str = ""
    backup_path: str | None = None
    peers: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    openclaw_output: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _run_openclaw(openclaw: str, args: list[str], config_path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, OPENCLAW_CONFIG_PATH=str(config_path))
    return subprocess.run(
        [openclaw, *args], env=env, capture_output=True, text=True, timeout=CLI_TIMEOUT_S, stdin=subprocess.DEVNULL
    )


def install(
    config_path: str | os.PathLike[str] | None = None,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    daemon_url: str | None = None,
    disable_memory_core: bool = False,
    dry_run: bool = False,
    openclaw: str | None | bool = None,
    plugin_dir: str | os.PathLike[str] | None = None,
    clawmemory_command: str | None = None,
) -> InstallResult:
    """Install the clawmemory plugin into an OpenClaw config (see the module docstring).

    Args:
        config_path: the ``openclaw.json`` to change (default: found the way OpenClaw does).
        data_dir: clawmemory data dir (default: the plugin's configured one, else
            ``$CLAWMEMORY_HOME`` or ``~/.clawmemory``).
        daemon_url: daemon base URL (default: configured one, else http://127.0.0.1:7411).
        disable_memory_core: also set ``plugins.entries.memory-core.enabled: false``.
        dry_run: change nothing; the result carries the diff.
        openclaw: path of the ``openclaw`` CLI; None finds it on PATH; False never uses it.
        plugin_dir: the JS plugin directory (default: the one shipped with clawmemory).
        clawmemory_command: executable the plugin spawns (default: this clawmemory).
    """
    path = find_config_path(config_path)
    original = load_config(path)
    plugin = find_plugin_dir(plugin_dir)
    existing = plugin_config(original.data)
    ddir = (
        Path(data_dir).expanduser().resolve()
        if data_dir
        else (
            Path(existing["dataDir"]).expanduser() if isinstance(existing.get("dataDir"), str) else resolve_home(None)
        )
    )
    url = validate_daemon_url(daemon_url or existing.get("daemonUrl") or DEFAULT_DAEMON_URL)
    command = clawmemory_command or find_clawmemory_command()
    cli = None if openclaw is False else find_openclaw(openclaw if isinstance(openclaw, str) else None)

    kwargs: dict[str, Any] = dict(
        config_path=path,
        plugin_dir=plugin,
        data_dir=ddir,
        daemon_url=url,
        clawmemory_command=command,
        disable_memory_core=disable_memory_core,
    )
    planned = original.copy_data()
    changes = apply_install(planned, **kwargs)
    new_text = render_config(planned)
    diff = config_diff(original.text, new_text, path) if changes or not original.exists else ""
    result = InstallResult(
        config_path=str(path),
        plugin_dir=str(plugin),
        data_dir=str(ddir),
        daemon_url=url,
        dry_run=dry_run,
        changed=bool(diff),
        method="none",
        changes=changes,
        diff=diff,
        peers=find_peers(original.data),
    )
    if not disable_memory_core and (plugin_entry(original.data, "memory-core") or {}).get("enabled") is not False:
        result.notes.append(
            "memory-core stays enabled: it keeps registering memory_search/memory_get, so clawmemory's tools of "
            "those names are skipped as collisions; rerun with --disable-memory-core to hand them to clawmemory"
        )
    if dry_run:
        return result

    ddir.mkdir(parents=True, exist_ok=True, mode=0o700)
    state = read_install_state(ddir)
    configs = state.setdefault("configs", {})
    record = configs.get(str(path))
    if record is None or all(slot(original.data, n) != PLUGIN_ID for n in SLOT_NAMES):
        # first install into this config (or clawmemory was unselected since): remember what it replaces
        configs[str(path)] = {
            "previous": snapshot_previous(original.data),
            "installed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        state["version"] = 1
        _write_install_state(ddir, state)

    if not diff:
        result.method = "none"
        return result

    result.backup_path = str(backup_config(path)) if original.exists else None
    if cli:
        proc = _run_openclaw(
            cli, ["plugins", "install", "--link", str(plugin), "--force", "--accept-capabilities"], path
        )
        result.openclaw_output = (proc.stdout + proc.stderr).strip()
        if proc.returncode == 0:
            result.method = "openclaw-cli"
        else:
            result.notes.append(
                f"`openclaw plugins install --link` failed (exit {proc.returncode}); wrote the config directly instead"
            )
    after = load_config(path) if result.method == "openclaw-cli" else original
    final = after.copy_data()
    apply_install(final, **kwargs)
    write_config(path, final)
    if result.method != "openclaw-cli":
        result.method = "config"
        if not cli:
            result.notes.append(
                "openclaw CLI not found: the plugin was linked through plugins.load.paths only; "
                "run `openclaw plugins install --link " + str(plugin) + " --force --accept-capabilities` "
                "once to record capability consent if OpenClaw asks for it"
            )
    result.diff = config_diff(original.text, render_config(final), path)
    return result


@dataclass
class UninstallResult:
    config_path: str
    dry_run: bool
    changed: bool
    method: str
    changes: list[str] = field(default_factory=list)
    diff: str = ""
    backup_path: str | None = None
    notes: list[str] = field(default_factory=list)
    openclaw_output: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _restorable(value: Any, data: Mapping[str, Any]) -> bool:
    return isinstance(value, str) and (value in KEEPABLE_SLOT_VALUES or plugin_entry(data, value) is not None)


def apply_uninstall(
    data: dict[str, Any], *, config_path: Path, previous: Mapping[str, Any] | None, after_cli: bool = False
) -> tuple[list[str], list[str]]:
    """Change ``data`` in place back to the state before install; returns (changes, notes)."""
    changes: list[str] = []
    notes: list[str] = []
    plugins = data.get("plugins")
    if not isinstance(plugins, dict):
        return changes, notes
    prev = previous or {}

    load = plugins.get("load")
    if isinstance(load, dict) and isinstance(load.get("paths"), list):
        keep = [p for p in load["paths"] if not (isinstance(p, str) and _is_clawmemory_dir(p, config_path))]
        if len(keep) != len(load["paths"]):
            changes.append("plugins.load.paths: removed the clawmemory plugin path")
            load["paths"] = keep

    entries = entries if isinstance(entries := plugins.get("entries"), dict) else {}
    if PLUGIN_ID in entries:
        del entries[PLUGIN_ID]
        changes.append(f"plugins.entries.{PLUGIN_ID}: removed")

    slots = slots if isinstance(slots := plugins.get("slots"), dict) else None
    if slots is None and after_cli and any(((prev.get("slots") or {}).get(n) or {}).get("present") for n in SLOT_NAMES):
        slots = plugins["slots"] = {}  # `openclaw plugins uninstall` dropped the section
    for name in SLOT_NAMES:
        # ours to restore: our id, unset, or (after `openclaw plugins uninstall`, which resets
        # the slots it owned) the slot's default
        ours = (PLUGIN_ID, None, SLOT_DEFAULTS[name]) if after_cli else (PLUGIN_ID, None)
        if slots is None or slots.get(name) not in ours:
            continue
        before = (prev.get("slots") or {}).get(name) or {"present": False}
        if before.get("present") and before.get("value") != PLUGIN_ID and _restorable(before.get("value"), data):
            if slots.get(name) != before["value"]:
                slots[name] = before["value"]
                changes.append(f"plugins.slots.{name}: -> {before['value']} (restored)")
        elif name in slots:
            del slots[name]
            changes.append(f"plugins.slots.{name}: removed (OpenClaw default)")
            if before.get("present") and before.get("value") != PLUGIN_ID:
                notes.append(
                    f"previous plugins.slots.{name}={before.get('value')!r} names a plugin that is no longer configured; left at the default"
                )

    core_prev = prev.get("memory_core_enabled")
    core = core if isinstance(core := entries.get("memory-core"), dict) else None
    if core_prev is not None and core is not None and core.get("enabled") is False:
        if core_prev.get("present"):
            if core_prev.get("value") is not False:
                core["enabled"] = core_prev.get("value")
                changes.append(f"plugins.entries.memory-core.enabled: -> {core_prev.get('value')} (restored)")
        else:
            del core["enabled"]
            if not core:
                del entries["memory-core"]
            changes.append("plugins.entries.memory-core.enabled: removed (restored)")

    allow = plugins.get("allow")
    if isinstance(allow, list) and PLUGIN_ID in allow and prev.get("allow_had_plugin") is False:
        plugins["allow"] = [a for a in allow if a != PLUGIN_ID]
        changes.append(f"plugins.allow: removed {PLUGIN_ID}")
    return changes, notes


def uninstall(
    config_path: str | os.PathLike[str] | None = None,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    dry_run: bool = False,
    openclaw: str | None | bool = None,
) -> UninstallResult:
    """Remove clawmemory from an OpenClaw config and restore the slots it replaced.

    The clawmemory data (memories, token) is never touched.
    """
    path = find_config_path(config_path)
    original = load_config(path)
    if not original.exists:
        raise OpenClawConfigError(f"no OpenClaw config at {path}")
    existing = plugin_config(original.data)
    ddir = (
        Path(data_dir).expanduser().resolve()
        if data_dir
        else (
            Path(existing["dataDir"]).expanduser() if isinstance(existing.get("dataDir"), str) else resolve_home(None)
        )
    )
    state = read_install_state(ddir)
    record = (state.get("configs") or {}).get(str(path)) or {}
    previous = record.get("previous")

    planned = original.copy_data()
    changes, notes = apply_uninstall(planned, config_path=path, previous=previous)
    if previous is None and changes:
        notes.append(f"no install record in {ddir / STATE_FILE}: slots reset to OpenClaw's defaults")
    diff = config_diff(original.text, render_config(planned), path) if changes else ""
    result = UninstallResult(
        config_path=str(path),
        dry_run=dry_run,
        changed=bool(changes),
        method="none",
        changes=changes,
        diff=diff,
        notes=notes,
    )
    if dry_run or not changes:
        return result

    result.backup_path = str(backup_config(path))
    cli = None if openclaw is False else find_openclaw(openclaw if isinstance(openclaw, str) else None)
    result.method = "config"
    if cli:
        proc = _run_openclaw(cli, ["plugins", "uninstall", PLUGIN_ID, "--force", "--keep-files"], path)
        result.openclaw_output = (proc.stdout + proc.stderr).strip()
        if proc.returncode == 0:
            result.method = "openclaw-cli"
        else:
            result.notes.append(
                f"`openclaw plugins uninstall` failed (exit {proc.returncode}); edited the config directly"
            )
    current = load_config(path)
    final = current.copy_data()
    apply_uninstall(final, config_path=path, previous=previous, after_cli=result.method == "openclaw-cli")
    write_config(path, final)
    result.diff = config_diff(original.text, render_config(final), path)
    if str(path) in (state.get("configs") or {}):
        del state["configs"][str(path)]
        _write_install_state(ddir, state)
    return result


__all__ = [
    "MEMORY_PEERS",
    "InstallResult",
    "UninstallResult",
    "apply_install",
    "apply_uninstall",
    "find_clawmemory_command",
    "find_openclaw",
    "find_peers",
    "find_plugin_dir",
    "install",
    "parse_config_text",
    "read_install_state",
    "snapshot_previous",
    "uninstall",
]
