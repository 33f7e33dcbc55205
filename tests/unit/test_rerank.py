"""The shipped cross-encoder (int8 ONNX) and its fusion into search: the real model, a real engine."""

from __future__ import annotations

import hashlib
import json

import pytest

from clawmemory.engine import Engine
from clawmemory.retrieval.rerank import MODEL_DIR, Reranker, Reranking, rerank


@pytest.fixture(scope="module")
def model() -> Reranker:
    return Reranker()


def test_shipped_weights_match_their_manifest():
    manifest = json.loads((MODEL_DIR / "reranker.json").read_text())
    for name, digest in manifest["sha256"].items():
        assert hashlib.sha256((MODEL_DIR / name).read_bytes()).hexdigest() == digest
    assert "LoCoMo" not in manifest["data"].replace("no LoCoMo", "")
    assert "Apache-2.0" in manifest["base"] and "MIT" in manifest["data"]


@pytest.mark.parametrize(
    ("query", "answer", "distractor"),
    [
        (
            "What does Maria do for work?",
            "Maria: I teach piano to kids at the music school downtown.",
            "Maria: The weather was awful yesterday, it rained all day.",
        ),
        (
            "Where did Tom go on vacation?",
            "Tom: We spent two weeks hiking in Norway, the fjords were amazing.",
            "Tom: What about you, do you have any plans for a vacation?",
        ),
        (
            "What is Priya's favorite book?",
            "Priya: Honestly my favorite has to be Pride and Prejudice, I reread it every year.",
            "Priya: Do you like reading books?",
        ),
    ],
)
def test_the_answer_outscores_a_turn_that_only_shares_words(model, query, answer, distractor):
    answer_score, distractor_score = model.scores(query, [answer, distractor])
    assert answer_score > distractor_score


def test_scores_do_not_depend_on_batching_or_order(model):
    texts = [f"Sam: I bought {n} apples at the market" + " and pears" * n for n in range(20)]
    together = model.scores("How many apples did Sam buy?", texts)
    alone = [model.scores("How many apples did Sam buy?", [t])[0] for t in texts[:3]]
    assert together[:3] == pytest.approx(alone, abs=1e-4)
    assert list(model.scores("q", [])) == []


def test_pair_tokens_counts_what_the_model_reads_capped_at_its_length(model):
    short, long = model.pair_tokens("Where is Sam?", ["Sam: at home", "Sam: " + "very " * 200 + "far"])
    assert short == len("[CLS] where is sam ? [SEP] sam : at home [SEP]".split())
    assert long == model.max_len


def test_fusion_moves_only_the_reranked_items_by_their_standardised_score():
    fused = {1: 3.0, 2: 2.0, 3: 1.0, 4: 0.5}
    out = rerank(fused, {1: "a", 2: "b", 3: "c"}, [0.0, 0.0, 9.0], weight=2.0)
    assert out[4] == 0.5  # not reranked
    assert max(out, key=out.get) == 3  # the cross-encoder's favourite rises to the top
    assert rerank(fused, {1: "a", 2: "b"}, [1.0, 2.0], weight=0.0) == fused


TURNS = [
    ("Nina", "I went to the farmers market on Saturday and bought fresh strawberries."),
    ("Omar", "Nice! Did you go to the market alone or with your sister?"),
    ("Nina", "My sister came along, she wanted honey from the market."),
    ("Omar", "I started learning the cello last month, it is hard but fun."),
    ("Nina", "The market also had a band playing folk music."),
]


def engine_with(home, **overrides) -> Engine:
    engine = Engine.open(home, embedding_provider="none", **overrides)
    messages = [
        {"role": "user", "speaker": s, "text": t, "created_at": f"2026-05-01T10:0{i}:00Z"}
        for i, (s, t) in enumerate(TURNS)
    ]
    engine.add_messages("s1", messages, "default")  # fixed times: a second engine replays, stores nothing new
    return engine


def test_rerank_setting_reorders_search_within_the_same_pool(home):
    with engine_with(home) as plain:
        before = plain.search("What did Nina buy at the market?", corpus="messages")
    with engine_with(home, rerank=True, rerank_weight=2.0) as reranked:
        assert reranked.searcher.params.rerank_weight == 2.0
        after = reranked.search("What did Nina buy at the market?", corpus="messages")
    assert {h.id for h in after} == {h.id for h in before}
    assert [h.score for h in after] != [h.score for h in before]
    assert "strawberries" in after[0].text


def test_rerank_fails_open_when_the_model_cannot_load(home, tmp_path):
    with engine_with(home, rerank=True) as engine:
        engine.searcher.rerank = Reranking(engine.core.snippet_texts, path=tmp_path / "absent")
        hits = engine.search("What did Nina buy at the market?", corpus="messages")
        assert "absent" in engine.searcher.rerank.error
    assert hits and "market" in hits[0].text


def test_rerank_is_off_by_default(engine):
    assert engine.searcher.params.rerank_weight == 0.0
