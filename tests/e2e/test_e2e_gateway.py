"""Turns through `openclaw gateway run`, and the plugin's daemon service."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
from conftest import install_plugin, skip_if_missing
from harness import Daemon, Gateway, OpenClawHome, clawmemory_cli, final_text, free_port

FACT = "Release notes are written by Dana and reviewed by Lee"


@pytest.fixture(scope="module")
def gateway(oc_home: OpenClawHome) -> Iterator[Gateway]:
    with oc_home.gateway() as gw:
        yield gw


def test_gateway_loads_the_plugin_and_finds_the_daemon(gateway: Gateway, daemon: Daemon) -> None:
    out = gateway.output()
    assert (
        f"clawmemory: active plugin=clawmemory slots=memory+contextEngine dataDir={daemon.data_dir} daemonUrl={daemon.url}"
        in out
    )
    assert "daemon already running" in out


def test_store_and_recall_through_gateway(oc_home: OpenClawHome, daemon: Daemon, gateway: Gateway) -> None:
    skip_if_missing(daemon, ("POST", "/v1/tools/memory_store"), ("POST", "/v1/tools/memory_recall"))
    stored = final_text(
        oc_home.agent_gateway(f"call memory_store with {json.dumps({'text': FACT})}", "gw-store").check()
    )
    assert stored.startswith("FINAL: memory_store ->") and "unavailable" not in stored.lower(), stored
    recalled = final_text(
        oc_home.agent_gateway('call memory_recall with {"query": "who writes the release notes"}', "gw-recall").check()
    )
    assert "Dana" in recalled, recalled
    # a second turn in the same session goes through bootstrap + assemble with history
    again = final_text(
        oc_home.agent_gateway('call memory_recall with {"query": "who reviews release notes"}', "gw-recall").check()
    )
    assert "Lee" in again, again


def test_compaction_works_through_the_engine(oc_home: OpenClawHome, gateway: Gateway) -> None:
    """compact() goes to the daemon, which may delegate to OpenClaw's built-in compaction
    (the plugin also delegates when the daemon is down or lacks the route)."""
    for msg in ("first turn to compact", "second turn to compact"):
        assert final_text(oc_home.agent_gateway(msg, "gw-compact").check()) == "FINAL: ok"
    run = oc_home.run(
        "sessions", "compact", "agent:main:gw-compact", "--json", step="openclaw sessions compact"
    ).check()
    result = run.json()
    assert result["ok"] is True, result
    out = gateway.output()
    assert "quarantin" not in out and 'degraded to "legacy"' not in out


def test_gateway_service_starts_and_stops_the_daemon(toolchain, fake_model, tmp_path) -> None:
    home = OpenClawHome(toolchain, tmp_path / "oc", fake_model.base_url)
    data_dir = tmp_path / "spawned-data"
    url = f"http://127.0.0.1:{free_port()}"
    clawmemory_cli(
        [
            "openclaw",
            "install",
            "--config",
            str(home.config_path),
            "--data-dir",
            str(data_dir),
            "--daemon-url",
            url,
            "--disable-memory-core",
            "--json",
        ],
        env=home.env,
    ).check()

    def healthy() -> bool:
        try:
            return httpx.get(f"{url}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    assert not healthy()
    with home.gateway() as gw:
        deadline = time.monotonic() + 60
        while not healthy() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert healthy(), gw.output()[-3000:]
        assert (data_dir / "token").exists()
        assert "clawmemory: started daemon pid" in gw.output() or healthy()
    deadline = time.monotonic() + 15
    while healthy() and time.monotonic() < deadline:
        time.sleep(0.3)
    assert not healthy(), "the daemon outlived the gateway"


def test_doctor_is_green_when_everything_is_wired(oc_home: OpenClawHome, daemon: Daemon) -> None:
    run = clawmemory_cli(["doctor", "--config", str(oc_home.config_path), "--json"], env=oc_home.env)
    report = run.json()
    assert run.returncode == 0, report
    assert report["ok"] is True and report["problems"] == [], report["problems"]
    by_id = {c["id"]: c for c in report["checks"]}
    assert by_id["daemon.token"]["ok"] is True
    assert by_id["openclaw.version"]["ok"] is True and "2026.9.6" in by_id["openclaw.version"]["detail"]
    assert by_id["node.version"]["ok"] is True


def test_reinstall_with_gateway_config_is_stable(oc_home: OpenClawHome, daemon: Daemon) -> None:
    assert install_plugin(oc_home, daemon)["changed"] is False
