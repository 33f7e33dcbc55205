import json

import pytest

from clawmemory.cli.main import main


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_store_search_get_forget_json(home, capsys):
    code, out, _ = run(capsys, "store", "The user prefers dark mode", "--category", "preference", "--json")
    assert code == 0
    mem = json.loads(out)["memory"]
    code, out, _ = run(capsys, "search", "dark mode", "--json")
    assert json.loads(out)["results"][0]["id"] == mem["id"]
    code, out, _ = run(capsys, "get", mem["id"], "--json")
    assert json.loads(out)["category"] == "preference"
    code, out, _ = run(capsys, "forget", mem["id"])
    assert code == 0 and "forgot" in out
    code, out, _ = run(capsys, "list", "--json")
    assert json.loads(out)["total"] == 0


def test_human_output_is_a_table(home, capsys):
    run(capsys, "store", "alpha beta gamma")
    code, out, _ = run(capsys, "search", "beta")
    assert code == 0 and "alpha beta gamma" in out
    code, out, _ = run(capsys, "status")
    assert "schema version" in out


@pytest.mark.parametrize(
    "args",
    [
        ("get", "mem_missing"),
        ("search", ""),
        ("store", "x", "--importance", "abc"),
        ("store", "x", "--metadata", "{bad"),
        ("store", "x", "--namespace", "ghost"),
        ("bogus-command",),
        ("serve", "--host", "0.0.0.0"),
    ],
)
def test_bad_input_is_one_line_exit_2(home, capsys, args):
    code, _, err = run(capsys, *args)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")


def test_data_dir_flag(tmp_path, home, capsys):
    other = tmp_path / "elsewhere"
    run(capsys, "store", "kept elsewhere", "--data-dir", str(other))
    assert (other / "clawmemory.db").exists()
    code, out, _ = run(capsys, "list", "--json")
    assert json.loads(out)["total"] == 0


def test_namespace_commands(home, capsys):
    code, out, _ = run(capsys, "namespace", "add", "proj-x")
    assert code == 0 and "created" in out
    code, out, _ = run(capsys, "namespace", "list", "--json")
    assert {s["name"] for s in json.loads(out)["namespaces"]} == {"default", "proj-x"}
