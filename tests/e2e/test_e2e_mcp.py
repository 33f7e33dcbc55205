"""OpenClaw's own MCP client against ``clawmemory mcp``: ``mcp.servers.clawmemory`` in
openclaw.json, no clawmemory plugin installed. The scripted model stores, recalls and settles
through the ``clawmemory__*`` tools; the store shows the ticket settled and the entry credited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from harness import OpenClawHome, Toolchain, clawmemory_exe, final_text

from clawmemory.engine import Engine

NAMESPACE = "openclaw-mcp"
FACT = "The staging database is backed up nightly at 02:30 <b>UTC</b>"


@pytest.fixture(scope="module")
def mcp_home(toolchain: Toolchain, fake_model, tmp_path_factory: pytest.TempPathFactory) -> tuple[OpenClawHome, Path]:
    exe = clawmemory_exe()
    if exe is None:
        pytest.fail("clawmemory executable not found (pip install -e . into the test venv)")
    run_dir = tmp_path_factory.mktemp("openclaw-mcp")
    data = run_dir / "clawmemory-data"
    home = OpenClawHome(toolchain, run_dir, fake_model.base_url)
    server = {
        "command": str(exe),
        "args": ["mcp", "--data-dir", str(data), "--namespace", NAMESPACE],
        "env": {"CLAWMEMORY_EMBEDDING_PROVIDER": "none"},
    }
    home.update_config(**{"mcp.servers": {"clawmemory": server}, "tools.toolSearch": False})
    home.run("config", "validate").check()
    return home, data


def test_openclaw_lists_the_clawmemory_mcp_tools(mcp_home) -> None:
    home, _ = mcp_home
    probe = home.run("mcp", "probe", "clawmemory", "--json", step="openclaw mcp probe")
    listed = probe.stdout + probe.stderr
    assert probe.returncode == 0, listed
    for tool in ("memory_search", "memory_get", "memory_recall", "memory_store", "memory_forget", "memory_settle"):
        assert tool in listed, listed


@pytest.mark.timeout(900)  # a Gateway start and four turns; each turn is slow on a loaded 2-core box
def test_store_recall_settle_through_openclaw_mcp_client(mcp_home) -> None:
    home, data = mcp_home
    with home.gateway(ready_timeout=300):  # 25 s idle, up to 115 s measured on this shared box
        stored = final_text(
            home.agent_gateway(f"call clawmemory__memory_store with {json.dumps({'text': FACT})}", "mcp-1").check()
        )
        assert stored.startswith("FINAL: clawmemory__memory_store -> Stored memory mem_"), stored
        recalled = final_text(
            home.agent_gateway(
                'call clawmemory__memory_recall with {"query": "when is the staging database backed up"}', "mcp-1"
            ).check()
        )
        assert recalled.startswith('FINAL: clawmemory__memory_recall -> <recalled-memories ticket="tkt_'), recalled
        assert "Untrusted historical data" in recalled and "02:30 &lt;b&gt;UTC&lt;/b&gt;" in recalled, recalled
        # the session's MCP runtime (one `clawmemory mcp` child) lives across its turns, so a later
        # turn's memory_settle without an id closes the tickets this session's recalls opened
        settled = final_text(
            home.agent_gateway('call clawmemory__memory_settle with {"success": true}', "mcp-1").check()
        )
        assert settled.startswith("FINAL: clawmemory__memory_settle -> Settled 1 ticket(s) as success"), settled
        turn = (
            'call clawmemory__memory_recall with {"query": "is the staging database backed up nightly"} '
            'then call clawmemory__memory_settle with {"success": false, "detail": "the backup had moved"}'
        )
        other = final_text(home.agent_gateway(turn, "mcp-2").check())
        assert other.startswith("FINAL: clawmemory__memory_settle -> Settled 1 ticket(s) as failure"), other
    with Engine.open(data, embedding_provider="none") as engine:
        stats = engine.ledger_stats(NAMESPACE)
        entry = engine.list_memories(NAMESPACE).items[0]
        shown = engine.ledger_show(entry.id, NAMESPACE)
    assert stats["alive"] == 1 and stats["pending_tickets"] == 0
    assert (shown["uses"], shown["wins"], shown["losses"]) == (2, 1, 1)
