"""`clawmemory openclaw install/uninstall` on temporary openclaw.json files."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import json5
import pytest

from clawmemory.openclaw import cli as oc_cli
from clawmemory.openclaw.config import OpenClawConfigError, find_config_path, load_config
from clawmemory.openclaw.install import find_plugin_dir, install, read_install_state, uninstall

PLUGIN = find_plugin_dir()
JSON5_CONFIG = """{
  // my OpenClaw config
  agents: { defaults: { model: { primary: "fake/fake-model" } } },
  plugins: {
    slots: { memory: "memory-lancedb" },
    entries: { "memory-lancedb": { enabled: true, config: { dbPath: "~/x" } }, },
  },
}
"""


@pytest.fixture()
def cfg(tmp_path: Path) -> Path:
    return tmp_path / "state" / "openclaw.json"


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    return tmp_path / "cm-data"


def _install(cfg: Path, data: Path, **kw):
    kw.setdefault("openclaw", False)
    kw.setdefault("clawmemory_command", "/opt/cm/bin/clawmemory")
    return install(cfg, data_dir=data, **kw)


def _read(cfg: Path) -> dict:
    return json5.loads(cfg.read_text())


def backups(cfg: Path) -> list[Path]:
    return sorted(cfg.parent.glob(cfg.name + ".clawmemory-backup-*"))


def test_install_into_missing_config_creates_everything(cfg: Path, data: Path) -> None:
    r = _install(cfg, data)
    assert r.changed and r.method == "config" and r.backup_path is None
    c = _read(cfg)
    p = c["plugins"]
    assert p["slots"] == {"memory": "clawmemory", "contextEngine": "clawmemory"}
    assert p["load"]["paths"] == [str(PLUGIN)]
    e = p["entries"]["clawmemory"]
    assert e["enabled"] is True
    assert e["hooks"] == {"allowConversationAccess": True}
    assert e["config"] == {
        "daemonUrl": "http://127.0.0.1:7411",
        "dataDir": str(data.resolve()),
        "tokenFile": str(data.resolve() / "token"),
        "clawmemoryCommand": "/opt/cm/bin/clawmemory",
    }
    assert data.is_dir()
    assert "memory-core" not in p["entries"]
    assert any("memory-core stays enabled" in n for n in r.notes)


def test_install_reads_json5_backs_up_and_keeps_other_settings(cfg: Path, data: Path) -> None:
    cfg.parent.mkdir(parents=True)
    cfg.write_text(JSON5_CONFIG)
    r = _install(cfg, data, disable_memory_core=True, daemon_url="http://127.0.0.1:9999/")
    [b] = backups(cfg)
    assert b.read_text() == JSON5_CONFIG and r.backup_path == str(b)
    c = json.loads(cfg.read_text())  # written back as plain JSON
    assert c["agents"]["defaults"]["model"]["primary"] == "fake/fake-model"
    assert c["plugins"]["entries"]["memory-lancedb"] == {"enabled": True, "config": {"dbPath": "~/x"}}
    assert c["plugins"]["entries"]["memory-core"] == {"enabled": False}
    assert c["plugins"]["entries"]["clawmemory"]["config"]["daemonUrl"] == "http://127.0.0.1:9999"
    [peer] = r.peers
    assert peer["id"] == "memory-lancedb" and peer["held_memory_slot"] and peer["enabled"]
    assert "plugins.slots.memory: memory-lancedb -> clawmemory" in r.changes


def test_install_twice_changes_nothing(cfg: Path, data: Path) -> None:
    _install(cfg, data, disable_memory_core=True)
    text = cfg.read_text()
    r = _install(cfg, data, disable_memory_core=True)
    assert not r.changed and r.diff == "" and r.changes == [] and r.method == "none"
    assert cfg.read_text() == text
    assert backups(cfg) == []  # the first install had no file to back up; the second wrote nothing


def test_dry_run_writes_nothing_and_returns_a_diff(cfg: Path, data: Path) -> None:
    cfg.parent.mkdir(parents=True)
    cfg.write_text(JSON5_CONFIG)
    r = _install(cfg, data, dry_run=True)
    assert r.dry_run and r.changed
    assert cfg.read_text() == JSON5_CONFIG and backups(cfg) == [] and not data.exists()
    assert r.diff.startswith(f"--- {cfg} (current)\n+++ {cfg} (new)\n")
    assert '+      "memory": "clawmemory",' in r.diff
    assert "-  // my OpenClaw config" in r.diff


def test_uninstall_restores_the_previous_slots_and_memory_core(cfg: Path, data: Path) -> None:
    cfg.parent.mkdir(parents=True)
    cfg.write_text(JSON5_CONFIG)
    _install(cfg, data, disable_memory_core=True)
    state = read_install_state(data.resolve())
    prev = state["configs"][str(cfg)]["previous"]
    assert prev["slots"]["memory"] == {"present": True, "value": "memory-lancedb"}
    assert prev["slots"]["contextEngine"] == {"present": False}
    _install(cfg, data, disable_memory_core=True)  # a second install must not overwrite the record
    assert read_install_state(data.resolve()) == state

    r = uninstall(cfg, openclaw=False)
    assert r.changed
    c = _read(cfg)
    assert c["plugins"]["slots"] == {"memory": "memory-lancedb"}
    assert "clawmemory" not in c["plugins"]["entries"]
    assert "memory-core" not in c["plugins"]["entries"]
    assert c["plugins"]["load"]["paths"] == []
    assert str(cfg) not in read_install_state(data.resolve()).get("configs", {})
    assert uninstall(cfg, openclaw=False).changed is False


def test_uninstall_drops_a_slot_naming_a_plugin_that_is_gone(cfg: Path, data: Path) -> None:
    cfg.parent.mkdir(parents=True)
    cfg.write_text(json.dumps({"plugins": {"slots": {"memory": "openclaw-remnic"}}}))
    _install(cfg, data)
    r = uninstall(cfg, openclaw=False)
    assert "slots" not in _read(cfg)["plugins"] or "memory" not in _read(cfg)["plugins"]["slots"]
    assert any("openclaw-remnic" in n for n in r.notes)


def test_install_replaces_a_stale_plugin_path_and_fixes_allow_deny(cfg: Path, data: Path, tmp_path: Path) -> None:
    old = tmp_path / "old-checkout" / "plugins" / "openclaw"
    old.mkdir(parents=True)
    (old / "openclaw.plugin.json").write_text('{"id": "clawmemory"}')
    other = tmp_path / "other-plugin"
    other.mkdir()
    cfg.parent.mkdir(parents=True)
    cfg.write_text(
        json.dumps({"plugins": {"load": {"paths": [str(old), str(other)]}, "allow": ["x"], "deny": ["clawmemory"]}})
    )
    r = _install(cfg, data)
    p = _read(cfg)["plugins"]
    assert p["load"]["paths"] == [str(other), str(PLUGIN)]
    assert p["allow"] == ["x", "clawmemory"] and p["deny"] == []
    assert any("older clawmemory plugin path" in c for c in r.changes)


def test_install_uses_the_openclaw_cli_when_given(cfg: Path, data: Path, tmp_path: Path) -> None:
    """A stand-in `openclaw` that records its arguments and links the plugin like the real one."""
    calls = tmp_path / "calls.jsonl"
    fake = tmp_path / "openclaw"
    fake.write_text(f"""#!{sys.executable}
import json, os, sys
with open({str(calls)!r}, "a") as f:
    f.write(json.dumps({{"argv": sys.argv[1:], "config": os.environ.get("OPENCLAW_CONFIG_PATH")}}) + "\\n")
p = os.environ["OPENCLAW_CONFIG_PATH"]
c = json.load(open(p)) if os.path.exists(p) else {{}}
pl = c.setdefault("plugins", {{}})
pl.setdefault("load", {{}}).setdefault("paths", []).append(sys.argv[4])
pl.setdefault("entries", {{}})["clawmemory"] = {{"enabled": True}}
pl["slots"] = {{"memory": "clawmemory", "contextEngine": "clawmemory"}}
json.dump(c, open(p, "w"))
print("Linked plugin path: " + sys.argv[4])
""")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    cfg.parent.mkdir(parents=True)
    cfg.write_text("{}")
    r = _install(cfg, data, openclaw=str(fake))
    assert r.method == "openclaw-cli" and "Linked plugin path" in (r.openclaw_output or "")
    [call] = [json.loads(line) for line in calls.read_text().splitlines()]
    assert call == {
        "argv": ["plugins", "install", "--link", str(PLUGIN), "--force", "--accept-capabilities"],
        "config": str(cfg),
    }
    e = _read(cfg)["plugins"]["entries"]["clawmemory"]
    assert e["hooks"]["allowConversationAccess"] is True and e["config"]["dataDir"] == str(data.resolve())
    assert _read(cfg)["plugins"]["load"]["paths"] == [str(PLUGIN)]


def test_broken_config_is_refused(cfg: Path, data: Path) -> None:
    cfg.parent.mkdir(parents=True)
    cfg.write_text("{ plugins: ")
    with pytest.raises(OpenClawConfigError, match="cannot parse"):
        _install(cfg, data)
    assert cfg.read_text() == "{ plugins: "


def test_cli_bad_input_is_one_line_and_exit_2(cfg: Path, data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg.parent.mkdir(parents=True)
    cfg.write_text("[1, 2]")
    assert oc_cli.main(["install", "--config", str(cfg), "--data-dir", str(data), "--no-openclaw-cli"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert (
        oc_cli.main(
            [
                "install",
                "--config",
                str(tmp := cfg.with_name("ok.json")),
                "--data-dir",
                str(data),
                "--daemon-url",
                "ftp://nope",
                "--no-openclaw-cli",
            ]
        )
        == 2
    )
    assert not tmp.exists()


def test_cli_json_output(cfg: Path, data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        oc_cli.main(
            [
                "install",
                "--config",
                str(cfg),
                "--data-dir",
                str(data),
                "--no-openclaw-cli",
                "--json",
                "--disable-memory-core",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["changed"] is True and out["config_path"] == str(cfg) and out["method"] == "config"
    assert oc_cli.main(["uninstall", "--config", str(cfg), "--no-openclaw-cli", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["changed"] is True


def test_find_config_path_follows_openclaw_rules(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path / "h")}
    assert find_config_path(env=env) == tmp_path / "h" / ".openclaw" / "openclaw.json"
    env["OPENCLAW_HOME"] = str(tmp_path / "oh")
    assert find_config_path(env=env) == tmp_path / "oh" / ".openclaw" / "openclaw.json"
    env["OPENCLAW_STATE_DIR"] = str(tmp_path / "st")
    assert find_config_path(env=env) == tmp_path / "st" / "openclaw.json"
    env["OPENCLAW_CONFIG_PATH"] = str(tmp_path / "c.json")
    assert find_config_path(env=env) == tmp_path / "c.json"
    assert find_config_path(tmp_path / "x.json", env=env) == tmp_path / "x.json"


def test_written_config_keeps_file_mode(cfg: Path, data: Path) -> None:
    cfg.parent.mkdir(parents=True)
    cfg.write_text("{}")
    os.chmod(cfg, 0o640)
    _install(cfg, data)
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o640
    assert load_config(cfg).data["plugins"]["slots"]["memory"] == "clawmemory"


def test_the_wheel_ships_every_file_of_both_plugins() -> None:
    """pyproject's data-files put the plugins under <prefix>/share/clawmemory/plugins/, where
    find_plugin_dir looks when there is no source checkout: every file a plugin needs (all
    but its tests) must match one of those globs."""
    import tomllib

    root = PLUGIN.parent.parent
    data_files = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    shipped = {
        (root / f).resolve(): Path(target) for target, globs in data_files.items() for g in globs for f in root.glob(g)
    }
    for name in ("openclaw", "openclaw-capture"):
        plugin = root / "plugins" / name
        needed = [f for f in plugin.rglob("*") if f.is_file() and "test" not in f.relative_to(plugin).parts]
        assert needed
        for f in needed:
            assert shipped.get(f.resolve()) == Path("share/clawmemory/plugins") / name / f.relative_to(plugin).parent, f
