"""Every formation split's data is well formed: each planted key phrase is in its message, and
each update names two items of its conversation, the old before the new, whose messages hold
its old and new key phrases (structure only; nothing is scored)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import formation as bench  # noqa: E402


def _text(conv, item):
    return conv["sessions"][item["session"]]["messages"][item["message"]][1].lower()


@pytest.mark.parametrize("split", sorted(bench.SPLITS))
def test_formation_split_is_well_formed(split):
    conversations = bench.load(bench.SPLITS[split])
    assert conversations
    for conv in conversations:
        for session in conv["sessions"]:
            assert session["time"] and all(role in ("user", "assistant") for role, _ in session["messages"])

        items = {it["id"]: it for it in conv["items"]}
        assert len(items) == len(conv["items"]), conv["id"]
        for it in conv["items"]:
            assert it["kind"] in ("fact", "preference", "decision", "commitment", "question"), it
            assert it["key"] in _text(conv, it), it
        for u in conv["updates"]:
            old, new = items[u["old"]], items[u["new"]]
            assert (old["session"], old["message"]) < (new["session"], new["message"]), u
            assert u["old_key"] in _text(conv, old) and u["new_key"] in _text(conv, new) and u["query"], u
