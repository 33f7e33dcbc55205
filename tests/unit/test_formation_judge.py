"""The update judge: its features on hand-made pairs, the shipped model's direction, its use in
reconciliation (a link below the bar for superseding) and failing open."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from clawmemory.formation import judge
from clawmemory.formation.judge import FEATURES, Judge, Pair, features
from clawmemory.formation.reconcile import Candidate, Neighbour, decide

ROOT = Path(__file__).resolve().parents[2]
STUDIED = {"tune", "seen", "fresh", "fresh2", "fresh3", "fresh4", "fresh5", "fresh6", "fresh7", "fresh8"}


def f(pair: Pair) -> dict[str, float]:
    return dict(zip(FEATURES, features(pair).tolist(), strict=True))


def test_features_read_values_names_and_time_not_wording():
    moved = f(
        Pair(
            "The dentist is on 14 March now.",
            "Dentist appointment on 3 March.",
            "fact",
            "fact",
            0.9,
            (0.85, 0.8),
            False,
            "2026-03-01T10:00:00Z",
            "2026-02-01T10:00:00Z",
        )
    )
    assert moved["replaced"] == 1.0 and moved["both_valued"] == 1.0
    assert moved["margin"] == pytest.approx(0.05) and moved["cosine"] == pytest.approx(0.9)
    assert moved["gap"] == pytest.approx(np.log1p(28)) and moved["same_session"] == 0.0
    named = f(Pair("Priya runs the Monday stand-up.", "I run the Monday stand-up.", "fact", "fact", 0.88))
    assert named["new_name"] == 1.0 and named["shared_name"] == 0.0 and named["replaced"] == 0.0
    assert named["margin"] == 0.0  # no other memory near: nothing to be nearer than
    flipped = f(Pair("We don't want a dog any more.", "We want a dog.", "preference", "preference", 0.9))
    assert flipped["flip"] == 1.0 and flipped["same_kind"] == 1.0 and flipped["overlap"] == 0.5
    asked = f(Pair("Go with the blue one.", "Blue or green tiles?", "decision", "question", 0.8, same_session=True))
    assert asked["question"] == 1.0 and asked["same_session"] == 1.0 and asked["same_kind"] == 0.0


def test_the_shipped_judge_finds_a_nearer_pair_more_likely_a_revision():
    model = judge.shipped()
    base = dict(new="We switched the venue to the old mill.", old="The venue is the town hall.")
    near = Pair(**base, new_kind="decision", old_kind="decision", cosine=0.92, others=(0.84,))
    far = Pair(**base, new_kind="decision", old_kind="decision", cosine=0.84, others=(0.92,))
    assert model.probability(features(near)) > model.probability(features(far))
    # weights and the threshold a probability is compared with
    assert model.weights[FEATURES.index("cosine")] > 0 and model.weights[FEATURES.index("margin")] > 0
    assert 0 < model.threshold < 1


def test_the_shipped_weights_name_their_data_studied_splits_only():
    shipped = json.loads(judge.WEIGHTS.read_text())
    provenance = shipped["provenance"]
    assert set(provenance["splits"]) <= STUDIED and shipped["features"] == list(FEATURES)
    data = ROOT / "benchmarks" / "data"
    files = [data / ("formation_heldout.json" if s == "seen" else f"formation_{s}.json") for s in provenance["splits"]]
    assert hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest() == provenance["data_sha256"]


def test_weights_for_other_features_are_refused():
    data = json.loads(judge.WEIGHTS.read_text())
    with pytest.raises(ValueError):
        Judge.from_dict(data | {"features": list(FEATURES[:-1])})


T0, T1 = "2026-03-01T10:00:00Z", "2026-03-20T10:00:00Z"


def mem(mid: str, text: str, kind: str = "preference", role: str = "user") -> Neighbour:
    return Neighbour(mid, kind, text, T0, role, "s1", 1)


def cand(text: str, kind: str = "preference", role: str = "user") -> Candidate:
    return Candidate(kind, text, "ns", "s2", 3, T1, 0.8, role)


def by_cosine(cosines: dict[str, float]):
    return lambda a, b: cosines.get(b, cosines.get(a, 0.0))


# a judge with set weights: only the cosine counts (the wiring is what is tested, not the shipped fit)
COSINE_ONLY = Judge(
    np.array([10.0 if name == "cosine" else 0.0 for name in FEATURES]),
    -9.0,
    np.zeros(len(FEATURES)),
    np.ones(len(FEATURES)),
    0.5,
)


def test_a_judged_revision_is_linked_never_superseded(monkeypatch):
    monkeypatch.setattr(judge, "shipped", lambda: COSINE_ONLY)
    old = mem("m1", "For the holiday I want somewhere quiet by a lake.")
    other = mem("m2", "Our cat needs a sitter in August.")
    new = cand("Honestly we'd rather do a city break this year.")
    near = by_cosine({old.text: 0.95, other.text: 0.5})
    found = decide(new, [other, old], near)
    assert (found.action, found.revised, found.targets) == ("add", ("m1",), ())
    # below the threshold, an agent's sentence, a question, or no embedder: nothing linked
    assert decide(new, [old], by_cosine({old.text: 0.85})).revised == ()
    assert decide(cand(new.text, role="assistant"), [mem("m3", old.text, role="assistant")], near).revised == ()
    assert decide(cand("A city break, maybe?", kind="question"), [old], near).revised == ()
    assert decide(new, [old]).revised == ()
    # the user's memory is not revised by the agent's, nor the agent's by the user's words here
    assert decide(new, [mem("m4", old.text, role="assistant")], near).revised == ()


def test_unreadable_weights_link_nothing_and_the_memory_is_still_added(monkeypatch):
    def broken() -> Judge:
        raise OSError("judge.json missing")

    monkeypatch.setattr(judge, "shipped", broken)
    old = mem("m1", "For the holiday I want somewhere quiet by a lake.")
    found = decide(cand("Honestly we'd rather do a city break this year."), [old], by_cosine({old.text: 0.99}))
    assert (found.action, found.revised) == ("add", ())
