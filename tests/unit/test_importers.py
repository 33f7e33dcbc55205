"""`clawmemory import SOURCE PATH` for each peer: what lands, idempotence, dry run, redaction.

Each fixture's docstring says where its format comes from: written by the peer's own package
where that installs here (lancedb, openclaw-context-pack), else built from the format's
documentation (shared/reference/peers.md, openclaw.md and the projects' docs).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from clawmemory.cli.main import main
from clawmemory.engine import Engine
from clawmemory.errors import NotFound

SECRET = "sk-proj-Xq3v9TzL0aBcDeFgHiJkLmNoPqRsTuVwXyZ012345678"


@pytest.fixture()
def eng(home: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CLAWMEMORY_EMBEDDING_PROVIDER", "none")  # lexical search: no model to load
    with Engine.open(home) as engine:
        yield engine


def texts(engine: Engine, status: str = "active") -> list[str]:
    return sorted(m.text for m in engine.list_memories(status=status, limit=1000).items)


def twice(engine: Engine, source: str, path: Path, **kw) -> tuple[dict, dict]:
    """Import, then import again: the second pass must add nothing."""
    first = engine.import_source(source, path, **kw)
    again = engine.import_source(source, path, **kw)
    assert again["added"] == 0, again
    assert again["skipped"] == first["added"] + first["skipped"]
    return first, again


# -- memory-core --------------------------------------------------------------------------


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    """An OpenClaw workspace as memory-core keeps it (docs.openclaw.ai memory-builtin): curated
    MEMORY.md and daily logs under memory/; beside it memory-core's SQLite index with the
    `memory_index_chunks` table as OpenClaw 2026.9.6 creates it (columns read from its dist)."""
    ws = tmp_path / "workspace"
    (ws / "memory").mkdir(parents=True)
    (ws / "MEMORY.md").write_text(
        "# Memory\n\n## Preferences\n\n- Prefers green tea over coffee.\n- Deploys only on Fridays.\n\n"
        f"## Credentials\n\n- The OpenAI key is {SECRET}\n",
        encoding="utf-8",
    )
    (ws / "memory" / "2026-11-20.md").write_text(
        "# 2026-11-20\n\nMigrated the billing service to Postgres 16.\n", encoding="utf-8"
    )
    db = sqlite3.connect(ws.parent / "openclaw-agent.sqlite")
    db.execute(
        "CREATE TABLE memory_index_chunks (id TEXT PRIMARY KEY, path TEXT NOT NULL, source TEXT NOT NULL "
        "DEFAULT 'memory', start_line INTEGER NOT NULL, end_line INTEGER NOT NULL, hash TEXT NOT NULL, "
        "model TEXT NOT NULL, text TEXT NOT NULL, embedding TEXT NOT NULL, updated_at INTEGER NOT NULL) STRICT"
    )
    db.executemany(
        "INSERT INTO memory_index_chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                "c1",
                "MEMORY.md",
                "memory",
                3,
                6,
                "h1",
                "fts-only",
                "## Preferences - Prefers green tea",
                "[]",
                1763600000000,
            ),
            (
                "c2",
                "sessions/abc.jsonl",
                "sessions",
                1,
                4,
                "h2",
                "fts-only",
                "User: the staging database lives on db-stage-2",
                "[]",
                1763600000000,
            ),
        ],
    )
    db.commit()
    db.close()
    return ws


def test_memory_core_workspace_files_and_index(eng: Engine, workspace: Path) -> None:
    first, _ = twice(eng, "memory-core", workspace)
    index, _ = twice(eng, "memory-core", workspace.parent / "openclaw-agent.sqlite")
    got = texts(eng)
    assert (first["added"], index["added"]) == (3, 1) and len(got) == 4
    assert any("green tea" in t and "Fridays" in t for t in got)  # one memory per section
    assert any("Postgres 16" in t for t in got)
    assert any("db-stage-2" in t for t in got)  # only the index had the session chunk
    assert not any(t.startswith("## Preferences - Prefers") for t in got)  # file chunk came from the file
    assert all(SECRET not in t for t in got) and any("[REDACTED]" in t for t in got)
    hit = eng.search("Postgres billing", limit=1, mode="lexical")[0]
    meta = eng.get_memory(hit.id).metadata
    assert meta["path"] == "memory/2026-11-20.md" and meta["imported"]["from"] == "memory-core"


def test_dry_run_writes_nothing_and_missing_path_is_not_found(eng: Engine, workspace: Path) -> None:
    report = eng.import_source("memory-core", workspace, dry_run=True)
    assert report["dry_run"] and report["added"] == 3
    assert texts(eng) == []
    with pytest.raises(NotFound):
        eng.import_source("memory-core", workspace / "nope")


def test_forgotten_memory_is_not_brought_back(eng: Engine, workspace: Path) -> None:
    eng.import_source("memory-core", workspace)
    victim = eng.search("Postgres billing", limit=1, mode="lexical")[0].id
    eng.forget(victim)
    again = eng.import_source("memory-core", workspace)
    assert again["added"] == 0 and len(texts(eng)) == 2


# -- memory-lancedb -----------------------------------------------------------------------


def test_memory_lancedb_real_table(eng: Engine, tmp_path: Path) -> None:
    """A real LanceDB table written by the `lancedb` package, with memory-lancedb's schema
    (id, text, vector, importance, category, createdAt ms; table `memories`). The plugin writes
    it from Node's @lancedb/lancedb; both write the same Lance format."""
    lancedb = pytest.importorskip("lancedb", reason="install the test extra: pip install -e '.[test]'")
    import pyarrow as pa

    schema = pa.schema(
        [
            ("id", pa.string()),
            ("text", pa.string()),
            ("vector", pa.list_(pa.float32(), 4)),
            ("importance", pa.float64()),
            ("category", pa.string()),
            ("createdAt", pa.int64()),
        ]
    )
    db = lancedb.connect(str(tmp_path / "lancedb"))
    db.create_table(
        "memories",
        data=[
            {
                "id": "7f1c",
                "text": "User prefers dark mode in every editor",
                "vector": [0.1, 0.2, 0.3, 0.4],
                "importance": 0.9,
                "category": "preference",
                "createdAt": 1763600000000,
            },
            {
                "id": "8a2d",
                "text": f"API key for the weather service is {SECRET}",
                "vector": [0.0, 0.1, 0.0, 0.1],
                "importance": 0.7,
                "category": "fact",
                "createdAt": 1763600001000,
            },
        ],
        schema=schema,
    )
    first, _ = twice(eng, "memory-lancedb", tmp_path / "lancedb")
    assert first["added"] == 2
    dark = next(m for m in eng.list_memories(limit=10).items if "dark mode" in m.text)
    assert (dark.category, dark.importance, dark.source) == ("preference", 0.9, "memory-lancedb")
    assert dark.metadata["lancedb"] == {
        "id": "7f1c",
        "importance": 0.9,
        "category": "preference",
        "createdAt": 1763600000000,
    }
    assert all(SECRET not in t for t in texts(eng))


# -- Remnic -------------------------------------------------------------------------------


def test_remnic_frontmatter_files(eng: Engine, tmp_path: Path) -> None:
    """Remnic's memoryDir built from its documented layout (facts/YYYY-MM-DD/<category>-<ts>-<hash>.md,
    entities/, state/) and frontmatter keys (id, category, created, status, confidence, importance, tags)."""
    root = tmp_path / "local"
    (root / "facts" / "2026-05-01").mkdir(parents=True)
    (root / "entities").mkdir()
    (root / "state").mkdir()
    (root / "facts" / "2026-05-01" / "preference-1714550000-ab12.md").write_text(
        "---\nid: fact-ab12\ncategory: preference\ncreated: 2026-05-01T09:00:00Z\nstatus: active\n"
        "confidence: 0.92\nimportance:\n  score: 0.8\n  level: high\ntags: [editor, ui]\n---\n"
        "Joshua prefers tabs over spaces.\n",
        encoding="utf-8",
    )
    (root / "facts" / "2026-05-01" / "fact-1714550001-cd34.md").write_text(
        "---\nid: fact-cd34\ncategory: fact\nstatus: superseded\n---\nThe API runs on port 8080.\n", encoding="utf-8"
    )
    (root / "entities" / "postgres.md").write_text("# Postgres\n\nVersion 16 in production.\n", encoding="utf-8")
    (root / "state" / "buffer.md").write_text("pending turns", encoding="utf-8")
    (root / "facts" / "2026-05-01" / "broken.md").write_text("---\nid: [unclosed\n---\nx\n", encoding="utf-8")
    first, _ = twice(eng, "remnic", root)
    assert first["added"] == 3 and first["errors"] == 1
    assert texts(eng) == ["# Postgres\n\nVersion 16 in production.", "Joshua prefers tabs over spaces."]
    assert texts(eng, "forgotten") == ["The API runs on port 8080."]  # superseded upstream: kept, out of search
    tabs = next(m for m in eng.list_memories(limit=10).items if "tabs" in m.text)
    assert tabs.category == "preference" and tabs.importance == 0.8
    assert tabs.metadata["remnic"]["tags"] == ["editor", "ui"]
    assert next(m for m in eng.list_memories(limit=10).items if "Postgres" in m.text).category == "entity"


# -- openclaw-mem -------------------------------------------------------------------------


def openclaw_mem(*args: str) -> None:
    exe = Path(sys.executable).with_name("openclaw-mem")
    if not exe.exists():
        pytest.fail("openclaw-mem is not installed: pip install -e '.[test]'")
    subprocess.run([str(exe), *args], check=True, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def openclaw_mem_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """openclaw-mem's SQLite store built by its own CLI (PyPI openclaw-context-pack 2.0.0):
    `ingest` of an observation spool, `episodes append` of conversation events; plus the spool."""
    root = tmp_path_factory.mktemp("ocmem")
    spool = root / "openclaw-mem-observations.jsonl"
    spool.write_text(
        "\n".join(
            json.dumps(o)
            for o in [
                {
                    "ts": "2026-11-20T10:00:00Z",
                    "kind": "tool",
                    "tool_name": "exec",
                    "tool_call_id": "c1",
                    "session_key": "agent:main:main",
                    "agent_id": "main",
                    "summary": "exec: ls /srv/app shows deploy.sh",
                },
                {
                    "ts": "2026-11-20T10:01:00Z",
                    "kind": "tool",
                    "tool_name": "web_fetch",
                    "summary": "web_fetch: nginx reloads with nginx -s reload",
                    "detail": {"token": SECRET},
                },
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    db = str(root / "openclaw-mem.sqlite")
    openclaw_mem("--db", db, "ingest", "--file", str(spool))
    for kind, summary, ts in [
        ("conversation.user", "Please deploy on Friday", "1763632800000"),
        ("conversation.assistant", "Deploy booked for Friday 14:00", "1763632860000"),
        ("ops.alert", "disk 91% full on db-1", "1763632900000"),
    ]:
        openclaw_mem(
            "--db",
            db,
            "episodes",
            "append",
            "--scope",
            "main",
            "--session-id",
            "s1",
            "--agent-id",
            "main",
            "--type",
            kind,
            "--summary",
            summary,
            "--ts-ms",
            ts,
        )
    return root


def test_openclaw_mem_sqlite_and_spool(eng: Engine, openclaw_mem_dir: Path) -> None:
    first, _ = twice(eng, "openclaw-mem", openclaw_mem_dir / "openclaw-mem.sqlite")
    assert first["by_type"] == {"messages": {"added": 2, "skipped": 0}, "observations": {"added": 3, "skipped": 0}}
    said = [(m.role, m.text) for m in eng.store.list_messages("default", "s1")]
    assert said == [("user", "Please deploy on Friday"), ("assistant", "Deploy booked for Friday 14:00")]
    rows = {
        r["tool_name"] or r["kind"]: r
        for r in eng.store.db.execute("SELECT kind, tool_name, session_key, summary, detail_json FROM observations")
    }
    assert rows["exec"]["session_key"] == "agent:main:main"  # openclaw-mem keeps it in detail_json
    assert SECRET not in rows["web_fetch"]["detail_json"] and "[REDACTED]" in rows["web_fetch"]["detail_json"]
    assert rows["episode.ops.alert"]["summary"] == "disk 91% full on db-1"
    assert [h.id for h in eng.search("nginx reload", corpus="observations", mode="lexical")]
    spool = eng.import_source("openclaw-mem", openclaw_mem_dir / "openclaw-mem-observations.jsonl")
    assert spool["by_type"]["observations"]["added"] == 2  # the spool's lines as written (their own ids)
    assert eng.import_source("openclaw-mem", openclaw_mem_dir / "openclaw-mem-observations.jsonl")["added"] == 0


# -- Lia ----------------------------------------------------------------------------------


def test_lia_daily_transcripts(eng: Engine, tmp_path: Path) -> None:
    """Lia's day files as its README documents them (memory/daily/YYYY-MM-DD.md: `## HH:MM`
    turns of **User:** / **Agent:** lines separated by ---)."""
    daily = tmp_path / "ws" / "memory" / "daily"
    daily.mkdir(parents=True)
    (daily / "2026-11-20.md").write_text(
        "# 2026-11-20\n\n## 23:58\n\n**User:** Shall we ship on Friday?\nIt is the 21st.\n\n"
        '**Agent:** Yes, Friday 14:00.\n- tool call `calendar`: {"day": "friday"}\n\n---\n\n'
        f"## 23:59\n\n**User:** my token is {SECRET}\n\n---\n",
        encoding="utf-8",
    )
    (daily / "notes.md").write_text("not a day file", encoding="utf-8")
    first, _ = twice(eng, "lia", tmp_path / "ws")
    assert first["added"] == 3
    msgs = eng.store.list_messages("default", "daily:2026-11-20")
    assert [(m.role, m.created_at[:16]) for m in msgs] == [
        ("user", "2026-11-20T23:58"),
        ("assistant", "2026-11-20T23:58"),
        ("user", "2026-11-20T23:59"),
    ]
    assert msgs[0].text == "Shall we ship on Friday?\nIt is the 21st."
    assert "tool call `calendar`" in msgs[1].text and msgs[1].speaker == "Agent"
    assert SECRET not in msgs[2].text


# -- mem0 ---------------------------------------------------------------------------------


def test_mem0_real_get_all(eng: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fixture written by the real mem0ai 2.2.1 (`Memory.add(infer=False)` into a local qdrant,
    embeddings from the scripted OpenAI-compatible server, no LLM call), exported with `get_all()`."""
    monkeypatch.setenv("MEM0_TELEMETRY", "False")
    monkeypatch.setenv("MEM0_DIR", str(tmp_path / "mem0home"))
    mem0 = pytest.importorskip("mem0", reason="install the test extra: pip install -e '.[test]'")
    from support.model_server import ModelServer

    with ModelServer() as server:
        api = {"api_key": "unused", "openai_base_url": server.openai_url}
        memory = mem0.Memory.from_config(
            {
                "embedder": {"provider": "openai", "config": {"model": "emb", "embedding_dims": 32, **api}},
                "llm": {"provider": "openai", "config": {"model": "unused", **api}},
                "vector_store": {
                    "provider": "qdrant",
                    "config": {
                        "collection_name": "t",
                        "path": str(tmp_path / "qdrant"),
                        "embedding_model_dims": 32,
                        "on_disk": True,
                    },
                },
                "history_db_path": str(tmp_path / "history.db"),
            }
        )
        memory.add(
            "Dev works at TechCorp as a senior engineer", user_id="dev", infer=False, metadata={"type": "professional"}
        )
        memory.add(f"Dev's deploy token is {SECRET}", user_id="dev", infer=False)
        exported = memory.get_all(filters={"user_id": "dev"})
    path = tmp_path / "mem0.json"
    path.write_text(json.dumps(exported, default=str), encoding="utf-8")
    first, _ = twice(eng, "mem0", path)
    assert (first["added"], first["errors"]) == (2, 0)
    got = {m.text: m for m in eng.list_memories(limit=10).items}
    dev = got["Dev works at TechCorp as a senior engineer"]
    assert dev.metadata["mem0"]["user_id"] == "dev" and dev.metadata["mem0"]["metadata"] == {"type": "professional"}
    assert dev.metadata["mem0"]["id"] == next(r["id"] for r in exported["results"] if "TechCorp" in r["memory"])
    assert all(SECRET not in t for t in got)


def test_mem0_export_json(eng: Engine, tmp_path: Path) -> None:
    """mem0's get_all() output as its docs show it ({"results": [{id, memory, hash, metadata,
    categories, user_id, created_at, updated_at}]}), with what the local package does not write
    (platform categories, expiration_date) and broken items."""
    path = tmp_path / "mem0.json"
    path.write_text(
        json.dumps(
            {
                "results": [
                    {
                        "id": "a1",
                        "memory": "Dev works at TechCorp as a senior engineer",
                        "hash": "x1",
                        "user_id": "dev",
                        "metadata": {"type": "professional"},
                        "categories": ["professional_details"],
                        "created_at": "2026-01-01T10:00:00-08:00",
                        "updated_at": None,
                    },
                    {
                        "id": "a2",
                        "memory": "Arjun prefers morning meetings",
                        "user_id": "arjun",
                        "expiration_date": "2020-01-01",
                    },
                    {"id": "a3", "memory": ""},
                    "not an object",
                ]
            }
        ),
        encoding="utf-8",
    )
    first, _ = twice(eng, "mem0", path)
    assert (first["added"], first["errors"]) == (2, 2)
    assert texts(eng) == ["Dev works at TechCorp as a senior engineer"]
    assert texts(eng, "forgotten") == ["Arjun prefers morning meetings"]  # expired in mem0
    dev = eng.list_memories(limit=10).items[0]
    assert dev.category == "professional_details" and dev.metadata["mem0"]["user_id"] == "dev"


def test_into_ledger_recallable_once(eng: Engine, tmp_path: Path) -> None:
    """`--into ledger`: imported memories become ledger entries that memory_recall finds."""
    path = tmp_path / "mem0.json"
    path.write_text(
        json.dumps(
            [
                {
                    "id": "m1",
                    "memory": "The deploy script is scripts/deploy.sh in the infra repo",
                    "categories": ["preference"],
                },
                {"id": "m2", "memory": "Old office wifi is guest-5", "expiration_date": "2020-01-01"},
            ]
        ),
        encoding="utf-8",
    )
    first, _ = twice(eng, "mem0", path, into="ledger")
    assert first["added"] == 2 and first["into"] == "ledger"
    recall = eng.memory_recall(None, query="where is the deploy script")
    assert recall["details"]["count"] == 1 and "scripts/deploy.sh" in recall["content"]
    assert eng.ledger_stats()["alive"] == 1  # the expired one is kept forgotten, no entry
    assert eng.import_source("mem0", path)["added"] == 2  # plain memories are another kind: both targets may hold it


# -- OpenClaw session transcripts -----------------------------------------------------------

EVENTS = [  # pi-session v4 events as shared/reference/openclaw.md documents them
    {"type": "session", "version": 4, "id": "s-1", "timestamp": "2026-11-20T10:00:00Z", "cwd": "/srv"},
    {"type": "model_change", "id": "e0", "parentId": None, "timestamp": "2026-11-20T10:00:00Z"},
    {
        "type": "message",
        "id": "e1",
        "timestamp": "2026-11-20T10:00:01Z",
        "message": {"role": "user", "content": [{"type": "text", "text": "Where is the deploy script?"}]},
    },
    {
        "type": "message",
        "id": "e2",
        "timestamp": "2026-11-20T10:00:02Z",
        "message": {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Let me look."},
                {"type": "toolCall", "id": "t1", "name": "exec", "arguments": {"cmd": "ls scripts"}},
            ],
        },
    },
    {
        "type": "message",
        "id": "e3",
        "timestamp": "2026-11-20T10:00:03Z",
        "message": {
            "role": "toolResult",
            "toolCallId": "t1",
            "toolName": "exec",
            "content": [{"type": "text", "text": "deploy.sh"}],
        },
    },
    {
        "type": "message",
        "id": "e4",
        "message": {"role": "user", "timestamp": 1763632900000, "content": "<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>> x"},
    },
    {"type": "compaction", "id": "e5", "timestamp": "2026-11-20T11:00:00Z", "summary": "Found deploy.sh."},
]


def assert_session(engine: Engine) -> None:
    msgs = engine.store.list_messages("default", "agent:main:main")
    assert [(m.role, m.speaker) for m in msgs] == [
        ("user", None),
        ("assistant", None),
        ("tool", "exec"),
        ("system", "compaction"),
    ]
    assert "[tool call: exec]" in msgs[1].text and msgs[2].text == "[tool result: exec] deploy.sh"
    assert msgs[0].created_at.startswith("2026-11-20T10:00:01")


@pytest.fixture()
def state_dir(tmp_path: Path) -> Path:
    """An OpenClaw state dir with one session in both forms: a legacy transcript
    agents/main/sessions/s-1.jsonl (+ sessions.json naming its key), and the 2026.9 agent database
    agents/main/agent/openclaw-agent.sqlite with `session_windows` and `transcript_events`
    (columns as OpenClaw 2026.9.6's schema in its dist declares them)."""
    folder = tmp_path / "state" / "agents" / "main" / "sessions"
    folder.mkdir(parents=True)
    (folder / "sessions.json").write_text(json.dumps({"agent:main:main": {"sessionId": "s-1"}}), encoding="utf-8")
    (folder / "s-1.jsonl").write_text("\n".join(json.dumps(e) for e in EVENTS) + "\n{broken\n", encoding="utf-8")
    (folder.parent / "agent").mkdir()
    db = sqlite3.connect(folder.parent / "agent" / "openclaw-agent.sqlite")
    db.execute(
        "CREATE TABLE session_windows (session_id TEXT NOT NULL PRIMARY KEY, session_key TEXT NOT NULL, "
        "created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT"
    )
    db.execute(
        "CREATE TABLE transcript_events (session_id TEXT NOT NULL, seq INTEGER NOT NULL, event_json TEXT NOT NULL, "
        "created_at INTEGER NOT NULL, PRIMARY KEY (session_id, seq)) STRICT"
    )
    db.execute("INSERT INTO session_windows VALUES ('s-1', 'agent:main:main', 0, 0)")
    db.executemany(
        "INSERT INTO transcript_events VALUES ('s-1', ?, ?, 0)", [(n, json.dumps(e)) for n, e in enumerate(EVENTS)]
    )
    db.commit()
    db.close()
    return tmp_path / "state"


def test_openclaw_session_jsonl(eng: Engine, state_dir: Path) -> None:
    jsonl = state_dir / "agents" / "main" / "sessions" / "s-1.jsonl"
    before = jsonl.read_bytes()
    first, _ = twice(eng, "openclaw-sessions", jsonl.parent)
    assert (first["added"], first["errors"]) == (4, 1)
    assert_session(eng)
    assert jsonl.read_bytes() == before  # read only


def test_openclaw_session_database_and_both_forms_once(eng: Engine, state_dir: Path) -> None:
    db = state_dir / "agents" / "main" / "agent" / "openclaw-agent.sqlite"
    first, _ = twice(eng, "openclaw-sessions", db)
    assert (first["added"], first["errors"]) == (4, 0)
    assert_session(eng)
    both = eng.import_source("openclaw-sessions", state_dir)  # the whole state dir: database + JSONL
    assert (both["added"], both["skipped"]) == (0, 8)


# -- CLI ----------------------------------------------------------------------------------


def test_cli_import_json_report_and_bad_path(home: Path, workspace: Path, capsys: pytest.CaptureFixture) -> None:
    args = ["--data-dir", str(home), "--json"]
    assert main(["import", "memory-core", str(workspace), "--dry-run", *args]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["dry_run"] and dry["added"] == 3
    assert main(["import", "memory-core", str(workspace), *args]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == 3
    assert main(["import", "memory-core", str(workspace), "--data-dir", str(home)]) == 0
    assert "added 0, skipped 3" in capsys.readouterr().out
    assert main(["import", "mem0", str(workspace / "missing.json"), *args]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["import", "mem0", str(workspace), "-n", "nope", *args]) == 2
