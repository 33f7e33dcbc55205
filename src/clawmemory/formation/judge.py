"""Update judge: does a later statement revise what an earlier memory says?

A logistic regression over features of the pair that do not read its wording: how near the two are
in meaning (the embedder's cosine, both as queries) and how much nearer than the other memories near
the later one, what the two share and what the later one says anew (content words, typed values,
names), whether it gives another value of a kind both give, kinds, speakers' sessions, the time
between them and their lengths. No cue-word list is a feature (round-8 cue words did not carry to
writers they were not read from). Trained by ``scripts/train_update_judge.py`` on the studied
formation splits (the weights, their provenance and the held-out figures are in ``judge.json``).

The judge links a revision below the bar for superseding (``revised_by``, read by the recall order:
it only reorders what a search returned); it never supersedes.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from . import claims
from .claims import Claim

WEIGHTS = Path(__file__).with_name("judge.json")

FEATURES = (
    "cosine",  # the two texts' cosine (both embedded as queries)
    "margin",  # cosine minus the best cosine of the later one to another memory near it (0 when none)
    "overlap",  # Jaccard of the two texts' content-word stems
    "novel",  # share of the later one's content-word stems the earlier does not say
    "replaced",  # a value kind both give where the later one drops one of the earlier's for another
    "shared_value",  # a date, name, identifier, quantity … both give
    "both_valued",  # both give a typed value
    "restated",  # the later one gives values and every one of them the earlier gives too (a confirmation)
    "new_name",  # the later one names what the earlier does not (a capitalised stem the earlier lacks)
    "shared_name",  # a name both say
    "flip",  # one is negative, the other not
    "same_kind",
    "question",  # the earlier one is an open question
    "same_session",
    "gap",  # log1p of the days between them
    "length",  # log of the later one's length over the earlier's (characters)
)


@dataclass(frozen=True)
class Pair:
    """An earlier memory and a later statement, as the judge reads them; ``others``: the later one's
    cosines to the other memories near it."""

    new: str
    old: str
    new_kind: str
    old_kind: str
    cosine: float
    others: tuple[float, ...] = ()
    same_session: bool = False
    new_at: str = ""
    old_at: str = ""


def _stems(claim: Claim) -> set[str]:
    return {claims.stem(w) for w in claim.words}


def _days(a: str, b: str) -> float:
    try:
        first = datetime.fromisoformat(a.replace("Z", "+00:00"))
        second = datetime.fromisoformat(b.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    return max(0.0, (second - first).total_seconds() / 86400)


def features(pair: Pair) -> np.ndarray:
    """The pair's feature vector, in the order of :data:`FEATURES`."""
    new, old = claims.parse(pair.new), claims.parse(pair.old)
    mine, theirs = _stems(new), _stems(old)
    overlap = len(mine & theirs) / len(mine | theirs) if mine | theirs else 0.0
    novel = len(mine - theirs) / len(mine) if mine else 0.0
    changed = claims.differences(new, old, strict=True)
    replaced = any(fresh and dropped for fresh, dropped in changed.values())
    names, their_names = new.proper(), old.proper()
    said = theirs | {claims.stem(w) for w in old.capitals}
    margin = pair.cosine - max(pair.others) if pair.others else 0.0
    return np.array(
        [
            pair.cosine,
            margin,
            overlap,
            novel,
            float(replaced),
            float(bool(claims.shared(new, old))),
            float(bool(new.values) and bool(old.values)),
            float(bool(new.values) and new.all_values() <= old.all_values()),
            float(bool(names - said)),
            float(bool(names & their_names or new.shared_subject(old))),
            float(new.negative != old.negative),
            float(pair.new_kind == pair.old_kind),
            float(pair.old_kind == "question"),
            float(pair.same_session),
            math.log1p(_days(pair.old_at, pair.new_at)),
            math.log(max(len(pair.new), 1) / max(len(pair.old), 1)),
        ],
        dtype=np.float64,
    )


@dataclass(frozen=True)
class Judge:
    """A logistic regression over standardised :data:`FEATURES`; ``threshold``: the probability at or
    above which a pair is a revision."""

    weights: np.ndarray
    bias: float
    mean: np.ndarray
    scale: np.ndarray
    threshold: float

    def probability(self, x: np.ndarray) -> float:
        z = float((x - self.mean) / self.scale @ self.weights) + self.bias
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))

    def revises(self, pair: Pair) -> bool:
        return self.probability(features(pair)) >= self.threshold

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Judge:
        if tuple(data["features"]) != FEATURES:
            raise ValueError("judge weights were trained on other features")
        return cls(
            np.asarray(data["weights"], dtype=np.float64),
            float(data["bias"]),
            np.asarray(data["mean"], dtype=np.float64),
            np.asarray(data["scale"], dtype=np.float64),
            float(data["threshold"]),
        )


@lru_cache(maxsize=1)
def shipped() -> Judge:
    """The judge whose weights ship with the package (``judge.json``)."""
    return Judge.from_dict(json.loads(WEIGHTS.read_text()))
