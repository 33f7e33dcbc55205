"""Candidates for multi-hop questions: sub-query pools fused into one ranking, and sessions
ranked over several strong turns.

The searcher scores a decomposed query (``decompose.py``) once as a whole and once per
sub-query, over the union of all their candidate pools; ``widen`` mixes each item's score
with its best sub-query score, so the evidence for each part of the question can rise
without the whole-question ranking being thrown away. ``container_scores`` ranks sessions
(and documents) by a soft-max over their snippets, so a session with several good turns
beats one with a single lucky match; ``with_containers`` lets that session score lift its
turns too, so the turn list favours evidence from sessions that match as a whole.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from ..store import SearchRow


def widen(main: dict[int, float], parts: Sequence[Mapping[int, float]], weight: float) -> dict[int, float]:
    """Each item's score mixed with its best sub-query score: (1 − ``weight``)·main +
    ``weight``·max over ``parts`` (each part scores every item of ``main``, or is empty: a
    sub-query that found nothing)."""
    parts = [p for p in parts if p]
    if not parts or not weight:
        return main
    return {i: (1 - weight) * s + weight * max(p[i] for p in parts) for i, s in main.items()}


def container_scores(
    fused: Mapping[int, float],
    dense: Mapping[int, float],
    rows: Mapping[int, SearchRow],
    temperature: float,
    dense_weight: float,
) -> dict[str, float]:
    """A container's score: a soft-max (``temperature``) over its snippets' fused scores, plus
    ``dense_weight`` × its best normalised dense score."""
    members: dict[str, list[int]] = {}
    for item_id in fused:
        row = rows.get(item_id)
        if row is not None and row.container:
            members.setdefault(row.container, []).append(item_id)
    scores = {}
    for container, items in members.items():
        top = max(fused[i] for i in items)
        softmax = top + temperature * math.log(sum(math.exp((fused[i] - top) / temperature) for i in items))
        best_dense = max((dense[i] for i in items if i in dense), default=0.0)
        scores[container] = softmax + dense_weight * best_dense
    return scores


def with_containers(
    fused: Mapping[int, float], containers: Mapping[str, float], rows: Mapping[int, SearchRow], share: float
) -> dict[int, float]:
    """Each snippet's score mixed with its container's: (1 − ``share``)·own + ``share``·container.
    A snippet outside any container keeps its own score (it is its own container)."""
    if not share:
        return dict(fused)
    out = {}
    for item_id, score in fused.items():
        container = rows[item_id].container
        out[item_id] = score if not container else (1 - share) * score + share * containers[container]
    return out
