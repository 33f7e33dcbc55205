"""64 concurrent clients of mixed traffic against one real daemon, bounded in time and in
operations (CI-sized; ``benchmarks/soak.py`` runs longer and reports the figures): no 5xx, no
dropped connection, and afterwards every acknowledged write is there exactly once, no ticket
is settled twice, and the database passes ``PRAGMA integrity_check``."""

from __future__ import annotations

import json

import pytest
from support.load import rss_mb, run_load, seed, verify

pytestmark = pytest.mark.integration


def test_64_clients_of_mixed_traffic_lose_and_double_nothing(daemon):
    seed(daemon.url, daemon.token, "load")
    before = rss_mb(daemon.proc.pid)
    result = run_load(daemon.url, daemon.token, clients=64, seconds=25, max_ops=2500)
    after = rss_mb(daemon.proc.pid)
    summary = result.summary()
    checks = verify(daemon.url, daemon.token, daemon.home / "clawmemory.db", result)
    print("load:", json.dumps({**summary, "rss_mb": [round(before, 1), round(after, 1)], "checks": checks}))
    assert result.transport_errors == 0
    assert not any(int(s) >= 500 for errors in summary["errors_by_status"].values() for s in errors)
    assert summary["ops"] >= 500 and set(summary["routes"]) >= {"store", "search", "recall", "commit_turn", "ingest"}
    assert summary["acknowledged"]["settlements"] > 0 and summary["acknowledged"]["messages"] > 0
    assert checks == {
        "lost_memories": 0,
        "lost_messages": 0,
        "duplicate_messages": 0,
        "double_settlements": 0,
        "acknowledged_settlements_missing": 0,
        "integrity_check": "ok",
    }
