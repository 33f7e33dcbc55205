"""`clawmemory openclaw install` against a real, isolated OpenClaw 2026.9.6."""

from __future__ import annotations

import pytest
from conftest import install_plugin
from harness import PLUGIN_DIR, Daemon, OpenClawHome, clawmemory_cli

TOOLS = {"memory_search", "memory_get", "memory_recall", "memory_store", "memory_forget"}
OPTIONAL_TOOLS = {"clawmemory_sidecar_status", "clawmemory_sidecar_provider_config"}


def test_install_writes_config_openclaw_accepts(oc_home: OpenClawHome, daemon: Daemon) -> None:
    cfg = oc_home.read_config()
    plugins = cfg["plugins"]
    assert plugins["slots"] == {"memory": "clawmemory", "contextEngine": "clawmemory"}
    entry = plugins["entries"]["clawmemory"]
    assert entry["enabled"] is True
    assert entry["hooks"]["allowConversationAccess"] is True
    assert entry["config"]["daemonUrl"] == daemon.url
    assert entry["config"]["dataDir"] == str(daemon.data_dir)
    assert entry["config"]["tokenFile"] == str(daemon.token_file)
    assert plugins["entries"]["memory-core"]["enabled"] is False
    assert str(PLUGIN_DIR) in plugins["load"]["paths"]
    oc_home.run("config", "validate", step="openclaw config validate").check()


def test_install_is_idempotent(oc_home: OpenClawHome, daemon: Daemon) -> None:
    before = oc_home.config_path.read_text()
    dry = (
        clawmemory_cli(
            [
                "openclaw",
                "install",
                "--config",
                str(oc_home.config_path),
                "--data-dir",
                str(daemon.data_dir),
                "--daemon-url",
                daemon.url,
                "--disable-memory-core",
                "--dry-run",
                "--json",
            ],
            env=oc_home.env,
        )
        .check()
        .json()
    )
    assert dry["changed"] is False and dry["diff"] == ""
    again = install_plugin(oc_home, daemon)
    assert again["changed"] is False
    assert oc_home.config_path.read_text() == before


def test_plugin_inspect_shows_tools_hooks_engine(oc_home: OpenClawHome) -> None:
    data = (
        oc_home.run(
            "plugins", "inspect", "clawmemory", "--runtime", "--json", step="openclaw plugins inspect --runtime"
        )
        .check()
        .json()
    )
    assert {n for t in data["tools"] if not t.get("optional") for n in t["names"]} == TOOLS
    assert {n for t in data["tools"] if t.get("optional") for n in t["names"]} == OPTIONAL_TOOLS
    assert {"agent_end", "session_end"} <= {h["name"] for h in data["typedHooks"]}
    engines = [i for c in data["capabilities"] if c["kind"] == "context-engine" for i in c["ids"]]
    assert engines == ["clawmemory"]
    assert "clawmemory-daemon" in data["services"]
    assert data["plugin"]["enabled"] is True and data["plugin"]["memorySlotSelected"] is True
    assert data["diagnostics"] == [], data["diagnostics"]


def test_uninstall_restores_previous_slots(toolchain, fake_model, daemon: Daemon, tmp_path) -> None:
    home = OpenClawHome(toolchain, tmp_path / "oc", fake_model.base_url)
    cfg = home.read_config()
    cfg["plugins"] = {"slots": {"memory": "memory-core", "contextEngine": "legacy"}}
    home.write_config(cfg)
    install_plugin(home, daemon)
    assert home.read_config()["plugins"]["slots"]["memory"] == "clawmemory"
    out = (
        clawmemory_cli(["openclaw", "uninstall", "--config", str(home.config_path), "--json"], env=home.env)
        .check()
        .json()
    )
    assert out["changed"] is True
    after = home.read_config()["plugins"]
    assert after["slots"] == {"memory": "memory-core", "contextEngine": "legacy"}
    assert "clawmemory" not in (after.get("entries") or {}) or after["entries"]["clawmemory"] == {"enabled": False}
    assert str(PLUGIN_DIR) not in (after.get("load") or {}).get("paths", [])
    home.run("config", "validate").check()


@pytest.mark.parametrize("bad", ["{ not json5", "[1, 2]"])
def test_install_rejects_broken_config(toolchain, fake_model, tmp_path, bad: str) -> None:
    home = OpenClawHome(toolchain, tmp_path / "oc", fake_model.base_url)
    home.config_path.write_text(bad)
    run = clawmemory_cli(["openclaw", "install", "--config", str(home.config_path)], env=home.env)
    assert run.returncode == 2
    assert run.stderr.strip().startswith("error:") and len(run.stderr.strip().splitlines()) == 1
    assert home.config_path.read_text() == bad
