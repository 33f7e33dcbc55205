"""Session-key resolution and attention-state intake (pure functions)."""

from __future__ import annotations

import json

import pytest

from clawmemory.sidecar.intake import Snippet, clean, coerce, from_request
from clawmemory.sidecar.retrieve import latest_user_text
from clawmemory.sidecar.routing import key_hash, resolve_session, runtime_session, text_of

RUNTIME = "hi\n\nRuntime: agent=main | session=agent:main:gw1 | sessionId=518a | model=fake/fake-model"


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        ({"x-openclaw-session-key": " agent:main:a "}, {"prompt_cache_key": "p:0"}, ("agent:main:a", "header")),
        ({"x-delta-mem-session-key": "d1"}, {"user": "u"}, ("d1", "header")),
        ({}, {"prompt_cache_key": "518a-e428d5:0", "user": "u"}, ("518a-e428d5", "prompt_cache_key")),
        ({}, {"prompt_cache_key": "518a-e428d5:12"}, ("518a-e428d5", "prompt_cache_key")),
        ({}, {"prompt_cache_key": "no-suffix"}, ("no-suffix", "prompt_cache_key")),
        ({}, {"prompt_cache_key": "", "user": "u-1"}, ("u-1", "user")),
        (
            {},
            {
                "messages": [
                    {"role": "system", "content": "Runtime: session=not-this"},
                    {"role": "user", "content": RUNTIME},
                ]
            },
            ("agent:main:gw1", "runtime"),
        ),
        ({}, {"messages": [{"role": "user", "content": "plain"}]}, (None, "none")),
        ({"x-openclaw-session-key": "   "}, {"user": 5}, (None, "none")),
    ],
)
def test_resolve_session(headers, body, expected) -> None:
    assert resolve_session(headers, body) == expected


def test_runtime_line_only_in_the_first_user_message() -> None:
    msgs = [{"role": "user", "content": "first"}, {"role": "user", "content": RUNTIME}]
    assert runtime_session(msgs) is None
    parts = [{"role": "user", "content": [{"type": "text", "text": "x"}, {"type": "input_text", "content": RUNTIME}]}]
    assert runtime_session(parts) == "agent:main:gw1"


def test_key_hash_is_the_delta_mem_derivation() -> None:
    import hashlib

    assert key_hash("k") == hashlib.sha256(b"delta-mem-sidecar-v0:k").hexdigest()


def test_text_of_parts() -> None:
    assert text_of([{"type": "text", "text": "a"}, "b", {"type": "input_text", "content": "c"}, {"x": 1}]) == "a\nb\nc"
    assert text_of(None) == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain text", [("plain text", "request", None)]),
        ('["a", "b"]', [("a", "request", None), ("b", "request", None)]),
        ('{"text": "t", "score": 0.5, "source": "notes.md"}', [("t", "notes.md", 0.5)]),
        ({"content": "c", "file": "f.md"}, [("c", "f.md", None)]),
        ({"snippet": "s"}, [("s", "request", None)]),
        ({"summary": "sum", "text": ""}, [("sum", "request", None)]),
        (
            {"results": [{"snippet": "r1", "score": 1}, {"text": "r2"}]},
            [("r1", "request", 1.0), ("r2", "request", None)],
        ),
        ({"documents": [{"items": [{"text": "deep"}]}]}, [("deep", "request", None)]),
        (
            [["nested", ["deeper"]], 42, None, ""],
            [("nested", "request", None), ("deeper", "request", None), ("42", "request", None)],
        ),
        ({"nothing": "here"}, []),
        ("[not json", [("[not json", "request", None)]),
    ],
)
def test_coerce(value, expected) -> None:
    assert [(s.text, s.source, s.score) for s in coerce(value)] == expected


def test_from_request_reads_all_aliases_and_the_header() -> None:
    body = {"attention_state": "one", "attentionState": ["two"], "delta_attention_state": {"text": "three"}}
    headers = {"x-delta-attention-state": json.dumps([{"text": "four"}])}
    assert [s.text for s in from_request(body, headers)] == ["one", "two", "three", "four"]


def test_clean_dedupes_and_cuts() -> None:
    got = clean([Snippet("Hello  World", "a"), Snippet("hello world", "b"), Snippet("x" * 50, "c")], max_chars=10)
    assert [s.text for s in got] == ["Hello  World"[:9] + "…", "x" * 9 + "…"]


def test_latest_user_text_skips_openclaw_internal_context() -> None:
    msgs = [
        {"role": "user", "content": RUNTIME.replace("hi", "when do we deploy?")},
        {"role": "assistant", "content": None, "tool_calls": []},
        {"role": "tool", "content": "result"},
        {"role": "user", "content": "<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>> tool ran"},
    ]
    assert latest_user_text(msgs) == "when do we deploy?"
    assert latest_user_text([{"role": "user", "content": "x" * 5000}]) == "x" * 2000
