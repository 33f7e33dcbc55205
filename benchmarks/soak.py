"""Soak: the reliability suite's load, fuzz and crash checks at bigger settings, with figures.

- load: ``--clients`` concurrent clients (default 64) of mixed traffic (store, search,
  recall+settle with racing settles, commitTurn and ingest with replays) against one real
  daemon on 127.0.0.1 for ``--windows`` windows of ``--seconds`` each (each window also capped
  at ``--ops`` operations); throughput, p50/p99 per route, errors by status; daemon RSS after
  each window and its growth per 10k operations after the first (warm-up) window; afterwards
  every acknowledged write is checked (lost, duplicated, settled twice, integrity_check).
- fuzz: schemathesis over ``/openapi.json``, ``--fuzz-examples`` cases per operation and mode.
- crash: ``--crash-rounds`` rounds of kill -9 during bursts of acknowledged writes.

Everything targets 127.0.0.1 only and stops by itself. Run:
``.venv/bin/python benchmarks/soak.py [--seconds 60 --windows 4 --fuzz-examples 200 --crash-rounds 20] [--json OUT]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))
from _common import report  # noqa: E402
from support.crash import burst, integrity  # noqa: E402
from support.daemon import LEXICAL, Daemon  # noqa: E402
from support.fuzz import fuzz  # noqa: E402
from support.load import run_windows, seed, verify  # noqa: E402


def soak_load(home: Path, args: argparse.Namespace, env: dict[str, str]) -> dict:
    with Daemon(home, env=env) as d:
        seed(d.url, d.token, "load")
        w = run_windows(
            d.url, d.token, d.proc.pid, windows=args.windows, clients=args.clients, seconds=args.seconds, ops=args.ops
        )
        checks = verify(d.url, d.token, home / "clawmemory.db", w.result)
    growth = w.growth_mb_per_10k_ops()
    return {
        **w.result.summary(),
        "rss_mb": [round(r, 1) for r in w.rss_mb],
        "ops_marks": w.ops,
        "rss_growth_mb_per_10k_ops": None if growth is None else round(growth, 2),
        "checks": checks,
    }


def soak_crash(home: Path, rounds: int, env: dict[str, str]) -> dict:
    acked: dict[str, str] = {}
    for round_ in range(rounds):
        burst(Daemon(home, env=env).start(), round_, acked)
    with Daemon(home, env=env) as d, d.client() as c:
        lost = sum(
            1
            for i, text in acked.items()
            if (r := c.get(f"/v1/memories/{i}")).status_code != 200 or r.json()["text"] != text
        )
    return {"rounds": rounds, "acknowledged": len(acked), "lost": lost, "integrity_check": integrity(home)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=30.0, help="length of one load window")
    ap.add_argument("--windows", type=int, default=3)
    ap.add_argument("--ops", type=int, default=10_000, help="operation cap per window")
    ap.add_argument("--fuzz-examples", type=int, default=100)
    ap.add_argument("--crash-rounds", type=int, default=10)
    ap.add_argument("--hybrid", action="store_true", help="run the daemon with embeddings on (default: lexical)")
    ap.add_argument("--json", help="also write the JSON result here")
    args = ap.parse_args()
    env = {} if args.hybrid else LEXICAL
    result: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_start": [round(x, 2) for x in os.getloadavg()],
        },
        "settings": vars(args),
    }
    with tempfile.TemporaryDirectory(prefix="clawmemory-soak-") as tmp:
        start = time.monotonic()
        result["load"] = soak_load(Path(tmp) / "load", args, env)
        print("load:", json.dumps(result["load"]), flush=True)  # kept even if a later part fails
        statuses: dict[str, int] = {}
        with Daemon(Path(tmp) / "fuzz", env=env) as d:
            try:
                fuzz(d.url, d.token, args.fuzz_examples, statuses)
                first_failure = None
            except AssertionError as exc:  # a 5xx or a dropped connection: reported, not fatal
                first_failure = str(exc)[:600]
        result["fuzz"] = {
            "cases": sum(statuses.values()),
            "statuses": dict(sorted(statuses.items())),
            "server_errors": sum(n for s, n in statuses.items() if int(s) >= 500) or int(first_failure is not None),
            "first_failure": first_failure,
        }
        result["crash"] = soak_crash(Path(tmp) / "crash", args.crash_rounds, env)
        result["seconds"] = round(time.monotonic() - start, 1)
    result["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    load = result["load"]
    rows = [
        [route, v["n"], v["p50_ms"], v["p99_ms"], load["errors_by_status"].get(route, {})]
        for route, v in load["routes"].items()
    ]
    rows.append(["(all)", load["ops"], f"{load['throughput_ops_s']} ops/s", "", load["transport_errors"]])
    report(
        f"soak: {args.clients} clients x {args.windows} windows; RSS {load['rss_mb']} MB "
        f"({load['rss_growth_mb_per_10k_ops']} MB / 10k ops); checks {load['checks']}; "
        f"fuzz {result['fuzz']['cases']} cases, {result['fuzz']['server_errors']} >= 500; "
        f"crash {result['crash']}",
        ["route", "n", "p50 ms", "p99 ms", "errors"],
        rows,
        result,
        args.json,
    )


if __name__ == "__main__":
    main()
