"""Crash helpers (shared by tests/reliability and benchmarks/soak.py): a burst of acknowledged
writes ended by SIGKILL, and SQLite's own integrity check."""

from __future__ import annotations

import random
import signal
import sqlite3
import threading
import time
from pathlib import Path

import httpx

from support.daemon import Daemon


def integrity(home: Path) -> str:
    db = sqlite3.connect(home / "clawmemory.db", timeout=30)
    try:
        return db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()


def burst(d: Daemon, round_: int, acked: dict[str, str], writers: int = 8) -> None:
    """``writers`` threads storing memories until the daemon dies under them."""
    lock = threading.Lock()

    def write(w: int) -> None:
        with d.client() as c:
            for i in range(10**6):
                text = f"crash round {round_} writer {w} item {i}"
                try:
                    r = c.post("/v1/memories", json={"text": text})
                except httpx.TransportError:
                    return  # killed: this write was never acknowledged
                assert r.status_code in (200, 201), r.text
                with lock:
                    acked[r.json()["memory"]["id"]] = text

    threads = [threading.Thread(target=write, args=(w,), daemon=True) for w in range(writers)]
    start = len(acked)
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while len(acked) < start + 20 and time.monotonic() < deadline:  # mid-burst, whatever the machine's speed
        time.sleep(0.02)
    time.sleep(random.Random(round_).uniform(0.0, 0.5))
    d.stop(signal.SIGKILL)
    for t in threads:
        t.join(60)
