"""Session-level ranking (``retrieval/multihop.py``): a session's score passed to its turns."""

from __future__ import annotations

from dataclasses import replace

from clawmemory.engine import Engine
from clawmemory.retrieval.multihop import with_containers
from clawmemory.store import SearchRow


def _row(item_id: int, container: str | None) -> SearchRow:
    return SearchRow(item_id, "ns", "message", f"m{item_id}", container)


def test_with_containers_mixes_each_snippet_with_its_container():
    rows = {1: _row(1, "a"), 2: _row(2, "b"), 3: _row(3, None)}
    fused = {1: 1.0, 2: 1.2, 3: 1.1}
    mixed = with_containers(fused, {"a": 3.0, "b": 1.5}, rows, 0.5)
    assert mixed == {1: 2.0, 2: 1.35, 3: 1.1}  # a container-less snippet keeps its own score
    assert with_containers(fused, {"a": 3.0, "b": 1.5}, rows, 0.0) == fused


def test_a_turn_from_a_session_that_matches_as_a_whole_ranks_first(home):
    garden = [
        "We planted tomatoes in the garden this spring",
        "The garden tomatoes need water every evening",
        "Slugs got into the garden and ate two tomatoes",
        "The neighbours asked for tomatoes from our garden",
        "The garden needs watering every evening",
        "Tomatoes and basil from the garden went into the sauce",
    ]
    with Engine.open(home, embedding_provider="none") as engine:
        engine.add_messages("garden", [{"role": "user", "text": t} for t in garden])
        for n in range(30):
            engine.add_messages(f"other{n}", [{"role": "user", "text": f"Meeting {n} moved to room {n + 100}"}])
        engine.add_messages("chat", [{"role": "user", "text": "I ate garden tomatoes at lunch with the team today"}])
        base = replace(engine.searcher.params, container_temperature=1.0)
        ranked = {}
        for share in (0.0, 0.5):
            engine.searcher.params = replace(base, container_share=share)
            ranked[share] = engine.search("garden tomatoes", corpus="messages", limit=6)
        # the one best turn wins alone; with half of each turn's score from its session, the session of
        # six garden turns wins
        assert [ranked[s][0].container for s in ranked] == ["chat", "garden"]
        assert {h.id for h in ranked[0.0]} == {h.id for h in ranked[0.5]}


def test_container_share_follows_the_settings(home):
    with Engine.open(home, search_container_share=0.33) as engine:
        assert engine.searcher.params.container_share == 0.33
    with Engine.open(home) as engine:  # chosen by leave-one-conversation-out CV on LoCoMo dev (docs/DESIGN.md)
        assert engine.searcher.params.container_share == 0.5
