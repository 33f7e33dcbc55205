"""Import of a ledger written by the real darwin-memo 0.7.1 (its CLI builds the fixture)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clawmemory.cli.main import main
from clawmemory.engine import Engine
from clawmemory.errors import InvalidInput


def darwin_cli() -> list[str]:
    exe = Path(sys.executable).with_name("darwin-memo")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("darwin-memo")
    if found is None:
        pytest.fail("darwin-memo is not installed: pip install -e '.[test]'")
    return [found]


def dm(path: Path, *args: str) -> dict:
    out = subprocess.run([*darwin_cli(), "ledger", str(path), *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def darwin_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A darwin-memo ledger with alive, executed, merged entries and open tickets."""
    path = tmp_path_factory.mktemp("darwin") / "ledger.json"
    dm(
        path,
        "add",
        "How do I rotate the nginx logs?",
        "Run logrotate -f /etc/logrotate.d/nginx to rotate access.log",
        "--source",
        "a",
    )
    dm(
        path,
        "add",
        "How do I rotate the nginx logs now?",
        "Run logrotate -f /etc/logrotate.d/nginx to rotate access.log and error.log",
        "--source",
        "b",
    )
    dm(path, "add", "Is it safe to delete postgres wal files?", "Yes, just rm pg_wal files when the disk is full")
    dm(path, "add", "What is the weather api key env var?", "WEATHER_KEY in .env")
    dm(path, "add", "Where is the deploy script?", "scripts/deploy.sh in the infra repo")
    bad = dm(path, "decide", "delete postgres wal")["ticket_id"]
    assert dm(path, "settle", bad, "-1")["settled"] is True
    good = dm(path, "decide", "where deploy script")["ticket_id"]
    assert dm(path, "settle", good, "1")["settled"] is True
    for _ in range(12):  # the bad entry is executed at tick 11; tick 5/10 consolidate the nginx twins
        dm(path, "tick")
    dm(path, "decide", "rotate nginx logs")
    dm(path, "decide", "weather api key env var")
    return path


@pytest.fixture()
def eng(home: Path):
    e = Engine.open(home, embedding_provider="none")
    try:
        yield e
    finally:
        e.close()


def test_import_is_lossless(eng, darwin_file):
    raw = json.loads(darwin_file.read_text())
    out = eng.import_darwin_memo(darwin_file)
    assert (out["entries"], out["graveyard"], out["tickets"]) == (
        len(raw["entries"]),
        len(raw["graveyard"]),
        len(raw["ledger"]["pending"]),
    )
    assert out["darwin_tick"] == raw["ledger"]["tick_count"] == 12
    for d in raw["entries"]:
        shown = eng.ledger_show(d["id"])  # darwin ids are accepted wherever an entry id is
        assert shown["origin_id"] == d["id"] and shown["status"] == "alive"
        stored = eng.store.db.execute("SELECT energy FROM ledger_entries WHERE origin_id = ?", (d["id"],)).fetchone()
        assert stored[0] == d["energy"] and shown["energy"] == pytest.approx(d["energy"], abs=1e-6)
        assert (shown["question"], shown["answer"], shown["uses"]) == (d["question"], d["answer"], d["uses"])
        assert shown["extra"]["darwin"]["id"] == d["id"]
        assert len(shown["extra"]["darwin_history"]) == len(raw["ledger"]["history"].get(d["id"], []))
    causes = {d["id"]: eng.ledger_show(d["id"])["cause"] for d in raw["graveyard"]}
    heir = next(d for d in raw["entries"] if d["lineage"])
    assert sorted(c for c in causes.values()) == ["executed", "merged", "merged"]
    merged = [i for i, c in causes.items() if c == "merged"]
    assert set(merged) == set(heir["lineage"])
    heir_id = eng.ledger_show(heir["id"])["id"]
    assert all(eng.ledger_show(m)["merged_into"] == heir_id for m in merged)
    assert set(eng.ledger_show(heir["id"])["lineage"]) == {eng.ledger_show(m)["id"] for m in merged}
    executed = next(i for i, c in causes.items() if c == "executed")
    assert "negative outcomes" in eng.ledger_show(executed)["obituary"]
    # dead entries are out of search; alive ones recall
    assert eng.memory_recall(None, None, query="delete postgres wal files")["details"]["silent"] is True
    assert (
        eng.memory_recall(None, None, query="deploy script")["details"]["entries"][0]["id"]
        == eng.ledger_show(next(d["id"] for d in raw["entries"] if "deploy" in d["question"]))["id"]
    )
    # open tickets keep their darwin ids and settle exactly once
    for t in raw["ledger"]["pending"]:
        first = eng.ledger_settle(t["id"], 1.0)
        assert first["settled"] is True and first["applied"][0]["role"] == "decider"
        assert eng.ledger_settle(t["id"], 1.0)["settled"] is False
    stats = eng.ledger_stats()
    assert stats["alive"] == len(raw["entries"]) and stats["graveyard"] == len(raw["graveyard"])


def test_reimport_changes_nothing_and_cli_prints_one_json(home, darwin_file, capsys):
    assert main(["import", "darwin-memo", str(darwin_file)]) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(["import", "darwin-memo", str(darwin_file)]) == 0
    again = json.loads(capsys.readouterr().out)
    assert first["entries"] == 3 and again["entries"] == 0 and again["skipped"] == 6 and again["tickets"] == 0


def test_bad_files_are_rejected(eng, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InvalidInput):
        eng.import_darwin_memo(bad)
    with pytest.raises(InvalidInput):
        eng.import_darwin_memo({"entries": [{"nope": 1}]})
    with pytest.raises(InvalidInput):
        eng.import_darwin_memo(tmp_path / "missing.json")
