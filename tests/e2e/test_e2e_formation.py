"""Memory formation through real OpenClaw turns: a preference stated in a turn becomes a
memory without any tool call; a later turn that changes it supersedes it; memory_search
(the route the plugin's tool calls) returns the new value first and marks the old one."""

from __future__ import annotations

import time

import pytest
from conftest import skip_if_missing
from harness import Daemon, OpenClawHome, final_text

NS = "main"  # the plugin's namespace for agent "main"


def _memories(daemon: Daemon, query: str) -> list[dict]:
    with daemon.client() as c:
        r = c.post("/v1/tools/memory_search", json={"namespace": NS, "params": {"query": query, "corpus": "memory"}})
    r.raise_for_status()
    return r.json()["details"]["results"]


def _wait_for(daemon: Daemon, query: str, word: str, timeout: float = 60) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        results = _memories(daemon, query)
        if results and word in results[0]["snippet"]:
            return results
        time.sleep(0.5)
    raise AssertionError(f"no memory with {word!r} for {query!r} after {timeout}s: {results}")


@pytest.mark.timeout(600)  # two real OpenClaw turns plus background formation, on a loaded 2-core box
def test_a_preference_forms_and_is_superseded(oc_home: OpenClawHome, daemon: Daemon) -> None:
    skip_if_missing(daemon, ("POST", "/v1/context/commitTurn"), ("POST", "/v1/tools/memory_search"))
    first = oc_home.agent_local(
        "For my morning coffee I really prefer a dark roast from Ethiopia.", session_key="e2e-form-1"
    ).check()
    assert final_text(first) == "FINAL: ok"  # no tool was called
    [formed, *_] = _wait_for(daemon, "morning coffee roast", "dark roast")
    assert formed["valid_to"] is None and formed["valid_from"]

    second = oc_home.agent_local(
        "Actually I switched my morning coffee to a light roast from Kenya now.", session_key="e2e-form-2"
    ).check()
    assert final_text(second) == "FINAL: ok"
    results = _wait_for(daemon, "morning coffee roast", "light roast")
    old = [r for r in results if r["path"] == formed["path"]]
    assert old and old[0]["valid_to"] and old[0]["superseded_by"] == results[0]["path"].split("/", 1)[1]
    assert results.index(old[0]) > 0
