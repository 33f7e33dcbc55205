"""autoRecall and autoCapture through a real OpenClaw 2026.9.6 Gateway.

- autoRecall: a fact told in session 1 reaches the model's request in session 2 with the
  user message (prependContext), without any tool call.
- autoCapture: the turn's messages are stored once, whether commitTurn (clawmemory owns
  the contextEngine slot) or agent_end (the slot is elsewhere) delivers them.
- A replayed hook (the same agent_end, the same before_prompt_build) changes nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime

import pytest
from fake_model import FakeModelServer, current_turn, text_of
from harness import Daemon, Gateway, OpenClawHome, final_text

FACT = "Note for later: our VPN gateway is vpn-ams-3 in the Amsterdam rack"
QUESTION = "what is the VPN gateway?"
LEGACY_FACT = "Note for later: the printer on floor two is called hal-9000"
pytestmark = pytest.mark.timeout(1200)  # two Gateway starts: minutes each on a loaded 2-core box


@pytest.fixture(scope="module")
def auto_home(oc_home: OpenClawHome) -> OpenClawHome:
    entry = oc_home.read_config()["plugins"]["entries"]["clawmemory"]["config"]
    oc_home.update_config(**{"plugins.entries.clawmemory.config": {**entry, "autoRecall": True, "autoCapture": True}})
    return oc_home


@pytest.fixture(scope="module")
def gateway(auto_home: OpenClawHome) -> Iterator[Gateway]:
    with auto_home.gateway(ready_timeout=400) as gw:  # a loaded 2-core box takes minutes
        yield gw


def stored(daemon: Daemon, session_key: str, text: str) -> int:
    with sqlite3.connect(f"file:{daemon.data_dir / 'clawmemory.db'}?mode=ro", uri=True) as db:
        return db.execute(
            "SELECT count(*) FROM messages WHERE session_key = ? AND text LIKE ?", (session_key, f"%{text}%")
        ).fetchone()[0]


def turns(daemon: Daemon, method: str) -> int:
    with sqlite3.connect(f"file:{daemon.data_dir / 'clawmemory.db'}?mode=ro", uri=True) as db:
        return db.execute("SELECT count(*) FROM context_turns WHERE method = ?", (method,)).fetchone()[0]


def requests_with(fake_model: FakeModelServer, marker: str) -> list[dict]:
    return [r["body"] for r in fake_model.requests if marker in json.dumps(r["body"].get("messages", []))]


def test_auto_recall_reaches_a_later_session_without_a_tool_call(
    auto_home: OpenClawHome, daemon: Daemon, gateway: Gateway, fake_model: FakeModelServer
) -> None:
    assert final_text(auto_home.agent_gateway(FACT, "auto-1").check()) == "FINAL: ok"
    assert final_text(auto_home.agent_gateway(QUESTION, "auto-2").check()) == "FINAL: ok"
    reqs = requests_with(fake_model, QUESTION)
    msgs = reqs[0]["messages"]
    user, _ = current_turn(msgs)  # the user's message (OpenClaw's internal context follows it)
    assert "<clawmemory-recall>" in user and "vpn-ams-3" in user, user
    assert user.index("</clawmemory-recall>") < user.index(QUESTION)  # prepended to the user's words
    assert "vpn-ams-3" not in json.dumps(msgs[0])  # not in the system prompt: the cache keeps it
    assert not any(m["role"] == "tool" or m.get("tool_calls") for r in reqs for m in r["messages"])
    # the transcript keeps the user's words: the block does not pile up in later turns
    assert final_text(auto_home.agent_gateway("and the backup one?", "auto-2").check()) == "FINAL: ok"
    later = requests_with(fake_model, "and the backup one?")[0]["messages"]
    earlier = next(m for m in later if m["role"] == "user" and QUESTION in text_of(m["content"]))
    assert "<clawmemory-recall>" not in text_of(earlier["content"])


def test_auto_capture_stores_the_turn_once_via_commit_turn(
    auto_home: OpenClawHome, daemon: Daemon, gateway: Gateway
) -> None:
    # clawmemory owns the contextEngine slot: commitTurn and agent_end both deliver the turn
    assert stored(daemon, "agent:main:auto-1", "vpn-ams-3") == 1
    assert stored(daemon, "agent:main:auto-1", "FINAL: ok") == 1
    assert turns(daemon, "commitTurn") >= 1 and turns(daemon, "agent_end") >= 1


def test_auto_capture_via_agent_end_when_the_slot_is_elsewhere_and_replays(
    auto_home: OpenClawHome, daemon: Daemon, gateway: Gateway
) -> None:
    gateway.stop()  # the module's gateway; a new one with the legacy context engine
    auto_home.update_config(**{"plugins.slots.contextEngine": "legacy"})
    try:
        with auto_home.gateway(ready_timeout=400):
            assert final_text(auto_home.agent_gateway(LEGACY_FACT, "auto-legacy").check()) == "FINAL: ok"
    finally:
        auto_home.update_config(**{"plugins.slots.contextEngine": "clawmemory"})
    key = "agent:main:auto-legacy"
    assert stored(daemon, key, "hal-9000") == 1
    with sqlite3.connect(f"file:{daemon.data_dir / 'clawmemory.db'}?mode=ro", uri=True) as db:
        methods = {r[0] for r in db.execute("SELECT method FROM context_turns WHERE session_key = ?", (key,))}
        rows = db.execute(
            "SELECT role, text, created_at, metadata FROM messages WHERE session_key = ? ORDER BY seq", (key,)
        ).fetchall()
    assert methods == {"agent_end"}, methods  # the only path that delivered it
    # a replayed agent_end (the run's messages as it delivered them) and before_prompt_build store nothing
    sid = json.loads(rows[0][3])["session_id"]
    messages = [
        {
            "role": role,
            "content": [{"type": "text", "text": text}],
            "timestamp": int(datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp() * 1000),
        }
        for role, text, at, _ in rows
    ]
    session = {"sessionKey": key, "sessionId": sid, "agentId": "main"}
    before = stored(daemon, key, "")
    with daemon.client() as c:
        for _ in range(2):
            r = c.post(
                "/v1/hooks/before_prompt_build",
                json={"namespace": "main", "session": session, "event": {"prompt": "which printer?"}},
            )
            assert r.status_code == 200, r.text
        replay = c.post(
            "/v1/hooks/agent_end",
            json={
                "namespace": "main",
                "session": session,
                "event": {"success": True, "capture": True, "messages": messages},
            },
        )
        assert replay.status_code == 200, replay.text
        assert replay.json()["capture"]["stored"] == 0, replay.json()
    assert stored(daemon, key, "") == before
