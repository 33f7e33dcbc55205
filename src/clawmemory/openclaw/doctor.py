"""``clawmemory doctor``: is OpenClaw wired to clawmemory, and is the daemon healthy?

Each check has an id, ``ok`` (True, False, or None when skipped), a one-line detail and,
when it fails, a ``fix`` that says what to run or change. ``severity`` is ``error`` for
things that stop memory from working and ``warning`` for things that degrade it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ..settings import resolve_home
from .config import (
    DEFAULT_DAEMON_URL,
    PLUGIN_ID,
    OpenClawConfigError,
    effective_slot,
    find_config_path,
    load_config,
    load_paths,
    plugin_config,
    plugin_entry,
    plugins_section,
    read_manifest,
    resolve_load_path,
)
from .install import MEMORY_PEERS, find_plugin_dir

INSTALL = "clawmemory openclaw install"
MIN_NODE = (24, 16)


@dataclass
class Check:
    id: str
    title: str
    ok: bool | None
    detail: str = ""
    fix: str | None = None
    severity: str = "error"

    @property
    def failed(self) -> bool:
        return self.ok is False and self.severity == "error"


@dataclass
class DoctorReport:
    config_path: str
    daemon_url: str
    data_dir: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(c.failed for c in self.checks)

    def check(self, check_id: str) -> Check | None:
        return next((c for c in self.checks if c.id == check_id), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "config_path": self.config_path,
            "daemon_url": self.daemon_url,
            "data_dir": self.data_dir,
            "problems": [c.id for c in self.checks if c.ok is False],
            "checks": [asdict(c) for c in self.checks],
        }


def _version_tuple(text: str) -> tuple[int, ...] | None:
    m = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text or "")
    return tuple(int(x) for x in m.groups() if x is not None) if m else None


def _run_version(exe: str) -> str | None:
    try:
        p = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    return (p.stdout or p.stderr).strip() if p.returncode == 0 else None


def _config_checks(report: DoctorReport, data: Mapping[str, Any], config_path: Path) -> None:
    add = report.checks.append
    plugins = plugins_section(data)
    entry = plugin_entry(data)
    deny = deny if isinstance(deny := plugins.get("deny"), list) else []
    allow = allow if isinstance(allow := plugins.get("allow"), list) else None
    if entry is None:
        add(Check("plugin.entry", "plugin entry", False, f"plugins.entries.{PLUGIN_ID} is missing", INSTALL))
    elif entry.get("enabled") is False:
        add(
            Check(
                "plugin.entry",
                "plugin entry",
                False,
                f"plugins.entries.{PLUGIN_ID}.enabled is false",
                f"openclaw plugins enable {PLUGIN_ID} (or {INSTALL})",
            )
        )
    elif PLUGIN_ID in deny:
        add(Check("plugin.entry", "plugin entry", False, f"{PLUGIN_ID} is in plugins.deny", INSTALL))
    elif allow is not None and PLUGIN_ID not in allow:
        add(
            Check("plugin.entry", "plugin entry", False, f"plugins.allow is set and does not list {PLUGIN_ID}", INSTALL)
        )
    else:
        add(Check("plugin.entry", "plugin entry", True, f"plugins.entries.{PLUGIN_ID} present and enabled"))

    for name in ("memory", "contextEngine"):
        value = effective_slot(data, name)
        ok = value == PLUGIN_ID
        add(
            Check(
                f"slot.{name}",
                f"{name} slot",
                ok,
                f"plugins.slots.{name} = {value!r}",
                None if ok else f"{INSTALL} (sets plugins.slots.{name} to {PLUGIN_ID!r})",
            )
        )

    hooks = hooks if isinstance(hooks := (entry or {}).get("hooks"), dict) else {}
    allowed = hooks.get("allowConversationAccess") is True
    add(
        Check(
            "hooks.allowConversationAccess",
            "conversation hooks allowed",
            allowed,
            "agent_end and before_prompt_build reach clawmemory"
            if allowed
            else f"plugins.entries.{PLUGIN_ID}.hooks.allowConversationAccess is not true: OpenClaw drops agent_end "
            "(ledger settlement) and before_prompt_build",
            None if allowed else f"{INSTALL} (or set plugins.entries.{PLUGIN_ID}.hooks.allowConversationAccess: true)",
        )
    )

    core = plugin_entry(data, "memory-core") or {}
    core_off = core.get("enabled") is False
    add(
        Check(
            "memory_core.conflict",
            "memory-core disabled",
            core_off,
            "memory-core is disabled"
            if core_off
            else "memory-core is enabled and keeps registering memory_search/memory_get, so clawmemory's tools of "
            "those names are skipped",
            None if core_off else f"{INSTALL} --disable-memory-core",
            severity="warning",
        )
    )

    peers = [p for p in MEMORY_PEERS if (plugin_entry(data, p) or {"enabled": False}).get("enabled", True) is not False]
    add(
        Check(
            "peers",
            "other memory plugins",
            not peers,
            "none enabled" if not peers else f"enabled: {', '.join(peers)} (tool names may collide)",
            None if not peers else "openclaw plugins disable " + " ".join(peers),
            severity="warning",
        )
    )

    linked = [(raw, resolve_load_path(raw, config_path)) for raw in load_paths(data)]
    ours = [(raw, p) for raw, p in linked if (read_manifest(p) or {}).get("id") == PLUGIN_ID]
    if not ours:
        add(
            Check(
                "plugin.files",
                "plugin files linked",
                False,
                f"no plugins.load.paths entry holds the {PLUGIN_ID} plugin",
                INSTALL,
            )
        )
    else:
        raw, p = ours[0]
        missing = [f for f in ("index.js", "package.json", "openclaw.plugin.json") if not (p / f).is_file()]
        if missing:
            add(Check("plugin.files", "plugin files linked", False, f"{p} lacks {', '.join(missing)}", INSTALL))
        else:
            try:
                shipped = find_plugin_dir()
            except OpenClawConfigError:
                shipped = None
            if shipped is not None and p.resolve() != shipped:
                add(
                    Check(
                        "plugin.files",
                        "plugin files linked",
                        False,
                        f"linked {p}, but this clawmemory ships its plugin at {shipped}",
                        INSTALL,
                        severity="warning",
                    )
                )
            else:
                add(Check("plugin.files", "plugin files linked", True, f"linked {p}"))


def _tool_checks(report: DoctorReport, which: Callable[[str], str | None]) -> None:
    add = report.checks.append
    openclaw = which("openclaw")
    node = which("node")
    node_v = _run_version(node) if node else None
    if not node:
        add(Check("node.version", "node", None, "node not on PATH (needed only where OpenClaw runs)", severity="info"))
    else:
        v = _version_tuple(node_v or "")
        ok = bool(v and (v[:2] >= MIN_NODE and v[0] < 25 or v[:2] >= (26, 1)))
        add(
            Check(
                "node.version",
                "node",
                ok if openclaw else None,
                f"{node}: {node_v or 'unknown version'}",
                None if ok else "OpenClaw 2026.9 needs Node >=24.16 <25 or >=26.1",
                severity="error" if openclaw else "info",
            )
        )
    if not openclaw:
        add(Check("openclaw.version", "openclaw", None, "openclaw CLI not on PATH", severity="info"))
    else:
        openclaw_v = _run_version(openclaw)
        add(
            Check(
                "openclaw.version",
                "openclaw",
                openclaw_v is not None,
                f"{openclaw}: {openclaw_v or 'did not run'}",
                None if openclaw_v else "check the OpenClaw install (`openclaw --version`)",
                severity="warning",
            )
        )


def _daemon_checks(
    report: DoctorReport, url: str, token_file: Path, timeout: float, client: httpx.Client | None
) -> None:
    add = report.checks.append
    own = client is None
    http = client or httpx.Client(timeout=timeout)
    try:
        try:
            r = http.get(f"{url}/health")
            health = r.json() if r.status_code == 200 else None
            problem = None if health else f"GET {url}/health answered {r.status_code}"
        except httpx.HTTPError as exc:
            health, problem = None, f"no daemon at {url}: {type(exc).__name__}"
        except ValueError:
            health, problem = None, f"GET {url}/health did not return JSON"
        if health is None:
            add(
                Check(
                    "daemon.health",
                    "daemon running",
                    False,
                    problem or "unreachable",
                    f"start it: clawmemory serve --data-dir {report.data_dir}  (the OpenClaw Gateway also starts it "
                    "when plugins.entries.clawmemory.config.startDaemon is not false)",
                )
            )
            for cid, title in (
                ("daemon.token", "token accepted"),
                ("store.schema", "store schema"),
                ("embeddings", "embeddings"),
            ):
                add(Check(cid, title, None, "skipped: daemon not running", severity="info"))
            return
        add(
            Check(
                "daemon.health",
                "daemon running",
                health.get("status") == "ok",
                f"{url} status={health.get('status')} version={health.get('version')}",
                None if health.get("status") == "ok" else "see the daemon log",
            )
        )

        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except OSError:
            token = None
        if not token:
            add(
                Check(
                    "daemon.token",
                    "token accepted",
                    False,
                    f"cannot read the token file {token_file}",
                    f"set plugins.entries.{PLUGIN_ID}.config.tokenFile to the daemon's <data-dir>/token ({INSTALL} --data-dir DIR)",
                )
            )
        else:
            try:
                t = http.get(f"{url}/v1/namespaces", headers={"Authorization": f"Bearer {token}"})
                code: int | str = t.status_code
            except httpx.HTTPError as exc:
                code = f"error {type(exc).__name__}"
            if code == 200:
                add(Check("daemon.token", "token accepted", True, f"token from {token_file} accepted"))
            elif code == 401:
                add(
                    Check(
                        "daemon.token",
                        "token accepted",
                        False,
                        f"the daemon rejected the token in {token_file} (401): it serves another data dir",
                        f"point the plugin at the daemon's data dir: {INSTALL} --data-dir <the daemon's --data-dir>",
                    )
                )
            else:
                add(
                    Check(
                        "daemon.token",
                        "token accepted",
                        False,
                        f"GET /v1/namespaces answered {code}",
                        "upgrade clawmemory so the daemon and this CLI match",
                        severity="warning",
                    )
                )

        store = store if isinstance(store := health.get("store"), dict) else {}
        schema = store.get("schema_version")
        add(
            Check(
                "store.schema",
                "store schema",
                isinstance(schema, int) and schema > 0,
                f"{store.get('path', '?')} schema_version={schema}",
                None if isinstance(schema, int) and schema > 0 else "restart the daemon to run migrations",
            )
        )

        backends = backends if isinstance(backends := health.get("backends"), dict) else {}
        emb = next((backends[k] for k in ("embedding", "embeddings", "vector") if k in backends), None)
        if emb is None:
            add(
                Check(
                    "embeddings",
                    "embeddings",
                    True,
                    "no embedding backend reported: lexical search only",
                    severity="info",
                )
            )
        else:
            ready = emb.get("ready", emb.get("ok", True)) if isinstance(emb, dict) else bool(emb)
            what = (emb.get("model") or emb.get("provider") or "") if isinstance(emb, dict) else ""
            detail = (
                f"embedding backend {what} ready"
                if ready
                else f"embedding backend {what} not ready: {emb.get('error', '') if isinstance(emb, dict) else ''}"
            )
            add(
                Check(
                    "embeddings",
                    "embeddings",
                    bool(ready),
                    detail.replace("  ", " ").strip(),
                    None
                    if ready
                    else "see `clawmemory doctor --json` backends and the daemon log; search stays lexical meanwhile",
                    severity="warning",
                )
            )
    finally:
        if own:
            http.close()


def run_doctor(
    config_path: str | os.PathLike[str] | None = None,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    daemon_url: str | None = None,
    token_file: str | os.PathLike[str] | None = None,
    timeout: float = 2.0,
    which: Callable[[str], str | None] = shutil.which,
    client: httpx.Client | None = None,
) -> DoctorReport:
    """Run every check. Values not given come from the plugin config in openclaw.json.

    Args:
        config_path: the OpenClaw config (default: found the way OpenClaw does).
        data_dir / daemon_url / token_file: override the plugin config.
        timeout: seconds for each HTTP request to the daemon.
        which: how to find executables (tests pass a stub).
        client: an httpx client to use (tests pass one with a mock transport).
    """
    path = find_config_path(config_path)
    data: dict[str, Any] = {}
    report = DoctorReport(str(path), "", "")
    if not path.exists():
        report.checks.append(
            Check(
                "config.found",
                "OpenClaw config",
                False,
                f"no config at {path}",
                f"run OpenClaw once (openclaw setup), or pass --config; then {INSTALL}",
            )
        )
    else:
        report.checks.append(Check("config.found", "OpenClaw config", True, str(path)))
        try:
            data = load_config(path).data
            report.checks.append(Check("config.valid", "config parses (JSON5)", True, "ok"))
        except OpenClawConfigError as exc:
            report.checks.append(
                Check(
                    "config.valid",
                    "config parses (JSON5)",
                    False,
                    str(exc),
                    f"fix the syntax, or restore a backup ({path.name}.clawmemory-backup-*)",
                )
            )
    valid = report.check("config.valid")
    if valid is not None and valid.ok:
        _config_checks(report, data, path)

    cfg = plugin_config(data)
    ddir = (
        Path(data_dir).expanduser().resolve()
        if data_dir
        else (Path(cfg["dataDir"]).expanduser() if isinstance(cfg.get("dataDir"), str) else resolve_home(None))
    )
    url = (daemon_url or cfg.get("daemonUrl") or DEFAULT_DAEMON_URL).rstrip("/")
    tfile = (
        Path(token_file).expanduser()
        if token_file
        else (Path(cfg["tokenFile"]).expanduser() if isinstance(cfg.get("tokenFile"), str) else ddir / "token")
    )
    report.daemon_url, report.data_dir = url, str(ddir)

    _tool_checks(report, which)
    _daemon_checks(report, url, tfile, timeout, client)
    return report
