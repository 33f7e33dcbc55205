"""What memory costs a turn through a real OpenClaw Gateway.

Two isolated OpenClaw 2026.9.6 homes (the e2e harness in ``tests/e2e/harness.py``), the same
scripted model, both Gateways (``openclaw gateway run``) up at the same time:

- **without**: the stock config (memory slot ``memory-core``, context engine ``legacy``);
- **with**: ``clawmemory openclaw install --disable-memory-core`` (clawmemory in both slots,
  plugin config otherwise default: ``autoRecall`` off, no auto-retrieval block), the real
  ``clawmemory serve`` running with a few memories in the agent's namespace; every turn
  still goes through the context engine (bootstrap, assemble, commit) and the memory tools.

After ``--warmup`` turns on each side, ``--turns`` turns go to each side alternately (the
order flips every round, so load drifts hit both sides alike), all in one session per side
(the history grows as it would). A turn's cost is the Gateway's own duration for it
(``result.meta.durationMs`` from ``openclaw agent --json``), not the CLI's start-up. Reports
p50/p95 of each side and the difference, and the load average.

Run: ``.venv/bin/python benchmarks/gateway_overhead.py [--turns 12] [--warmup 2] [--json OUT]``.
Needs the e2e toolchain (Node 24 + openclaw, installed into ``.cache/e2e`` on first use).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import percentile, report  # noqa: E402
from fake_model import FakeModelServer  # noqa: E402
from harness import Daemon, OpenClawHome, Run, clawmemory_cli, ensure_toolchain, final_text  # noqa: E402

TARGET_P50_MS = 100.0
FACTS = [
    "Deploys go to Fly.io, region ams",
    "The deploy window is Friday 14:00 to 16:00",
    "Release notes are written by Dana and reviewed by Lee",
    "The billing service owns the invoices table",
    "Staging resets every Monday at 06:00 UTC",
    "Lee prefers short pull requests with one change each",
    "The on-call rotation changes on Wednesdays",
    "Customer exports are capped at 50,000 rows",
]
QUESTIONS = [
    "when is the deploy window?",
    "who writes the release notes?",
    "which region do we deploy to?",
    "what owns the invoices table?",
    "when does staging reset?",
    "how does Lee like pull requests?",
    "when does on-call change?",
    "how many rows can a customer export?",
]


def turn_ms(run: Run) -> float:
    """The Gateway's own duration of one turn from ``openclaw agent --json``."""
    data = run.json()
    for meta in ((data.get("result") or {}).get("meta"), data.get("meta")):
        if isinstance(meta, dict) and isinstance(meta.get("durationMs"), (int, float)):
            return float(meta["durationMs"])
    raise RuntimeError(f"no meta.durationMs in the agent's JSON (keys: {sorted(data)}): {run.stdout[:1500]}")


def one_turn(home: OpenClawHome, message: str, session: str) -> tuple[float, float]:
    run = home.agent_gateway(message, session).check()
    answer = final_text(run)
    if answer != "FINAL: ok":
        raise RuntimeError(f"unexpected answer {answer!r} from the scripted model")
    return turn_ms(run), run.seconds


def stats(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 50), 1),
        "p95_ms": round(percentile(values, 95), 1),
        "mean_ms": round(statistics.fmean(values), 1),
        "min_ms": round(min(values), 1),
        "max_ms": round(max(values), 1),
        "n": len(values),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--turns", type=int, default=12, help="measured turns per side")
    ap.add_argument("--warmup", type=int, default=2, help="unmeasured turns per side first")
    ap.add_argument("--keep", action="store_true", help="keep the run directory (logs) and print it")
    ap.add_argument("--json", dest="json_path")
    args = ap.parse_args()

    toolchain = ensure_toolchain()
    run_root = Path(tempfile.mkdtemp(prefix="clawmemory-gw-bench-"))
    load_start = os.getloadavg()
    t_start = time.monotonic()
    with FakeModelServer(0, run_root / "model-requests.jsonl") as model:
        without = OpenClawHome(toolchain, run_root / "without", model.base_url)
        with_mem = OpenClawHome(toolchain, run_root / "with", model.base_url)
        daemon = Daemon(run_root / "clawmemory" / "data").start()
        try:
            clawmemory_cli(
                [
                    "openclaw",
                    "install",
                    "--config",
                    str(with_mem.config_path),
                    "--data-dir",
                    str(daemon.data_dir),
                    "--daemon-url",
                    daemon.url,
                    "--disable-memory-core",
                    "--json",
                ],
                env=with_mem.env,
            ).check()
            with daemon.client() as c:
                c.put("/v1/namespaces/main").raise_for_status()
                for fact in FACTS:
                    c.post(
                        "/v1/memories", json={"text": fact, "namespace": "main", "category": "fact"}
                    ).raise_for_status()
            with without.gateway(ready_timeout=300) as gw_without, with_mem.gateway(ready_timeout=300) as gw_with:
                if "clawmemory: active plugin=clawmemory" not in gw_with.output():
                    raise RuntimeError("the clawmemory plugin did not load:\n" + gw_with.output()[-3000:])
                if "clawmemory:" in gw_without.output():
                    raise RuntimeError("the stock Gateway loaded clawmemory")
                sides = {"without": without, "with": with_mem}
                samples: dict[str, list[float]] = {"without": [], "with": []}
                cli_s: dict[str, list[float]] = {"without": [], "with": []}
                loads: list[float] = []
                for i in range(args.warmup + args.turns):
                    order = ("without", "with") if i % 2 == 0 else ("with", "without")
                    question = QUESTIONS[i % len(QUESTIONS)]
                    for name in order:
                        ms, secs = one_turn(sides[name], f"turn {i}: {question}", "bench")
                        if i >= args.warmup:
                            samples[name].append(ms)
                            cli_s[name].append(secs * 1000)
                    if i >= args.warmup:
                        loads.append(os.getloadavg()[0])
                    print(
                        f"round {i + 1}/{args.warmup + args.turns}: without {samples['without'][-1:]} "
                        f"with {samples['with'][-1:]} load {os.getloadavg()[0]:.1f}",
                        file=sys.stderr,
                        flush=True,
                    )
        finally:
            daemon.stop()
    load_end = os.getloadavg()

    s_without, s_with = stats(samples["without"]), stats(samples["with"])
    diffs = [w - o for w, o in zip(samples["with"], samples["without"])]
    d50 = round(s_with["p50_ms"] - s_without["p50_ms"], 1)
    d95 = round(s_with["p95_ms"] - s_without["p95_ms"], 1)
    rows = [
        [
            "without (memory-core)",
            s_without["n"],
            s_without["p50_ms"],
            s_without["p95_ms"],
            s_without["mean_ms"],
            round(percentile(cli_s["without"], 50)),
        ],
        [
            "with clawmemory",
            s_with["n"],
            s_with["p50_ms"],
            s_with["p95_ms"],
            s_with["mean_ms"],
            round(percentile(cli_s["with"], 50)),
        ],
        ["difference", "", d50, d95, round(s_with["mean_ms"] - s_without["mean_ms"], 1), ""],
    ]
    result: dict[str, Any] = {
        "benchmark": "gateway_overhead",
        "openclaw": toolchain.version(),
        "turns": args.turns,
        "warmup": args.warmup,
        "without": s_without,
        "with": s_with,
        "diff_p50_ms": d50,
        "diff_p95_ms": d95,
        "paired_diff_p50_ms": round(percentile(diffs, 50), 1),
        "cli_wall_p50_ms": {k: round(percentile(v, 50)) for k, v in cli_s.items()},
        "target_diff_p50_ms": TARGET_P50_MS,
        "target_met": d50 <= TARGET_P50_MS,
        "loadavg_start": [round(x, 2) for x in load_start],
        "loadavg_end": [round(x, 2) for x in load_end],
        "loadavg_1m_during": {
            "min": round(min(loads), 2),
            "max": round(max(loads), 2),
            "mean": round(statistics.fmean(loads), 2),
        },
        "wall_s": round(time.monotonic() - t_start, 1),
        "samples_ms": samples,
    }
    report(
        f"Gateway turn duration (meta.durationMs), {args.turns} turns per side after {args.warmup} warm-up, "
        f"load avg {load_start[0]:.1f} -> {load_end[0]:.1f}",
        ["side", "n", "p50 ms", "p95 ms", "mean ms", "CLI wall p50 ms"],
        rows,
        result,
        args.json_path,
    )
    if args.keep:
        print(f"run dir: {run_root}", file=sys.stderr)
    else:
        import shutil

        shutil.rmtree(run_root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
