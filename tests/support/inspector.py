"""A small store for the web inspector's tests: plain memories, recall-ledger entries with a
settled and an open ticket, a conversation session, all written through the Engine."""

from __future__ import annotations

from pathlib import Path

from clawmemory.engine import Engine

ENV = {"CLAWMEMORY_EMBEDDING_PROVIDER": "none"}
NOTES = [
    {"text": "The staging database runs on host db-staging-3 in Frankfurt", "kind": "fact", "category": "infra"},
    {"text": "Maria prefers short answers with code first", "kind": "preference", "category": "preference"},
    {"text": "Deploys happen on Tuesdays after the standup", "kind": "fact", "category": "process"},
]


def seed(home: Path) -> dict[str, str]:
    """Write the fixture store under ``home``; returns the ids the tests look for."""
    with Engine.open(home, embedding_provider="none") as engine:
        notes = [r.memory.id for r in engine.store_memories(NOTES)]
        stored = engine.memory_store(
            "default",
            question="which port does the billing service use?",
            answer="billing listens on port 8443 behind the gateway",
        )
        entry = stored["details"]["id"]
        engine.memory_store("default", question="who owns the billing service?", answer="team Ledgerline owns billing")
        recalled = engine.memory_recall("default", {"sessionKey": "run-1"}, query="billing service port")
        engine.agent_end("default", {"sessionKey": "run-1"}, {"success": True})
        engine.memory_recall("default", {"sessionKey": "run-2"}, query="who owns billing")
        engine.add_messages(
            "chat-7",
            [
                {"role": "user", "speaker": "Maria", "text": "Where does staging run?"},
                {"role": "assistant", "text": "On db-staging-3 in Frankfurt."},
            ],
        )
    return {"note": notes[0], "entry": entry, "ticket": recalled["details"]["ticketId"]}
