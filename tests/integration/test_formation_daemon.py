"""Memory formation through the real daemon: committed turns form memories in the
background; a change supersedes; history, restore and as-of search over HTTP."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from support.conversations import agent, user

pytestmark = pytest.mark.integration

NS = "main"
T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


def _commit(c, key, text, at):
    body = {
        "namespace": NS,
        "session": {"agentId": "main", "sessionKey": f"agent:main:{key}"},
        "params": {"sessionId": key, "advancementKey": key, "messages": [user(text, at), agent("Noted.", at)]},
    }
    assert c.post("/v1/context/commitTurn", json=body).json()["status"] == "committed"


def _search(c, **extra):
    return c.post(
        "/v1/search", json={"query": "backup retention days", "namespace": NS, "corpus": "memory", **extra}
    ).json()["results"]


def _until(check, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not (value := check()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return value


def test_formation_over_http(daemon):
    with daemon.client() as c:
        _commit(c, "s1", "Our backup retention is 30 days.", T0)
        [old] = _until(lambda: _search(c))
        _commit(c, "s2", "Change: backup retention is now 90 days, compliance asked.", T0 + timedelta(days=9))
        history = _until(lambda: c.get("/v1/memories/history", params={"namespace": NS}).json()["items"])
        assert [h["id"] for h in history] == [old["id"]] and history[0]["superseded_by"]
        [new] = _search(c)
        assert "90 days" in new["text"] and new["extra"]["valid_to"] is None
        [then] = _search(c, as_of="2026-05-10")
        assert then["id"] == old["id"]
        r = c.post("/v1/search", json={"query": "x", "namespace": NS, "as_of": "yesterday"})
        assert r.status_code == 422 and r.json()["error"]["field"] == "as_of"
        restored = c.post(f"/v1/memories/{old['id']}/restore", params={"namespace": NS}).json()
        assert restored["valid_to"] is None and len(_search(c)) == 2
        assert c.post("/v1/memories/mem_nope/restore", params={"namespace": NS}).status_code == 404
