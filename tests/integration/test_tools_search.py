"""memory_search / memory_get over the real daemon, as the OpenClaw plugin calls them."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from support.daemon import Daemon

from clawmemory.engine import Engine

pytestmark = pytest.mark.integration

NS = "agent-main"
SESSION = {"sessionKey": "agent:main:main", "sessionId": "s-1", "agentId": "main"}


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    """One daemon for the module (lexical only); each test works in its own namespace."""
    home = tmp_path_factory.mktemp("tools") / "home"
    with Daemon(home, env={"CLAWMEMORY_EMBEDDING_PROVIDER": "none"}) as d:
        yield d


def call(client, tool: str, params: dict, namespace: str | None = NS, session: dict | None = None):
    body = {"session": session or SESSION, "params": params}
    if namespace is not None:
        body["namespace"] = namespace
    return client.post(f"/v1/tools/{tool}", json=body)


def test_search_creates_the_namespace_and_answers_in_memory_core_shape(daemon):
    with daemon.client() as c:
        r = call(c, "memory_search", {"query": "anything at all"}, namespace="agent-fresh")
        assert r.status_code == 200, r.text
        body = r.json()
        assert json.loads(body["content"]) == body["details"]
        assert body["details"]["results"] == [] and body["details"]["mode"] == "lexical"
        assert "agent-fresh" in {n["name"] for n in c.get("/v1/namespaces").json()["namespaces"]}


def test_collection_indexed_by_the_cli_is_searchable_and_readable_over_http(daemon, tmp_path):
    ws = tmp_path / "workspace"
    (ws / "memory").mkdir(parents=True)
    (ws / "MEMORY.md").write_text("# Memory\n\n## Deploys\nThe billing service deploys only on Tuesdays.\n")
    with daemon.client() as c:
        call(c, "memory_search", {"query": "warm up"})  # creates the namespace
        with Engine.open(daemon.home) as engine:  # another process writes into the same store
            engine.collection_add_workspace(ws, namespace=NS)
            engine.store_memory(NS, text="Alice owns the billing service")

        r = call(c, "memory_search", {"query": "when does billing deploy", "maxResults": 5})
        details = r.json()["details"]
        top = details["results"][0]
        assert (top["path"], top["source"], top["startLine"], top["endLine"]) == ("workspace/MEMORY.md", "memory", 1, 4)
        assert top["citation"] == "workspace/MEMORY.md#L1-L4"
        assert any(x["path"].startswith("memories/") for x in details["results"])

        got = call(c, "memory_get", {"path": top["path"], "from": 4, "lines": 1}).json()["details"]
        assert got == {
            "status": "ok",
            "text": "The billing service deploys only on Tuesdays.",
            "path": "workspace/MEMORY.md",
            "from": 4,
            "lines": 1,
        }
        missing = call(c, "memory_get", {"path": "memory/2026-11-21.md"})
        assert missing.status_code == 200 and missing.json()["details"]["status"] == "not_found"

        # the daily file appears after `clawmemory update`
        (ws / "memory" / "2026-11-21.md").write_text("## 09:00\nRotated the staging database password.\n")
        with Engine.open(daemon.home) as engine:
            assert engine.collection_update()["indexed"] == 1
        hits = call(c, "memory_search", {"query": "staging database", "corpus": "memory"}).json()["details"]
        assert hits["results"][0]["path"] == "workspace/memory/2026-11-21.md"

        # another namespace sees none of it
        other = call(c, "memory_search", {"query": "billing tuesdays", "corpus": "all"}, namespace="agent-other")
        assert other.json()["details"]["results"] == []
        assert (
            call(c, "memory_get", {"path": "workspace/MEMORY.md"}, namespace="agent-other").json()["details"]["status"]
            == "not_found"
        )


@pytest.mark.parametrize(
    ("tool", "params", "field"),
    [
        ("memory_search", {"query": ""}, "query"),
        ("memory_search", {"query": "x" * 100_000}, "query"),
        ("memory_search", {"query": 'say "hi'}, "query"),
        ("memory_search", {"query": "x", "corpus": "everything"}, "params.corpus"),
        ("memory_search", {"query": "x", "maxResults": 0}, "params.maxResults"),
        ("memory_search", {"query": "x", "bogus": 1}, "params.bogus"),
        ("memory_search", {}, "params.query"),
        ("memory_get", {"path": "../../etc/passwd"}, "path"),
        ("memory_get", {"path": "/etc/passwd"}, "path"),
        ("memory_get", {"path": "x.md", "from": 0}, "params.from"),
    ],
)
def test_bad_calls_are_422_with_the_field_never_500(daemon, tool, params, field):
    with daemon.client() as c:
        r = call(c, tool, params)
        assert r.status_code == 422, r.text
        err = r.json()["error"]
        assert err["code"] == "invalid_input" and err["field"] == field and err["message"]


def test_bad_namespace_and_unknown_tool(daemon):
    with daemon.client() as c:
        r = call(c, "memory_search", {"query": "x"}, namespace="Bad Name!")
        assert r.status_code == 422 and r.json()["error"]["field"] == "name"
        assert call(c, "memory_teleport", {"query": "x"}).status_code == 404
