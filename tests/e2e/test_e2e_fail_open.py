"""The daemon is down: turns still complete, nothing throws, doctor names the problem, and
what had to reach the daemon (turn commits, ledger settlement) is replayed when it is back."""

from __future__ import annotations

import json

from conftest import skip_if_missing
from harness import Daemon, OpenClawHome, clawmemory_cli, final_text


def _spool_files(daemon: Daemon) -> list[str]:
    d = daemon.data_dir / "spool" / "openclaw"
    return sorted(p.name for p in d.glob("*.json")) if d.exists() else []


def test_turn_completes_and_doctor_names_the_problem(oc_home: OpenClawHome, daemon: Daemon) -> None:
    daemon.stop()
    try:
        run = oc_home.agent_local('call memory_recall with {"query": "anything about deploys"}', session_key="down-1")
        assert run.returncode == 0, run.stderr[-3000:]
        answer = final_text(run)
        assert answer.startswith("FINAL: memory_recall ->"), answer
        assert "Memory is unavailable" in answer, answer
        log = run.stderr + (oc_home.logs / "openclaw.log").read_text(errors="replace")
        assert "clawmemory" in log and "failed open" in log
        assert "quarantin" not in log, "the context engine must not be quarantined when the daemon is down"
        assert _spool_files(daemon), "commitTurn/agent_end should be queued in the spool"

        doc = clawmemory_cli(["doctor", "--config", str(oc_home.config_path), "--json"], env=oc_home.env)
        assert doc.returncode == 1
        report = doc.json()
        assert "daemon.health" in report["problems"]
        health = next(c for c in report["checks"] if c["id"] == "daemon.health")
        assert daemon.url in health["detail"] and "clawmemory serve" in health["fix"]
    finally:
        daemon.start()


def test_spool_is_replayed_when_the_daemon_is_back(oc_home: OpenClawHome, daemon: Daemon) -> None:
    skip_if_missing(daemon, ("POST", "/v1/context/commitTurn"), ("POST", "/v1/hooks/agent_end"))
    daemon.stop()
    try:
        oc_home.agent_local("a turn while memory is down", session_key="down-2").check()
        assert _spool_files(daemon)
    finally:
        daemon.start()
    run = oc_home.agent_local("a turn after memory came back", session_key="down-2").check()
    assert final_text(run) == "FINAL: ok"
    assert _spool_files(daemon) == [], "queued calls should be replayed before new ones"


def test_bad_tool_input_is_an_error_the_model_sees(oc_home: OpenClawHome, daemon: Daemon) -> None:
    skip_if_missing(daemon, ("POST", "/v1/tools/memory_store"))
    run = oc_home.agent_local(
        f"call memory_store with {json.dumps({'source': 'no text at all'})}", session_key="bad-input"
    ).check()
    answer = final_text(run)
    assert answer.startswith("FINAL: memory_store ->"), answer
    assert "unavailable" not in answer.lower(), answer
