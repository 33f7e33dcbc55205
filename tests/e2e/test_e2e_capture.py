"""The clawmemory-capture sidecar on a real OpenClaw 2026.9.6 Gateway.

With the capture plugin installed next to clawmemory, a tool call produces an annotated
observation line; with the memory slot switched back to memory-core (no uninstall) capture
goes on and the annotation says so; `clawmemory ingest` then makes the lines searchable
(`corpus: "observations"` through the daemon's hybrid search).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from harness import REPO, Daemon, OpenClawHome, clawmemory_cli, final_text

CAPTURE_DIR = REPO / "plugins" / "openclaw-capture"
CAPTURE_ID = "clawmemory-capture"
FACT = "The zebra crossing audit happens every Thursday at 09:30"


@pytest.fixture(scope="module")
def cap_home(oc_home: OpenClawHome) -> OpenClawHome:
    """This module's OpenClaw (clawmemory installed and selected) plus the capture plugin."""
    # memory-core's tools are bundled ones that Tool Search would hide; offer every tool directly
    oc_home.update_config(**{"tools.toolSearch": False})
    args = ("plugins", "install", "--link", str(CAPTURE_DIR), "--force", "--accept-capabilities")
    run = oc_home.run(*args, step="openclaw plugins install --link capture")
    if run.returncode != 0 and "plugins registry --refresh" in run.stderr:
        # another plugin's files changed since they were recorded (e.g. edited mid-run): OpenClaw's advice
        oc_home.run("plugins", "registry", "--refresh").check()
        run = oc_home.run(*args, step="openclaw plugins install --link capture")
    run.check()
    return oc_home


def observation_file(home: OpenClawHome) -> Path:
    found = sorted(home.run_dir.glob("**/memory/clawmemory-observations.jsonl"))
    assert len(found) == 1, f"expected one observations file under {home.run_dir}, found {found}"
    return found[0]


def lines(home: OpenClawHome) -> list[dict]:
    return [json.loads(line) for line in observation_file(home).read_text().splitlines() if line.strip()]


def test_capture_is_a_utility_that_owns_no_slot(cap_home: OpenClawHome) -> None:
    plugins = cap_home.read_config()["plugins"]
    assert plugins["slots"] == {"memory": "clawmemory", "contextEngine": "clawmemory"}  # untouched
    assert plugins["entries"][CAPTURE_ID]["enabled"] is True
    assert str(CAPTURE_DIR) in plugins["load"]["paths"]
    data = (
        cap_home.run("plugins", "inspect", CAPTURE_ID, "--runtime", "--json", step="openclaw plugins inspect --runtime")
        .check()
        .json()
    )
    assert [h["name"] for h in data["typedHooks"]] == ["tool_result_persist"]
    assert data["tools"] == []
    assert data["plugin"]["enabled"] is True and not data["plugin"].get("memorySlotSelected")
    assert data["diagnostics"] == [], data["diagnostics"]


def test_tool_calls_are_captured_and_annotated_across_a_slot_switch(cap_home: OpenClawHome, daemon: Daemon) -> None:
    # 1. clawmemory owns the memory slot: a memory_store through the Gateway
    with cap_home.gateway():
        run = cap_home.agent_gateway(f"call memory_store with {json.dumps({'text': FACT})}", "cap-1").check()
    assert final_text(run).startswith("FINAL: memory_store ->"), final_text(run)
    first = [o for o in lines(cap_home) if o["tool_name"] == "memory_store"]
    assert len(first) == 1, lines(cap_home)
    o = first[0]
    assert o["session_key"] == "agent:main:cap-1" and o["agent_id"] == "main" and o["tool_call_id"]
    assert o["kind"] == "tool" and o["is_synthetic"] is False and o["summary"].startswith("memory_store")
    assert o["detail"] == {
        "memory_backend": "clawmemory",
        "memory_backend_ready": True,
        "memory_backend_mode": "auto",
        "memory_tool": True,
        "memory_operation": "store",
    }

    # 2. back to memory-core, nothing uninstalled: capture goes on and says so
    cap_home.update_config(**{"plugins.slots.memory": "memory-core", "plugins.entries.memory-core.enabled": True})
    cap_home.run("config", "validate").check()
    with cap_home.gateway():
        run = cap_home.agent_gateway('call memory_search with {"query": "zebra crossing audit"}', "cap-2").check()
    assert final_text(run).startswith("FINAL: memory_search ->"), final_text(run)
    second = [o for o in lines(cap_home) if o["session_key"] == "agent:main:cap-2"]
    assert [o["tool_name"] for o in second] == ["memory_search"], second
    assert second[0]["detail"] == {
        "memory_backend": "memory-core",
        "memory_backend_ready": True,
        "memory_backend_mode": "auto",
        "memory_tool": True,
        "memory_operation": "search",
    }

    backend = (
        clawmemory_cli(["backend", "--config", str(cap_home.config_path), "--json"], env=cap_home.env).check().json()
    )
    assert backend["memory_slot"] == "memory-core" and backend["context_engine_slot"] == "clawmemory"
    assert backend["capture"]["enabled"] and backend["capture"]["annotates_as"] == "memory-core"
    assert backend["clawmemory"]["ready"] is True
    assert [f["path"] for f in backend["capture"]["files"]] == [str(observation_file(cap_home))]

    # 3. ingest, then find the observations by search (daemon, hybrid pipeline)
    file = observation_file(cap_home)
    ingest = clawmemory_cli(["ingest", str(file), "--data-dir", str(daemon.data_dir), "--json"], env=cap_home.env)
    result = ingest.check().json()
    assert result["added"] == len(lines(cap_home)) and result["errors"] == 0
    again = clawmemory_cli(["ingest", str(file), "--data-dir", str(daemon.data_dir), "--json"], env=cap_home.env)
    assert again.check().json()["added"] == 0
    with daemon.client() as c:
        for o in (first[0], second[0]):
            query = " ".join(re.sub(r"[^\w]+", " ", o["summary"]).split()[:12])  # words only, no query syntax
            r = c.post("/v1/search", json={"query": query, "namespace": "main", "corpus": "observations"})
            assert r.status_code == 200, r.text
            hits = r.json()["results"]
            assert hits and hits[0]["corpus"] == "observation", hits
            # The Gateway may replay a tool call (same summary, new call id), and the two
            # observations share the stored memory's id (memory_search's result names it), so
            # ours must be among the few best hits, not necessarily the first.
            top = hits[:3]
            ours = [h for h in top if h["extra"]["tool_call_id"] == o["tool_call_id"]]
            assert ours and ours[0]["text"].startswith(o["tool_name"]), (o, top)
            assert ours[0]["extra"]["memory_backend"] == o["detail"]["memory_backend"]
