"""The ledger's arithmetic as pure functions (the property tests pin these).

Energy is lazy: an entry stores its balance ``energy`` at the moment the
namespace's cumulative upkeep stood at ``anchor``. Upkeep is charged by
advancing one number per namespace (per settled session and/or per tick),
never by touching every entry; an entry's balance now is
``energy - (cum_upkeep - anchor)`` and it starves when ``cum_upkeep`` reaches
``death_at = anchor + energy``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

from ..text import terms
from .config import LedgerConfig

EPS = 1e-9


def balance(energy: float, anchor: float, cum_upkeep: float, *, exempt: bool = False, pinned: bool = False) -> float:
    """The balance now."""
    value = energy if exempt else energy - max(0.0, cum_upkeep - anchor)
    return max(0.0, value) if pinned else value


def death_at(energy: float, anchor: float, *, exempt: bool = False, pinned: bool = False) -> float | None:
    """Cumulative-upkeep level at which the entry is dead (None: it cannot starve).

    An exempt entry pays no upkeep, so it dies only of a balance already at or
    below zero (an execution); it is then due at once (``anchor``)."""
    if pinned:
        return None
    if exempt:
        return anchor if energy <= EPS else None
    return anchor + energy


def credit(delta: float, scale: float, baseline: float | None, cfg: LedgerConfig) -> float:
    """Bounded credit for one measured outcome: ``creditGain * tanh(advantage / scale)``.

    The advantage is the delta minus ``baselineWeight`` times the running mean
    outcome, so merely being recalled in a mostly successful world pays less
    than being recalled when it mattered. ``|credit| < creditGain`` always."""
    if not math.isfinite(delta) or delta == 0:
        return 0.0
    advantage = delta - cfg.baselineWeight * (baseline or 0.0)
    return cfg.creditGain * math.tanh(advantage / scale)


def apply_credit(current: float, amount: float, cfg: LedgerConfig, *, pinned: bool = False) -> float:
    """New balance after a credit: capped at ``maxEnergy``; pinned entries floor at 0."""
    value = min(cfg.maxEnergy, current + amount)
    return max(0.0, value) if pinned else value


def update_baseline(baseline: float | None, n: int, delta: float, alpha: float) -> float:
    """Running mean of outcome deltas: exact mean for the first 1/alpha outcomes, then an EWMA."""
    if baseline is None or n <= 0:
        return delta
    rate = max(alpha, 1.0 / (n + 1))
    return baseline + rate * (delta - baseline)


def shares(n_supporters: int, cfg: LedgerConfig) -> tuple[float, float]:
    """(decider share, each supporter's share) of one ticket's credit."""
    return 1.0, cfg.supporterShare if n_supporters else 0.0


def usefulness(energy_now: float, uses: int, cfg: LedgerConfig) -> float:
    """The re-rank signal in [-1, 1]: energy relative to spawn, with optimism for the young."""
    span = max(EPS, cfg.maxEnergy - cfg.spawnEnergy)
    earned = (energy_now - cfg.spawnEnergy) / span
    young = cfg.youngBoost * max(0.0, 1.0 - uses / cfg.youngUses)
    return max(-1.0, min(1.0, max(earned, young)))


def rank_score(relevance: float, top_relevance: float, energy_now: float, uses: int, cfg: LedgerConfig) -> float:
    """Relevance first: the normalised relevance times ``1 + rankWeight * usefulness``.

    Usefulness moves a score by at most ``rankWeight`` either way, so an entry
    whose relevance is more than ``(1 + w) / (1 - w)`` times another's always
    ranks first, whatever their energies."""
    norm = relevance / top_relevance if top_relevance > 0 else 0.0
    return norm * (1.0 + cfg.rankWeight * usefulness(energy_now, uses, cfg))


# -- similarity and merged text --------------------------------------------------------


def term_set(text: str) -> frozenset[str]:
    return frozenset(terms(text))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def merge_answers(answers: Sequence[str], max_chars: int) -> str:
    """One answer from several near-duplicates, strongest first: each sentence of a later
    answer is dropped when its terms are already covered, replaces an earlier sentence whose
    terms it contains (a more complete variant), and is appended otherwise. No whole-duplicate
    concatenation, and the result is bounded."""
    out: list[tuple[str, frozenset[str]]] = []
    for answer in answers:
        for sentence in (s.strip() for s in _SENTENCE.split(answer) if s and s.strip()):
            words = frozenset(terms(sentence))
            covered = frozenset().union(*(w for _, w in out)) if out else frozenset()
            if any(sentence == t for t, _ in out) or (words and words <= covered):
                continue
            for n, (_, w) in enumerate(out):
                if w and w <= words:
                    out[n] = (sentence, words)
                    break
            else:
                out.append((sentence, words))
    text = " ".join(dict.fromkeys(t for t, _ in out))
    return text if len(text) <= max_chars else text[: max_chars - 1].rstrip() + "…"


def union(lists: Iterable[Iterable[str]]) -> list[str]:
    seen: dict[str, None] = {}
    for items in lists:
        for item in items:
            seen.setdefault(item)
    return list(seen)
