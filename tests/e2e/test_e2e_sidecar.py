"""A real OpenClaw 2026.9.6 turn routed through the attention-state sidecar.

OpenClaw is pointed at the sidecar with the block ``clawmemory sidecar provider-config``
prints; the sidecar (proxy backend) forwards to the scripted model. OpenClaw sends no session
header, so the sidecar routes by the ``prompt_cache_key`` OpenClaw puts in the body, retrieves
from the engine the daemon writes to, and keeps each session's snippets. We read what reached
the model: each session's memory block holds its own facts and never another session's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fake_model import FakeModelServer
from harness import Daemon, OpenClawHome, Toolchain, clawmemory_cli, final_text
from support.sidecar import SidecarProcess

from clawmemory.sidecar.routing import key_hash, text_of

FACT_A = "The Falcon deployment codename is BLUEHERON-7"
FACT_B = "The Osprey on-call engineer this week is Tomas Ortega"
BLOCK = re.compile(r"<retrieved-memory>.*?</retrieved-memory>", re.S)


@pytest.fixture(scope="module")
def sidecar(daemon: Daemon, fake_model: FakeModelServer) -> Iterator[SidecarProcess]:
    (daemon.data_dir / "sidecar.toml").write_text(
        f'upstream_base_url = "{fake_model.base_url}"\nmodel = "fake-model"\nport = 0\n'
        # this test is about routing and isolation: a generous budget keeps a loaded CI
        # machine from turning a slow retrieval into a (correct) fail-open
        "retrieve_timeout_s = 15\n"
    )
    with daemon.client() as c:
        for fact in (FACT_A, FACT_B):
            assert c.post("/v1/memories", json={"text": fact, "category": "fact"}).status_code in (200, 201)
    with SidecarProcess(daemon.data_dir) as sc:
        yield sc


@pytest.fixture(scope="module")
def oc(
    toolchain: Toolchain,
    fake_model: FakeModelServer,
    sidecar: SidecarProcess,
    daemon: Daemon,
    tmp_path_factory: pytest.TempPathFactory,
) -> OpenClawHome:
    home = OpenClawHome(toolchain, tmp_path_factory.mktemp("openclaw-sidecar"), fake_model.base_url)
    run = clawmemory_cli(
        ["sidecar", "provider-config", "--data-dir", str(daemon.data_dir), "--url", sidecar.url], env=home.env
    )
    cfg = run.check().json()
    home.update_config(**{"models": cfg["models"], "agents.defaults.model": cfg["agents"]["defaults"]["model"]})
    return home


def _turn(oc: OpenClawHome, fake_model: FakeModelServer, message: str, session: str) -> dict:
    before = len(fake_model.requests)
    run = oc.agent_local(message, session_key=session).check()
    assert final_text(run).startswith("FINAL:"), run.stdout[-2000:]
    mine = [r for r in fake_model.requests[before:] if message in json.dumps(r["body"].get("messages", []))]
    assert mine, "the turn never reached the model through the sidecar"
    return mine[-1]["body"]


def _block(body: dict) -> str:
    """The sidecar's memory block in the system message that reached the model ('' if none)."""
    found = BLOCK.findall(text_of(body["messages"][0]["content"]))
    return found[0] if found else ""


def test_openclaw_turns_get_their_own_sessions_memory(
    oc: OpenClawHome, fake_model: FakeModelServer, sidecar: SidecarProcess
) -> None:
    a1 = _turn(oc, fake_model, "What is the Falcon deployment codename?", "sidecar-A")
    b1 = _turn(oc, fake_model, "Who is the Osprey on-call engineer this week?", "sidecar-B")
    a2 = _turn(oc, fake_model, "zzqx thanks, nothing else", "sidecar-A")

    # OpenClaw identified the session only through prompt_cache_key ("<sessionId>:<n>")
    keys = [body.get("prompt_cache_key") for body in (a1, b1, a2)]
    assert all(keys), keys
    sid_a, sid_b = (k.rsplit(":", 1)[0] for k in keys[:2])
    assert sid_a != sid_b and keys[2].rsplit(":", 1)[0] == sid_a

    block_a1, block_b1, block_a2 = _block(a1), _block(b1), _block(a2)
    assert "BLUEHERON-7" in block_a1 and "Tomas Ortega" not in block_a1
    assert "Tomas Ortega" in block_b1 and "BLUEHERON-7" not in block_b1
    # a later turn of A keeps A's memory (nothing new was retrieved) and still never B's
    assert "BLUEHERON-7" in block_a2 and "Tomas Ortega" not in block_a2
    assert block_a2 == block_a1  # byte-stable for the upstream's prefix cache

    with sidecar.client() as c:
        meta_a = c.get(f"/delta/state/{key_hash(sid_a)}/metadata").json()
        meta_b = c.get(f"/delta/state/{sid_b}/metadata").json()
    assert meta_a["updates"] >= 2 and meta_b["updates"] >= 1 and meta_a["snippets"] >= 1
