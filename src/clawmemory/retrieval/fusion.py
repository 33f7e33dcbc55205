"""Score fusion: z-score (default), min-max and reciprocal-rank fusion.

Each takes per-signal ``{item: score}`` maps over one candidate pool and returns fused
scores (higher is better). An item missing from a signal gets that signal's ``missing``
value (0 for BM25: it matched no term; the pool's lowest cosine for vectors: it ranked
below the cut). For z-scores, callers pass each signal's mean and standard deviation over
*every* visible item when they know them, so scores compare across queries.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

Stats = tuple[float, float]  # (mean, std)


def _z(scores: dict[int, float], pool: Sequence[int], missing: float, stats: Stats | None) -> dict[int, float]:
    values = [scores.get(i, missing) for i in pool]
    mean, std = stats or (statistics.fmean(values), statistics.pstdev(values))
    std = std or 1.0
    return {i: (v - mean) / std for i, v in zip(pool, values)}


def _minmax(scores: dict[int, float], pool: Sequence[int], missing: float, _: Stats | None) -> dict[int, float]:
    values = [scores.get(i, missing) for i in pool]
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    return {i: (v - lo) / span for i, v in zip(pool, values)}


def fuse(
    lexical: dict[int, float],
    vector: dict[int, float],
    *,
    method: str = "zscore",
    lexical_weight: float = 0.5,
    lexical_stats: Stats | None = None,
    vector_stats: Stats | None = None,
    rrf_k: int = 60,
    pool: Sequence[int] | None = None,
) -> tuple[dict[int, float], dict[int, float]]:
    """Fuse two signals over ``pool`` (default: the union of their candidates).

    Returns (fused score, normalised vector score) per item; the second feeds container
    scores (a session's best dense evidence)."""
    pool = list(dict.fromkeys([*lexical, *vector])) if pool is None else list(pool)
    if not pool:
        return {}, {}
    w = lexical_weight
    if method == "rrf":
        lex_rank = {i: r for r, i in enumerate(sorted(lexical, key=lexical.__getitem__, reverse=True))}
        vec_rank = {i: r for r, i in enumerate(sorted(vector, key=vector.__getitem__, reverse=True))}
        worst = len(pool)
        fused = {
            i: (w / (rrf_k + lex_rank.get(i, worst)) if lexical else 0.0)
            + ((1 - w) / (rrf_k + vec_rank.get(i, worst)) if vector else 0.0)
            for i in pool
        }
        return fused, {i: 1.0 / (1 + vec_rank.get(i, worst)) for i in pool}
    norm = _z if method == "zscore" else _minmax
    lex_n = norm(lexical, pool, 0.0, lexical_stats) if lexical else {}
    vec_n = norm(vector, pool, min(vector.values()), vector_stats) if vector else {}
    if not vector:
        return lex_n, {}
    if not lexical:
        return vec_n, vec_n
    return {i: w * lex_n[i] + (1 - w) * vec_n[i] for i in pool}, vec_n
