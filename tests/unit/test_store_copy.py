"""`clawmemory postgres migrate`: a SQLite store copied into a real PostgreSQL, verified, and
usable there; re-runs change nothing; a target holding other data needs --force."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import psycopg
import pytest
from support.conversations import agent, user

from clawmemory.cli.main import main
from clawmemory.engine import Engine
from clawmemory.errors import Conflict
from clawmemory.store_copy import copy_to_postgres

NGINX = ("How do I rotate the nginx logs?", "Run logrotate -f /etc/logrotate.d/nginx and reload nginx.")


def fill(home: Path, workspace: Path) -> dict:
    """A SQLite store with a row in every component: memories, messages, ledger (entry, ticket,
    settlement, events), a collection, observations, a committed turn, vectors."""
    with Engine.open(home, embedding_provider="none") as e:
        e.ensure_namespace("team")
        e.store_memory("team", text="The staging database listens on port 5433", category="ops")
        e.add_messages(
            "s1", [{"role": "user", "text": "we deploy on fridays", "created_at": "2026-11-01T10:00:00Z"}], "team"
        )
        entry = e.ledger_store(question=NGINX[0], answer=NGINX[1])["entry"]["id"]
        ticket = e.memory_recall(None, None, query="rotate nginx logs")["details"]["ticketId"]
        e.ledger_settle(ticket, 1.0)
        open_ticket = e.memory_recall(None, None, query="nginx logrotate")["details"]["ticketId"]
        docs = workspace / "docs"
        docs.mkdir(parents=True)
        (docs / "runbook.md").write_text("# Runbook\n\nThe ocelot service restarts nightly.\n")
        e.collection_add(docs, "runbook")
        capture = workspace / "obs.jsonl"
        capture.write_text(
            json.dumps(
                {"v": 1, "ts": "2026-11-21T06:00:01.000Z", "kind": "tool", "tool_name": "exec",
                 "tool_call_id": "c1", "session_key": "agent:main:s1", "agent_id": "main",
                 "summary": "exec: compiled module alpha", "result": "compiled module alpha"}
            ) + "\n"
        )  # fmt: skip
        e.ingest_observations([capture])
        at = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
        e.context_call(
            "commitTurn",
            "agent-main",
            {"agentId": "main", "workspaceDir": str(workspace), "sessionKey": "agent:main:c1"},
            {
                "sessionId": "c1",
                "advancementKey": "turn-1",
                "messages": [user("ship it on friday", at), agent("noted", at)],
            },
        )
        items = [r[0] for r in e.store.db.execute("SELECT id FROM search_items ORDER BY id")]
        rng = np.random.default_rng(7)
        vecs = rng.standard_normal((len(items), 8)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        e.store.save_embeddings("test-model", 8, [(i, v.tobytes()) for i, v in zip(items, vecs)])
        return {"entry": entry, "open_ticket": open_ticket, "items": len(items)}


@pytest.fixture()
def target(postgres):
    url = postgres.database()
    yield url
    postgres.drop(url)


def test_copy_verifies_and_the_copy_works_as_a_store(home: Path, tmp_path: Path, target: str) -> None:
    made = fill(home, tmp_path / "ws")
    seen = []
    report = copy_to_postgres(home / "clawmemory.db", target, progress=lambda t, d, n: seen.append((t, d, n)))
    checks = {t.table: t for t in report.tables}
    assert report.ok, [t for t in report.tables if not t.ok]
    for table in ("memories", "messages", "ledger_entries", "ledger_tickets", "ledger_settlements", "ledger_events",
                  "collections", "collection_chunks", "observations", "capture_offsets", "context_turns",
                  "search_items", "embeddings"):  # fmt: skip
        assert checks[table].source_rows > 0 and checks[table].ok, table
    assert checks["embeddings"].target_rows == made["items"]
    assert seen[-1][1] == seen[-1][2] == report.copied

    with Engine.open(home, embedding_provider="none") as lite:
        before = io.StringIO()
        lite.export(before)
    with Engine.open(home, embedding_provider="none", store_url=target) as pg:
        assert pg.store.dialect == "postgres"
        after = io.StringIO()
        pg.export(after)
        assert after.getvalue() == before.getvalue()  # the copy exports byte for byte like the original
        assert pg.search("staging port", "team")[0].text.startswith("The staging database")
        assert pg.search('"ocelot service"', corpus="collections", mode="lexical")
        settled = pg.ledger_settle(made["open_ticket"], 1.0)  # a ticket opened in SQLite settles here
        assert settled["settled"] and pg.ledger_show(made["entry"])["uses"] == 2
        fresh = pg.store_memory(text="written after the copy")  # identity counters moved past the copy
        assert pg.search("written after the copy")[0].id == fresh.memory.id
        vec = np.ones(8, dtype=np.float32) / np.sqrt(8)
        top, _, _ = pg.store.nearest("test-model", 8, vec, ["default", "team"], ["memory", "message"], 3)
        assert len(top) == 3  # vectors copied and searchable through pgvector


def test_rerun_changes_nothing_and_other_data_needs_force(home: Path, tmp_path: Path, target: str) -> None:
    fill(home, tmp_path / "ws")
    first = copy_to_postgres(home / "clawmemory.db", target)
    assert first.committed
    again = copy_to_postgres(home / "clawmemory.db", target)  # same source: verified, nothing written
    assert again.ok and not again.committed and again.copied == 0
    assert [t.target_rows for t in again.tables] == [t.target_rows for t in first.tables]
    assert [t.target_hash for t in again.tables] == [t.target_hash for t in first.tables]

    other = tmp_path / "other"
    with Engine.open(other, embedding_provider="none") as e:
        e.store_memory(text="a different store")
    with pytest.raises(Conflict):
        copy_to_postgres(other / "clawmemory.db", target)
    assert main(["postgres", "migrate", "--to", target, "--data-dir", str(other)]) == 2
    report = copy_to_postgres(other / "clawmemory.db", target, force=True)  # empties the target first
    assert report.ok and {t.table: t.target_rows for t in report.tables}["memories"] == 1


def test_cli_report(home: Path, target: str, capsys: pytest.CaptureFixture[str]) -> None:
    with Engine.open(home, embedding_provider="none") as e:
        e.store_memory(text="one memory to carry over")
    assert main(["postgres", "migrate", "--to", target, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verified"] and {t["table"]: t["target_rows"] for t in out["tables"]}["memories"] == 1
    assert main(["postgres", "migrate", "--to", "mysql://x"]) == 2


def sql(url: str, *statements: str) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows: list[tuple] = []
        for statement in statements:
            cursor = conn.execute(statement)
            rows = cursor.fetchall() if cursor.description else []
        return rows


@pytest.mark.parametrize(
    ("table", "change"),
    [
        ("memories", "UPDATE memories SET text = text || ' ' WHERE id = (SELECT min(id) FROM memories)"),
        ("memories", "UPDATE memories SET category = NULL WHERE category = 'ops'"),
        ("embeddings", "UPDATE embeddings SET vector = vector * '[1,1,1,1,1,1,1,1.0001]' WHERE seq = 1"),
        ("messages", "DELETE FROM messages WHERE id = (SELECT max(id) FROM messages)"),
    ],
)
def test_a_changed_target_is_found_and_kept_without_force(
    home: Path, tmp_path: Path, target: str, table: str, change: str
) -> None:
    """The verification hashes the target in SQL: one changed value (text, NULL, one float of a
    vector) or a missing row shows in that table only; re-running from the same store then
    refuses to overwrite the target unless --force."""
    fill(home, tmp_path / "ws")
    assert copy_to_postgres(home / "clawmemory.db", target).ok
    sql(target, change)
    with pytest.raises(Conflict, match=table):
        copy_to_postgres(home / "clawmemory.db", target)
    forced = copy_to_postgres(home / "clawmemory.db", target, force=True)
    assert forced.ok and forced.committed


def test_a_mismatch_or_failure_rolls_everything_back(home: Path, tmp_path: Path, target: str) -> None:
    """The copy is one transaction: a row the server stores differently than it was sent (here
    a trigger rewrites it) fails the verification and nothing stays; so does an error in the
    last table. Running again afterwards copies everything."""
    fill(home, tmp_path / "ws")
    sql(
        target,
        "CREATE FUNCTION shout() RETURNS trigger AS $$ BEGIN NEW.text = upper(NEW.text); RETURN NEW; END $$ "
        "LANGUAGE plpgsql",
        "CREATE TRIGGER shout BEFORE INSERT ON memories FOR EACH ROW EXECUTE FUNCTION shout()",
    )
    report = copy_to_postgres(home / "clawmemory.db", target)
    assert not report.ok and not report.committed
    assert [t.table for t in report.tables if not t.ok] == ["memories"]
    assert main(["postgres", "migrate", "--to", target, "--data-dir", str(home)]) == 1
    sql(
        target,
        "DROP TRIGGER shout ON memories",
        "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER refuse BEFORE INSERT ON embeddings FOR EACH ROW EXECUTE FUNCTION refuse()",
    )
    with pytest.raises(psycopg.Error, match="disk full"):
        copy_to_postgres(home / "clawmemory.db", target)
    assert sql(target, "SELECT count(*) FROM memories") == [(0,)]
    assert sql(target, "SELECT to_regclass('_store_copies') IS NULL") == [(True,)]
    sql(target, "DROP TRIGGER refuse ON embeddings")
    report = copy_to_postgres(home / "clawmemory.db", target)
    assert report.ok and report.committed
    memories = next(t for t in report.tables if t.table == "memories")
    assert sql(target, "SELECT count(*) FROM memories") == [(memories.source_rows,)] != [(0,)]
