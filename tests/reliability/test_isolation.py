"""Namespace isolation, property-tested: whatever sequence of operations runs in namespace
A — including ones that name B's memory ids, entry ids, ticket ids, session keys and
paths — returns none of B's rows and changes none of them."""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clawmemory.engine import Engine
from clawmemory.errors import ClawMemoryError

WORDS = [
    "deploy",
    "billing",
    "region",
    "ams",
    "token",
    "tuesday",
    "postgres",
    "backup",
    "alpha",
    "service",
    "host",
    "runs",
    "weekly",
    "cache",
    "invoice",
    "retry",
]
sentence = st.lists(st.sampled_from(WORDS), min_size=3, max_size=8).map(" ".join)
_names = itertools.count()


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with Engine.open(tmp_path_factory.mktemp("iso") / "home", embedding_provider="none", search_mode="lexical") as eng:
        yield eng


def snapshot(db: sqlite3.Connection, ns: str) -> dict[str, list[tuple]]:
    """Every row that belongs to ``ns``: tables with a namespace column, and ticket links."""
    out: dict[str, list[tuple]] = {}
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    for table in tables:
        cols = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
        if "namespace" in cols:
            out[table] = sorted(map(tuple, db.execute(f"SELECT * FROM {table} WHERE namespace = ?", (ns,))), key=repr)
    out["ledger_ticket_entries"] = sorted(
        map(
            tuple,
            db.execute(
                "SELECT te.* FROM ledger_ticket_entries te JOIN ledger_tickets t ON t.id = te.ticket_id "
                "WHERE t.namespace = ?",
                (ns,),
            ),
        ),
        key=repr,
    )
    return out


def seed_b(engine: Engine, ns: str, texts: list[str], session: str) -> dict[str, list[str]]:
    """B's rows: memories, ledger entries, a recall ticket and a conversation."""
    engine.ensure_namespace(ns)
    mem_ids = [engine.store_memory(ns, text=t).memory.id for t in texts]
    entry_ids = [engine.ledger_store(ns, question=f"what about {t}?", answer=t)["entry"]["id"] for t in texts]
    recall = engine.ledger_recall(texts[0], ns, session={"sessionKey": session})
    tickets = [recall["details"]["ticketId"]] if recall["details"]["ticketId"] else []
    engine.add_messages(session, [{"role": "user", "text": texts[0]}, {"role": "assistant", "text": texts[-1]}], ns)
    return {"memories": mem_ids, "entries": entry_ids, "tickets": tickets, "ids": mem_ids + entry_ids}


def attempt(fn, *args: Any, **kw: Any) -> Any:
    """Run an operation in A; a refusal (NotFound, InvalidInput) is a fine answer."""
    try:
        return fn(*args, **kw)
    except ClawMemoryError:
        return None


def aimed(engine: Engine, a: str, b_rows: dict[str, list[str]], session: str) -> list[Any]:
    """Operations run in A that name one of B's ids: each must be refused or find nothing."""
    e, sess = engine, {"sessionKey": session}
    out: list[Any] = []
    for id_ in b_rows["ids"]:
        out += [
            attempt(e.get_memory, id_, a),
            attempt(e.forget, id_, a),
            attempt(e.ledger_show, id_, a),
            attempt(e.ledger_forget, id_, a),
            attempt(e.ledger_pin, id_, a),
            attempt(e.ledger_restore, id_, a),
            attempt(e.memory_forget, a, sess, memoryId=id_),
            attempt(e.memory_forget, a, sess, entryId=id_),
        ]
        got = e.memory_get(a, sess, path=f"memories/{id_}")
        out.append(None if got["status"] == "not_found" and got["text"] == "" else got)
    for ticket in b_rows["tickets"]:
        settled = attempt(e.ledger_settle, ticket, 1.0, a)
        out.append(None if settled is None or settled["settled"] is False else settled)
    return out


def blind(engine: Engine, a: str, session: str, text: str) -> list[Any]:
    """Every kind of operation run in A with B's text and session key; the answers."""
    e, sess = engine, {"sessionKey": session}
    out: list[Any] = [
        e.store_memory(a, text=text).to_dict(),  # the same text as B's: A gets its own row
        e.ledger_store(a, question=f"what about {text}?", answer=text),
        e.add_messages(session, [{"role": "user", "text": text}], a),  # B's session key, in A
        [h.to_dict() for h in e.search(text, a, limit=50, corpus="all")],
        e.list_memories(a, limit=500).to_dict(),
        e.list_memories(a, status="forgotten", limit=500).to_dict(),
        e.memory_search(a, sess, query=text, maxResults=100),
        e.ledger_recall(text, a, session=sess),
        e.memory_recall(a, sess, query=text),
        e.ledger_obituaries(a),
        e.ledger_stats(a),
        attempt(e.memory_get, a, sess, path=f"sessions/{session}"),
        attempt(e.memory_forget, a, sess, query=text),
        e.ledger_settle_session(session, a, success=True),
        e.agent_end(a, sess, {"success": False}),
        e.session_end(a, sess, {}),
        e.ledger_tick(a),
    ]
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    b_texts=st.lists(sentence, min_size=1, max_size=4, unique=True),
    a_text=sentence,
    reuse_b_text=st.booleans(),
    session=st.sampled_from(["s1", "agent:main:main", "shared"]),
)
def test_nothing_in_a_reads_or_changes_b(engine: Engine, b_texts, a_text, reuse_b_text, session):
    n = next(_names)
    a, b = f"iso-a{n}", f"iso-b{n}"
    engine.ensure_namespace(a)
    b_rows = seed_b(engine, b, b_texts, session)
    before = snapshot(engine.store.db, b)
    text = b_texts[0] if reuse_b_text else a_text
    refused = aimed(engine, a, b_rows, session)
    answers = blind(engine, a, session, text)
    assert snapshot(engine.store.db, b) == before  # B unchanged
    assert refused == [None] * len(refused)  # B's ids mean nothing in A
    dumped = json.dumps(answers, default=str)
    for id_ in b_rows["ids"] + b_rows["tickets"]:
        assert id_ not in dumped  # no answer in A names a B row
    assert f'"{b}"' not in dumped
    # A's transcript of the shared session key holds only A's message
    transcript = engine.memory_get(a, {}, path=f"sessions/{session}")
    assert transcript["text"].count("\n") == 0 and text in transcript["text"]
    # A's tickets only ever reference A's entries
    stray = engine.store.db.execute(
        "SELECT COUNT(*) FROM ledger_ticket_entries te JOIN ledger_tickets t ON t.id = te.ticket_id "
        "JOIN ledger_entries e ON e.memory_id = te.entry_id WHERE t.namespace = ? AND e.namespace != ?",
        (a, a),
    ).fetchone()[0]
    assert stray == 0
