import random

import pytest

from clawmemory.engine import Engine
from clawmemory.errors import InvalidInput, NotFound


def test_store_get_list_forget(engine):
    result = engine.store_memory(text="User prefers dark mode", category="preference", kind="fact")
    assert result.created
    mem = engine.get_memory(result.memory.id)
    assert mem.category == "preference" and mem.kind == "fact"
    assert engine.list_memories().total == 1
    engine.forget(mem.id)
    assert engine.list_memories().total == 0
    assert engine.list_memories(status="forgotten").total == 1
    assert engine.search("dark mode") == []


def test_question_answer_form(engine):
    mem = engine.store_memory(question="Where do we deploy?", answer="Fly.io, region ams").memory
    assert mem.text == "Where do we deploy?\nFly.io, region ams"
    assert engine.search("deploy region")[0].id == mem.id


def test_secrets_redacted_before_storage(engine):
    mem = engine.store_memory(text="the key is sk-proj-abcdefghijklmnopqrstuvwxyz012345").memory
    assert "sk-proj" not in mem.text
    row = engine.store.db.execute("SELECT text FROM memories").fetchone()[0]
    assert "[REDACTED]" in row


def test_unknown_namespace_and_id(engine):
    with pytest.raises(NotFound) as info:
        engine.store_memory("ghost", text="x")
    assert info.value.field == "namespace"
    with pytest.raises(NotFound):
        engine.get_memory("mem_nope")
    assert engine.stats()["memories"] == 0


def test_namespace_isolation_on_get_and_forget(engine):
    engine.ensure_namespace("work")
    mem = engine.store_memory("work", text="work secret plan").memory
    with pytest.raises(NotFound):
        engine.get_memory(mem.id)  # default namespace cannot see it
    with pytest.raises(NotFound):
        engine.forget(mem.id, "default")
    assert engine.get_memory(mem.id, "work").id == mem.id
    assert engine.search("secret plan") == []
    assert [h.id for h in engine.search("secret plan", "work")] == [mem.id]
    assert [h.id for h in engine.search("secret plan", shared=["work"])] == [mem.id]


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"text": ""}, "text"),
        ({"text": "x", "importance": 2}, "importance"),
        ({"text": "x", "kind": "Bad Kind"}, "kind"),
        ({"text": "x", "metadata": [1]}, "metadata"),
        ({}, "text"),
    ],
)
def test_bad_fields_named(engine, fields, field):
    with pytest.raises(InvalidInput) as info:
        engine.store_memory(**fields)
    assert info.value.field == field
    assert engine.stats()["memories"] == 0


def test_batch_is_all_or_nothing(engine):
    with pytest.raises(InvalidInput) as info:
        engine.store_memories([{"text": "fine"}, {"text": ""}])
    assert info.value.field == "items[1].text"
    assert engine.stats()["memories"] == 0


def test_search_any_word_ranks_best_first(engine):
    engine.store_memories(
        [
            {"text": "The staging database runs on port 5433"},
            {"text": "Production database is managed by the ops team"},
            {"text": "Lunch is at noon"},
        ]
    )
    hits = engine.search("which port does the staging database use")
    assert hits[0].text.startswith("The staging database")
    assert len(hits) == 2
    assert hits[0].score > hits[1].score


def test_search_rejects_bad_corpus_and_limit(engine):
    with pytest.raises(InvalidInput) as info:
        engine.search("x", corpus="wiki")
    assert info.value.field == "corpus"
    with pytest.raises(InvalidInput):
        engine.search("x", limit=0)


def test_ensure_namespace_validates(engine):
    assert engine.ensure_namespace("team-a")["created"] is True
    assert engine.ensure_namespace("team-a")["created"] is False
    with pytest.raises(InvalidInput):
        engine.ensure_namespace("Team A")


def test_health_reports_store(engine):
    info = engine.health()
    assert info["store"]["schema_version"] >= 4
    assert info["counts"]["namespaces"] == 1


def test_add_messages_with_neighbour_context(engine):
    first = engine.add_messages(
        "s1",
        [
            {"role": "user", "speaker": "Ana", "text": "Where should we go hiking?", "created_at": 1700000000000},
            {
                "role": "assistant",
                "speaker": "Bo",
                "text": "The Dolomites, in September",
                "created_at": "2023-11-14T22:13:25Z",
            },
        ],
    )
    assert [m["created"] for m in first] == [True, True]
    assert (
        engine.add_messages(
            "s1",
            [{"role": "user", "text": "Where should we go hiking?", "speaker": "Ana", "created_at": 1700000000000}],
        )[0]["created"]
        is False
    )
    # the answer is found by the question's words through its neighbour context
    hits = engine.search("hiking", corpus="messages", mode="lexical")
    assert {h.extra["seq"] for h in hits} == {1, 2}
    engine.add_messages("s1", [{"role": "user", "speaker": "Ana", "text": "Great, book it"}])
    rows = engine.store.db.execute(
        "SELECT ref_id, embed_text FROM search_items WHERE corpus = 'message' ORDER BY id"
    ).fetchall()
    assert len(rows) == 3  # the former last message was re-indexed, not duplicated
    last_two = {r["ref_id"]: r["embed_text"] for r in rows}
    assert any("Great, book it" in t and "Dolomites" in t for t in last_two.values())


@pytest.mark.parametrize(
    "bad,field",
    [
        ([{"role": "wizard", "text": "x"}], "messages[0].role"),
        ([{"role": "user", "text": ""}], "messages[0].text"),
        ([{"role": "user", "text": "x", "created_at": "yesterday"}], "messages[0].created_at"),
        (["not an object"], "messages[0]"),
        ("not a list", "messages"),
    ],
)
def test_add_messages_rejects_bad_input(engine, bad, field):
    with pytest.raises(InvalidInput) as info:
        engine.add_messages("s1", bad)
    assert info.value.field == field
    assert engine.stats()["messages"] == 0


def test_container_ranking_does_not_depend_on_how_many_are_asked_for(home):
    """Sessions are ranked over the same candidate pool whatever ``limit`` is: the best three of
    ``limit=3`` are the first three of ``limit=100``, even with more matches than the pool holds."""
    rng = random.Random(7)
    vocab = ["garden", "tomato", "river", "train", "piano", "recipe", "soccer", "museum", "kitten", "paint"]
    with Engine.open(home, embedding_provider="none", search_mode="lexical") as engine:
        for n in range(40):
            messages = [{"role": "user", "text": " ".join(rng.choices(vocab, k=rng.randint(3, 12)))} for _ in range(4)]
            engine.add_messages(f"s{n}", messages)
        for query in ("garden tomato river", "piano recipe", "soccer museum kitten paint"):
            few = engine.search(query, corpus="messages", granularity="container", limit=3, mode="lexical")
            many = engine.search(query, corpus="messages", granularity="container", limit=100, mode="lexical")
            assert [h.container for h in few] == [h.container for h in many[:3]]
