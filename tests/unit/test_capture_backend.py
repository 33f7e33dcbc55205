"""`clawmemory backend`: slots, memory plugins, readiness of ours (a real daemon), fallback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.daemon import Daemon

from clawmemory.cli.main import main
from clawmemory.openclaw.backend import backend_report

REPO = Path(__file__).resolve().parents[2]
CAPTURE_DIR = REPO / "plugins" / "openclaw-capture"


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    with Daemon(tmp_path_factory.mktemp("backend") / "home", env={"CLAWMEMORY_EMBEDDING_PROVIDER": "none"}) as d:
        yield d


def installed(tmp_path: Path, daemon: Daemon, **changes) -> Path:
    """An openclaw.json as `clawmemory openclaw install --disable-memory-core` + the capture plugin leave it."""
    ws = tmp_path / "ws"
    (ws / "memory").mkdir(parents=True, exist_ok=True)
    (ws / "memory" / "clawmemory-observations.jsonl").write_text('{"tool_name": "exec", "summary": "x"}\n')
    cfg = {
        "agents": {"defaults": {"workspace": str(ws)}},
        "plugins": {
            "load": {"paths": [str(CAPTURE_DIR)]},
            "slots": {"memory": "clawmemory", "contextEngine": "clawmemory"},
            "entries": {
                "clawmemory": {
                    "enabled": True,
                    "hooks": {"allowConversationAccess": True},
                    "config": {
                        "daemonUrl": daemon.url,
                        "dataDir": str(daemon.home),
                        "tokenFile": str(daemon.home / "token"),
                    },
                },
                "memory-core": {"enabled": False},
                "clawmemory-capture": {"enabled": True},
            },
        },
    }
    for dotted, value in changes.items():
        node = cfg
        *parents, last = dotted.split(".")
        for k in parents:
            node = node.setdefault(k, {})
        node[last] = value
    path = tmp_path / "openclaw.json"
    path.write_text(json.dumps(cfg))
    return path


def plugin(report, pid: str) -> dict:
    return next(p for p in report.memory_plugins if p["id"] == pid)


def test_clawmemory_selected_and_ready(tmp_path: Path, daemon: Daemon, monkeypatch) -> None:
    monkeypatch.setenv("OPENCLAW_STATE_DIR", str(tmp_path / "state"))
    r = backend_report(installed(tmp_path, daemon))
    assert (r.memory_slot, r.memory_slot_explicit, r.context_engine_slot) == ("clawmemory", True, "clawmemory")
    ours = plugin(r, "clawmemory")
    assert ours["enabled"] and ours["selected"] and ours["active"]
    core = plugin(r, "memory-core")
    assert core["enabled"] is False and "enabled is false" in core["note"]
    c = r.clawmemory
    assert c["selected_memory"] and c["selected_context_engine"] and c["ready"]
    assert c["daemon"]["ok"] and c["token"]["ok"] and c["store"]["ok"]
    assert c["daemon_url"] == daemon.url
    assert r.embeddings["ok"] is False  # provider none: reported, not hidden
    assert r.capture["installed"] and r.capture["enabled"] and r.capture["annotates_as"] == "clawmemory"
    assert r.capture["plugin_dir"] == str(CAPTURE_DIR)
    assert [f["path"] for f in r.capture["files"]] == [
        str(tmp_path / "ws" / "memory" / "clawmemory-observations.jsonl")
    ]
    fb = r.fallback
    assert fb["memory_core_enabled"] is False and fb["capture_continues"] is True
    assert any("plugins.entries.memory-core.enabled" in s for s in fb["steps"])
    assert any("leaves no memory-core tools" in e for e in fb["effects"])
    assert any("memory_backend=memory-core" in e for e in fb["effects"])


def test_a_token_from_another_data_dir_is_not_ready(tmp_path: Path, daemon: Daemon) -> None:
    bad = tmp_path / "token"
    bad.write_text("not-the-token")
    r = backend_report(installed(tmp_path, daemon, **{"plugins.entries.clawmemory.config.tokenFile": str(bad)}))
    assert r.clawmemory["daemon"]["ok"] is True
    assert r.clawmemory["token"]["ok"] is False and not r.clawmemory["ready"]


def test_switched_back_to_memory_core_without_uninstall(tmp_path: Path, daemon: Daemon) -> None:
    cfg = installed(
        tmp_path, daemon, **{"plugins.slots.memory": "memory-core", "plugins.entries.memory-core.enabled": True}
    )
    r = backend_report(cfg)
    assert r.memory_slot == "memory-core"
    assert plugin(r, "memory-core")["selected"] and plugin(r, "memory-core")["enabled"]
    ours = plugin(r, "clawmemory")
    assert not ours["selected"] and ours["active"] and "without its memory runtime" in ours["note"]
    assert r.clawmemory["ready"] and not r.clawmemory["selected_memory"] and r.clawmemory["selected_context_engine"]
    assert r.capture["enabled"] and r.capture["annotates_as"] == "memory-core"
    assert r.fallback["steps"] == [] and "already owns" in r.fallback["effects"][0]


def test_pinned_capture_and_single_kind_peer(tmp_path: Path, daemon: Daemon) -> None:
    cfg = installed(
        tmp_path,
        daemon,
        **{
            "plugins.entries.clawmemory-capture.config": {"backendMode": "clawmemory"},
            "plugins.entries.memory-lancedb": {"enabled": True},
        },
    )
    r = backend_report(cfg)
    assert r.capture["annotates_as"] == "clawmemory" and r.capture["backend_mode"] == "clawmemory"
    lance = plugin(r, "memory-lancedb")
    assert lance["enabled"] and not lance["selected"] and not lance["active"] and "memory slot set to" in lance["note"]


def test_no_config_and_broken_config(tmp_path: Path) -> None:
    r = backend_report(tmp_path / "absent.json", daemon_url="http://127.0.0.1:9", timeout=0.5)
    assert not r.config_found and r.memory_slot == "memory-core" and not r.memory_slot_explicit
    assert [p["id"] for p in r.memory_plugins] == ["memory-core"]
    assert r.clawmemory["daemon"]["ok"] is False and not r.clawmemory["ready"]
    assert not r.capture["installed"] and not r.fallback["capture_continues"]
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json5")
    r = backend_report(broken, daemon_url="http://127.0.0.1:9", timeout=0.5)
    assert r.config_found and "JSON5" in r.config_error


def test_cli_backend(tmp_path: Path, daemon: Daemon, capsys) -> None:
    cfg = installed(tmp_path, daemon)
    assert main(["backend", "--config", str(cfg), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["memory_slot"] == "clawmemory" and data["clawmemory"]["ready"] is True
    assert {p["id"] for p in data["memory_plugins"]} == {"clawmemory", "memory-core"}
    assert main(["backend", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "memory slot" in out and "memory-core" in out and "clawmemory-observations.jsonl" in out
