"""The shared secrets corpus (tests/fixtures/secrets.json) against the Python redactor.
The JS plugin's redactor reads the same file (plugins/openclaw-capture/test/redact.test.mjs),
and test_capture_plugin_js.py checks that both give identical output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clawmemory.redaction import MASK, find_secrets, redact

CORPUS = json.loads((Path(__file__).parents[1] / "fixtures" / "secrets.json").read_text(encoding="utf-8"))


def test_corpus_shape() -> None:
    assert CORPUS["mask"] == MASK
    assert len(CORPUS["secrets"]) >= 20 and len(CORPUS["ordinary"]) >= 10
    kinds = {c["name"] for c in CORPUS["secrets"]}
    # the kinds the issue names: provider keys, bearer tokens, private key blocks, passwords in URLs
    assert {
        "openai_project_key",
        "anthropic_key_header",
        "bearer_opaque",
        "rsa_private_key_block",
        "postgres_url_password",
    } <= kinds


@pytest.mark.parametrize("case", CORPUS["secrets"], ids=lambda c: c["name"])
def test_secret_is_masked(case: dict) -> None:
    out = redact(case["text"])
    for secret in case["must_not_contain"]:
        assert secret not in out, out
    assert MASK in out
    assert find_secrets(case["text"])
    assert redact(out) == out  # idempotent


@pytest.mark.parametrize("text", CORPUS["ordinary"])
def test_ordinary_text_untouched(text: str) -> None:
    assert redact(text) == text
    assert find_secrets(text) == []


def test_env_file_keeps_names_and_structure() -> None:
    out = redact("DB_HOST=db.internal\nDB_PASSWORD=correcthorse42\nDEBUG=1")
    assert out == f"DB_HOST=db.internal\nDB_PASSWORD={MASK}\nDEBUG=1"
    assert redact('{"password": "a b c d"}') == f'{{"password": "{MASK}"}}'
