"""Query decomposition: the rules, the LLM path against a scripted model server on loopback,
and sub-queries inside a real engine search."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from support.model_server import ModelServer, Reply

from clawmemory.engine import Engine
from clawmemory.llm import LLMClient
from clawmemory.retrieval.decompose import LLMDecomposer, SubQuery, decompose, entities, make_decomposer

PAIR = ["Jon", "Gina"]


def test_entities_are_known_authors_and_capitalised_names():
    found = entities("Would Tim enjoy visiting New York City and the Statue of Liberty?", ["Tim", "John"])
    assert [(e.surface, e.author) for e in found] == [
        ("Tim", "Tim"),
        ("New York City", None),
        ("Statue of Liberty", None),
    ]
    assert [e.surface for e in entities("how many times has joanna found trails?", ["Joanna"])] == ["joanna"]
    assert entities("What did they say about it?") == []


def test_both_splits_per_person_restricted_to_each_speaker():
    assert decompose("Did Jon and Gina both participate in dance competitions?", PAIR) == [
        SubQuery("Did participate in dance competitions?", "Jon"),
        SubQuery("Did participate in dance competitions?", "Gina"),
    ]


def test_coordinated_names_that_are_not_speakers_split_without_a_speaker():
    assert decompose("Which city have both Jean and John visited?", PAIR) == [
        SubQuery("Which city have Jean visited?"),
        SubQuery("Which city have John visited?"),
    ]


def test_comparison_splits_per_entity():
    parts = decompose("Does Caroline have more pets than Melanie?", ["Caroline", "Melanie"])
    assert [p.author for p in parts] == ["Caroline", "Melanie"]
    assert all("pets" in p.text and "Melanie" not in p.text and "Caroline" not in p.text for p in parts)
    assert [p.author for p in decompose("Who is older, Caroline or Melanie?", ["Caroline", "Melanie"])] == [
        "Caroline",
        "Melanie",
    ]


def test_coordinated_things_keep_the_speaker_in_every_part():
    assert decompose("Did Jon visit Paris and Rome?", PAIR) == [
        SubQuery("Did visit Paris?", "Jon"),
        SubQuery("Did visit Rome?", "Jon"),
    ]


def test_clauses_split_and_carry_the_question_s_names():
    assert decompose("When did Maria adopt Coco and what breed is she?", ["Maria", "John"]) == [
        SubQuery("When did adopt Coco", "Maria"),
        SubQuery("what breed is she? Coco", "Maria"),
    ]
    assert decompose("deploy the web app and rotate the staging database keys") == [
        SubQuery("deploy the web app"),
        SubQuery("rotate the staging database keys"),
    ]
    # a noun phrase "family and friends" is not a second clause
    assert decompose("What activities has Melanie done with her family and friends?", ["Melanie"]) == [
        SubQuery("What activities has done with her family and friends?", "Melanie")
    ]


def test_one_hop_queries_stay_whole():
    assert decompose("what port does the staging database listen on") == []
    assert decompose("What did Caroline tell Melanie about the parade?", ["Caroline", "Melanie"]) == []
    assert decompose("Did Jon and Gina both go?", PAIR, limit=1) == [SubQuery("Did go?", "Jon")]


def test_the_per_speaker_sub_query_can_be_left_out():
    question = "What books has Tim read?"
    assert decompose(question, ["Tim", "John"]) == [SubQuery("What books has read?", "Tim")]
    assert decompose(question, ["Tim", "John"], speakers=False) == []
    # coordinated parts keep their speaker either way
    assert decompose("Did Jon and Gina both go dancing?", PAIR, speakers=False)[0].author == "Jon"


def _answer(searches):
    return Reply(text=json.dumps({"searches": searches}))


def test_llm_decomposer_maps_speakers_and_caches():
    with ModelServer() as server:
        server.responder = lambda req: _answer(
            [{"text": "What did Jon study?", "speaker": "jon"}, {"text": "Where is Lyon?", "speaker": None}]
        )
        llm = LLMDecomposer(LLMClient("openai", server.openai_url, "m", timeout_s=5))
        parts = llm("What did Jon study, and where is Lyon?", PAIR)
        assert parts == [SubQuery("What did study?", "Jon"), SubQuery("Where is Lyon?")]
        assert llm("What did Jon study, and where is Lyon?", PAIR) == parts
        chats = [r for r in server.requests if r["path"].endswith("/chat/completions")]
        assert len(chats) == 1  # the second call came from the cache
        assert (
            "Jon, Gina" in chats[0]["body"]["messages"][1]["content"]
            or "Gina, Jon" in (chats[0]["body"]["messages"][1]["content"])
        )


@pytest.mark.parametrize(
    "reply",
    [Reply(status=500), Reply(text="not json at all"), Reply(text=json.dumps({"searches": "two"}))],
    ids=["http-error", "not-json", "off-schema"],
)
def test_llm_decomposer_falls_back_to_the_rules(reply):
    with ModelServer() as server:
        server.reply(reply.text, status=reply.status)
        llm = LLMDecomposer(LLMClient("openai", server.openai_url, "m", timeout_s=5))
        query = "Did Jon and Gina both participate in dance competitions?"
        assert llm(query, PAIR) == decompose(query, PAIR)


def test_make_decomposer_follows_the_settings(home):
    with Engine.open(home, search_decompose="llm") as engine:  # no LLM configured: the rules
        assert engine.searcher.decomposer is decompose
    with (
        ModelServer() as server,
        Engine.open(
            home, search_decompose="llm", llm_provider="openai", llm_base_url=server.openai_url, llm_model="m"
        ) as engine,
    ):
        assert isinstance(engine.searcher.decomposer, LLMDecomposer)
        assert isinstance(make_decomposer(engine.settings), LLMDecomposer)
    with Engine.open(home, search_subquery_weight=0.2) as engine:
        assert engine.searcher.params.subquery_weight == 0.2
    with Engine.open(home) as engine:  # off by default: no held-out gain on LoCoMo dev (docs/DESIGN.md)
        assert engine.searcher.params.subquery_weight == 0.0


def _conversation(engine: Engine) -> None:
    """Jon talks about Gina a lot; Gina's own turns say what she did."""
    engine.ensure_namespace("talk")
    filler = [
        ("Jon", "Gina, my dance studio finally opened its doors this week"),
        ("Jon", "Gina, the competition judges loved the new choreography"),
        ("Jon", "Gina, I keep thinking about the studio rent and the competition fees"),
        ("Gina", "I opened an online clothing store last month"),
        ("Jon", "Gina, I take part in dance competitions as a judge now"),
        ("Gina", "Back in school I entered dance competitions almost every weekend"),
    ]
    for n, (speaker, text) in enumerate(filler):
        engine.add_messages(f"s{n}", [{"role": "user", "speaker": speaker, "text": text}], "talk")


def test_speaker_sub_queries_lift_the_named_speaker_s_evidence(home):
    with Engine.open(home, embedding_provider="none") as engine:
        _conversation(engine)
        question = "Did Gina take part in dance competitions?"
        engine.searcher.params = replace(engine.searcher.params, subquery_weight=0.0, speaker_boost=0.0)
        plain = engine.search(question, "talk", corpus="messages", limit=6)
        engine.searcher.params = replace(engine.searcher.params, subquery_weight=0.5, subquery_speakers=True)
        split = engine.search(question, "talk", corpus="messages", limit=6)
        evidence = "Back in school I entered dance competitions almost every weekend"
        rank = {name: [h.text for h in hits].index(evidence) for name, hits in (("plain", plain), ("split", split))}
        assert rank == {"plain": 1, "split": 0}  # Jon's turn naming Gina wins until Gina's turns are searched alone
