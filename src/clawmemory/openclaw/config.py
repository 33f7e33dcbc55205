"""Find, read and write OpenClaw's ``openclaw.json``.

OpenClaw reads its config as JSON5 (comments, trailing commas, unquoted keys). We read it
the same way with the ``json5`` package and write it back as plain JSON (which is valid
JSON5), always after copying the original next to it with a timestamp, so nothing a user
wrote is lost: comments survive in the backup.

Where the config lives (OpenClaw's own rules, ``docs/help/environment.md``):
``$OPENCLAW_CONFIG_PATH``, else ``$OPENCLAW_STATE_DIR/openclaw.json``, else
``~/.openclaw/openclaw.json`` where ``~`` is ``$OPENCLAW_HOME`` when set.
"""

from __future__ import annotations

import copy
import difflib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import json5

from ..errors import ClawMemoryError

PLUGIN_ID = "clawmemory"
DEFAULT_DAEMON_URL = "http://127.0.0.1:7411"
BACKUP_INFIX = ".clawmemory-backup-"


class OpenClawConfigError(ClawMemoryError):
    """The OpenClaw config cannot be found, parsed or written."""

    code = "openclaw_config"
    status = 400


def openclaw_home(env: Mapping[str, str] | None = None) -> Path:
    """The home directory OpenClaw uses for default paths (``$OPENCLAW_HOME`` or ``~``)."""
    env = os.environ if env is None else env
    raw = env.get("OPENCLAW_HOME")
    return Path(raw).expanduser() if raw else Path(env.get("HOME") or Path.home()).expanduser()


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    """OpenClaw's state dir: ``$OPENCLAW_STATE_DIR`` or ``~/.openclaw``."""
    env = os.environ if env is None else env
    raw = env.get("OPENCLAW_STATE_DIR")
    return Path(raw).expanduser() if raw else openclaw_home(env) / ".openclaw"


def find_config_path(explicit: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> Path:
    """The config file OpenClaw would read (it may not exist yet)."""
    env = os.environ if env is None else env
    if explicit:
        return Path(explicit).expanduser().absolute()
    raw = env.get("OPENCLAW_CONFIG_PATH")
    if raw:
        return Path(raw).expanduser().absolute()
    return (state_dir(env) / "openclaw.json").absolute()


@dataclass
class OpenClawConfig:
    """One config file: where it is, its text as read (None when absent) and its data."""

    path: Path
    text: str | None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        return self.text is not None

    def copy_data(self) -> dict[str, Any]:
        return copy.deepcopy(self.data)


def parse_config_text(text: str, path: Path | str = "openclaw.json") -> dict[str, Any]:
    """Parse JSON5 text; an empty file is ``{}``. Raises :class:`OpenClawConfigError`."""
    if not text.strip():
        return {}
    try:
        data = json5.loads(text)
    except ValueError as exc:
        raise OpenClawConfigError(f"cannot parse {path} as JSON5: {exc}") from exc
    if not isinstance(data, dict):
        raise OpenClawConfigError(f"{path} must hold a JSON object, not {type(data).__name__}")
    return data


def load_config(path: str | os.PathLike[str]) -> OpenClawConfig:
    """Read a config. A missing file gives an empty config with ``text=None``."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        return OpenClawConfig(p, None, {})
    except OSError as exc:
        raise OpenClawConfigError(f"cannot read {p}: {exc.strerror or exc}") from exc
    return OpenClawConfig(p, text, parse_config_text(text, p))


def render_config(data: Mapping[str, Any]) -> str:
    """The text we write: 2-space JSON with a trailing newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def config_diff(old_text: str | None, new_text: str, path: Path | str) -> str:
    """A unified diff from the file as it is to the file as it would be."""
    old = (old_text or "").splitlines(keepends=True)
    new = new_text.splitlines(keepends=True)
    label = str(path)
    return "".join(difflib.unified_diff(old, new, fromfile=f"{label} (current)", tofile=f"{label} (new)"))


def backup_config(path: Path) -> Path | None:
    """Copy ``path`` to ``<path>.clawmemory-backup-<UTC timestamp>``; None when absent."""
    if not path.exists():
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}{BACKUP_INFIX}{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}{BACKUP_INFIX}{stamp}-{n}")
        n += 1
    shutil.copy2(path, target)
    return target


def write_config(path: Path, data: Mapping[str, Any]) -> None:
    """Write atomically (temp file + rename), keeping the file's mode when it exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(render_config(data))
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- small accessors shared by install and doctor -------------------------------------


def plugins_section(data: Mapping[str, Any]) -> dict[str, Any]:
    p = data.get("plugins")
    return p if isinstance(p, dict) else {}


def plugin_entry(data: Mapping[str, Any], plugin_id: str = PLUGIN_ID) -> dict[str, Any] | None:
    entries = plugins_section(data).get("entries")
    if not isinstance(entries, dict):
        return None
    e = entries.get(plugin_id)
    return e if isinstance(e, dict) else None


def plugin_config(data: Mapping[str, Any]) -> dict[str, Any]:
    """``plugins.entries.clawmemory.config`` (empty when absent)."""
    e = plugin_entry(data) or {}
    c = e.get("config")
    return c if isinstance(c, dict) else {}


def slot(data: Mapping[str, Any], name: str) -> str | None:
    """An explicit slot value, or None when the slot is not set (OpenClaw then uses its default)."""
    slots = plugins_section(data).get("slots")
    if isinstance(slots, dict) and isinstance(slots.get(name), str):
        return slots[name]
    return None


SLOT_DEFAULTS = {"memory": "memory-core", "contextEngine": "legacy"}


def effective_slot(data: Mapping[str, Any], name: str) -> str:
    return slot(data, name) or SLOT_DEFAULTS[name]


def load_paths(data: Mapping[str, Any]) -> list[str]:
    load = plugins_section(data).get("load")
    paths = load.get("paths") if isinstance(load, dict) else None
    return [p for p in paths if isinstance(p, str)] if isinstance(paths, list) else []


def read_manifest(plugin_dir: Path) -> dict[str, Any] | None:
    """The plugin's ``openclaw.plugin.json`` (JSON5), or None."""
    try:
        data = json5.loads((plugin_dir / "openclaw.plugin.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def resolve_load_path(raw: str, config_path: Path) -> Path:
    """A ``plugins.load.paths`` entry as an absolute path (relative ones are config-relative)."""
    p = Path(raw).expanduser()
    return p if p.is_absolute() else (config_path.parent / p)
