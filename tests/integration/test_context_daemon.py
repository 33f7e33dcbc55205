"""The context engine through the real daemon: POST /v1/context/{method} as the
OpenClaw plugin calls it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from support.conversations import PLANTED, agent, planted, user

pytestmark = pytest.mark.integration

NS = "main"


def envelope(ws, params, **session):
    return {"namespace": NS, "session": {"agentId": "main", "workspaceDir": str(ws), **session}, "params": params}


def test_a_turn_through_the_plugin_routes(daemon, tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    t0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    turn = [
        user("Let's go with PostgreSQL 16 for the ledger database.", t0),
        agent("Done: PostgreSQL 16 it is.", t0.replace(minute=1)),
    ]
    with daemon.client() as c:
        r = c.post(
            "/v1/context/bootstrap",
            json=envelope(ws, {"sessionId": "sid-1", "sessionKey": "agent:main:k", "sessionFile": "x"}),
        )
        assert r.status_code == 200 and r.json()["bootstrapped"] is True
        assert NS in [n["name"] for n in c.get("/v1/namespaces").json()["namespaces"]]
        r = c.post("/v1/context/assemble", json=envelope(ws, {"sessionId": "sid-1", "messages": [], "prompt": "hi"}))
        assert r.status_code == 200 and r.json()["estimatedTokens"] == 0 and "messages" not in r.json()
        body = envelope(
            ws,
            {
                "sessionId": "sid-1",
                "sessionKey": "agent:main:k",
                "advancementKey": "adv-1",
                "admission": {"entryId": "e1"},
                "terminal": {"entryId": "e2"},
                "messages": turn,
            },
        )
        assert c.post("/v1/context/commitTurn", json=body).json()["status"] == "committed"
        assert c.post("/v1/context/commitTurn", json=body).json() == {"status": "duplicate", "stored": 0}
        hits = c.post("/v1/search", json={"query": "ledger database", "namespace": NS}).json()["results"]
        assert any("PostgreSQL 16" in h["text"] for h in hits)
        files = list((ws / "memory" / "daily").glob("*.md"))
        assert len(files) == 1 and files[0].read_text().count("PostgreSQL 16 for the ledger") == 1
        r = c.post(
            "/v1/context/compact",
            json=envelope(ws, {"sessionId": "sid-2", "sessionKey": "k2", "force": True, "messages": planted()}),
        )
        out = r.json()
        assert out["ok"] and out["compacted"]
        assert set(out["result"]) >= {"summary", "tokensBefore", "tokensAfter", "details"}
        for phrase in PLANTED["decisions"] + PLANTED["preferences"]:
            assert phrase in out["result"]["summary"]
        r = c.post("/v1/context/ingest", json=envelope(ws, {"sessionId": "sid-3", "message": user("x y z", t0)}))
        assert r.json() == {"ingested": True}
        r = c.post(
            "/v1/context/afterTurn",
            json=envelope(ws, {"sessionId": "sid-3", "sessionFile": "f", "messages": turn, "prePromptMessageCount": 0}),
        )
        assert r.json()["status"] == "committed"


def _error(r, status, field=None):
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["message"]
    if field:
        assert err["field"] == field, err
    return err


def test_malformed_payloads_get_clear_errors_and_write_nothing(daemon, tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    good = [user("fine", datetime(2026, 11, 20, tzinfo=UTC))]
    with daemon.client() as c:
        _error(
            c.post("/v1/context/commitTurn", json=envelope(ws, {"advancementKey": "a", "messages": good})),
            422,
            "params.sessionId",
        )
        _error(
            c.post("/v1/context/assemble", json=envelope(ws, {"sessionId": "s", "messages": "nope"})),
            422,
            "params.messages",
        )
        _error(
            c.post(
                "/v1/context/commitTurn",
                json=envelope(
                    ws,
                    {"sessionId": "s", "advancementKey": "a", "messages": good + [{"role": "robot", "content": "hi"}]},
                ),
            ),
            422,
            "params.messages[1].role",
        )
        _error(c.post("/v1/context/commitTurn", json={"namespace": NS, "session": {}}), 422, "params")
        _error(c.post("/v1/context/commitTurn", json={**envelope(ws, {}), "extra": 1}), 422, "extra")
        _error(
            c.post(
                "/v1/context/assemble",
                json={**envelope(ws, {"sessionId": "s", "messages": []}), "namespace": "Not Valid"},
            ),
            422,
            "namespace",
        )
        assert _error(c.post("/v1/context/dispose", json=envelope(ws, {"sessionId": "s"})), 404)["code"] == "not_found"
        big = (
            b'{"namespace": "main", "session": {}, "params": {"sessionId": "s", "messages": ["'
            + b"x" * (50 * 1024 * 1024)
            + b'"]}}'
        )
        r = c.post("/v1/context/commitTurn", content=big, headers={"content-type": "application/json"})
        assert _error(r, 413)["code"] == "body_too_large"
        assert NS not in [n["name"] for n in c.get("/v1/namespaces").json()["namespaces"]]
        assert not (ws / "memory").exists()
        assert c.get("/health").json()["counts"]["messages"] == 0
