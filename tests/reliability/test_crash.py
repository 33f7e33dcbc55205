"""Crashes: SIGKILL the daemon in the middle of bursts of acknowledged writes (5 rounds), kill
``clawmemory ingest`` of a large file and a daemon compacting, then restart / re-run: every
acknowledged write is there exactly once and ``PRAGMA integrity_check`` passes. Two daemons
and the CLI writing one data dir at once: no "database is locked" reaches any client."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from support.crash import burst, integrity
from support.daemon import LEXICAL, Daemon
from support.load import T0_MS

from clawmemory.redaction import RULES_VERSION

pytestmark = pytest.mark.integration
ROUNDS = 5


def test_kill_9_during_write_bursts_loses_no_acknowledged_write(tmp_path):
    home, acked = tmp_path / "home", {}
    for round_ in range(ROUNDS):
        d = Daemon(home, env=LEXICAL).start()
        before = len(acked)
        burst(d, round_, acked)
        assert len(acked) > before  # the round acknowledged writes before the kill
        assert integrity(home) == "ok"
    with Daemon(home, env=LEXICAL) as d, d.client() as c:
        for memory_id, text in acked.items():
            r = c.get(f"/v1/memories/{memory_id}")
            assert r.status_code == 200 and r.json()["text"] == text
        total = c.get("/v1/memories", params={"limit": 1}).json()["total"]
    # a write in flight at the kill may have committed without its answer arriving: never fewer
    assert len(acked) <= total <= len(acked) + 8 * ROUNDS
    print(f"crash: {ROUNDS} kill -9 rounds, {len(acked)} acknowledged writes, 0 lost")


def observation_file(path: Path, lines: int) -> None:
    with path.open("w", encoding="utf-8") as f:
        for n in range(lines):
            text = f"step {n} finished: compiled module alpha{n}"
            f.write(
                json.dumps(
                    {
                        "v": 1,
                        "ts": f"2026-11-21T06:{n // 60 % 60:02d}:{n % 60:02d}.000Z",
                        "kind": "tool",
                        "tool_name": "exec",
                        "tool_call_id": f"call_{n}",
                        "session_key": "agent:main:s1",
                        "agent_id": "main",
                        "is_synthetic": False,
                        "is_error": False,
                        "summary": f"exec: {text}",
                        "result": text,
                        "result_chars": len(text),
                        "result_truncated": False,
                        "redaction": RULES_VERSION,
                    }
                )
                + "\n"
            )


def observations(home: Path) -> int:
    db = sqlite3.connect(home / "clawmemory.db", timeout=30)
    try:
        return db.execute("SELECT COUNT(*) FROM observations").fetchone()[0]
    except sqlite3.OperationalError:  # the table is not created yet
        return 0
    finally:
        db.close()


def cli(home: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "clawmemory", *args, "--data-dir", str(home)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **LEXICAL},
    )


def test_kill_9_during_ingest_then_rerun_stores_each_line_once(tmp_path):
    home, path, lines = tmp_path / "home", tmp_path / "obs.jsonl", 40_000
    observation_file(path, lines)
    assert cli(home, "namespace", "add", "obs").returncode == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "clawmemory", "ingest", str(path), "-n", "obs", "--data-dir", str(home)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **LEXICAL},
    )
    killed_with, deadline = 0, time.monotonic() + 120
    while killed_with == 0 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # kill as soon as the first batches committed
        killed_with = observations(home)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_with = observations(home)
    assert 0 < killed_with < lines, f"not killed mid-way: {killed_with}/{lines}"
    assert integrity(home) == "ok"
    r = cli(home, "ingest", str(path), "-n", "obs", "--json")
    assert r.returncode == 0, r.stderr
    db = sqlite3.connect(home / "clawmemory.db", timeout=30)
    total, distinct = db.execute("SELECT COUNT(*), COUNT(DISTINCT tool_call_id) FROM observations").fetchone()
    db.close()
    assert total == distinct == lines, (killed_with, total, distinct)
    print(f"crash: ingest killed at {killed_with}/{lines} lines; re-run: {total} stored, 0 duplicates")


def transcript(session: int, turns: int) -> list[dict]:
    msgs = []
    for t in range(turns):
        ms = T0_MS + session * 10_000_000 + t * 2000
        msgs.append(
            {
                "role": "user",
                "content": [
                    {
                        "type": "text",
                        "text": f"s{session} question {t}: how do we roll out the billing schema change safely?",
                    }
                ],
                "timestamp": ms,
            }
        )
        msgs.append(
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "text",
                        "text": f"s{session} answer {t}: behind a flag, region by region, with a backup first.",
                    }
                ],
                "timestamp": ms + 1,
                "stopReason": "stop",
                "api": "openai-completions",
                "provider": "fake",
                "model": "fake-model",
            }
        )
    return msgs


def test_kill_9_during_compaction_then_rerun(tmp_path):
    home = tmp_path / "home"
    sessions = 12

    def compact(d: Daemon, s: int) -> httpx.Response | None:
        body = {
            "namespace": "main",
            "session": {"agentId": "main"},
            "params": {
                "sessionId": f"cmp-{s}",
                "sessionKey": f"agent:main:cmp{s}",
                "force": True,
                "messages": transcript(s, 60),
            },
        }
        try:
            with d.client() as c:
                c.post(
                    "/v1/context/commitTurn",
                    json={
                        **body,
                        "params": {
                            **{k: body["params"][k] for k in ("sessionId", "sessionKey", "messages")},
                            "advancementKey": f"cmp-{s}",
                        },
                    },
                )
                return c.post("/v1/context/compact", json=body)
        except httpx.TransportError:
            return None

    d = Daemon(home, env=LEXICAL).start()
    threads = [threading.Thread(target=compact, args=(d, s), daemon=True) for s in range(sessions)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    d.stop(signal.SIGKILL)
    for t in threads:
        t.join(60)
    assert integrity(home) == "ok"
    with Daemon(home, env=LEXICAL) as d:
        answers = [compact(d, s) for s in range(sessions)]
        assert all(a is not None and a.status_code == 200 and a.json()["ok"] for a in answers), [
            a.text[:200] for a in answers if a is not None
        ]
    db = sqlite3.connect(home / "clawmemory.db", timeout=30)
    dup = db.execute(
        "SELECT COUNT(*) FROM (SELECT session_key, text FROM messages GROUP BY session_key, text HAVING COUNT(*) > 1)"
    ).fetchone()[0]
    stored = db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
    db.close()
    assert dup == 0 and stored == sessions * 120
    assert integrity(home) == "ok"


def test_two_daemons_and_the_cli_on_one_data_dir_never_see_a_lock(tmp_path):
    home = tmp_path / "home"
    failures: list[str] = []
    with Daemon(home, env=LEXICAL) as a, Daemon(home, env=LEXICAL) as b:

        def http_writer(d: Daemon, w: int) -> None:
            with d.client() as c:
                for i in range(20):
                    r = c.post("/v1/memories", json={"text": f"shared {d.port} writer {w} item {i}"})
                    s = c.post("/v1/search", json={"query": f"writer {w}"})
                    for resp in (r, s):
                        if resp.status_code >= 500 or "locked" in resp.text:
                            failures.append(resp.text[:200])

        def cli_writer(w: int) -> None:
            for i in range(3):
                r = cli(home, "store", f"cli writer {w} item {i}")
                if r.returncode != 0 or "locked" in (r.stdout + r.stderr):
                    failures.append((r.stdout + r.stderr)[-300:])

        threads = [threading.Thread(target=http_writer, args=(d, w)) for d in (a, b) for w in range(4)]
        threads += [threading.Thread(target=cli_writer, args=(w,)) for w in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        with a.client() as c:
            total = c.get("/v1/memories", params={"limit": 1}).json()["total"]
    assert failures == []
    assert total == 2 * 4 * 20 + 2 * 3
    assert integrity(home) == "ok"
