"""The LLM client and the LLM summariser against a scripted model server on loopback;
every failure falls back to the offline summary."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from support.conversations import PLANTED, START, planted, user
from support.model_server import ModelServer, Reply

from clawmemory.context import summary
from clawmemory.llm import LLMClient, LLMError

NS = "agent-main"
SECTIONS = {
    "qa_log": ["User asked about the deploy region → Already answered: Fly.io ams"],
    "decisions": ["Deploy billing to Fly.io region ams", "Ledger uses PostgreSQL 16"],
    "commitments": ["Agent sends the migration plan by Friday"],
    "open_questions": [],
    "preferences": ["Short answers with bullet points"],
    "emotional_context": [],
    "key_facts": [],
    "tool_actions": ["read_file deploy/fly.toml → region ams"],
}


@pytest.fixture()
def server():
    with ModelServer() as s:
        yield s


def use_llm(engine, server, provider="openai", **context):
    s = engine.settings
    s.llm_provider, s.llm_model, s.llm_api_key = provider, "fake-model", "sk-test"
    s.llm_base_url = server.openai_url if provider == "openai" else server.url
    for k, v in context.items():
        setattr(s.context, k, v)


def test_openai_wire_format(server):
    server.reply("hello there")
    reply = LLMClient("openai", server.openai_url, "m1", api_key="k1", timeout_s=5).complete(
        "be brief", "hi", max_tokens=50, json_mode=True
    )
    assert reply.text == "hello there" and reply.input_tokens == 10
    req = server.requests[-1]
    assert req["path"] == "/v1/chat/completions" and req["headers"]["authorization"] == "Bearer k1"
    body = req["body"]
    assert body["model"] == "m1" and body["max_tokens"] == 50 and body["stream"] is False
    assert body["messages"] == [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]
    assert body["response_format"] == {"type": "json_object"}


def test_anthropic_wire_format(server):
    server.reply("bonjour")
    reply = LLMClient("anthropic", server.url + "/v1", "claude-x", api_key="k2", timeout_s=5).complete("sys", "hi")
    assert reply.text == "bonjour" and reply.output_tokens >= 1
    req = server.requests[-1]
    assert req["path"] == "/v1/messages" and req["headers"]["x-api-key"] == "k2"
    assert req["headers"]["anthropic-version"] == "2023-06-01"
    assert req["body"]["system"] == "sys" and req["body"]["messages"] == [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(
    "reply, match",
    [
        (Reply(status=500), "HTTP 500"),
        (Reply(raw=b"<html>oops</html>"), "not JSON"),
        (Reply(raw=b'{"choices": []}'), "unexpected"),
        (Reply(text="   "), "empty"),
    ],
)
def test_failures_are_llm_errors(server, reply, match):
    server.queue.append(reply)
    with pytest.raises(LLMError, match=match):
        LLMClient("openai", server.openai_url, "m", timeout_s=5).complete("s", "p")


def test_timeout_is_a_wall_clock_limit(server):
    server.reply("late", delay=3)
    start = time.monotonic()
    with pytest.raises(LLMError):
        LLMClient("openai", server.openai_url, "m", timeout_s=0.3).complete("s", "p")
    assert time.monotonic() - start < 2.0


def test_unreachable_and_misconfigured():
    with pytest.raises(LLMError):
        LLMClient("openai", "http://127.0.0.1:9/v1", "m", timeout_s=1).complete("s", "p")
    with pytest.raises(LLMError):
        LLMClient("gemini", "http://x", "m")


def test_compaction_uses_the_llm_summary(engine, server):
    use_llm(engine, server)
    server.reply("```json\n" + json.dumps(SECTIONS) + "\n```")
    out = engine.context_compact_messages(planted(), summarizer="auto")
    s = out["summary"]
    assert s["summarizer"] == "llm:fake-model" and s["fallback_reason"] is None
    assert s["sections"]["decisions"] == SECTIONS["decisions"]
    prompt = server.requests[-1]["body"]["messages"]
    assert "Q&A" in prompt[0]["content"] or "question" in prompt[0]["content"]
    assert "User: OK. We decided to deploy the billing service" in prompt[1]["content"]
    assert "[Used tool: read_file" in prompt[1]["content"]


def test_compaction_model_setting_picks_the_model(engine, server):
    use_llm(engine, server, compaction_model="small-summariser")
    server.reply(json.dumps(SECTIONS))
    assert engine.context_compact_messages(planted())["summary"]["summarizer"] == "llm:small-summariser"
    assert server.requests[-1]["body"]["model"] == "small-summariser"


@pytest.mark.parametrize(
    "reply",
    [
        Reply(text="Sure! Here is a summary in prose."),
        Reply(status=503),
        Reply(text=json.dumps({"decisions": "x", "qa_log": {"a": 1}})),
    ],
)
def test_bad_llm_answers_fall_back_to_the_offline_summary(engine, server, reply):
    use_llm(engine, server)
    server.queue.append(reply)
    s = engine.context_compact_messages(planted())["summary"]
    assert s["summarizer"] == "offline" and s["fallback_reason"]
    for section, phrases in PLANTED.items():
        assert all(any(p.lower() in i.lower() for i in s["sections"][section]) for p in phrases)


def test_a_hung_llm_falls_back_within_the_compaction_deadline(engine, server):
    use_llm(engine, server, compaction_timeout_ms=300)
    server.reply(json.dumps(SECTIONS), delay=5)
    start = time.monotonic()
    s = engine.context_compact_messages(planted())["summary"]
    assert s["summarizer"] == "offline" and "LLMError" in s["fallback_reason"]
    assert time.monotonic() - start < 3.0


def test_long_halves_are_summarised_in_chunks_at_user_boundaries(engine, server):
    use_llm(engine, server, compaction_chunk_tokens=1000)
    seen = []

    def responder(request):
        text = request["body"]["messages"][1]["content"]
        seen.append(text)
        return Reply(text=json.dumps({"key_facts": [f"part {len(seen)}"], "decisions": ["same decision"]}))

    server.responder = responder
    msgs = planted(turns_after=120)
    s = engine.context_compact_messages(msgs)["summary"]
    assert len(seen) >= 3 and all(t.startswith(f"Part {i} of {len(seen)}") for i, t in enumerate(seen, 1))
    assert all(t.split("\n\n", 1)[1].startswith("User: ") for t in seen)  # each chunk starts at a user turn
    assert s["sections"]["key_facts"] == [f"part {i}" for i in range(1, len(seen) + 1)]
    assert s["sections"]["decisions"] == ["same decision"]  # merged without repeats


def test_host_compact_from_stored_turns_returns_first_kept_entry(engine, server):
    use_llm(engine, server)
    server.responder = lambda req: Reply(text=json.dumps(SECTIONS))
    msgs = planted(turns_after=10)
    turn, n = [], 0
    for m in msgs:  # commit turn by turn, as OpenClaw does, with the admission entry ids
        if m["role"] == "user" and turn:
            engine.context_call(
                "commitTurn",
                NS,
                {},
                {
                    "sessionId": "s1",
                    "advancementKey": f"k{n}",
                    "messages": turn,
                    "admission": {"entryId": f"entry-{n}"},
                },
            )
            turn, n = [], n + 1
        turn.append(m)
    below = engine.context_call("compact", NS, {}, {"sessionId": "s1", "sessionKey": "s1", "tokenBudget": 10**6})
    assert below == {"ok": True, "compacted": False, "reason": below["reason"]} and "below" in below["reason"]
    out = engine.context_call("compact", NS, {}, {"sessionId": "s1", "sessionKey": "s1", "force": True})
    assert out["ok"] and out["compacted"] and "delegate" not in out
    result = out["result"]
    assert result["firstKeptEntryId"].startswith("entry-")
    assert summary.is_summary(result["summary"]) and result["tokensAfter"] < result["tokensBefore"]
    assert result["details"]["summarizer"] == "llm:fake-model"
    assert result["details"]["messages"][0]["content"][0]["text"] == result["summary"]


def test_background_refinement_replaces_the_offline_summary_from_assemble(engine, server):
    use_llm(engine, server)
    server.reply(json.dumps(SECTIONS), delay=0.2)
    msgs = planted(turns_after=30)
    budget = int(engine.context.tokens.messages(msgs) / 0.8)
    first = engine.context_call("assemble", NS, {}, {"sessionId": "s9", "messages": msgs, "tokenBudget": budget})
    assert first["clawmemory"]["compacted"]["summarizer"] == "offline"  # assemble never waits for a model
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        row = engine.store.db.execute("SELECT summarizer FROM context_compactions").fetchone()
        if row["summarizer"].startswith("llm:"):
            break
        time.sleep(0.05)
    later = msgs + [user("one more", START + timedelta(days=1))]
    again = engine.context_call("assemble", NS, {}, {"sessionId": "s9", "messages": later, "tokenBudget": budget})
    head = again["messages"][0]["content"][0]["text"]
    assert "Ledger uses PostgreSQL 16" in head
    assert "llm" in engine.store.db.execute("SELECT summarizer FROM context_compactions").fetchone()[0]
