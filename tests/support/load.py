"""A mixed-traffic load driver for the real daemon (shared by tests/reliability and
benchmarks/soak.py): N concurrent clients on loopback doing store / search / recall+settle /
commitTurn / ingest until a deadline or an operation budget, recording every acknowledged
write so :func:`verify` can check afterwards that nothing was lost or applied twice."""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from clawmemory.store import open_store

WORDS = [
    "deploy",
    "billing",
    "region",
    "backup",
    "postgres",
    "cache",
    "invoice",
    "retry",
    "queue",
    "alpha",
    "weekly",
    "tuesday",
    "storage",
    "latency",
    "quota",
    "tenant",
    "rollout",
    "schema",
    "index",
    "audit",
]
# route → share of operations
MIX = {"store": 0.3, "search": 0.25, "recall_settle": 0.2, "commit_turn": 0.15, "ingest": 0.1}
T0_MS = 1_764_000_000_000


@dataclass
class LoadResult:
    clients: int
    seconds: float = 0.0
    ops: int = 0
    latency_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    transport_errors: int = 0
    memories: dict[str, str] = field(default_factory=dict)  # acknowledged memory id → text
    messages: list[str] = field(default_factory=list)  # acknowledged message texts (unique)
    settled: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # ticket → successful settles
    settle_attempts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, part: LoadResult) -> None:
        """Fold another window's result into this one."""
        self.seconds += part.seconds
        self.ops += part.ops
        self.transport_errors += part.transport_errors
        self.settle_attempts += part.settle_attempts
        for route, values in part.latency_ms.items():
            self.latency_ms[route].extend(values)
        for route, counts in part.statuses.items():
            for status, n in counts.items():
                self.statuses[route][status] += n
        self.memories.update(part.memories)
        self.messages.extend(part.messages)
        for ticket, n in part.settled.items():
            self.settled[ticket] += n

    def summary(self) -> dict[str, Any]:
        def pct(values: list[float], q: float) -> float:
            ordered = sorted(values)
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2) if ordered else 0.0

        return {
            "clients": self.clients,
            "seconds": round(self.seconds, 2),
            "ops": self.ops,
            "throughput_ops_s": round(self.ops / self.seconds, 1) if self.seconds else 0.0,
            "routes": {
                r: {"n": len(v), "p50_ms": pct(v, 0.5), "p99_ms": pct(v, 0.99)}
                for r, v in sorted(self.latency_ms.items())
            },
            "errors_by_status": {
                r: {str(s): n for s, n in sorted(c.items()) if s >= 400}
                for r, c in sorted(self.statuses.items())
                if any(s >= 400 for s in c)
            },
            "transport_errors": self.transport_errors,
            "acknowledged": {
                "memories": len(self.memories),
                "messages": len(self.messages),
                "settlements": sum(1 for n in self.settled.values() if n),
                "settle_attempts": self.settle_attempts,
            },
        }


def _user(text: str, ms: int) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "text", "text": text}], "timestamp": ms}


def _agent(text: str, ms: int) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": [{"type": "text", "text": text}],
        "timestamp": ms,
        "stopReason": "stop",
        "api": "openai-completions",
        "provider": "fake",
        "model": "fake-model",
    }


class _Client(threading.Thread):
    def __init__(
        self,
        n: int,
        url: str,
        token: str,
        ns: str,
        result: LoadResult,
        stop_at: float,
        budget: threading.Semaphore,
        tickets: list[str],
        window: int = 0,
    ) -> None:
        super().__init__(daemon=True)
        self.n, self.ns, self.result, self.stop_at, self.budget, self.tickets = n, ns, result, stop_at, budget, tickets
        self.http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        self.rng = random.Random(n + 1000 * window)
        self.i = window * 100_000  # a later window goes on with new writes (not replays of the first)

    def call(self, route: str, method: str, path: str, body: dict | None = None) -> httpx.Response | None:
        start = time.perf_counter()
        try:
            r = self.http.request(method, path, json=body)
        except httpx.TransportError:
            with self.result.lock:
                self.result.transport_errors += 1
            return None
        elapsed = (time.perf_counter() - start) * 1000
        with self.result.lock:
            self.result.latency_ms[route].append(elapsed)
            self.result.statuses[route][r.status_code] += 1
            self.result.ops += 1
        return r

    def words(self, k: int) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(k))

    def run(self) -> None:
        routes, weights = zip(*MIX.items())
        with self.http:
            while time.monotonic() < self.stop_at and self.budget.acquire(blocking=False):
                self.i += 1
                getattr(self, self.rng.choices(routes, weights)[0])()

    def store(self) -> None:
        text = f"load memory c{self.n} n{self.i}: {self.words(6)}"
        r = self.call("store", "POST", "/v1/memories", {"namespace": self.ns, "text": text})
        if r is not None and r.status_code in (200, 201):
            with self.result.lock:
                self.result.memories[r.json()["memory"]["id"]] = text

    def search(self) -> None:
        self.call("search", "POST", "/v1/search", {"namespace": self.ns, "query": self.words(3), "limit": 10})

    def recall_settle(self) -> None:
        body = {
            "namespace": self.ns,
            "session": {"sessionKey": f"load-c{self.n}-{self.i}"},
            "params": {"query": f"where does {self.words(2)} run"},
        }
        r = self.call("recall", "POST", "/v1/tools/memory_recall", body)
        ticket = r.json()["details"]["ticketId"] if r is not None and r.status_code == 200 else None
        if ticket:
            with self.result.lock:
                self.tickets.append(ticket)
        with self.result.lock:  # settle this ticket, or race another client's for it
            pick = (
                ticket
                if ticket and self.rng.random() < 0.7
                else (self.rng.choice(self.tickets) if self.tickets else None)
            )
        if pick:
            s = self.call("settle", "POST", "/v1/ledger/settle", {"namespace": self.ns, "ticketId": pick, "delta": 1.0})
            with self.result.lock:
                self.result.settle_attempts += 1
                if s is not None and s.status_code == 200 and s.json().get("settled"):
                    self.result.settled[pick] += 1

    def commit_turn(self) -> None:
        turn = self.i
        texts = [f"load turn c{self.n} t{turn} user: {self.words(5)}", f"load turn c{self.n} t{turn} agent: ok"]
        ms = T0_MS + self.n * 10_000_000 + turn * 1000
        body = {
            "namespace": self.ns,
            "session": {"agentId": "load"},
            "params": {
                "sessionId": f"load-c{self.n}",
                "sessionKey": f"agent:load:c{self.n}",
                "advancementKey": f"c{self.n}-t{turn}",
                "messages": [_user(texts[0], ms), _agent(texts[1], ms + 1)],
            },
        }
        for _ in range(2 if self.rng.random() < 0.3 else 1):  # a replay must store nothing twice
            r = self.call("commit_turn", "POST", "/v1/context/commitTurn", body)
            if r is not None and r.status_code == 200 and r.json().get("status") == "committed":
                with self.result.lock:
                    self.result.messages.extend(texts)

    def ingest(self) -> None:
        text = f"load ingest c{self.n} n{self.i}: {self.words(4)}"
        body = {
            "namespace": self.ns,
            "session": {"agentId": "load"},
            "params": {"sessionId": f"load-i{self.n}", "message": _user(text, T0_MS + self.i)},
        }
        for _ in range(2 if self.rng.random() < 0.3 else 1):
            r = self.call("ingest", "POST", "/v1/context/ingest", body)
            if r is not None and r.status_code == 200 and r.json().get("ingested"):
                with self.result.lock:
                    self.result.messages.append(text)


def seed(url: str, token: str, ns: str, entries: int = 20) -> None:
    """The namespace and a few ledger entries for recalls to find."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:
        c.put(f"/v1/namespaces/{ns}").raise_for_status()
        rng = random.Random(7)
        for n in range(entries):
            a, b = rng.sample(WORDS, 2)
            c.post(
                "/v1/tools/memory_store",
                json={
                    "namespace": ns,
                    "params": {"question": f"where does {a} {b} run?", "answer": f"{a} {b} runs on host h{n}"},
                },
            ).raise_for_status()


def run_load(
    url: str,
    token: str,
    *,
    clients: int = 64,
    seconds: float = 20.0,
    max_ops: int = 10**9,
    ns: str = "load",
    window: int = 0,
    more: Sequence[tuple[str, str]] = (),
) -> LoadResult:
    """Drive ``clients`` concurrent clients until ``seconds`` pass or ``max_ops`` operations ran;
    each ``window`` number writes its own texts, turns and sessions. With ``more`` daemons ((url,
    token) each, on the same store), clients are spread over all of them round-robin and settle
    each other's tickets across daemons."""
    result = LoadResult(clients)
    budget = threading.Semaphore(max_ops)
    tickets: list[str] = []
    start = time.monotonic()
    targets = [(url, token), *more]
    threads = [
        _Client(n, *targets[n % len(targets)], ns, result, start + seconds, budget, tickets, window)
        for n in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    result.seconds = time.monotonic() - start
    return result


@dataclass
class Windows:
    """Load in consecutive windows, with the daemon's RSS after each: the first window warms
    up (worker threads, their connections, caches); growth after it must be flat."""

    result: LoadResult
    rss_mb: list[float]  # before the first window, then after each
    ops: list[int]  # operations done by then, same marks

    def growth_mb_per_10k_ops(self) -> float | None:
        """RSS growth per 10,000 operations after the warm-up window."""
        steady = self.ops[-1] - self.ops[1]
        return (self.rss_mb[-1] - self.rss_mb[1]) / steady * 10_000 if steady else None


def run_windows(
    url: str, token: str, pid: int, *, windows: int, clients: int = 64, seconds: float = 20.0, ops: int = 10**9
) -> Windows:
    """``windows`` load windows of at most ``seconds`` and ``ops`` operations each."""
    total = LoadResult(clients)
    out = Windows(total, [rss_mb(pid)], [0])
    for window in range(windows):
        total.add(run_load(url, token, clients=clients, seconds=seconds, max_ops=ops, window=window))
        out.rss_mb.append(rss_mb(pid))
        out.ops.append(total.ops)
    return out


def verify(
    url: str, token: str, db_path: Path, result: LoadResult, ns: str = "load", store_url: str = ""
) -> dict[str, Any]:
    """Every acknowledged write present exactly once; no ticket settled twice (``store_url``:
    the PostgreSQL store the daemons shared, instead of the SQLite file ``db_path``)."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:
        lost_memories = [
            i
            for i, text in result.memories.items()
            if (r := c.get(f"/v1/memories/{i}", params={"namespace": ns})).status_code != 200
            or r.json()["text"] != text
        ]
    if store_url:
        store = open_store(store_url, db_path)
        db: Any = store.db
        close = store.close
    else:
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
        close = db.close
    try:
        counts = {
            r[0]: r[1]
            for r in db.execute(
                "SELECT text, COUNT(*) FROM messages WHERE namespace = ? AND text LIKE 'load %' GROUP BY text", (ns,)
            ).fetchall()
        }
        settlements = {r[0] for r in db.execute("SELECT ticket_id FROM ledger_settlements WHERE namespace = ?", (ns,))}
        credited = db.execute(  # settle events (the credit applied) per ticket: a ticket credited twice
            "SELECT count(*) - count(DISTINCT ticket_id) FROM ledger_events WHERE namespace = ? AND type = 'settle'",
            (ns,),
        ).fetchone()[0]
        integrity = "n/a (postgres)" if store_url else db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        close()
    acked_settled = {t for t, n in result.settled.items() if n}
    return {
        "lost_memories": len(lost_memories),
        "lost_messages": sum(1 for t in result.messages if counts.get(t, 0) == 0),
        "duplicate_messages": sum(n - 1 for n in counts.values() if n > 1),
        "double_settlements": sum(n - 1 for n in result.settled.values() if n > 1),
        "tickets_credited_twice": credited,
        "acknowledged_settlements_missing": len(acked_settled - settlements),
        "integrity_check": integrity,
    }


def rss_mb(pid: int) -> float:
    """Resident set size of a process, in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")
