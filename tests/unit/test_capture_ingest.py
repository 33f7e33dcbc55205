"""`clawmemory ingest`: observation lines → observations table + search index."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from clawmemory.capture import parse_line, sanitize_namespace
from clawmemory.capture.batch import Chunk, Preparer
from clawmemory.capture.lines import LineError
from clawmemory.cli.main import main
from clawmemory.engine import Engine
from clawmemory.errors import InvalidInput, NotFound
from clawmemory.redaction import RULES_VERSION


def obs(n: int, text: str = "", *, agent: str = "main", tool: str = "exec", **extra) -> dict:
    """A line as the capture plugin writes it."""
    text = text or f"step {n} finished: compiled module alpha{n}"
    return {
        "v": 1,
        "ts": f"2026-11-21T06:00:{n % 60:02d}.000Z",
        "kind": "tool",
        "tool_name": tool,
        "tool_call_id": f"call_{n}",
        "session_key": f"agent:{agent}:s1",
        "agent_id": agent,
        "is_synthetic": False,
        "is_error": False,
        "summary": f"{tool}: {text}",
        "result": text,
        "result_chars": len(text),
        "result_truncated": False,
        "redaction": RULES_VERSION,
        "detail": {
            "memory_backend": "clawmemory",
            "memory_backend_ready": True,
            "memory_backend_mode": "auto",
            "memory_tool": tool.startswith("memory_"),
        },
        **extra,
    }


def write(path: Path, lines: list, mode: str = "a") -> None:
    with path.open(mode, encoding="utf-8") as f:
        for line in lines:
            f.write((line if isinstance(line, str) else json.dumps(line)) + "\n")


@pytest.fixture()
def jsonl(tmp_path: Path) -> Path:
    return tmp_path / "ws" / "memory" / "clawmemory-observations.jsonl"


@pytest.fixture()
def lexical(home: Path):
    eng = Engine.open(home, embedding_provider="none")
    try:
        yield eng
    finally:
        eng.close()


def rows(engine: Engine) -> list[dict]:
    return [dict(r) for r in engine.store.db.execute("SELECT * FROM observations ORDER BY line_no")]


def test_lines_load_with_their_fields_and_are_searchable(lexical: Engine, jsonl: Path) -> None:
    jsonl.parent.mkdir(parents=True)
    write(jsonl, [obs(1, "stored: the billing service deploys on Tuesdays", tool="memory_store"), obs(2)])
    report = lexical.ingest_observations([jsonl])
    assert report["added"] == 2 and report["errors"] == 0
    r = rows(lexical)[0]
    assert (r["namespace"], r["tool_name"], r["tool_call_id"], r["session_key"], r["agent_id"]) == (
        "main",
        "memory_store",
        "call_1",
        "agent:main:s1",
        "main",
    )
    assert r["summary"] == "memory_store: stored: the billing service deploys on Tuesdays"
    assert r["ts"] == "2026-11-21T06:00:01.000Z" and r["line_no"] == 1 and r["source"] == str(jsonl)
    assert json.loads(r["detail_json"])["memory_backend"] == "clawmemory"
    hits = lexical.search("billing deploys", "main", corpus="observations")  # default (hybrid) mode
    assert [h.id for h in hits][:1] == [r["id"]]
    h = hits[0]
    assert (h.corpus, h.kind, h.container, h.created_at) == ("observation", "memory_store", "agent:main:s1", r["ts"])
    assert h.extra["tool_call_id"] == "call_1" and h.extra["line"] == 1
    assert lexical.capture.get(r["id"], "main")["detail"]["memory_tool"] is True


def test_all_corpus_leaves_observations_out(lexical: Engine, jsonl: Path) -> None:
    jsonl.parent.mkdir(parents=True)
    write(jsonl, [obs(1, "zebra crossing log")])
    lexical.ingest_observations([jsonl])
    lexical.store_memory("main" if lexical.store.has_namespace("main") else None, text="zebra facts")
    corpora = {h.corpus for h in lexical.search("zebra", "main", corpus="all", mode="lexical")}
    assert "observation" not in corpora
    assert {h.corpus for h in lexical.search("zebra", "main", corpus="observations", mode="lexical")} == {"observation"}


def test_unknown_top_level_fields_merge_into_detail(lexical: Engine, jsonl: Path) -> None:
    jsonl.parent.mkdir(parents=True)
    line = obs(1, future_field={"x": 1}, episode="e7")
    line["detail"]["episode"] = "kept"  # detail's own key wins
    write(jsonl, [line])
    lexical.ingest_observations([jsonl])
    detail = json.loads(rows(lexical)[0]["detail_json"])
    assert detail["future_field"] == {"x": 1} and detail["episode"] == "kept"
    assert detail["v"] == 1 and detail["result_chars"] > 0


def test_openclaw_mem_style_lines_load(lexical: Engine, jsonl: Path) -> None:
    """Older/peer writers: no summary here, no agent id there, detail not an object."""
    jsonl.parent.mkdir(parents=True)
    write(
        jsonl,
        [
            {
                "ts": "2026-01-01T00:00:00Z",
                "kind": "tool",
                "tool_name": "web_fetch",
                "result": "page title: Fly.io docs",
            },
            {"tool_name": "exec", "summary": "ran tests", "session_key": "agent:Ops Bot:main", "detail": "free text"},
        ],
    )
    report = lexical.ingest_observations([jsonl])
    assert report["added"] == 2
    a, b = rows(lexical)
    assert a["summary"] == "web_fetch: page title: Fly.io docs" and a["namespace"] == "default"
    assert b["agent_id"] == "Ops Bot" and b["namespace"] == "ops-bot"  # sanitised, created
    assert json.loads(b["detail_json"]) == {"detail": "free text"}
    assert b["ts"]  # missing time → ingest time


def test_reingest_adds_nothing_and_a_copy_of_the_file_neither(lexical: Engine, jsonl: Path, tmp_path: Path) -> None:
    jsonl.parent.mkdir(parents=True)
    write(jsonl, [obs(n) for n in range(1, 6)])
    assert lexical.ingest_observations([jsonl])["added"] == 5
    assert lexical.ingest_observations([jsonl])["added"] == 0
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(jsonl.read_bytes() + jsonl.read_bytes())  # another path, each line twice
    again = lexical.ingest_observations([copy])
    assert again["added"] == 0 and again["duplicates"] == 10 and again["lines"] == 10
    assert lexical.capture.count() == 5
    assert lexical.store.counts()["indexed"] == 5


def test_follows_a_growing_file_from_its_offset(lexical: Engine, jsonl: Path) -> None:
    jsonl.parent.mkdir(parents=True)
    write(jsonl, [obs(1), obs(2)])
    first = lexical.ingest_observations([jsonl])["files"][0]
    write(jsonl, [obs(3)])
    with jsonl.open("a") as f:
        f.write(json.dumps(obs(4))[:30])  # a writer mid-line
    second = lexical.ingest_observations([jsonl])["files"][0]
    assert second["start_offset"] == first["offset"] and second["lines"] == 1 and second["added"] == 1
    assert second["pending_bytes"] == 30
    with jsonl.open("a") as f:
        f.write(json.dumps(obs(4))[30:] + "\n")
    third = lexical.ingest_observations([jsonl])["files"][0]
    assert third["added"] == 1 and third["pending_bytes"] == 0
    assert [r["line_no"] for r in rows(lexical)] == [1, 2, 3, 4]  # line numbers continue across passes


def test_survives_rotation_and_reads_the_old_files_tail(lexical: Engine, jsonl: Path) -> None:
    jsonl.parent.mkdir(parents=True)
    write(jsonl, [obs(1), obs(2)])
    lexical.ingest_observations([jsonl])
    write(jsonl, [obs(3)])  # appended after our pass, before rotation
    os.rename(jsonl, jsonl.with_name(jsonl.name + ".1"))
    write(jsonl, [obs(4), obs(5)], mode="w")  # the new file
    report = lexical.ingest_observations([jsonl])
    old, new = report["files"]
    assert old["rotated"] and old["added"] == 1 and old["path"].endswith(".1")
    assert new["added"] == 2 and new["start_offset"] == 0
    assert lexical.capture.count() == 5
    assert lexical.ingest_observations([jsonl])["added"] == 0


def test_truncated_file_is_read_from_the_start(lexical: Engine, jsonl: Path) -> None:
    jsonl.parent.mkdir(parents=True)
    write(jsonl, [obs(1), obs(2), obs(3)])
    lexical.ingest_observations([jsonl])
    write(jsonl, [obs(9)], mode="w")  # same inode, smaller than the offset
    f = lexical.ingest_observations([jsonl])["files"][0]
    assert f["truncated"] and f["added"] == 1 and f["start_offset"] == 0
    assert not lexical.ingest_observations([jsonl])["files"][0]["truncated"]


def test_a_file_replaced_in_place_is_read_from_the_start(lexical: Engine, jsonl: Path) -> None:
    """Same inode, at least as long as the offset, but another first line: a new file."""
    jsonl.parent.mkdir(parents=True)
    write(jsonl, [obs(1), obs(2)])
    lexical.ingest_observations([jsonl])
    inode = jsonl.stat().st_ino
    write(jsonl, [obs(n, "replacement content line") for n in range(10, 16)], mode="w")
    assert jsonl.stat().st_ino == inode
    f = lexical.ingest_observations([jsonl])["files"][0]
    assert f["truncated"] and f["start_offset"] == 0 and f["added"] == 6


def test_corrupt_lines_are_reported_with_line_numbers_and_skipped(lexical: Engine, jsonl: Path) -> None:
    jsonl.parent.mkdir(parents=True)
    write(jsonl, [obs(1), "{not json", "", "[1, 2]", '{"kind": "tool"}', obs(6)])
    with jsonl.open("ab") as f:
        f.write(b'{"summary": "\xff\xfe bad bytes"}\n')
    write(jsonl, [obs(8)])
    f = lexical.ingest_observations([jsonl])["files"][0]
    assert f["added"] == 3 and f["blank"] == 1 and f["error_count"] == 4
    assert [e["line"] for e in f["errors"]] == [2, 4, 5, 7]
    assert "not JSON" in f["errors"][0]["error"] and "list" in f["errors"][1]["error"]
    assert "not an observation" in f["errors"][2]["error"] and "UTF-8" in f["errors"][3]["error"]
    assert [r["line_no"] for r in rows(lexical)] == [1, 6, 8]


def test_lone_surrogates_are_replaced_not_fatal(lexical: Engine, jsonl: Path) -> None:
    jsonl.parent.mkdir(parents=True)
    with jsonl.open("w") as f:  # what JSON.stringify writes for half an emoji
        f.write('{"tool_name": "exec", "summary": "cut \\ud83d", "detail": {"k": "\\udc00"}}\n')
        f.write(json.dumps(obs(2, "emoji \U0001f600 whole")) + "\n")
    assert lexical.ingest_observations([jsonl])["added"] == 2
    a, b = rows(lexical)
    assert a["summary"] == "cut \ufffd" and json.loads(a["detail_json"]) == {"k": "\ufffd"}
    assert "\U0001f600" in b["summary"]


def test_secrets_in_foreign_lines_are_redacted_plugin_lines_trusted(lexical: Engine, jsonl: Path) -> None:
    jsonl.parent.mkdir(parents=True)
    key = "sk-proj-Xq3v9TzL0aBcDeFgHiJkLmNoPqRsTuVwXyZ012345678"
    foreign = {
        "tool_name": "exec",
        "summary": f"export OPENAI_API_KEY={key}",
        "result": f"token: {key}",
        "detail": {"env": {"OPENAI_API_KEY": key}},
    }
    old_rules = {**foreign, "tool_call_id": "x", "redaction": RULES_VERSION - 1}
    write(jsonl, [foreign, old_rules])
    lexical.ingest_observations([jsonl])
    stored = json.dumps(rows(lexical))
    assert key not in stored and "[REDACTED]" in stored
    # a plugin line (current rules) is stored as written: no second pass over its text
    assert (
        parse_line(json.dumps(obs(1, "password=literal-in-fixture")).encode()).result == "password=literal-in-fixture"
    )


def test_namespace_option_and_sanitising(lexical: Engine, jsonl: Path) -> None:
    jsonl.parent.mkdir(parents=True)
    write(jsonl, [obs(1, agent="Research/Agent#2")])
    with pytest.raises(NotFound):
        lexical.ingest_observations([jsonl], "ghost")
    lexical.ensure_namespace("team")
    assert lexical.ingest_observations([jsonl], "team")["added"] == 1
    assert lexical.ingest_observations([jsonl])["added"] == 1  # per-line target: its own offset, its own namespace
    assert {r["namespace"] for r in rows(lexical)} == {"team", "research-agent-2"}
    assert sanitize_namespace("--Main--") == "main" and sanitize_namespace("!!!") is None


def test_missing_file_and_bad_input(lexical: Engine, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        lexical.ingest_observations([tmp_path / "nope.jsonl"])
    assert lexical.ingest_observations([tmp_path / "nope.jsonl"], missing_ok=True)["files"][0]["missing"]
    with pytest.raises(InvalidInput):
        lexical.ingest_observations([])
    with pytest.raises(InvalidInput):
        lexical.ingest_observations([tmp_path])
    with pytest.raises(LineError):
        parse_line(b"42")


def test_follow_picks_up_appended_lines(lexical: Engine, jsonl: Path) -> None:
    jsonl.parent.mkdir(parents=True)
    passes: list[int] = []
    appended = threading.Event()

    def on_pass(report) -> None:
        passes.append(report.added)
        if len(passes) == 1:
            write(jsonl, [obs(1), obs(2)])  # the file appears after the first pass
            appended.set()

    lexical.follow_observations([jsonl], interval=0.01, on_pass=on_pass, should_stop=lambda: len(passes) >= 3)
    assert appended.is_set() and passes == [0, 2, 0]


def test_batches_commit_offsets_with_rows(home: Path, jsonl: Path) -> None:
    jsonl.parent.mkdir(parents=True)
    write(jsonl, [obs(n) for n in range(1, 26)])
    with Engine.open(home, embedding_provider="none") as eng:
        eng.capture.batch_bytes = 2000  # a few lines a batch
        assert eng.ingest_observations([jsonl])["added"] == 25
        off = eng.store.db.execute("SELECT * FROM capture_offsets").fetchone()
        assert off["offset"] == jsonl.stat().st_size and off["line_no"] == 25 and off["namespace"] == "*"
        assert off["inode"] == jsonl.stat().st_ino and off["size"] == jsonl.stat().st_size


def test_cli_ingest_and_search(home: Path, jsonl: Path, capsys) -> None:
    jsonl.parent.mkdir(parents=True)
    write(jsonl, [obs(1, "kubectl rollout finished for billing"), "{oops"])
    assert main(["ingest", str(jsonl), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["added"] == 1 and out["files"][0]["errors"] == [
        {"line": 2, "error": out["files"][0]["errors"][0]["error"]}
    ]
    assert main(["ingest", str(jsonl)]) == 0  # human table, nothing new
    assert "ingested 0 observation(s)" in capsys.readouterr().out
    assert (
        main(["search", "rollout billing", "--corpus", "observations", "-n", "main", "--mode", "lexical", "--json"])
        == 0
    )
    assert json.loads(capsys.readouterr().out)["results"][0]["corpus"] == "observation"
    assert main(["ingest", str(jsonl.parent / "missing.jsonl")]) == 2
    assert capsys.readouterr().err.startswith("error: no such file")


def test_cli_ingest_without_files_uses_the_plugin_config(home: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    ws = tmp_path / "ws"
    (ws / "memory").mkdir(parents=True)
    write(ws / "memory" / "clawmemory-observations.jsonl", [obs(1)])
    cfg = tmp_path / "openclaw.json"
    cfg.write_text(json.dumps({"agents": {"defaults": {"workspace": str(ws)}}}))
    monkeypatch.setenv("OPENCLAW_STATE_DIR", str(tmp_path / "state"))
    assert main(["ingest", "--config", str(cfg), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == 1
    cfg.write_text(json.dumps({"agents": {"defaults": {"workspace": str(tmp_path / "empty")}}}))
    assert main(["ingest", "--config", str(cfg)]) == 2
    assert "no observation file found" in capsys.readouterr().err


def test_helper_processes_load_exactly_what_the_process_itself_loads(tmp_path: Path, jsonl: Path) -> None:
    """A large backlog is parsed by helper processes; rows, index and report are the same."""
    jsonl.parent.mkdir(parents=True)
    lines: list = [
        obs(n, f"step {n}: built web_fetch module beta{n % 7}", agent="ops" if n % 3 else "main") for n in range(1, 60)
    ]
    lines[10:10] = [
        "{broken json",
        "",
        json.dumps(lines[4]),
        '{"v": 1, "ts": "2026-11-21T07:00:00Z", "result": 7e999}',
        "[1, 2]",
    ]
    lines.append({**obs(99), "detail": {"big": 123456789012345678901234567890, "memory_backend": "clawmemory"}})
    write(jsonl, lines)
    with jsonl.open("a") as f:
        f.write('{"v": 1, "tool_name": "exec", "summary": "half a li')  # no newline yet: left for later
    results = {}
    for helpers in (0, 2):
        eng = Engine.open(tmp_path / f"h{helpers}", embedding_provider="none")
        try:
            eng.capture.batch_bytes, eng.capture.helpers, eng.capture.helper_min_bytes = 3000, helpers, 0
            report = eng.ingest_observations([jsonl])["files"][0]
            table = [{k: v for k, v in r.items() if k != "ingested_at"} for r in rows(eng)]
            hits = [h.id for h in eng.search("web_fetch module beta3", "ops", corpus="observations", limit=50)]
            results[helpers] = (report, table, hits)
        finally:
            eng.close()
    (report, table, hits), helped = results[0], results[2]
    assert helped == (report, table, hits)
    assert report["added"] == 61 and report["duplicates"] == 1 and report["blank"] == 1
    assert [e["line"] for e in report["errors"]] == [11, 15]  # broken JSON, an array
    assert report["pending_bytes"] > 0 and len(table) == 61 and hits
    big = next(r for r in table if r["line_no"] == 65)
    assert '"big":123456789012345678901234567890' in big["detail_json"]  # exact, past 64 bits


def test_a_helper_that_dies_is_a_clear_error_not_a_hang() -> None:
    line = json.dumps(obs(1)).encode() + b"\n"
    with Preparer(None, "default", "2026-11-21T06:00:00Z", "f.jsonl", helpers=1) as prep:
        prep._procs[0].kill()
        prep._procs[0].wait()
        with pytest.raises(RuntimeError, match="ingest helper process exited"):
            list(prep.map([Chunk(line * 20000, 1, len(line) * 20000, 20000)]))
