"""commitTurn and its fallbacks: exactly-once storage, daily files, validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.conversations import agent, tool_result, user

from clawmemory.context import daily
from clawmemory.errors import InvalidInput

NS = "agent-main"


def _at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture()
def ws(tmp_path: Path) -> Path:
    path = tmp_path / "workspace"
    path.mkdir()
    return path


def commit(engine, ws, messages, key="turn-1", session="s1", **extra):
    return engine.context_call(
        "commitTurn",
        NS,
        {"agentId": "main", "workspaceDir": str(ws), "sessionKey": f"agent:main:{session}"},
        {"sessionId": session, "advancementKey": key, "messages": messages, **extra},
    )


def count(engine, table="messages"):
    return engine.store.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def day_file(ws, day):
    return (ws / "memory" / "daily" / f"{day}.md").read_text()


def test_commit_stores_indexes_and_a_replay_is_a_no_op(engine, ws):
    engine.settings.context.daily_timezone = "UTC"
    turn = [
        user("We decided to ship on Friday.", _at(2026, 11, 20, 10, 0)),
        agent("Noted: ship on Friday.", _at(2026, 11, 20, 10, 1)),
    ]
    assert commit(engine, ws, turn)["status"] == "committed"
    rows = engine.store.list_messages(NS, "agent:main:s1")
    assert [r.role for r in rows] == ["user", "assistant"]
    assert rows[0].created_at == "2026-11-20T10:00:00.000000Z"
    assert engine.search("ship friday", NS, mode="lexical")
    assert engine.formation.drain(10)  # memories formed from the turn are indexed too
    before = (count(engine), count(engine, "search_items"), day_file(ws, "2026-11-20"))
    for _ in range(3):
        assert commit(engine, ws, turn) == {"status": "duplicate", "stored": 0}
    assert (count(engine), count(engine, "search_items"), day_file(ws, "2026-11-20")) == before


def test_daily_files_are_exact_across_midnight(engine, ws):
    engine.settings.context.daily_timezone = "UTC"
    turn1 = [
        user("Is the backup done?", _at(2026, 11, 20, 23, 58)),
        agent("", _at(2026, 11, 20, 23, 58, 30), [("c1", "exec", {"command": "ls /backups"})]),
        tool_result("c1", "exec", "db-2026-11-20.tar.gz\nfiles.tar.gz", _at(2026, 11, 20, 23, 59)),
        agent("Yes, db-2026-11-20.tar.gz is there.", _at(2026, 11, 21, 0, 1)),
    ]
    turn2 = [user("Thanks, good night!", _at(2026, 11, 21, 0, 5)), agent("Good night.", _at(2026, 11, 21, 0, 5, 20))]
    commit(engine, ws, turn1, key="k1")
    commit(engine, ws, turn2, key="k2")
    assert day_file(ws, "2026-11-20") == (
        "# 2026-11-20\n"
        "\n## 23:58\n"
        "\n**User:** Is the backup done?\n"
        '\n- tool call `exec`: {"command": "ls /backups"}\n'
        "\n## 23:59\n"
        "\n- tool result `exec`: db-2026-11-20.tar.gz files.tar.gz\n"
        "\n---\n"
    )
    assert day_file(ws, "2026-11-21") == (
        "# 2026-11-21\n"
        "\n## 00:01\n"
        "\n**Agent:** Yes, db-2026-11-20.tar.gz is there.\n"
        "\n---\n"
        "\n## 00:05\n"
        "\n**User:** Thanks, good night!\n"
        "\n**Agent:** Good night.\n"
        "\n---\n"
    )
    commit(engine, ws, turn1, key="k1")  # replay
    assert day_file(ws, "2026-11-20").count("Is the backup done?") == 1


def test_day_and_minute_follow_the_configured_time_zone(engine, ws):
    engine.settings.context.daily_timezone = "Europe/Berlin"  # UTC+1 in November
    commit(engine, ws, [user("late", _at(2026, 11, 20, 22, 59)), agent("early", _at(2026, 11, 20, 23, 1))])
    assert "## 23:59\n\n**User:** late" in day_file(ws, "2026-11-20")
    assert day_file(ws, "2026-11-21").startswith("# 2026-11-21\n\n## 00:01\n\n**Agent:** early")


def test_a_torn_or_failed_append_is_completed_exactly_once(engine, ws):
    engine.settings.context.daily_timezone = "UTC"
    (ws / "memory").mkdir()
    (ws / "memory" / "daily").write_text("in the way")  # the append fails: entries stay queued
    turn = [user("first", _at(2026, 11, 20, 8, 0)), agent("reply", _at(2026, 11, 20, 8, 1))]
    assert commit(engine, ws, turn)["status"] == "committed"
    assert engine.context.daily.pending() == 2
    (ws / "memory" / "daily").unlink()
    expected = "# 2026-11-20\n\n## 08:00\n\n**User:** first\n\n## 08:01\n\n**Agent:** reply\n\n---\n"
    (ws / "memory" / "daily").mkdir()
    (ws / "memory" / "daily" / "2026-11-20.md").write_text(expected[:23])  # a torn earlier attempt
    engine.context_call("bootstrap", NS, {"workspaceDir": str(ws)}, {"sessionId": "s1"})
    assert day_file(ws, "2026-11-20") == expected
    assert engine.context.daily.pending() == 0
    # a person's note appended after our entries is kept; ours go after it
    path = ws / "memory" / "daily" / "2026-11-20.md"
    path.write_text(path.read_text() + "my own note\n")
    commit(engine, ws, [user("second", _at(2026, 11, 20, 9, 0))], key="k2")
    assert day_file(ws, "2026-11-20") == expected + "my own note\n\n## 09:00\n\n**User:** second\n\n---\n"


def test_fallbacks_after_turn_and_ingest_are_idempotent(engine, ws):
    history = [user("old", _at(2026, 11, 20, 8, 0)), agent("old reply", _at(2026, 11, 20, 8, 1))]
    turn = [user("new", _at(2026, 11, 20, 9, 0)), agent("new reply", _at(2026, 11, 20, 9, 1))]
    params = {"sessionId": "s2", "sessionFile": "x", "messages": history + turn, "prePromptMessageCount": 2}
    r1 = engine.context_call("afterTurn", NS, {"workspaceDir": str(ws)}, params)
    r2 = engine.context_call("afterTurn", NS, {"workspaceDir": str(ws)}, params)
    assert (r1["status"], r2["status"]) == ("committed", "duplicate")
    assert [m.text for m in engine.store.list_messages(NS, "s2")] == ["new", "new reply"]
    one = {"sessionId": "s3", "message": user("a fact", _at(2026, 11, 20, 10, 0))}
    assert engine.context_call("ingest", NS, {}, one) == {"ingested": True}
    assert engine.context_call("ingest", NS, {}, one) == {"ingested": False}
    beat = {"sessionId": "s3", "message": user("heartbeat", _at(2026, 11, 20, 10, 5)), "isHeartbeat": True}
    assert engine.context_call("ingest", NS, {}, beat) == {"ingested": False}
    assert len(engine.store.list_messages(NS, "s3")) == 1


def test_secrets_are_redacted_in_the_store_and_the_day_file(engine, ws):
    engine.settings.context.daily_timezone = "UTC"
    key = "sk-proj-" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4"
    commit(engine, ws, [user(f"my key is {key}", _at(2026, 11, 20, 8, 0))])
    assert key not in engine.store.list_messages(NS, "agent:main:s1")[0].text
    assert key not in day_file(ws, "2026-11-20") and "[REDACTED]" in day_file(ws, "2026-11-20")


GOOD = {"role": "user", "content": "a valid message before the bad one", "timestamp": 1_763_600_000_000}


@pytest.mark.parametrize(
    "params, field",
    [
        ({"advancementKey": "k", "messages": [GOOD]}, "params.sessionId"),
        ({"sessionId": "", "advancementKey": "k", "messages": [GOOD]}, "params.sessionId"),
        ({"sessionId": "s", "messages": [GOOD]}, "params.advancementKey"),
        ({"sessionId": "s", "advancementKey": "k", "messages": {"role": "user"}}, "params.messages"),
        ({"sessionId": "s", "advancementKey": "k", "messages": "hello"}, "params.messages"),
        (
            {"sessionId": "s", "advancementKey": "k", "messages": [GOOD, {"role": "system", "content": "x"}]},
            "params.messages[1].role",
        ),
        (
            {"sessionId": "s", "advancementKey": "k", "messages": [GOOD, {"role": "user", "content": 42}]},
            "params.messages[1].content",
        ),
        (
            {
                "sessionId": "s",
                "advancementKey": "k",
                "messages": [GOOD, {"role": "user", "content": "x", "timestamp": "soon"}],
            },
            "params.messages[1].timestamp",
        ),
        (
            {"sessionId": "s", "advancementKey": "k", "messages": [GOOD, {"role": "toolResult", "content": "x"}]},
            "params.messages[1].toolCallId",
        ),
        ({"sessionId": "s", "advancementKey": "k", "messages": [GOOD, "not an object"]}, "params.messages[1]"),
    ],
)
def test_malformed_payloads_are_rejected_and_nothing_is_written(engine, ws, params, field):
    with pytest.raises(InvalidInput) as info:
        engine.context_call("commitTurn", NS, {"workspaceDir": str(ws)}, params)
    assert info.value.field == field
    assert not engine.store.has_namespace(NS)
    assert count(engine) == 0 and count(engine, "context_turns") == 0 and not (ws / "memory").exists()


def test_unknown_method_and_bad_namespace(engine):
    from clawmemory.errors import NotFound

    with pytest.raises(NotFound):
        engine.context_call("dispose", NS, {}, {"sessionId": "s"})
    with pytest.raises(InvalidInput):
        engine.context_call("bootstrap", "Bad Name!", {}, {"sessionId": "s"})


def test_retention_prunes_old_day_files_not_rows(engine, ws):
    engine.settings.context.daily_timezone = "UTC"
    engine.settings.context.transcript_retention_days = 0  # keep everything while writing
    old = datetime.now(UTC) - timedelta(days=200)
    recent = datetime.now(UTC) - timedelta(days=2)
    commit(engine, ws, [user("ancient", old)], key="old")
    commit(engine, ws, [user("recent", recent)], key="new")
    folder = ws / "memory" / "daily"
    (folder / "notes.md").write_text("not a day file")
    assert (folder / f"{old:%Y-%m-%d}.md").exists()
    engine.settings.context.transcript_retention_days = 180
    out = engine.context_prune(str(ws), NS)
    assert out["removed_files"] == [f"{old:%Y-%m-%d}.md"] and out["deleted_messages"] == 0
    assert (folder / "notes.md").exists() and (folder / f"{recent:%Y-%m-%d}.md").exists()
    assert count(engine) == 2
    out = engine.context_prune(str(ws), NS, delete_rows=True)
    assert out["deleted_messages"] == 1 and count(engine) == 1
    assert [h.text for h in engine.search("ancient", NS, mode="lexical")] in ([], ["recent"])


def test_commit_applies_retention_to_the_workspace(engine, ws):
    engine.settings.context.daily_timezone = "UTC"
    folder = ws / "memory" / "daily"
    folder.mkdir(parents=True)
    (folder / "2020-01-01.md").write_text("# 2020-01-01\n")
    commit(engine, ws, [user("today", datetime.now(UTC))])
    assert not (folder / "2020-01-01.md").exists()


def test_render_and_local_stamp_helpers():
    assert daily.local_stamp("2026-11-20T23:30:00.000000Z", daily.resolve_timezone("UTC")) == ("2026-11-20", "23:30")
    with pytest.raises(InvalidInput):
        daily.resolve_timezone("Mars/Olympus")


def test_openclaw_runtime_line_is_not_stored(engine, ws):
    engine.settings.context.daily_timezone = "UTC"
    text = "Ship it on Friday.\nRuntime: agent=main | session=agent:main:s1 | sessionId=abc | model=fake"
    commit(engine, ws, [user(text, _at(2026, 11, 20, 8, 0))])
    assert engine.store.list_messages(NS, "agent:main:s1")[0].text == "Ship it on Friday."
    assert "Runtime:" not in day_file(ws, "2026-11-20")


def test_compact_without_stored_history_delegates_to_the_host(engine):
    out = engine.context_call("compact", NS, {}, {"sessionId": "new", "sessionKey": "new", "force": True})
    assert out["ok"] and not out["compacted"] and out["delegate"] is True
