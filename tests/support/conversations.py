"""Conversations in OpenClaw's message shapes for the context-engine tests and benchmark.

``planted()`` is a session with decisions, commitments, open questions and preferences
planted in its older half among ordinary turns and tool calls; ``PLANTED`` lists, per
section, a phrase from each planted item that the summary must keep.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def user(text: str, at: datetime) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "text", "text": text}], "timestamp": ms(at)}


def agent(text: str, at: datetime, calls: list[tuple[str, str, dict]] | None = None) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    for call_id, name, args in calls or []:
        content.append({"type": "toolCall", "id": call_id, "name": name, "arguments": args})
    return {
        "role": "assistant",
        "content": content,
        "timestamp": ms(at),
        "stopReason": "stop",
        "api": "openai-completions",
        "provider": "fake",
        "model": "fake-model",
    }


def tool_result(call_id: str, name: str, text: str, at: datetime, error: bool = False) -> dict[str, Any]:
    return {
        "role": "toolResult",
        "toolCallId": call_id,
        "toolName": name,
        "content": [{"type": "text", "text": text}],
        "isError": error,
        "timestamp": ms(at),
    }


PLANTED = {
    "decisions": ["deploy the billing service to Fly.io", "PostgreSQL 16 for the ledger"],
    "commitments": ["send you the migration plan by Friday", "review the pull request tomorrow"],
    "open_questions": ["nightly backups in S3 or move them to R2", "EU customers need a separate cluster"],
    "preferences": ["short answers with bullet points", "never use emojis in commit messages"],
}

_FILLER_Q = [
    "How does the retry logic in the webhook handler work?",
    "Can you explain what the cron job on the worker does?",
    "What does the healthcheck endpoint return when Redis is down?",
    "Where are the feature flags read from?",
    "Why is the test suite slower on CI than locally?",
]
_FILLER_A = [
    "It retries three times with exponential backoff starting at 200 ms, then gives up and logs a warning.",
    "It compacts old sessions every night at 03:00 UTC and reports the count to the metrics endpoint.",
    "It returns HTTP 503 with a JSON body naming the failing dependency.",
    "They come from the flags table, cached in memory for 30 seconds.",
    "CI runs the integration tests against a real database and has only two cores.",
]


def planted(turns_after: int = 6, seed: int = 5) -> list[dict[str, Any]]:
    """A session whose older half holds every item in ``PLANTED``; the newer half is filler."""
    rng = random.Random(seed)
    t = START
    out: list[dict[str, Any]] = []

    def step(minutes: int = 1) -> datetime:
        nonlocal t
        t += timedelta(minutes=minutes)
        return t

    out.append(user("Hi! I prefer short answers with bullet points, please.", step()))
    out.append(agent("Noted - short answers with bullet points from now on.", step()))
    out.append(user("Where should the billing service run?", step()))
    out.append(
        agent(
            "Let me look at the current deployment config.",
            step(),
            [("call_1", "read_file", {"path": "deploy/fly.toml"})],
        )
    )
    out.append(tool_result("call_1", "read_file", "app = 'billing'\nprimary_region = 'ams'", step()))
    out.append(agent("The config targets Fly.io region ams.", step()))
    out.append(user("OK. We decided to deploy the billing service to Fly.io in region ams.", step()))
    out.append(agent("Great, I'll send you the migration plan by Friday.", step()))
    out.append(user("Which database for the ledger?", step()))
    out.append(agent("Postgres or SQLite would both work; Postgres scales better for many writers.", step()))
    out.append(user("Let's go with PostgreSQL 16 for the ledger database.", step()))
    out.append(agent("Done: the ledger will use PostgreSQL 16.", step()))
    out.append(user("Should we keep the nightly backups in S3 or move them to R2?", step()))
    out.append(agent("I'm not sure yet; I need to compare egress pricing first.", step()))
    out.append(user("Also, please never use emojis in commit messages.", step()))
    out.append(agent("Understood, no emojis in commit messages.", step()))
    out.append(user("It's still an open question whether the EU customers need a separate cluster.", step()))
    out.append(agent("Agreed, we can revisit that once legal replies.", step()))
    out.append(user("I will review the pull request tomorrow morning.", step()))
    out.append(agent("Thanks, I will keep the branch up to date until then.", step()))
    for i in range(turns_after + 10):
        k = rng.randrange(len(_FILLER_Q))
        out.append(user(_FILLER_Q[k], step()))
        if i % 3 == 0:
            cid = f"call_f{i}"
            out.append(agent("", step(), [(cid, "exec", {"command": f"grep -rn retry src/ | head -{i + 3}"})]))
            out.append(tool_result(cid, "exec", f"src/webhooks.py:{40 + i}: retries = 3", step()))
        out.append(agent(_FILLER_A[k], step()))
    return out


def long_conversation(target_tokens: int, seed: int = 9) -> list[dict[str, Any]]:
    """Filler turns with tool calls until roughly ``target_tokens`` (4 characters a token)."""
    rng = random.Random(seed)
    t = START
    out: list[dict[str, Any]] = []
    chars = 0
    i = 0
    while chars < target_tokens * 4:
        k = rng.randrange(len(_FILLER_Q))
        q = f"{_FILLER_Q[k]} (question {i}) " + " ".join(rng.choice(_FILLER_A).split()[:12])
        a = " ".join(rng.choice(_FILLER_A) for _ in range(4))
        t += timedelta(seconds=37)
        out.append(user(q, t))
        if i % 4 == 0:
            cid = f"c{i}"
            t += timedelta(seconds=5)
            out.append(agent("", t, [(cid, "exec", {"command": f"cat logs/{i}.txt"})]))
            t += timedelta(seconds=5)
            out.append(tool_result(cid, "exec", "\n".join(rng.choice(_FILLER_A) for _ in range(6)), t))
            chars += 600
        t += timedelta(seconds=20)
        out.append(agent(a, t))
        chars += len(q) + len(a)
        i += 1
    return out
