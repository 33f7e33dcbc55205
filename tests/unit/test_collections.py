"""Markdown collections on a real engine: add, search, incremental update, remove, safety."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clawmemory.collections.service import glob_regex
from clawmemory.errors import Conflict, InvalidInput, NotFound

DEPLOYS = (
    "# Ops\n\n## Deploys\nDeploys go to Fly.io, region ams.\n\n## Billing\nThe billing service ships on Tuesdays.\n"
)


@pytest.fixture()
def notes(tmp_path: Path) -> Path:
    root = tmp_path / "notes"
    (root / "sub").mkdir(parents=True)
    (root / "ops.md").write_text(DEPLOYS)
    (root / "sub" / "garden.md").write_text("# Garden\n\nTomatoes need staking in June.\n")
    (root / "readme.txt").write_text("not markdown: zebra")
    (root / ".hidden").mkdir()
    (root / ".hidden" / "secret.md").write_text("zebra in a hidden folder")
    return root


def paths(hits):
    return [h.extra["path"] for h in hits]


def test_add_indexes_chunks_with_path_lines_and_heading(engine, notes):
    result = engine.collection_add(notes, "notes")
    assert result["created"] and result["scan"]["indexed"] == 2 and result["scan"]["chunks_added"] == 3
    hits = engine.search("billing tuesdays", corpus="collections", mode="lexical")
    top = hits[0]
    assert top.corpus == "chunk" and top.extra["path"] == "notes/ops.md"
    assert (top.extra["startLine"], top.extra["endLine"]) == (6, 7)
    assert top.extra["heading"] == "Billing" and top.extra["breadcrumb"] == "Ops > Billing"
    assert top.text == "\n".join(DEPLOYS.split("\n")[5:7])
    assert engine.search("zebra", corpus="collections", mode="lexical") == []  # .txt and hidden skipped
    # chunks are part of "all" too, and the breadcrumb is searchable context
    assert "notes/ops.md" in paths(h for h in engine.search("billing", mode="lexical") if h.corpus == "chunk")
    assert engine.search("ops", corpus="collections", mode="lexical")


def test_update_skips_unchanged_rechunks_changed_and_drops_deleted(engine, notes):
    engine.collection_add(notes, "notes")
    before = {
        h.extra["heading"]: h.id
        for h in engine.search("deploys billing", corpus="collections", mode="lexical", limit=10)
    }
    again = engine.collection_update()
    assert again["unchanged"] == 2 and again["updated"] == again["indexed"] == 0

    (notes / "ops.md").write_text(DEPLOYS.replace("Tuesdays", "Thursdays") + "\n## New\nA fresh section.\n")
    (notes / "sub" / "garden.md").unlink()
    (notes / "sub" / "new.md").write_text("# Kayaks\nThe kayak lives in the shed.\n")
    result = engine.collection_update()
    assert (result["updated"], result["removed"], result["indexed"], result["unchanged"]) == (1, 1, 1, 0)
    assert engine.search("tuesdays", corpus="collections", mode="lexical") == []
    assert paths(engine.search("thursdays", corpus="collections", mode="lexical")) == ["notes/ops.md"]
    assert engine.search("tomatoes", corpus="collections", mode="lexical") == []
    assert paths(engine.search("kayak shed", corpus="collections", mode="lexical")) == ["notes/sub/new.md"]
    # the untouched section kept its chunk (and so its vector); the edited one got a new id
    after = {
        h.extra["heading"]: h.id
        for h in engine.search("deploys billing", corpus="collections", mode="lexical", limit=10)
    }
    assert after["Deploys"] == before["Deploys"] and after["Billing"] != before["Billing"]
    listed = engine.collection_list()[0]
    assert (listed["documents"], listed["chunks"]) == (2, 4)


def test_a_missing_folder_keeps_its_index(engine, notes, tmp_path):
    engine.collection_add(notes, "notes")
    notes.rename(tmp_path / "moved")
    result = engine.collection_update()
    assert result["collections"][0]["missing"] == 1 and result["removed"] == 0
    assert paths(engine.search("tomatoes", corpus="collections", mode="lexical")) == ["notes/sub/garden.md"]


def test_moved_lines_keep_chunk_identity_but_update_line_numbers(engine, notes):
    engine.collection_add(notes, "notes")
    (notes / "ops.md").write_text("# Ops\n\nintro added\nand more\n\n" + DEPLOYS.split("\n", 2)[2])
    engine.collection_update()
    hit = engine.search("tuesdays", corpus="collections", mode="lexical")[0]
    lines = (notes / "ops.md").read_text().split("\n")
    assert "\n".join(lines[hit.extra["startLine"] - 1 : hit.extra["endLine"]]) == hit.text


def test_add_is_idempotent_and_names_are_checked(engine, notes, tmp_path):
    engine.collection_add(notes, "notes")
    again = engine.collection_add(notes, "notes")
    assert again["created"] is False and again["scan"]["unchanged"] == 2
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(Conflict):
        engine.collection_add(other, "notes")
    for bad_name in ("memories", "sessions", "Bad Name", ""):
        with pytest.raises(InvalidInput):
            engine.collection_add(other, bad_name)
    with pytest.raises(InvalidInput):
        engine.collection_add(tmp_path / "missing", "missing")
    with pytest.raises(InvalidInput):
        engine.collection_add(other, "esc", patterns=["../*.md"])
    with pytest.raises(NotFound):
        engine.collection_add(other, "x", namespace="ghost")


def test_namespaces_do_not_see_each_others_collections(engine, notes):
    engine.ensure_namespace("team-b")
    engine.collection_add(notes, "notes", "team-b")
    assert engine.search("tomatoes", corpus="collections", mode="lexical") == []
    assert paths(engine.search("tomatoes", "team-b", corpus="collections", mode="lexical")) == ["notes/sub/garden.md"]
    assert engine.collection_list() == []
    with pytest.raises(NotFound):
        engine.collection_remove("notes")


def test_remove_takes_chunks_out_of_the_index(engine, notes):
    engine.collection_add(notes, "notes")
    indexed = engine.stats()["indexed"]
    result = engine.collection_remove("notes")
    assert result == {"removed": "notes", "namespace": "default", "documents": 2, "chunks": 3}
    assert engine.search("tomatoes", corpus="collections", mode="lexical") == []
    assert engine.stats()["indexed"] == indexed - 3
    assert (notes / "ops.md").exists()


def test_workspace_collection_takes_exactly_memory_files(engine, tmp_path):
    ws = tmp_path / "ws"
    (ws / "memory" / "daily").mkdir(parents=True)
    (ws / "MEMORY.md").write_text("## Prefs\nThe user likes dark roast coffee.\n")
    (ws / "USER.md").write_text("Name: Sam, timezone Europe/Lisbon\n")
    (ws / "memory" / "daily" / "2026-11-20.md").write_text("## 10:00\nPinned chromium to fix the flaky test.\n")
    (ws / "AGENTS.md").write_text("coffee instructions for agents\n")
    (ws / "notes").mkdir()
    (ws / "notes" / "x.md").write_text("coffee notes elsewhere\n")
    (ws / "memory" / "data.json").write_text('{"coffee": 1}')
    result = engine.collection_add_workspace(ws)
    assert result["collection"]["kind"] == "workspace" and result["scan"]["indexed"] == 3
    assert paths(engine.search("coffee", corpus="collections", mode="lexical")) == ["workspace/MEMORY.md"]
    assert paths(engine.search("chromium", corpus="collections", mode="lexical")) == [
        "workspace/memory/daily/2026-11-20.md"
    ]
    assert paths(engine.search("lisbon", corpus="collections", mode="lexical")) == ["workspace/USER.md"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlinks_out_of_the_root_are_not_indexed(engine, notes, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "leak.md").write_text("platypus secret outside the root")
    (notes / "link.md").symlink_to(outside / "leak.md")
    (notes / "linkdir").symlink_to(outside, target_is_directory=True)
    (notes / "inner.md").symlink_to(notes / "ops.md")
    result = engine.collection_add(notes, "notes")
    assert result["scan"]["indexed"] == 3  # ops, garden and the in-root link
    assert engine.search("platypus", corpus="collections", mode="lexical") == []


def test_secrets_in_files_are_redacted_before_indexing(engine, tmp_path):
    root = tmp_path / "keys"
    root.mkdir()
    key = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0"
    (root / "k.md").write_text(f"# Keys\nThe OpenAI key is {key} for staging.\n")
    engine.collection_add(root, "keys")
    hit = engine.search("openai key staging", corpus="collections", mode="lexical")[0]
    assert key not in hit.text and "[REDACTED]" in hit.text
    row = ",".join(r[0] for r in engine.store.db.execute("SELECT text FROM collection_chunks"))
    assert key not in row


def test_a_multi_line_key_block_is_redacted_without_moving_line_numbers(engine, tmp_path):
    root = tmp_path / "pem"
    root.mkdir()
    pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nAbCdEf123456\n-----END PRIVATE KEY-----"
    doc = f"## Key\n{pem}\n\n## Later\nThe ocelot report is due Friday.\n"
    (root / "k.md").write_text(doc)
    engine.collection_add(root, "pem")
    hit = engine.search("ocelot report", corpus="collections", mode="lexical")[0]
    assert "\n".join(doc.split("\n")[hit.extra["startLine"] - 1 : hit.extra["endLine"]]) == hit.text
    stored = "|".join(r[0] for r in engine.store.db.execute("SELECT text FROM collection_chunks"))
    assert "MIIEvQ" not in stored and "[REDACTED]" in stored


def test_unreadable_and_undecodable_files_do_not_stop_a_scan(engine, tmp_path):
    root = tmp_path / "mixed"
    root.mkdir()
    (root / "good.md").write_text("walrus facts\n")
    (root / "latin1.md").write_bytes("caf\xe9 walrus\n".encode("latin-1"))
    result = engine.collection_add(root, "mixed")
    assert result["scan"]["indexed"] == 2
    assert len(engine.search("walrus", corpus="collections", mode="lexical")) == 2


@pytest.mark.parametrize(
    ("pattern", "path", "ok"),
    [
        ("**/*.md", "a.md", True),
        ("**/*.md", "x/y/a.md", True),
        ("**/*.md", "a.mdx", False),
        ("memory/**/*.md", "memory/a.md", True),
        ("memory/**/*.md", "memory/d/a.md", True),
        ("memory/**/*.md", "other/memory/a.md", False),
        ("MEMORY.md", "MEMORY.md", True),
        ("MEMORY.md", "x/MEMORY.md", False),
        ("*.md", "x/a.md", False),
        ("notes/[ab]?.md", "notes/a1.md", True),
        ("notes/[!ab]?.md", "notes/a1.md", False),
    ],
)
def test_glob_patterns(pattern, path, ok):
    assert bool(glob_regex(pattern).match(path)) is ok
