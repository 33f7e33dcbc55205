"""Score fusion: z-score (default), min-max and reciprocal-rank fusion.

Each takes per-signal ``{item: score}`` maps over one candidate pool and returns fused
scores (higher is better). An item missing from a signal gets that signal's floor: 0 for
BM25 (it matched no term), the pool's lowest score for cosine (it ranked below the cut).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def _z(scores: dict[int, float], pool: Sequence[int], missing: float) -> dict[int, float]:
    values = [scores.get(i, missing) for i in pool]
    mean = statistics.fmean(values)
    std = statistics.pstdev(values) or 1.0
    return {i: (v - mean) / std for i, v in zip(pool, values)}


def _minmax(scores: dict[int, float], pool: Sequence[int], missing: float) -> dict[int, float]:
    values = [scores.get(i, missing) for i in pool]
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    return {i: (v - lo) / span for i, v in zip(pool, values)}


def fuse(lexical: dict[int, float], vector: dict[int, float], *, method: str = "zscore",
         lexical_weight: float = 0.5, rrf_k: int = 60) -> dict[int, float]:
    """Fuse two signals over the union of their candidates."""
    pool = list(dict.fromkeys([*lexical, *vector]))
    if not pool:
        return {}
    if not vector:
        return dict(lexical)
    if not lexical:
        return dict(vector)
    w = lexical_weight
    if method == "rrf":
        lex_rank = {i: r for r, i in enumerate(sorted(lexical, key=lexical.get, reverse=True))}
        vec_rank = {i: r for r, i in enumerate(sorted(vector, key=vector.get, reverse=True))}
        worst = len(pool)
        return {i: w / (rrf_k + lex_rank.get(i, worst)) + (1 - w) / (rrf_k + vec_rank.get(i, worst))
                for i in pool}
    norm = _z if method == "zscore" else _minmax
    vec_floor = min(vector.values())
    lex_n = norm(lexical, pool, 0.0)
    vec_n = norm(vector, pool, vec_floor)
    return {i: w * lex_n[i] + (1 - w) * vec_n[i] for i in pool}
