"""`clawmemory ledger ...`: one JSON object per call, darwin-memo's shapes plus ids."""

from __future__ import annotations

import json

import pytest

from clawmemory.cli.main import main


@pytest.fixture()
def cli(home, monkeypatch, capsys):
    monkeypatch.setenv("CLAWMEMORY_EMBEDDING_PROVIDER", "none")

    def run(*args: str) -> tuple[int, dict | None, str]:
        code = main(list(args))
        out = capsys.readouterr()
        lines = out.out.strip().splitlines()
        assert len(lines) <= 1
        return code, json.loads(lines[0]) if lines else None, out.err

    return run


def test_ledger_commands_print_one_json_object(cli):
    code, out, _ = cli("ledger", "store", "How do I rotate the nginx logs?", "logrotate -f /etc/logrotate.d/nginx")
    assert code == 0 and out["action"] == "created"
    entry = out["entry_id"]
    code, out, _ = cli("ledger", "decide", "rotate nginx logs", "--session", "run-1")
    assert out["silent"] is False and out["entries"][0]["id"] == entry and "logrotate" in out["answer"]
    ticket = out["ticket_id"]
    assert cli("ledger", "decide", "weather in paris")[1] == {
        "answer": None,
        "ticket_id": None,
        "silent": True,
        "entries": [],
    }
    assert cli("ledger", "settle", ticket, "1")[1]["settled"] is True
    assert cli("ledger", "settle", ticket, "1")[1] == {"settled": False, "ticket": ticket, "reason": "already settled"}
    assert cli("ledger", "settle-session", "run-1", "--failure")[1]["settled"] == 0
    assert cli("ledger", "tick")[1]["ticked"] is True
    assert cli("ledger", "stats")[1]["alive"] == 1
    assert cli("ledger", "show", entry)[1]["uses"] == 1
    assert cli("ledger", "forget", entry)[1]["forgotten"] is True
    assert cli("ledger", "obituaries")[1]["obituaries"][0]["cause"] == "forgotten"
    assert cli("ledger", "restore", entry)[1]["restored"] is True
    assert cli("ledger", "config", "--set", "resourceScale=2")[1]["config"]["resourceScale"] == 2.0


def test_ledger_bad_input_is_one_line_exit_2(cli):
    code, out, err = cli("ledger", "config", "--set", "nope=1")
    assert code == 2 and out is None and err.startswith("error: unknown ledger setting")
    code, _, err = cli("ledger", "show", "mem_missing")
    assert code == 2 and "no ledger entry" in err
