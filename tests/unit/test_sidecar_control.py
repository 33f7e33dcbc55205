"""Sidecar settings, the OpenClaw provider block, the status check and the CLI commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clawmemory.cli.main import main
from clawmemory.engine import Engine
from clawmemory.errors import InvalidInput
from clawmemory.sidecar.control import requirements
from clawmemory.sidecar.settings import load_sidecar_settings


def test_settings_precedence(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home.mkdir(parents=True)
    (home / "sidecar.toml").write_text('port = 7500\nbackend = "kv-prefix"\nretrieve_limit = 4\n')
    s = load_sidecar_settings(home)
    assert (s.port, s.backend, s.retrieve_limit) == (7500, "kv-prefix", 4)
    monkeypatch.setenv("CLAWMEMORY_SIDECAR_PORT", "7600")
    assert load_sidecar_settings(home).port == 7600
    assert load_sidecar_settings(home, port=7700, backend=None).port == 7700
    (home / "sidecar.toml").write_text("bogus = 1\n")
    with pytest.raises(InvalidInput, match="unknown setting 'bogus'"):
        load_sidecar_settings(home)
    (home / "sidecar.toml").write_text('backend = "magic"\n')
    with pytest.raises(InvalidInput, match="backend"):
        load_sidecar_settings(home)


def test_provider_config_block(engine: Engine, home: Path) -> None:
    (home / "token").write_text("tok-123\n")
    cfg = engine.sidecar_provider_config()
    block = cfg["models"]["providers"]["clawmemory-sidecar"]
    assert block["baseUrl"] == "http://127.0.0.1:7412/v1" and block["apiKey"] == "tok-123"
    assert block["api"] == "openai-completions"
    model = block["models"][0]
    assert model["id"] == "clawmemory-proxy" and model["compat"]["supportsPromptCacheKey"] is True
    assert cfg["agents"]["defaults"]["model"]["primary"] == "clawmemory-sidecar/clawmemory-proxy"
    assert "δ" not in json.dumps(cfg, ensure_ascii=False)
    other = engine.sidecar_provider_config("http://127.0.0.1:9999/", provider="mem")
    assert other["models"]["providers"]["mem"]["baseUrl"] == "http://127.0.0.1:9999/v1"


def test_provider_config_per_backend(engine: Engine, home: Path) -> None:
    (home / "sidecar.toml").write_text('backend = "kv-prefix"\nn_ctx = 4096\n')
    model = engine.sidecar_provider_config()["models"]["providers"]["clawmemory-sidecar"]["models"][0]
    assert model["id"] == "gemma-3-270m" and model["contextWindow"] == 4096 and model["maxTokens"] == 1024
    (home / "sidecar.toml").write_text('backend = "delta-mem"\nbase_model_dir = "/m/Qwen3-4B-Instruct-2507"\n')
    cfg = engine.sidecar_provider_config()
    assert cfg["models"]["providers"]["clawmemory-sidecar"]["models"][0]["id"] == "Qwen3-4B-Instruct-2507+delta-mem"
    assert "δ-state" in json.dumps(cfg, ensure_ascii=False)  # the one backend that may say so


def test_status_reports_requirements_and_a_down_sidecar(engine: Engine, home: Path) -> None:
    info = engine.sidecar_status("http://127.0.0.1:9")
    assert info["backend"] == "proxy" and info["ready"] is True
    assert info["health"]["ok"] is False and "not reachable" in info["health"]["error"]
    assert info["host"]["cpus"] >= 1


def test_requirements_name_what_is_missing(home: Path, tmp_path: Path) -> None:
    s = load_sidecar_settings(
        home, backend="delta-mem", adapter_dir=tmp_path / "nope", base_model_dir=tmp_path / "nobase"
    )
    req = requirements(s)
    assert (
        not req["adapter_files"]["ok"]
        and "delta_mem_config.json, delta_mem_adapter.pt" in req["adapter_files"]["detail"]
    )
    assert not req["base_model"]["ok"] and "nothing is downloaded" in req["base_model"]["detail"]
    (tmp_path / "nope").mkdir()
    (tmp_path / "nope" / "delta_mem_config.json").write_text(json.dumps({"num_state_heads": 2}))
    (tmp_path / "nope" / "delta_mem_adapter.pt").write_bytes(b"x")
    assert "num_state_heads=2" in requirements(s)["adapter_files"]["detail"]
    kv = requirements(load_sidecar_settings(home, backend="kv-prefix", preset="custom", model_path=tmp_path / "x.gguf"))
    assert not kv["model_file"]["ok"] and "is not a file" in kv["model_file"]["detail"]
    assert "llama_cpp" in kv and "memory" in kv


def test_cli_provider_config_and_status(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sidecar", "provider-config", "--data-dir", str(home)]) == 0
    cfg = json.loads(capsys.readouterr().out)
    assert cfg["models"]["providers"]["clawmemory-sidecar"]["models"][0]["compat"]["supportsPromptCacheKey"]
    assert main(["sidecar", "status", "--data-dir", str(home), "--url", "http://127.0.0.1:9", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["health"]["ok"] is False
    assert main(["sidecar", "status", "--data-dir", str(home), "--url", "http://127.0.0.1:9"]) == 0
    assert "down:" in capsys.readouterr().out


def test_cli_serve_refuses_remote_and_missing_backend(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sidecar", "serve", "--data-dir", str(home), "--host", "0.0.0.0"]) == 2
    assert "refusing to bind non-loopback" in capsys.readouterr().err
    assert main(["sidecar", "serve", "--data-dir", str(home), "--backend", "delta-mem"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and ("torch" in err or "--adapter-dir" in err)
