"""Several gateways' daemons on one store (one SQLite file; one PostgreSQL database, each daemon
with its own data dir as on separate machines): read-your-writes across daemons, and the
exactly-once writes: content-hash dedupe, commitTurn's advancementKey, capture ingest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.conversations import agent, user
from support.daemon import LEXICAL, Daemon

pytestmark = [pytest.mark.integration, pytest.mark.backends]


@pytest.fixture()
def pair(tmp_path: Path, store_url: str) -> Iterator[tuple[Daemon, Daemon]]:
    """Two daemons on one store."""
    env = {**LEXICAL, **({"CLAWMEMORY_STORE_URL": store_url} if store_url else {})}
    second = tmp_path / ("home2" if store_url else "home")
    with ExitStack() as stack:
        a = stack.enter_context(Daemon(tmp_path / "home", env=env))
        b = stack.enter_context(Daemon(second, env=env))
        yield a, b


def test_a_write_through_one_daemon_is_found_through_the_other_at_once(pair: tuple[Daemon, Daemon]) -> None:
    a, b = pair
    with a.client() as ca, b.client() as cb:
        for n in range(20):
            text = f"gateway note {n}: the kiwi{n} cluster moved to rack r{n}"
            made = ca.post("/v1/memories", json={"text": text})
            assert made.status_code == 201, made.text
            hits = cb.post("/v1/search", json={"query": f"kiwi{n} rack"}).json()["results"]
            assert hits and hits[0]["id"] == made.json()["memory"]["id"], n  # no wait, no retry
            gone = cb.delete(f"/v1/memories/{made.json()['memory']['id']}")
            assert gone.status_code == 200
            assert ca.post("/v1/search", json={"query": f"kiwi{n} rack"}).json()["results"] == []


def test_the_same_memory_sent_to_both_daemons_at_once_is_stored_once(pair: tuple[Daemon, Daemon]) -> None:
    a, b = pair

    def send(job: tuple[Daemon, int]) -> tuple[str, bool]:
        daemon, n = job
        with daemon.client() as c:
            r = c.post("/v1/memories", json={"text": f"shared fact number {n // 2}"})
            assert r.status_code == (201 if r.json()["created"] else 200), r.text
            return r.json()["memory"]["id"], r.json()["created"]

    with ThreadPoolExecutor(16) as pool:
        out = list(pool.map(send, [(a if n % 2 else b, n) for n in range(64)]))
    assert sum(created for _, created in out) == 32  # one creation per distinct fact
    assert len({i for i, _ in out}) == 32
    with a.client() as c:
        assert c.get("/v1/memories", params={"limit": 100}).json()["total"] == 32


def test_commit_turn_replayed_to_both_daemons_is_committed_once(pair: tuple[Daemon, Daemon], tmp_path: Path) -> None:
    a, b = pair
    ws = tmp_path / "ws"
    ws.mkdir()
    t0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

    def commit(job: tuple[Daemon, int]) -> str:
        daemon, n = job
        turn = [user(f"turn {n // 4}: choose port {n // 4}", t0), agent(f"port {n // 4} chosen", t0)]
        body = {
            "namespace": "main",
            "session": {"agentId": "main", "workspaceDir": str(ws), "sessionKey": "agent:main:k"},
            "params": {"sessionId": "s", "advancementKey": f"adv-{n // 4}", "messages": turn},
        }
        with daemon.client() as c:
            r = c.post("/v1/context/commitTurn", json=body)
            assert r.status_code == 200, r.text
            return r.json()["status"]

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(commit, [(a if n % 2 else b, n) for n in range(40)]))
    assert statuses.count("committed") == 10 and statuses.count("duplicate") == 30
    with b.client() as c:
        hits = c.post("/v1/search", json={"query": "choose port", "namespace": "main", "limit": 100}).json()
        assert len([h for h in hits["results"] if h["corpus"] == "message"]) == 20  # 10 turns × 2 messages


def test_two_processes_ingesting_one_capture_file_store_each_line_once(
    pair: tuple[Daemon, Daemon], tmp_path: Path
) -> None:
    a, b = pair
    log = tmp_path / "obs.jsonl"
    with log.open("w") as f:
        for n in range(3000):
            line = {
                "v": 1, "ts": f"2026-11-21T06:{n // 60 % 60:02d}:{n % 60:02d}.000Z", "kind": "tool",
                "tool_name": "exec", "tool_call_id": f"c{n}", "session_key": "agent:main:s1", "agent_id": "main",
                "summary": f"exec: step {n} built module m{n}", "result": f"step {n} built module m{n}",
            }  # fmt: skip
            f.write(json.dumps(line) + "\n")
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "clawmemory", "ingest", str(log), "--data-dir", str(d.home), "--json"],
            env={**os.environ, **d.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for d in (a, b, a, b)
    ]
    reports = [json.loads(p.communicate(timeout=240)[0]) for p in runs]
    assert all(p.returncode == 0 for p in runs)
    assert sum(r["added"] for r in reports) == 3000  # every line stored by exactly one of the four
    with b.client() as c:
        hits = c.post("/v1/search", json={"query": "m2999", "namespace": "main", "corpus": "observations"}).json()
        assert len(hits["results"]) == 1
