"""The ledger through the real HTTP daemon: OpenClaw tool/hook routes, tickets across a
restart, 64 concurrent recalls then settles, and two daemons ("gateways") settling at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from support.daemon import Daemon

pytestmark = pytest.mark.integration
ENV = {"CLAWMEMORY_EMBEDDING_PROVIDER": "none"}
TOPICS = [
    f"service {w} runs on host {w}-{n} in region {r}"
    for n, (w, r) in enumerate(
        [
            ("alpha", "ams"),
            ("bravo", "fra"),
            ("charlie", "lhr"),
            ("delta", "cdg"),
            ("echo", "mad"),
            ("foxtrot", "waw"),
            ("golf", "arn"),
            ("hotel", "dub"),
        ]
    )
]


def tool(client, name: str, session: str, **params):
    r = client.post(
        f"/v1/tools/{name}", json={"namespace": "default", "session": {"sessionKey": session}, "params": params}
    )
    assert r.status_code == 200, r.text
    return r.json()


def seed(client) -> list[str]:
    ids = []
    for t in TOPICS:
        word = t.split()[1]
        ids.append(
            tool(client, "memory_store", "seed", question=f"where does service {word} run?", answer=t)["details"]["id"]
        )
    return ids


def store_env(store_url: str) -> dict[str, str]:
    return {**ENV, **({"CLAWMEMORY_STORE_URL": store_url} if store_url else {})}


@pytest.fixture()
def daemon(tmp_path: Path, store_url: str):
    with Daemon(tmp_path / "home", env=store_env(store_url)) as d:
        yield d


def test_tool_routes_and_a_ticket_surviving_a_restart(daemon):
    with daemon.client() as c:
        stored = tool(
            c, "memory_store", "s", text="The billing service deploys on Tuesdays after 10:00", category="fact"
        )
        assert stored["details"]["action"] == "created" and stored["content"].startswith("Stored memory")
        again = tool(c, "memory_store", "s", text="The billing service deploys on Tuesdays after 10:00")
        assert again["details"]["action"] == "reinforced"
        recalled = tool(c, "memory_recall", "run-1", query="when is the billing service deployed")
        ticket = recalled["details"]["ticketId"]
        assert "Tuesdays" in recalled["content"] and ticket
        assert tool(c, "memory_recall", "run-1", query="favourite pizza topping")["details"]["ticketId"] is None
        bad = c.post("/v1/tools/memory_recall", json={"session": {}, "params": {"query": "x", "bogus": 1}})
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "params.bogus"
        assert c.post("/v1/tools/no_such_tool", json={"params": {}}).status_code == 404
    daemon.restart()
    with daemon.client() as c:
        bad = c.post("/v1/hooks/agent_end", json={"session": {"sessionKey": "run-1"}, "event": {"endedAt": "soon"}})
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "event.endedAt"
        end = c.post(
            "/v1/hooks/agent_end",
            json={
                "namespace": "default",
                "session": {"sessionKey": "run-1"},
                "event": {"success": True, "durationMs": 1200, "endedAt": "2999-01-01T00:00:00Z"},
            },
        )  # capped at now
        assert end.status_code == 200
        assert [t["ticket"] for t in end.json()["ledger"]["tickets"]] == [ticket]
        replay = c.post(
            "/v1/hooks/agent_end",
            json={"namespace": "default", "session": {"sessionKey": "run-1"}, "event": {"success": True}},
        )
        assert replay.json()["ledger"]["settled"] == 0
        r = c.post("/v1/ledger/settle", json={"ticketId": ticket, "delta": 1})
        assert r.json() == {"settled": False, "ticket": ticket, "reason": "already settled"}
        entry = c.get(f"/v1/ledger/entries/{stored['details']['id']}").json()
        assert entry["uses"] == 1 and entry["wins"] == 1
        forgot = tool(c, "memory_forget", "s", entryId=stored["details"]["id"])
        assert forgot["details"]["forgotten"] is True
        assert c.get("/v1/ledger/stats").json()["dead_by_cause"] == {"forgotten": 1}


def test_session_end_route_expires_open_tickets_once(daemon):
    with daemon.client() as c:
        seed(c)
        ticket = tool(c, "memory_recall", "sess-9", query="where does service alpha run")["details"]["ticketId"]
        assert ticket
        # the plugin's body; OpenClaw's extra event fields are accepted
        body = {
            "namespace": "default",
            "session": {"sessionKey": "sess-9", "sessionId": "sid-9", "agentId": "main", "workspaceDir": "/w"},
            "event": {
                "sessionId": "sid-9",
                "sessionKey": "sess-9",
                "messageCount": 6,
                "durationMs": 900,
                "reason": "idle",
                "addedLater": {"anything": [1, 2]},
            },
        }
        first = c.post("/v1/hooks/session_end", json=body)
        assert first.status_code == 200, first.text
        assert first.json() == {"expired": 1}
        assert c.post("/v1/hooks/session_end", json=body).json() == {"expired": 0}  # spool replay
        r = c.post("/v1/ledger/settle", json={"ticketId": ticket, "delta": 1})
        assert r.json() == {"settled": False, "ticket": ticket, "reason": "already expired"}
        assert c.post("/v1/hooks/session_end", json={"session": {}, "event": {}}).json() == {"expired": 0}
        bad = c.post("/v1/hooks/session_end", json={"session": {"bogus": 1}, "event": {}})
        assert bad.status_code == 422  # only the event is open-ended


@pytest.mark.backends
def test_64_concurrent_recalls_then_settles_lose_and_double_nothing(daemon):
    with daemon.client() as c:
        seed(c)

    def recall(n: int) -> tuple[str, str | None]:
        with daemon.client() as c:
            out = tool(c, "memory_recall", f"run-{n}", query=TOPICS[n % len(TOPICS)])
            return f"run-{n}", out["details"]["ticketId"]

    with ThreadPoolExecutor(64) as pool:
        handed = list(pool.map(recall, range(64)))
    tickets = [t for _, t in handed]
    assert all(tickets) and len(set(tickets)) == 64

    def end(item: tuple[str, str | None]) -> dict:
        session, _ = item
        with daemon.client() as c:
            r = c.post(
                "/v1/hooks/agent_end",
                json={"namespace": "default", "session": {"sessionKey": session}, "event": {"success": True}},
            )
            assert r.status_code == 200, r.text
            return r.json()["ledger"]

    with ThreadPoolExecutor(64) as pool:
        results = list(pool.map(end, handed + handed))  # every session ends twice, concurrently
    settled = [t["ticket"] for r in results for t in r["tickets"] if t["settled"]]
    assert sorted(settled) == sorted(tickets)  # every ticket handed out settled, exactly once
    with daemon.client() as c:
        stats = c.get("/v1/ledger/stats").json()
        assert stats["pending_tickets"] == 0 and stats["clock"]["sessions"] == 64
        for ticket in tickets:
            again = c.post("/v1/ledger/settle", json={"ticketId": ticket, "delta": 1}).json()
            assert again["reason"] == "already settled"


@pytest.mark.backends
def test_two_daemons_settling_the_same_tickets_apply_each_once(tmp_path, store_url):
    home = tmp_path / "home"  # one SQLite file; with PostgreSQL, a data dir per gateway
    with Daemon(home, env=store_env(store_url)) as one:
        with one.client() as c:
            ids = seed(c)
            tickets = [
                tool(c, "memory_recall", f"r{n}", query=TOPICS[n % len(TOPICS)])["details"]["ticketId"]
                for n in range(24)
            ]
        with Daemon(tmp_path / "home2" if store_url else home, env=store_env(store_url)) as two:

            def settle(job: tuple[Daemon, str]) -> bool:
                d, ticket = job
                with d.client() as c:
                    r = c.post("/v1/ledger/settle", json={"ticketId": ticket, "delta": 1})
                    assert r.status_code == 200, r.text
                    return r.json()

            jobs = [(d, t) for t in tickets for d in (one, two)]
            with ThreadPoolExecutor(16) as pool:
                outcomes = list(pool.map(settle, jobs))
        won = [o for o in outcomes if o["settled"]]
        assert sorted(o["ticket"] for o in won) == sorted(tickets)  # each ticket won by exactly one gateway
        with one.client() as c:
            uses = sum(c.get(f"/v1/ledger/entries/{i}").json()["uses"] for i in ids)
            assert uses == sum(len(o["applied"]) for o in won)  # every credit applied once, none lost
            assert c.get("/v1/ledger/stats").json()["pending_tickets"] == 0
