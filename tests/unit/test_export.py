"""`clawmemory export` and `import clawmemory`: a store rebuilt from its export exports the
same bytes, searches alike, and keeps ledger state, tickets, obituaries and sessions."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest

from clawmemory.cli.main import main
from clawmemory.engine import Engine
from clawmemory.export import DERIVED, tables


def fill(engine: Engine) -> dict[str, str]:
    """A store with something in every kind of table: memories (one forgotten), ledger entries
    (one dead), a settled and an open ticket, sessions, observations, a context turn, two namespaces."""
    engine.ensure_namespace("work")
    kept = engine.store_memory(text="Prefers green tea over coffee", category="preference").memory.id
    gone = engine.store_memory(text="The old VPN password rotates monthly").memory.id
    engine.forget(gone)
    engine.store_memory("work", text="Sprint review is on Thursdays")
    deploy = engine.ledger_store(question="Where is the deploy script?", answer="scripts/deploy.sh")["entry"]["id"]
    wal = engine.ledger_store(question="Can I delete postgres WAL files?", answer="Yes, rm them")["entry"]["id"]
    bad = engine.ledger_recall("delete postgres WAL files")["details"]["ticketId"]
    engine.ledger_settle(bad, -1.0)
    engine.ledger_forget(wal)
    engine.ledger_recall("deploy script", session={"sessionKey": "agent:main:s1"})
    engine.add_messages(
        "agent:main:s1",
        [
            {"role": "user", "text": "Ship it on Friday?", "created_at": "2026-11-20T10:00:00Z"},
            {"role": "assistant", "text": "Friday 14:00 is booked.", "created_at": "2026-11-20T10:00:05Z"},
        ],
    )
    engine.context_call(
        "commitTurn",
        "work",
        {"sessionKey": "agent:main:w1", "sessionId": "w1"},
        {
            "advancementKey": "turn-1",
            "messages": [
                {"role": "user", "content": "What is our stack?", "timestamp": 1763632800000},
                {
                    "role": "assistant",
                    "content": [{"type": "text", "text": "Postgres and FastAPI."}],
                    "timestamp": 1763632801000,
                },
            ],
        },
    )
    engine.capture.load_lines(
        [
            json.dumps(
                {
                    "ts": "2026-11-20T10:01:00Z",
                    "tool_name": "exec",
                    "summary": "exec: deploy.sh finished",
                    "session_key": "agent:main:s1",
                }
            ).encode()
        ],
        "default",
        source="test",
    )
    return {"kept": kept, "gone": gone, "deploy": deploy, "wal": wal}


def export_text(engine: Engine, **kw) -> str:
    out = io.StringIO()
    engine.export(out, **kw)
    return out.getvalue()


@pytest.fixture()
def pair(tmp_path: Path, store_url: str, request: pytest.FixtureRequest):
    """Two engines on two stores (a second PostgreSQL database when the test runs on PostgreSQL)."""
    second = ""
    if store_url:
        second = request.getfixturevalue("postgres").database()
    a = Engine.open(tmp_path / "a", embedding_provider="none", store_url=store_url or None)
    b = Engine.open(tmp_path / "b", embedding_provider="none", store_url=second or None)
    try:
        yield a, b
    finally:
        a.close()
        b.close()
        if second:
            request.getfixturevalue("postgres").drop(second)


def table_names(engine: Engine) -> set[str]:
    if engine.store.dialect == "postgres":
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    return {r[0] for r in engine.store.db.execute(sql)}


def test_round_trip_is_byte_identical(pair, tmp_path: Path) -> None:
    a, b = pair
    ids = fill(a)
    first = export_text(a)
    (tmp_path / "e.jsonl").write_text(first, encoding="utf-8")
    report = b.import_source("clawmemory", tmp_path / "e.jsonl")
    assert report["errors"] == 0 and report["added"] == len(first.splitlines()) - 2  # all but header and `default`
    assert export_text(b) == first
    again = b.import_source("clawmemory", tmp_path / "e.jsonl")
    assert again["added"] == 0 and export_text(b) == first
    # The rebuilt store works like the original: search, forgotten rows, ledger, sessions.
    for query, corpus in [
        ("green tea", "memory"),
        ("Friday booked", "messages"),
        ("stack Postgres", "messages"),
        ("deploy.sh finished", "observations"),
    ]:
        ns = "work" if query == "stack Postgres" else "default"
        assert (
            [h.id for h in a.search(query, ns, corpus=corpus, mode="lexical")]
            == [h.id for h in b.search(query, ns, corpus=corpus, mode="lexical")]
            != []
        )
    assert not b.search("VPN password", mode="lexical")
    assert b.get_memory(ids["gone"]).status == "forgotten"
    assert b.ledger_obituaries() == a.ledger_obituaries()
    assert b.ledger_obituaries()["obituaries"][0]["id"] == ids["wal"]
    assert b.ledger_stats() == a.ledger_stats()
    open_ticket = b.store.db.execute("SELECT id FROM ledger_tickets WHERE status = 'open'").fetchone()[0]
    assert b.ledger_settle(open_ticket, 1.0)["settled"] is True  # tickets survive, settleable
    assert [m.text for m in b.store.list_messages("default", "agent:main:s1")] == [
        "Ship it on Friday?",
        "Friday 14:00 is booked.",
    ]


def test_every_table_is_exported_or_named_derived(pair) -> None:
    """A table another component adds later is exported without a change here (columns read from
    the database); only the derived ones are left out, each with its reason."""
    a, _ = pair
    names = table_names(a)
    exported = {t.name for t in tables(a.store.db)}
    left_out = {n for n in names - exported if not n.startswith(("sqlite_", "search_fts"))}
    assert left_out <= set(DERIVED) and "memories" in exported and "ledger_tickets" in exported
    a.store.db.execute("ALTER TABLE memories ADD COLUMN added_later TEXT")
    a.store.db.execute("CREATE TABLE extra_things (id TEXT PRIMARY KEY, namespace TEXT REFERENCES namespaces(name))")
    a.store.db.execute("INSERT INTO extra_things VALUES ('x1', 'default')")
    a.store_memory(text="a fact")
    lines = [json.loads(line) for line in export_text(a).splitlines()]
    assert {"valid_to", "superseded_by", "added_later"} <= set(lines[0]["tables"]["memories"])
    assert {"table": "extra_things", "row": {"id": "x1", "namespace": "default"}} in lines
    order = [line["table"] for line in lines[1:]]
    assert order.index("namespaces") < order.index("memories")  # parents first


def test_namespace_export_and_unknown_columns(pair, tmp_path: Path) -> None:
    a, b = pair
    fill(a)
    work = [json.loads(line) for line in export_text(a, namespace="work").splitlines()]
    assert {
        r["row"].get("namespace", r["row"].get("name")) for r in work[1:] if r["table"] != "ledger_ticket_entries"
    } == {"work"}
    assert {r["table"] for r in work[1:]} >= {"namespaces", "memories", "messages", "context_turns"}
    bad = work[:1] + [
        {"table": "memories", "row": {**work[2]["row"], "shiny_new": 1}},
        {"table": "search_items", "row": {"id": 1}},
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in bad), encoding="utf-8")
    report = b.import_source("clawmemory", path)
    assert report["added"] == 0 and report["errors"] == 2
    assert "shiny_new" in report["error_details"][0]["error"]
    assert "not exported data" in report["error_details"][1]["error"]


def test_cli_export_markdown_and_jsonl_round_trip(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAWMEMORY_EMBEDDING_PROVIDER", "none")
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    assert main(["store", "Prefers green tea", "--data-dir", a]) == 0
    out = tmp_path / "e.jsonl"
    assert main(["export", "--out", str(out), "--data-dir", a]) == 0
    assert "exported" in capsys.readouterr().err
    assert main(["import", "clawmemory", str(out), "--data-dir", b, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["added"] >= 1
    assert main(["export", "--data-dir", b]) == 0
    assert capsys.readouterr().out == out.read_text(encoding="utf-8")
    assert main(["export", "--format", "markdown", "--data-dir", a]) == 0
    md = capsys.readouterr().out
    assert md.startswith("# clawmemory export") and "Prefers green tea" in md
    assert main(["export", "--format", "xml", "--data-dir", a]) == 2
    assert main(["import", "clawmemory", str(tmp_path), "--data-dir", b]) == 2  # a folder is not an export
    assert main(["import", "clawmemory", str(out), "-n", "default", "--data-dir", b]) == 2  # rows carry theirs
    assert sqlite3.connect(tmp_path / "b" / "clawmemory.db").execute("SELECT count(*) FROM memories").fetchone()[0] == 1
