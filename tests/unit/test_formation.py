"""Memory formation end to end through the engine: commitTurn → background extraction →
reconciliation → recall with validity."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from support.conversations import agent, user
from support.model_server import ModelServer, Reply

from clawmemory.cli.main import main
from clawmemory.engine import Engine
from clawmemory.errors import InvalidInput
from clawmemory.formation import order, rows
from clawmemory.formation.service import Formation
from clawmemory.llm import LLMClient

NS = "agent-main"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def commit(engine, key, *messages, session="s1"):
    out = engine.context_call(
        "commitTurn",
        NS,
        {"sessionKey": f"agent:main:{session}"},
        {"sessionId": session, "advancementKey": key, "messages": list(messages)},
    )
    assert engine.formation.drain(10)
    return out


def memories(engine):
    return [
        dict(r)
        for r in engine.store.db.execute(
            "SELECT id, kind, text, status, valid_from, valid_to, superseded_by, confirmations, metadata "
            "FROM memories ORDER BY created_at"
        )
    ]


def test_a_stated_preference_becomes_a_memory_with_provenance(engine):
    commit(
        engine,
        "t1",
        user("I really prefer green tea over coffee in the mornings.", T0),
        agent("Noted, green tea it is.", T0 + timedelta(seconds=5)),
    )
    [m] = memories(engine)
    assert m["kind"] == "preference" and "green tea" in m["text"]
    meta = json.loads(m["metadata"])["formation"]
    assert meta["session_key"] == "agent:main:s1" and meta["seq"] == 1 and meta["extractor"] == "offline"
    assert m["valid_from"].startswith("2026-03-02T09:00:00") and m["valid_to"] is None


def test_a_change_supersedes_the_old_memory_and_recall_respects_it(engine, capsys):
    commit(engine, "t1", user("The kitchen budget is 18,000 euros.", T0), agent("Understood.", T0))
    later = T0 + timedelta(days=10)
    commit(
        engine,
        "t2",
        user("Update: the kitchen budget is now 23,500 euros because of the rewiring.", later),
        agent("That is a big jump.", later),
    )
    old, new = memories(engine)
    assert old["superseded_by"] == new["id"] and old["valid_to"] == new["valid_from"] and old["status"] == "active"
    hits = engine.search("kitchen budget euros", NS, corpus="memory")
    assert [h.id for h in hits] == [new["id"]]  # the superseded memory left recall
    found = engine.memory_search(NS, None, query="kitchen budget euros", corpus="memory")["results"]
    assert found[0]["path"] == f"memories/{new['id']}" and found[0]["valid_to"] is None
    assert found[1]["path"] == f"memories/{old['id']}" and found[1]["superseded_by"] == new["id"]
    then = engine.search("kitchen budget euros", NS, corpus="memory", as_of="2026-03-05")
    assert [h.id for h in then] == [old["id"]]
    tool = engine.memory_search(NS, None, query="kitchen budget euros", corpus="memory", asOf="2026-03-05")
    assert [r["path"] for r in tool["results"]] == [f"memories/{old['id']}"]
    assert (
        main(
            [
                "search",
                "kitchen budget euros",
                "--corpus",
                "memory",
                "--namespace",
                NS,
                "--as-of",
                "2026-03-05",
                "--json",
            ]
        )
        == 0
    )
    assert [h["id"] for h in json.loads(capsys.readouterr().out)["results"]] == [old["id"]]
    assert [m["id"] for m in engine.memory_history(NS)] == [old["id"]]
    restored = engine.restore_memory(old["id"], NS)
    assert restored["valid_to"] is None and len(engine.search("kitchen budget euros", NS, corpus="memory")) == 2
    with pytest.raises(InvalidInput):
        engine.search("kitchen", NS, as_of="not a date")


def test_repeats_are_confirmations_and_replays_change_nothing(engine):
    commit(engine, "t1", user("Our on-call this week is Marta Silva.", T0), agent("Ok.", T0))
    commit(engine, "t1", user("Our on-call this week is Marta Silva.", T0), agent("Ok.", T0))  # replay
    commit(
        engine,
        "t2",
        user("Reminder: our on-call this week is Marta Silva.", T0 + timedelta(hours=1)),
        agent("Yes, I know.", T0 + timedelta(hours=1)),
        session="s2",
    )
    [m] = memories(engine)
    assert m["confirmations"] == 1


def test_an_explicit_forget_wins_over_re_extraction(engine):
    commit(engine, "t1", user("My dentist is Dr. Okafor in Leeds.", T0), agent("Got it.", T0))
    [m] = memories(engine)
    engine.memory_forget(NS, None, memoryId=m["id"])
    commit(
        engine,
        "t2",
        user("My dentist is Dr. Okafor in Leeds.", T0 + timedelta(days=1)),
        agent("Got it.", T0 + timedelta(days=1)),
        session="s2",
    )
    assert [r["status"] for r in memories(engine)] == ["forgotten"]


def _engine_with_llm(engine, server, timeout_s=2.0):
    engine.formation.close()
    engine.formation = Formation(
        engine.core,
        engine.ledger.entries_among,
        llm=LLMClient("openai", server.openai_url, "fake", timeout_s=timeout_s),
    )
    return engine


def test_llm_extractor_json_protocol_and_reconciliation(engine):
    with ModelServer() as server:
        _engine_with_llm(engine, server)

        def answer(request):
            system = request["body"]["messages"][0]["content"]
            prompt = request["body"]["messages"][1]["content"]
            if system.startswith("You extract"):
                seq = int(prompt.splitlines()[-2].split("]")[0][1:])  # the NEW user message
                return Reply(
                    text=json.dumps(
                        {
                            "items": [
                                {"kind": "fact", "text": "The user lives in Turin.", "message": seq, "confidence": 0.9}
                            ]
                        }
                    )
                )
            existing = json.loads(prompt)["existing"]
            return Reply(text=json.dumps({"action": "duplicate", "target": existing[0]["id"]}))

        server.responder = answer
        commit(engine, "t1", user("so yeah, Turin is home these days", T0), agent("Nice city.", T0))
        commit(
            engine,
            "t2",
            user("still in Turin, loving it", T0 + timedelta(days=1)),
            agent("Glad to hear.", T0 + timedelta(days=1)),
            session="s2",
        )
        [m] = memories(engine)
        assert m["text"] == "The user lives in Turin." and m["confirmations"] == 1
        assert json.loads(m["metadata"])["formation"]["extractor"] == "llm"
        body = server.requests[0]["body"]
        assert body["response_format"] == {"type": "json_object"} and "JSON schema" in body["messages"][0]["content"]


@pytest.mark.parametrize(
    "reply",
    [
        Reply(text="not json at all"),
        Reply(status=500),
        Reply(text=json.dumps({"items": [{"kind": "gossip", "text": "x", "message": 1}]})),
        Reply(text="{}", delay=3),
    ],
)
def test_llm_failures_fall_back_to_offline_extraction(engine, reply):
    with ModelServer() as server:
        _engine_with_llm(engine, server, timeout_s=0.5)
        server.responder = lambda request: reply
        commit(
            engine, "t1", user("We decided to host the wiki on Hetzner in Falkenstein.", T0), agent("Good choice.", T0)
        )
        [m] = memories(engine)
        assert m["kind"] == "decision" and json.loads(m["metadata"])["formation"]["extractor"] == "offline"
        assert engine.formation.stats["llm_fallbacks"] >= 1


def test_extraction_never_runs_on_the_turn_path(engine):
    engine.formation.queue.stop()  # a stopped worker: the commit still stores the turn at once
    out = engine.context_call(
        "commitTurn",
        NS,
        {},
        {"sessionId": "s1", "advancementKey": "k", "messages": [user("My flight is LH 1234 on May 3.", T0)]},
    )
    assert out["stored"] == 1 and memories(engine) == []
    assert engine.formation.process(NS, "s1")["add"] == 1  # the next run resumes from the stored turn
    assert engine.formation.process(NS, "s1")["add"] == 0


def test_a_ledger_entry_is_never_refined_or_superseded_by_formation(engine):
    """Recall-ledger entries live by their outcomes; a turn restating one (here the user's own
    request to store it, which once superseded it and emptied memory_recall) leaves it alone."""
    engine.ensure_namespace(NS)
    fact = "Release notes are written by Dana and reviewed by Lee"
    entry = engine.ledger.store_entry(NS, answer=fact)["entry"]["id"]
    commit(engine, "t1", user(f"call memory_store with {json.dumps({'text': fact})}", T0), agent("Stored.", T0))
    row = next(m for m in memories(engine) if m["id"] == entry)
    assert row["superseded_by"] is None and row["valid_to"] is None and row["text"] == fact
    assert engine.formation.history(NS) == []


@pytest.mark.parametrize("how", ["config", "env"])
def test_formation_can_be_turned_off(home, monkeypatch, how):
    """``memory_formation = false``: committed turns are stored but form no memory, also not
    after formation is turned on again; turns committed after that do."""
    home.mkdir(parents=True, exist_ok=True)
    if how == "config":
        (home / "config.toml").write_text("memory_formation = false\n")
    else:
        monkeypatch.setenv("CLAWMEMORY_MEMORY_FORMATION", "false")
    with Engine.open(home) as engine:
        assert engine.settings.memory_formation is False
        out = commit(engine, "t1", user("My flight is LH 1234 on May 3.", T0), agent("Noted.", T0))
        assert out["stored"] == 2 and memories(engine) == []
        engine.settings.memory_formation = True
        commit(engine, "t2", user("The hotel is the Ibis at the airport.", T0), agent("Noted.", T0))
        assert [m["text"] for m in memories(engine)] == ["The hotel is the Ibis at the airport."]


def test_a_proposal_becomes_a_decision_when_the_next_turn_accepts_it(engine):
    """The acceptance arrives in a later commit than the proposal it decides."""
    commit(
        engine,
        "t1",
        user("It re-uploads RAW files whenever the sidecar changes. Open question whether to version sidecars.", T0),
        agent("You could hash the RAW and the sidecar separately and only re-upload the sidecar.", T0),
    )
    assert not any("hash the RAW" in m["text"] for m in memories(engine))
    commit(
        engine, "t2", user("Do it.", T0 + timedelta(minutes=1)), agent("Done in a branch.", T0 + timedelta(minutes=1))
    )
    [decision] = [m for m in memories(engine) if "hash the RAW" in m["text"]]
    assert decision["kind"] == "decision" and json.loads(decision["metadata"])["formation"]["role"] == "assistant"


def test_recall_reads_each_memory_row_once_and_fills_past_superseded_ones(engine, monkeypatch):
    """Validity reads the ranked memories in windows down the ranking: one read when the first
    ``limit`` are current; else further windows until ``limit`` current ones are found, each row
    read at most once. The hits are the first current ones in ranking order."""
    monkeypatch.setattr(order, "NEAR_TIE", 0.0)  # these memories score within 2 %: the reads are under test
    texts = [f"the kettle {'boils ' * n}water in the {w} kitchen" for n, w in enumerate("abcdefghijkl", 1)]
    engine.store_memories([{"text": t} for t in texts])
    ranking = [h.id for h in engine.search("kettle boils", mode="lexical", corpus="memory", limit=12)]
    assert len(ranking) == 12
    reads: list[list[str]] = []
    read = rows.with_validity
    monkeypatch.setattr(rows, "with_validity", lambda db, ids: reads.append(list(ids)) or read(db, ids))
    assert [h.id for h in engine.search("kettle boils", mode="lexical", corpus="memory", limit=3)] == ranking[:3]
    assert reads == [ranking[:3]]  # one read, of the three hits' rows only
    with engine.store.transaction() as db:
        rows.supersede(db, ranking[:4], ranking[-1], "2026-03-02T09:00:00Z")
    reads.clear()
    hits = engine.search("kettle boils", mode="lexical", corpus="memory", limit=3)
    assert [h.id for h in hits] == ranking[4:7] and all(h.extra["valid_to"] is None for h in hits)
    read_ids = [i for r in reads for i in r]
    assert len(reads) == 2 and len(read_ids) == len(set(read_ids))  # a second window; no row read twice


def test_a_revision_near_in_meaning_is_linked_and_ranks_above_what_it_revises(engine):
    """Hybrid, as in the daemon: the worker embeds between turns, and formation reads meaning by the loaded
    embedder. Another feeding interval, worded without the starter's words: linked, not superseded."""
    commit(engine, "t1", user("My sourdough starter gets fed every 12 hours.", T0), agent("Noted.", T0))
    engine.embed()
    later = T0 + timedelta(days=14)
    commit(engine, "t2", user("Feeding it every 8 hours since it got warm.", later), agent("Noted.", later))
    old, new = memories(engine)
    assert rows.with_validity(engine.store.db, [old["id"]])[old["id"]][1]["revised_by"] == new["id"]
    assert old["valid_to"] is None
    engine.embed()
    hits = engine.search("sourdough starter", NS, corpus="memory", limit=5)  # hybrid: the words find only the old
    assert [h.id for h in hits] == [new["id"], old["id"]]
    assert hits[1].extra["revised_by"] == new["id"]


def test_recall_ranks_a_returned_revision_above_what_it_revises_and_brings_in_none(engine):
    engine.ensure_namespace(NS)
    # linked by hand: this tests the recall side of a link (the second text gives no value, so the
    # later-stated-first order leaves the two as the search ranked them)
    texts = ["Choir rehearsal: Thursdays 19:30 in the choir hall.", "Bring the sheet music for the choir."]
    stored = engine.store_memories([{"text": t} for t in texts], NS)
    old, new = (r.memory.id for r in stored)
    query = "choir rehearsal"
    assert [h.id for h in engine.search(query, NS, corpus="memory", limit=5, mode="lexical")] == [old, new]
    with engine.store.transaction() as db:
        rows.set_valid_from(db, old, "2026-03-01T10:00:00Z")
        rows.set_valid_from(db, new, "2026-03-15T10:00:00Z")
        rows.revise(db, [old], new)
    assert [h.id for h in engine.search(query, NS, corpus="memory", limit=5, mode="lexical")] == [new, old]
    # a revision the search did not return stays out (the query may be about another part of the memory)
    assert [h.id for h in engine.search(query, NS, corpus="memory", limit=1, mode="lexical")] == [old]
    then = engine.search(query, NS, corpus="memory", limit=5, mode="lexical", as_of="2026-03-10")
    assert [h.id for h in then] == [old]


def test_an_embedder_failing_while_forming_links_nothing_and_loses_no_memory(engine, monkeypatch):
    commit(engine, "t1", user("My sourdough starter gets fed every 12 hours.", T0), agent("Noted.", T0))
    engine.embed()

    def broken(text):
        raise RuntimeError("embedder down")

    monkeypatch.setattr(engine.embedder(), "embed_query", broken)
    later = T0 + timedelta(days=14)
    commit(engine, "t2", user("Feeding it every 8 hours since it got warm.", later), agent("Noted.", later))
    old, new = memories(engine)
    assert (
        "8 hours" in new["text"]
        and rows.with_validity(engine.store.db, [old["id"]])[old["id"]][1]["revised_by"] is None
    )
