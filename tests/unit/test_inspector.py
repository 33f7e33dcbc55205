"""The inspector's read models and actions (what /ui shows), the session cookie and the
energy plot, on a real SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.inspector import seed

from clawmemory.engine import Engine
from clawmemory.errors import Conflict, InvalidInput, NotFound
from clawmemory.ui.inspector import Inspector
from clawmemory.ui.plot import energy_svg
from clawmemory.ui.session import LIFETIME_S, Sessions


@pytest.fixture()
def seeded(home: Path) -> Iterator[tuple[Engine, dict[str, str]]]:
    ids = seed(home)
    with Engine.open(home, embedding_provider="none") as engine:
        yield engine, ids


def test_namespaces_count_what_each_holds(seeded):
    engine, _ = seeded
    ui = Inspector(engine)
    [default] = ui.namespaces()
    assert (default["memories"], default["messages"], default["entries_alive"], default["open_tickets"]) == (5, 2, 2, 1)


def test_memories_page_facets_and_substring_search(seeded):
    engine, _ = seeded
    ui = Inspector(engine)
    page = ui.memories(None, kind="fact", limit=1)
    assert page["total"] == 2 and len(page["items"]) == 1 and page["next_before"]
    older = ui.memories(None, kind="fact", limit=1, before=page["next_before"])
    assert older["total"] == 2 and older["next_before"] is None
    assert {m["text"][:7] for m in page["items"] + older["items"]} == {"The sta", "Deploys"}
    with pytest.raises(InvalidInput):
        ui.memories(None, before="no-separator")
    assert page["facets"]["kind"] == {"fact": 2, "preference": 1, "qa": 2}
    assert page["validity_supported"] is True  # the Engine's stores carry formation's validity columns
    found = ui.memories(None, contains="LEDGERLINE")  # active: the lexical index
    assert found["total"] == 1 and found["matched"] == 1
    assert page["facets"]["kind"]["fact"] == 2
    ui.memory_action(ui.memories(None, kind="preference")["items"][0]["id"], "forget")
    gone = ui.memories(None, status="forgotten", contains="ERS SHORT")  # forgotten: substring
    assert gone["total"] == 1 and gone["matched"] is None and gone["facets"]["kind"] == {"preference": 1}
    assert ui.memories(None, status="forgotten", contains="%")["total"] == 0  # literal wildcards
    assert ui.memories(None)["facets"]["kind"].get("preference") is None  # the cache saw the write
    with pytest.raises(InvalidInput):
        ui.memories(None, validity="someday")


def test_validity_filter_current_and_superseded(seeded):
    engine, ids = seeded
    ui = Inspector(engine)
    db = engine.store.db
    db.execute(
        "UPDATE memories SET valid_to = '2020-01-01T00:00:00Z', superseded_by = ? WHERE id = ?",
        (ids["entry"], ids["note"]),
    )
    db.commit()
    superseded = ui.memories(None, validity="superseded")
    assert [m["id"] for m in superseded["items"]] == [ids["note"]]
    current = ui.memories(None, validity="current")
    assert current["total"] == 4 and ids["note"] not in {m["id"] for m in current["items"]}


def test_explain_search_shows_each_part(seeded):
    engine, ids = seeded
    ui = Inspector(engine)
    found = ui.explain_search("billing service port", mode="lexical")
    top = found["hits"][0]
    assert top["id"] == ids["entry"] and top["relevant"] and top["vector_score"] is None
    assert top["text_score"] > 0 and top["coverage"] == pytest.approx(1.0) and 0 < top["score"] < 1
    assert top["ledger"]["energy"] > 1.0 and top["ledger"]["uses"] == 1 and top["ledger"]["rank_score"] > 1.0
    staging = ui.explain_search("staging database", mode="lexical")["hits"]
    assert staging[0]["ledger"] is None  # a plain memory has no energy


def test_memory_actions_go_through_the_ledger_for_entries(seeded):
    engine, ids = seeded
    ui = Inspector(engine)
    entry = ids["entry"]
    assert ui.memory_action(entry, "forget")["forgotten"]
    shown = ui.memory(entry)
    assert shown["memory"]["status"] == "forgotten" and shown["entry"]["cause"] == "forgotten"
    assert [p["event"] for p in shown["energy"]] == ["birth", "credit", "death"]
    assert ui.memory_action(entry, "restore")["restored"]
    assert ui.memory_action(entry, "pin")["pinned"]
    assert ui.memory_action(entry, "forget")["forgotten"] is False  # pinned: refused
    assert ui.memory_action(entry, "unpin")["unpinned"]
    assert ui.explain_search("billing port", mode="lexical")["hits"][0]["id"] == entry
    with pytest.raises(Conflict):
        ui.memory_action(ids["note"], "pin")
    with pytest.raises(InvalidInput):
        ui.memory_action(entry, "delete")
    with pytest.raises(NotFound):
        ui.memory_action("mem_nope", "forget")


def test_restoring_a_plain_memory_reindexes_it_unless_a_twin_is_active(seeded):
    engine, ids = seeded
    ui = Inspector(engine)
    ui.memory_action(ids["note"], "forget")
    assert engine.search("staging database", mode="lexical", corpus="memory") == []
    twin = engine.store_memory(
        text="The staging database runs on host db-staging-3 in Frankfurt", kind="fact", category="infra"
    )
    with pytest.raises(Conflict):
        ui.memory_action(ids["note"], "restore")
    engine.forget(twin.memory.id)
    assert ui.memory_action(ids["note"], "restore")["restored"]
    assert engine.search("staging database", mode="lexical", corpus="memory")[0].id == ids["note"]


def test_ledger_conversations_and_observations_views(seeded):
    engine, _ = seeded
    ui = Inspector(engine)
    ledger = ui.ledger()
    assert [t["session_key"] for t in ledger["open_tickets"]] == ["run-2"]
    assert [(s["session_key"], s["outcome"]) for s in ledger["settlements"]] == [("run-1", "success")]
    assert len(ledger["energy"]) == 2 and all(p["energy"] > 0 for pts in ledger["energy"].values() for p in pts)
    talk = ui.conversations()
    assert talk["total"] == 1 and talk["sessions"][0]["messages"] == 2
    assert ui.session("chat-7")["messages"][0]["speaker"] == "Maria"
    with pytest.raises(NotFound):
        ui.session("nope")
    assert ui.observations()["total"] == 0


def test_settings_mask_api_keys(home: Path):
    with Engine.open(home, embedding_provider="none", llm_api_key="sk-very-secret") as engine:
        values = Inspector(engine).settings()
    assert values["llm_api_key"] == "********" and "sk-very-secret" not in repr(values)


def test_session_cookie_is_signed_expires_and_belongs_to_one_token():
    sessions = Sessions("token-a")
    cookie = sessions.issue(now=1000.0)
    assert sessions.valid(cookie, now=1001.0)
    assert not sessions.valid(cookie, now=1000.0 + LIFETIME_S + 1)
    assert not Sessions("token-b").valid(cookie, now=1001.0)
    expiry, nonce, sig = cookie.split(".")
    assert not sessions.valid(f"{int(expiry) + 9999}.{nonce}.{sig}", now=1001.0)  # extended expiry: bad signature
    assert not sessions.valid(None) and not sessions.valid("garbage")
    assert sessions.csrf(cookie) != Sessions("token-b").csrf(cookie)


def test_energy_plot_draws_one_escaped_line_per_entry():
    svg = str(
        energy_svg(
            {
                "a<b": [
                    {"at": "2026-01-01T00:00:00Z", "energy": 1.0, "event": "birth"},
                    {"at": "2026-01-02T00:00:00Z", "energy": 1.4, "event": "credit"},
                ],
                "c": [{"at": "2026-01-01T12:00:00Z", "energy": 0.5, "event": "birth"}],
            }
        )
    )
    assert svg.count("<polyline") == 2 and svg.count("<circle") == 3
    assert "a&lt;b" in svg and "a<b" not in svg and 'role="img"' in svg
    assert "No ledger events" in str(energy_svg({}))
