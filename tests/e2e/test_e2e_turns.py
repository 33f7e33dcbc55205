"""Real OpenClaw turns (`openclaw agent --local`) that store and recall through clawmemory.

The scripted model reads its instructions from the user message ("call memory_store with
{...}") and answers with the last tool result, so an answer that contains the fact proves
the whole path: model -> OpenClaw -> plugin -> daemon -> store -> plugin -> model.
"""

from __future__ import annotations

import json

from conftest import skip_if_missing
from fake_model import FakeModelServer
from harness import Daemon, OpenClawHome, final_text

FACT = "The billing service is deployed only on Tuesdays after 10:00"


def _requests_for(fake_model: FakeModelServer, marker: str) -> list[dict]:
    return [r for r in fake_model.requests if marker in json.dumps(r["body"].get("messages", []))]


def test_store_then_recall_in_a_later_session(
    oc_home: OpenClawHome, daemon: Daemon, fake_model: FakeModelServer
) -> None:
    skip_if_missing(daemon, ("POST", "/v1/tools/memory_store"), ("POST", "/v1/tools/memory_recall"))

    store = oc_home.agent_local(
        f"Please remember: call memory_store with {json.dumps({'text': FACT, 'category': 'fact'})}",
        session_key="e2e-store",
    ).check()
    answer = final_text(store)
    assert answer.startswith("FINAL: memory_store ->"), answer
    assert "unavailable" not in answer.lower(), answer

    recall = oc_home.agent_local(
        'When do we deploy billing? call memory_recall with {"query": "when is the billing service deployed"}',
        session_key="e2e-recall",
    ).check()
    answer = final_text(recall)
    assert answer.startswith("FINAL: memory_recall ->"), answer
    assert "Tuesdays" in answer, answer

    # the tools were offered to the model directly, not hidden behind Tool Search
    reqs = _requests_for(fake_model, "when is the billing service deployed")
    offered = {t["function"]["name"] for t in reqs[0]["body"].get("tools", [])}
    assert {"memory_recall", "memory_store", "memory_search", "memory_get", "memory_forget"} <= offered, sorted(offered)
    # the memory prompt section reached the system prompt
    system = json.dumps(reqs[0]["body"]["messages"][0])
    assert "Long-term memory (clawmemory)" in system


def test_memory_search_finds_the_fact(oc_home: OpenClawHome, daemon: Daemon) -> None:
    skip_if_missing(daemon, ("POST", "/v1/tools/memory_store"), ("POST", "/v1/tools/memory_search"))
    oc_home.agent_local(f"call memory_store with {json.dumps({'text': FACT})}", session_key="e2e-search-store").check()
    run = oc_home.agent_local(
        'call memory_search with {"query": "billing service deployed"}', session_key="e2e-search"
    ).check()
    answer = final_text(run)
    assert answer.startswith("FINAL: memory_search ->"), answer
    assert "Tuesdays" in answer, answer


def test_context_engine_is_used_not_degraded(
    oc_home: OpenClawHome, daemon: Daemon, fake_model: FakeModelServer
) -> None:
    skip_if_missing(daemon, ("POST", "/v1/context/assemble"), ("POST", "/v1/context/commitTurn"))
    marker = "context engine probe 7f3a"
    run = oc_home.agent_local(f"{marker}: hello", session_key="e2e-ctx").check()
    assert final_text(run) == "FINAL: ok"
    log = (oc_home.logs / "openclaw.log").read_text(errors="replace") + run.stderr
    assert 'degraded to "legacy"' not in log
    assert "quarantining" not in log
    assert "could not load openclaw/plugin-sdk" not in log  # the engine found the host SDK
