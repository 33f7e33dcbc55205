"""`clawmemory doctor` finds each planted fault in a temporary openclaw.json, against the
real daemon on a loopback port."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.daemon import Daemon

from clawmemory.openclaw import cli as oc_cli
from clawmemory.openclaw.doctor import run_doctor
from clawmemory.openclaw.install import install

NO_TOOLS: Callable[[str], None] = lambda name: None  # noqa: E731  (node/openclaw not installed)


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    with Daemon(tmp_path_factory.mktemp("doctor") / "home") as d:
        yield d


@pytest.fixture()
def cfg(tmp_path: Path, daemon: Daemon) -> Path:
    """A config with clawmemory installed the normal way, pointing at the live daemon."""
    path = tmp_path / "openclaw.json"
    install(
        path,
        data_dir=daemon.home,
        daemon_url=daemon.url,
        disable_memory_core=True,
        openclaw=False,
        clawmemory_command="clawmemory",
    )
    return path


def edit(path: Path, fn: Callable[[dict], None]) -> None:
    data = json.loads(path.read_text())
    fn(data)
    path.write_text(json.dumps(data))


def doctor(path: Path, **kw):
    return run_doctor(path, which=NO_TOOLS, **kw)


def failing(report) -> set[str]:
    return {c.id for c in report.checks if c.ok is False}


def test_installed_setup_is_green(cfg: Path) -> None:
    r = doctor(cfg)
    assert r.ok and failing(r) == set(), [(c.id, c.detail) for c in r.checks]
    by = {c.id: c for c in r.checks}
    assert by["daemon.health"].ok and by["daemon.token"].ok and by["store.schema"].ok
    assert by["node.version"].ok is None and by["openclaw.version"].ok is None  # skipped, not failed


def test_slot_pointing_elsewhere(cfg: Path) -> None:
    edit(cfg, lambda d: d["plugins"]["slots"].update(memory="memory-core"))
    r = doctor(cfg)
    assert not r.ok and failing(r) == {"slot.memory"}
    c = r.check("slot.memory")
    assert "'memory-core'" in c.detail and "clawmemory openclaw install" in c.fix


def test_context_engine_slot_unset_means_legacy(cfg: Path) -> None:
    edit(cfg, lambda d: d["plugins"]["slots"].pop("contextEngine"))
    r = doctor(cfg)
    assert failing(r) == {"slot.contextEngine"} and "'legacy'" in r.check("slot.contextEngine").detail


def test_missing_allow_conversation_access(cfg: Path) -> None:
    edit(cfg, lambda d: d["plugins"]["entries"]["clawmemory"].pop("hooks"))
    r = doctor(cfg)
    assert not r.ok and failing(r) == {"hooks.allowConversationAccess"}
    assert "agent_end" in r.check("hooks.allowConversationAccess").detail


def test_memory_core_still_enabled_is_a_warning(cfg: Path) -> None:
    edit(cfg, lambda d: d["plugins"]["entries"].pop("memory-core"))
    r = doctor(cfg)
    c = r.check("memory_core.conflict")
    assert c.ok is False and c.severity == "warning" and "--disable-memory-core" in c.fix
    assert r.ok  # a warning does not fail the report
    assert "memory_core.conflict" in r.to_dict()["problems"]


def test_daemon_down(cfg: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = doctor(cfg, daemon_url=f"http://127.0.0.1:{port}", timeout=0.5)
    assert not r.ok and failing(r) == {"daemon.health"}
    c = r.check("daemon.health")
    assert str(port) in c.detail and "clawmemory serve" in c.fix
    assert r.check("daemon.token").ok is None


def test_wrong_token(cfg: Path, tmp_path: Path) -> None:
    bad = tmp_path / "other-token"
    bad.write_text("not-the-token\n")
    edit(cfg, lambda d: d["plugins"]["entries"]["clawmemory"]["config"].update(tokenFile=str(bad)))
    r = doctor(cfg)
    assert not r.ok and failing(r) == {"daemon.token"}
    assert "401" in r.check("daemon.token").detail


def test_missing_token_file(cfg: Path, tmp_path: Path) -> None:
    r = doctor(cfg, token_file=tmp_path / "nope")
    assert failing(r) == {"daemon.token"} and "cannot read" in r.check("daemon.token").detail


def test_plugin_entry_disabled_and_files_missing(cfg: Path, tmp_path: Path) -> None:
    def change(d: dict) -> None:
        d["plugins"]["entries"]["clawmemory"]["enabled"] = False
        d["plugins"]["load"]["paths"] = [str(tmp_path / "gone")]

    edit(cfg, change)
    r = doctor(cfg)
    assert {"plugin.entry", "plugin.files"} <= failing(r)


def test_enabled_peer_is_reported(cfg: Path) -> None:
    edit(cfg, lambda d: d["plugins"]["entries"].update({"memory-lancedb": {"enabled": True}}))
    c = doctor(cfg).check("peers")
    assert c.ok is False and "memory-lancedb" in c.detail and c.severity == "warning"


def test_missing_and_broken_config(tmp_path: Path, daemon: Daemon) -> None:
    r = doctor(tmp_path / "absent.json", daemon_url=daemon.url, data_dir=daemon.home)
    assert failing(r) == {"config.found"}
    broken = tmp_path / "broken.json"
    broken.write_text("{ plugins: ")
    r = doctor(broken, daemon_url=daemon.url, data_dir=daemon.home)
    assert failing(r) == {"config.valid"}


def test_cli_json_and_exit_codes(cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert oc_cli.main(["doctor", "--config", str(cfg), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    edit(cfg, lambda d: d["plugins"]["slots"].update(contextEngine="legacy"))
    assert oc_cli.main(["doctor", "--config", str(cfg), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["problems"] == ["slot.contextEngine"]
    assert oc_cli.main(["doctor", "--config", str(cfg)]) == 1
    assert "FAIL" in capsys.readouterr().out
