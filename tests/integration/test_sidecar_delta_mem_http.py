"""``clawmemory sidecar serve --backend delta-mem`` end to end on a tiny random Qwen3 saved
to disk (the real transformers loading path) with a synthetic adapter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="delta-mem tests need torch: pip install 'clawmemory[delta]'")
pytest.importorskip("transformers", reason="delta-mem tests need transformers: pip install 'clawmemory[delta]'")

from support.sidecar import SidecarProcess  # noqa: E402
from support.tiny_delta import adapter_state, byte_tokenizer, tiny_model, write_adapter  # noqa: E402

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def model_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("tiny-qwen3")
    model = tiny_model()
    model.save_pretrained(root / "base")
    byte_tokenizer().save_pretrained(root / "base")
    write_adapter(root / "adapter", adapter_state(model, heads_scale=0.5))
    return root / "base", root / "adapter"


def test_delta_mem_sidecar_serves_chat(model_dirs, tmp_path: Path) -> None:
    base, adapter = model_dirs
    with (
        SidecarProcess(
            tmp_path / "home",
            "--backend",
            "delta-mem",
            "--base-model-dir",
            str(base),
            "--adapter-dir",
            str(adapter),
            "--no-retrieve",
        ) as sc,
        sc.client() as c,
    ):
        health = c.get("/health").json()
        assert health["backend"] == "delta-mem" and health["mechanism"] == "delta-state"
        assert health["model"] == "base+delta-mem" and health["backend_info"]["adapter"]["layers"] == 2
        body = {
            "messages": [{"role": "user", "content": "hello"}],
            "max_tokens": 4,
            "user": "s1",
            "attention_state": ["The codename is BLUEHERON-7"],
        }
        r = c.post("/v1/chat/completions", json=body)
        assert r.status_code == 200, r.text
        assert r.headers["x-delta-mem-backend"] == "delta-mem"
        assert r.headers["x-delta-mem-mechanism"] == "delta-state"
        assert r.headers["x-delta-attention-state-count"] == "1"
        assert r.json()["object"] == "chat.completion"
        meta = c.get("/delta/state/s1/metadata").json()
        assert meta["bytes"] > 2 * 8 * 8 * 4  # the δ-state (and its KV cache) is accounted for
        with c.stream("POST", "/v1/chat/completions", json={**body, "stream": True, "max_completion_tokens": 3}) as s:
            raw = b"".join(s.iter_raw()).decode()
        assert raw.rstrip().endswith("data: [DONE]") and '"finish_reason"' in raw


def test_bad_adapter_is_one_clear_line(model_dirs, tmp_path: Path) -> None:
    base, _ = model_dirs
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "delta_mem_config.json").write_text(json.dumps({"rank": 8, "num_state_heads": 4}))
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "clawmemory",
            "sidecar",
            "serve",
            "--data-dir",
            str(tmp_path / "h"),
            "--port",
            "0",
            "--backend",
            "delta-mem",
            "--base-model-dir",
            str(base),
            "--adapter-dir",
            str(bad),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 2
    assert "num_state_heads=4" in p.stderr and "not implemented" in p.stderr
    assert "Traceback" not in p.stderr
