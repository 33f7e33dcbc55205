"""The plugin's hook routes through the real HTTP daemon, with the bodies hooks.js sends:
autoRecall (before_prompt_build) and autoCapture (agent_end messages, stored once whichever
path delivers them)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.daemon import Daemon

pytestmark = pytest.mark.integration
ENV = {"CLAWMEMORY_EMBEDDING_PROVIDER": "none"}


def session(n: int) -> dict:
    return {"sessionKey": f"agent:main:s{n}", "sessionId": f"sid-{n}", "agentId": "main"}


def turn(t0: int) -> list[dict]:
    return [
        {
            "role": "user",
            "content": [{"type": "text", "text": "our standup moved to 09:45 on Thursdays"}],
            "timestamp": t0,
        },
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "Noted: standup 09:45 Thursdays."}],
            "timestamp": t0 + 2000,
        },
    ]


def stored(c, key: str) -> int:
    r = c.post("/v1/search", json={"query": "standup Thursdays", "namespace": "main", "corpus": "messages"})
    assert r.status_code == 200, r.text
    return sum(1 for h in r.json()["results"] if h["container"] == key)


@pytest.fixture()
def daemon(tmp_path: Path):
    with Daemon(tmp_path / "home", env=ENV) as d:
        yield d


def test_before_prompt_build_recalls_a_stored_fact_in_a_later_session(daemon):
    with daemon.client() as c:
        assert c.put("/v1/namespaces/main", json={}).status_code in (200, 201)
        r = c.post(
            "/v1/tools/memory_store",
            json={
                "namespace": "main",
                "session": session(1),
                "params": {"text": "The VPN gateway is vpn-ams-3 <b>x</b>"},
            },
        )
        assert r.status_code == 200, r.text
        body = {
            "namespace": "main",
            "session": session(2),
            "event": {"prompt": "what is the VPN gateway?", "currentUserMessage": "what is the VPN gateway?"},
        }
        out = c.post("/v1/hooks/before_prompt_build", json=body)
        assert out.status_code == 200, out.text
        block = out.json()["prependContext"]
        assert "vpn-ams-3" in block and "&lt;b&gt;x&lt;/b&gt;" in block and "untrusted" in block
        assert c.post("/v1/hooks/before_prompt_build", json=body).json()["prependContext"] == block
        bad = c.post("/v1/hooks/before_prompt_build", json={**body, "event": {"prompt": 3}})
        assert bad.status_code == 422 and bad.json()["error"]["field"].startswith("event.prompt")
        entry = c.get(f"/v1/memories/{r.json()['details']['id']}", params={"namespace": "main"}).json()
        assert entry["importance"] == 0.7  # the tool's default, as the plugin's schema says


def test_agent_end_capture_stores_the_turn_once_whichever_path_delivers_it(daemon):
    t0 = 1_790_000_000_000
    with daemon.client() as c:
        c.put("/v1/namespaces/main", json={})  # as the plugin does before its first call
        end = {
            "namespace": "main",
            "session": session(1),
            "event": {"success": True, "capture": True, "messages": turn(t0)},
        }
        first = c.post("/v1/hooks/agent_end", json=end)
        assert first.status_code == 200, first.text
        assert first.json()["capture"]["stored"] == 2
        assert c.post("/v1/hooks/agent_end", json=end).json()["capture"]["stored"] == 0  # a replay
        assert stored(c, "agent:main:s1") == 2
        # the context engine committed the turn first: agent_end then stores nothing more
        commit = c.post(
            "/v1/context/commitTurn",
            json={"namespace": "main", "session": session(2), "params": {"advancementKey": "k1", "messages": turn(t0)}},
        )
        assert commit.json()["stored"] == 2
        late = c.post("/v1/hooks/agent_end", json={**end, "session": session(2)})
        assert late.json()["capture"]["stored"] == 0
        # agent_end first, its copies stamped later than commitTurn's (as a real Gateway does)
        first_end = c.post(
            "/v1/hooks/agent_end",
            json={**end, "session": session(4), "event": {**end["event"], "messages": turn(t0 + 40_000)}},
        )
        assert first_end.json()["capture"]["stored"] == 2
        commit = c.post(
            "/v1/context/commitTurn",
            json={"namespace": "main", "session": session(4), "params": {"advancementKey": "k4", "messages": turn(t0)}},
        )
        assert commit.json()["stored"] == 0
        # the same words again in a later turn are a new turn, stored once more
        again = c.post(
            "/v1/hooks/agent_end",
            json={**end, "session": session(4), "event": {**end["event"], "messages": turn(t0 + 300_000)}},
        )
        c.post(
            "/v1/context/commitTurn",
            json={
                "namespace": "main",
                "session": session(4),
                "params": {"advancementKey": "k5", "messages": turn(t0 + 290_000)},
            },
        )
        assert again.json()["capture"]["stored"] == 2 and stored(c, "agent:main:s4") == 4
        # without capture the messages are not stored
        off = c.post(
            "/v1/hooks/agent_end", json={**end, "session": session(3), "event": {"success": True, "messages": turn(t0)}}
        )
        assert "capture" not in off.json() and stored(c, "agent:main:s3") == 0
