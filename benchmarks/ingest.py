"""Ingest throughput of `clawmemory ingest` on a large observations file, with memory use.

Generates a JSONL file shaped like the capture plugin's output (default 1 GB, in a temp dir),
ingests it into a fresh data dir (one pass, as `clawmemory ingest FILE` does: a backlog this
large is parsed by helper processes while this one writes), and prints lines/s (wall and
CPU, helpers included), MB/s, and the writer's RSS at several points of the file plus the
helpers' peak RSS, then re-ingests to show the idempotent pass is cheap.
Target: >= 20,000 lines/s.

Run: .venv/bin/python benchmarks/ingest.py [--size-mb 1024] [--json OUT] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import Corpus, report  # noqa: E402

from clawmemory.engine import Engine  # noqa: E402
from clawmemory.redaction import RULES_VERSION  # noqa: E402

TOOLS = [
    "exec",
    "read",
    "write",
    "edit",
    "web_fetch",
    "web_search",
    "memory_search",
    "memory_get",
    "memory_recall",
    "memory_store",
    "browser",
    "process",
]
OPS = {"memory_search": "search", "memory_get": "get", "memory_recall": "recall", "memory_store": "store"}


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(path: Path, size_bytes: int, seed: int = 3) -> int:
    """Write plugin-shaped lines until the file reaches ``size_bytes``; returns the line count."""
    rng = random.Random(seed)
    corpus = Corpus(seed=seed)
    pool = [corpus.sentence(8, 40) for _ in range(4000)]
    n = 0
    written = 0
    with path.open("w", encoding="utf-8", buffering=1 << 20) as f:
        while written < size_bytes:
            n += 1
            tool = rng.choice(TOOLS)
            parts, length, want = [], 0, rng.randint(150, 1800)
            while length < want:
                s = rng.choice(pool)
                parts.append(s)
                length += len(s) + 1
            result = f"#{n} " + " ".join(parts)
            head = " ".join(result[:480].split())
            summary = f"{tool}: " + (head if len(head) <= 230 - len(tool) else head[: 229 - len(tool)] + "…")
            agent = "main" if n % 10 else "ops"
            detail = {
                "memory_backend": "clawmemory",
                "memory_backend_ready": True,
                "memory_backend_mode": "auto",
                "memory_tool": tool.startswith("memory_"),
            }
            if tool in OPS:
                detail["memory_operation"] = OPS[tool]
            line = (
                json.dumps(
                    {
                        "v": 1,
                        "ts": f"2026-11-{1 + n // 86400 % 28:02d}T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}.000Z",
                        "kind": "tool",
                        "tool_name": tool,
                        "tool_call_id": f"call_{n:x}",
                        "session_key": f"agent:{agent}:s{n // 500}",
                        "agent_id": agent,
                        "is_synthetic": False,
                        "is_error": n % 97 == 0,
                        "summary": summary,
                        "result": result[:2000],
                        "result_chars": len(result),
                        "result_truncated": len(result) > 2000,
                        "redaction": RULES_VERSION,
                        "detail": detail,
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
            f.write(line)
            written += len(line.encode("utf-8"))
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=float, default=1024)
    ap.add_argument("--json")
    ap.add_argument("--keep", help="Work in this dir and keep it (default: a temp dir, removed).")
    args = ap.parse_args()

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        src = work / "clawmemory-observations.jsonl"
        t0 = time.perf_counter()
        lines = generate(src, int(args.size_mb * 1024 * 1024))
        gen_s = time.perf_counter() - t0
        size = src.stat().st_size
        print(f"generated {lines:,} lines, {size / 2**20:,.0f} MiB in {gen_s:.0f}s -> {src}", flush=True)

        checkpoints = [0.01, 0.10, 0.25, 0.50, 0.75, 1.0]
        points: list[list] = []
        engine = Engine.open(work / "data", embedding_provider="none")
        start_rss = rss_mb()
        t_wall, t_cpu = time.perf_counter(), time.process_time()

        def progress(rep, offset: int) -> None:
            while checkpoints and offset >= checkpoints[0] * size:
                frac = checkpoints.pop(0)
                el = time.perf_counter() - t_wall
                points.append(
                    [f"{frac:.0%}", f"{rep.lines:,}", f"{rep.lines / el:,.0f}", f"{rss_mb():.0f}", f"{peak_mb():.0f}"]
                )
                print("  at {}: {} lines, {} lines/s, RSS {} MiB, peak {} MiB".format(*points[-1]), flush=True)

        result = engine.capture.ingest([src], progress=progress)
        wall, cpu = time.perf_counter() - t_wall, time.process_time() - t_cpu
        helpers = resource.getrusage(resource.RUSAGE_CHILDREN)
        helper_cpu = helpers.ru_utime + helpers.ru_stime
        points.append(
            ["done", f"{result.lines:,}", f"{result.lines / wall:,.0f}", f"{rss_mb():.0f}", f"{peak_mb():.0f}"]
        )
        t1 = time.perf_counter()
        again = engine.capture.ingest([src])  # resumes at the end: nothing to read
        again_s = time.perf_counter() - t1
        engine.store.db.execute("DELETE FROM capture_offsets")  # forget the offset: every line is re-checked
        t2 = time.perf_counter()
        dup = engine.capture.ingest([src])
        dup_s = time.perf_counter() - t2
        db_bytes = sum(p.stat().st_size for p in (work / "data").glob("clawmemory.db*"))
        engine.close()

        res = {
            "bench": "ingest",
            "file_bytes": size,
            "lines": result.lines,
            "added": result.added,
            "errors": sum(f.error_count for f in result.files),
            "seconds": round(wall, 2),
            "cpu_seconds": round(cpu, 2),
            "helpers": engine.capture.helpers,
            "helper_cpu_seconds": round(helper_cpu, 2),
            "helper_peak_rss_mb": round(helpers.ru_maxrss / 1024),
            "lines_per_s": round(result.lines / wall),
            "lines_per_cpu_s": round(result.lines / (cpu + helper_cpu)),
            "mb_per_s": round(size / 2**20 / wall, 1),
            "rss_start_mb": round(start_rss),
            "rss_end_mb": round(rss_mb()),
            "peak_rss_mb": round(peak_mb()),  # writer
            "rss_points": [{"at": p[0], "lines": p[1], "rss_mb": float(p[3]), "peak_mb": float(p[4])} for p in points],
            "resume_pass_s": round(again_s, 3),
            "resume_pass_added": again.added,
            "full_recheck_s": round(dup_s, 1),
            "full_recheck_added": dup.added,
            "db_bytes": db_bytes,
            "target_lines_per_s": 20000,
            "cores": os.cpu_count(),
            "loadavg_1m": round(os.getloadavg()[0], 2),
        }
        report(
            f"ingest {size / 2**20:,.0f} MiB ({result.lines:,} lines)",
            ["at", "lines", "lines/s so far", "RSS MiB", "peak RSS MiB"],
            points,
            res,
            args.json,
        )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
