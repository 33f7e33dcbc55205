"""Bulk write throughput and lexical search latency at 10k and 100k memories.

Targets (issue: foundation): bulk write >= 5,000 memories/s; lexical p50 <= 5 ms at 100k.
Writes go through Engine.store_memories (validation, redaction, FTS in the same
transaction) in batches; searches through Engine.search with natural-language queries.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Corpus, report, summary_ms  # noqa: E402

from clawmemory.engine import Engine  # noqa: E402


def bench(size: int, batch: int, queries: int) -> dict:
    corpus = Corpus()
    texts = [corpus.sentence() for _ in range(size)]
    with tempfile.TemporaryDirectory() as tmp, Engine.open(Path(tmp)) as engine:
        start = time.perf_counter()
        for i in range(0, size, batch):
            engine.store_memories([{"text": t} for t in texts[i : i + batch]])
        write_s = time.perf_counter() - start
        qs = [corpus.question() for _ in range(queries)]
        for q in qs[:20]:  # warm caches
            engine.search(q)
        samples, empty = [], 0
        for q in qs:
            t0 = time.perf_counter()
            hits = engine.search(q, limit=10)
            samples.append(time.perf_counter() - t0)
            empty += not hits
        db_mb = Path(engine.settings.db_path).stat().st_size / 1e6
    return {
        "size": size,
        "write_per_s": round(size / write_s),
        "write_s": round(write_s, 2),
        "search": summary_ms(samples),
        "empty_rate": round(empty / len(qs), 3),
        "db_mb": round(db_mb, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()
    results = [bench(int(s), args.batch, args.queries) for s in args.sizes.split(",")]
    rows = [
        [r["size"], r["write_per_s"], r["search"]["p50_ms"], r["search"]["p99_ms"], r["empty_rate"], r["db_mb"]]
        for r in results
    ]
    report(
        "store: bulk write and lexical search",
        ["memories", "writes/s", "search p50 ms", "search p99 ms", "empty", "db MB"],
        rows,
        {
            "benchmark": "store",
            "machine": platform.machine(),
            "python": platform.python_version(),
            "batch": args.batch,
            "results": results,
        },
        args.json_path,
    )


if __name__ == "__main__":
    main()
