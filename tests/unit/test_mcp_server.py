"""The MCP server in-process (the SDK's client on its in-memory transport) over a real Engine:
one schema source with the OpenClaw tool route, the same text the plugin's model gets, and
per-client namespaces and tickets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp_types import Implementation

from clawmemory.api.routes_tools import TOOLS
from clawmemory.engine import Engine
from clawmemory.mcp.server import build_server
from clawmemory.mcp.tools import MCP_TOOLS


@pytest.fixture()
def engine(home: Path) -> Iterator[Engine]:
    with Engine.open(home, embedding_provider="none") as eng:
        yield eng


def call(
    engine: Engine,
    steps: list[tuple[str, dict[str, Any]]],
    *,
    namespace: str | None = "agent-a",
    tag: str = "run-1",
    client: str = "test-client",
) -> list[Any]:
    """Connect one client (legacy handshake), run the tool calls, return the results."""
    server = build_server(engine, lambda ctx: (namespace, tag))

    async def run() -> list[Any]:
        info = Implementation(name=client, version="1")
        async with Client(server, mode="legacy", client_info=info) as c:
            return [await c.call_tool(name, args) for name, args in steps]

    return anyio.run(run)


def listed_schemas(engine: Engine) -> dict[str, dict[str, Any]]:
    async def run() -> dict[str, dict[str, Any]]:
        async with Client(build_server(engine, lambda ctx: (None, None)), mode="legacy") as c:
            return {t.name: t.input_schema for t in (await c.list_tools()).tools}

    return anyio.run(run)


def test_tool_schemas_are_the_plugin_routes_models(engine):
    schemas = listed_schemas(engine)
    assert set(schemas) == set(TOOLS) | {"memory_settle"}
    for name, (model, _) in TOOLS.items():
        assert schemas[name] == model.model_json_schema(by_alias=True)
    assert schemas["memory_get"]["properties"]["from"]["anyOf"][0]["minimum"] == 1  # the alias, not from_
    assert set(schemas["memory_settle"]["properties"]) == {"success", "delta", "ticketId", "detail"}


def test_recall_text_is_the_plugin_route_text(engine):
    stored, recalled = call(
        engine,
        [
            ("memory_store", {"text": "Ship reviews go to <b>Dana</b> & Lee"}),
            ("memory_recall", {"query": "ship reviews go to whom"}),
        ],
    )
    mcp_text = recalled.content[0].text
    _, route = TOOLS["memory_recall"]
    plugin_text = route(engine, "agent-a", {"sessionKey": "other"}, {"query": "ship reviews go to whom"})["content"]
    assert "&lt;b&gt;Dana&lt;/b&gt; &amp; Lee" in mcp_text and recalled.structured_content is None
    unticketed = [re.sub(r'ticket="tkt_\w+"', "ticket=T", t) for t in (mcp_text, plugin_text)]
    assert unticketed[0] == unticketed[1]


def test_arguments_are_validated_by_the_same_models(engine):
    results = call(
        engine,
        [
            ("memory_get", {"path": "memories/x", "from": 0}),
            ("memory_search", {"query": "x", "maxResults": 101}),
            ("memory_store", {"text": "x", "importance": 2}),
            ("memory_settle", {"delta": "lots"}),
        ],
    )
    fields = [re.search(r"\(field: (\w+)\)", r.content[0].text).group(1) for r in results]
    assert all(r.is_error for r in results) and fields == ["from", "maxResults", "importance", "delta"]
    assert MCP_TOOLS["memory_get"].arguments({"path": "p", "from": 3}) == {"path": "p", "from_": 3}


def test_settle_closes_only_this_clients_tickets(engine):
    call(engine, [("memory_store", {"question": "Which port does staging use?", "answer": "Staging uses 8443."})])
    mine = call(engine, [("memory_recall", {"query": "staging port"})], tag="run-1")
    theirs = call(engine, [("memory_recall", {"query": "staging port"})], tag="run-2")
    settled = call(
        engine,
        [("memory_settle", {"success": False, "detail": "wrong port"}), ("memory_settle", {"success": True})],
        tag="run-1",
    )
    assert settled[0].content[0].text.startswith("Settled 1 ticket(s) as failure")
    assert settled[1].content[0].text == "No open tickets to settle."
    their_ticket = re.search(r'ticket="(tkt_\w+)"', theirs[0].content[0].text).group(1)
    assert re.search(r'ticket="(tkt_\w+)"', mine[0].content[0].text).group(1) != their_ticket
    stats = engine.ledger_stats("agent-a")
    assert stats["pending_tickets"] == 1
    last = call(engine, [("memory_settle", {"ticketId": their_ticket, "success": True})], tag="run-9")
    assert last[0].content[0].text.startswith(f"Settled ticket {their_ticket}")
    assert engine.ledger_stats("agent-a")["pending_tickets"] == 0


def test_namespaces_stay_apart_and_are_created_on_first_use(engine):
    call(engine, [("memory_store", {"text": "Agent A's secret project is called Bluebird"})], namespace="agent-a")
    other = call(
        engine,
        [("memory_recall", {"query": "secret project Bluebird"}), ("memory_search", {"query": "Bluebird"})],
        namespace="agent-b",
    )
    assert other[0].content[0].text == "No relevant memory found."
    assert '"results": []' in other[1].content[0].text
    assert {"agent-a", "agent-b"} <= {s["name"] for s in engine.namespaces()}
    bad = call(engine, [("memory_store", {"text": "x"})], namespace="Bad Name!")
    assert bad[0].is_error and "namespace" in bad[0].content[0].text


def test_unknown_tool_and_resource_are_protocol_errors(engine):
    from mcp.shared.exceptions import MCPError

    async def run() -> list[str]:
        errors = []
        async with Client(build_server(engine, lambda ctx: (None, None)), mode="legacy") as c:
            for attempt in (lambda: c.call_tool("memory_nope", {}), lambda: c.read_resource("clawmemory://nope")):
                try:
                    await attempt()
                except MCPError as exc:
                    errors.append(exc.message)
        return errors

    assert [m.split(";")[0] for m in anyio.run(run)] == [
        "unknown tool 'memory_nope'",
        "unknown resource 'clawmemory://nope'",
    ]


def test_mcp_command_refuses_a_bad_namespace_in_one_line(home, capsys):
    from clawmemory.cli.main import main

    assert main(["mcp", "--namespace", "Bad Name!"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: namespace must be") and len(err.splitlines()) == 1 and not home.exists()
