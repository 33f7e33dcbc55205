"""The delta-mem backend on a tiny random Qwen3 with synthetic adapters that use the real
key names: file validation, zero-weight parity, the scan against an independent reference,
state save/restore, and session isolation through the backend."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="delta-mem tests need torch: pip install 'clawmemory[delta]'")
pytest.importorskip("transformers", reason="delta-mem tests need transformers: pip install 'clawmemory[delta]'")

from support.tiny_delta import RANK, adapter_state, byte_tokenizer, config_dict, tiny_model, write_adapter  # noqa: E402

from clawmemory.errors import InvalidInput  # noqa: E402
from clawmemory.sidecar.backends.base import ChatTurn  # noqa: E402
from clawmemory.sidecar.backends.delta_config import DeltaMemConfig  # noqa: E402
from clawmemory.sidecar.backends.delta_mem import DeltaMemBackend  # noqa: E402
from clawmemory.sidecar.backends.delta_model import DeltaLayer, DeltaMem, load_adapter_files  # noqa: E402
from clawmemory.sidecar.intake import Snippet  # noqa: E402
from clawmemory.sidecar.sessions import SessionStore  # noqa: E402
from clawmemory.sidecar.settings import SidecarSettings  # noqa: E402

IDS = torch.tensor([[5, 17, 99, 3, 42, 77, 8, 120, 64, 33, 2, 250]])


def logits(model, ids=IDS):
    with torch.inference_mode():
        return model(input_ids=ids).logits


def attached(heads_scale: float, heads=("q", "o"), couple_lambda=True):
    model = tiny_model()
    cfg = DeltaMemConfig.from_dict(config_dict(heads=heads, couple_lambda=couple_lambda))
    return model, DeltaMem.attach(
        model, cfg, adapter_state(model, heads_scale=heads_scale, heads=heads, couple_lambda=couple_lambda)
    )


# -- files and validation -------------------------------------------------------------------


def test_adapter_files_load_and_validate(tmp_path: Path) -> None:
    model = tiny_model()
    write_adapter(tmp_path / "ok", adapter_state(model))
    cfg, sd = load_adapter_files(tmp_path / "ok")
    assert cfg.rank == RANK and cfg.delta_heads == ("q", "o") and cfg.scaling == 2.0
    assert "model.layers.1.self_attn.delta_o_proj" in sd
    mem = DeltaMem.attach(model, cfg, sd)
    assert len(mem.layers) == 2


def test_adapter_problems_are_named(tmp_path: Path) -> None:
    model = tiny_model()
    cfg = DeltaMemConfig.from_dict(config_dict())
    sd = adapter_state(model)
    del sd["model.layers.0.self_attn.beta_bias"]
    sd["model.layers.1.self_attn.delta_q_proj"] = torch.zeros(3, RANK)
    sd["model.layers.9.self_attn.memory_q_proj"] = torch.zeros(RANK, 64)
    with pytest.raises(InvalidInput) as err:
        DeltaMem.attach(model, cfg, sd)
    msg = err.value.message
    assert "missing model.layers.0.self_attn.beta_bias [8]" in msg
    assert "model.layers.1.self_attn.delta_q_proj has shape [3, 8], the model needs [64, 8]" in msg
    assert "unexpected model.layers.9.self_attn.memory_q_proj" in msg


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"num_state_heads": 4}, "num_state_heads=4 (multi-state writes (MSW)) is not implemented"),
        ({"memory_write_granularity": "message_mean"}, "message/sentence-mean writes (SSW)"),
        ({"state_update_mode": "lambda_outside"}, "state_update_mode='lambda_outside' is not implemented"),
        ({"delta_heads": ["q", "x"]}, "unknown delta_heads ['x']"),
    ],
)
def test_unsupported_configs_are_refused_up_front(tmp_path: Path, change: dict, words: str) -> None:
    (tmp_path / "delta_mem_config.json").write_text(json.dumps(config_dict(**change)))
    with pytest.raises(InvalidInput) as err:
        DeltaMemConfig.from_file(tmp_path / "delta_mem_config.json")
    assert words in err.value.message


def test_missing_or_broken_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="delta_mem_config.json does not exist"):
        load_adapter_files(tmp_path)
    (tmp_path / "delta_mem_config.json").write_text(json.dumps(config_dict()))
    with pytest.raises(InvalidInput, match="delta_mem_adapter.pt does not exist"):
        load_adapter_files(tmp_path)
    (tmp_path / "delta_mem_adapter.pt").write_bytes(b"not a torch file")
    with pytest.raises(InvalidInput, match="weights_only=True"):
        load_adapter_files(tmp_path)


# -- the mechanism ----------------------------------------------------------------------------


def test_zero_weight_adapter_is_exactly_the_base_model() -> None:
    base = logits(tiny_model())
    model, mem = attached(heads_scale=0.0)
    out = logits(model)
    assert torch.equal(out, base)  # max |Δlogit| == 0.0
    assert all(layer.state is not None and layer.state.abs().sum() > 0 for layer in mem.layers)  # it did write


def test_nonzero_heads_change_the_output() -> None:
    base = logits(tiny_model())
    model, _ = attached(heads_scale=0.5, heads=("q", "k", "v", "o"))
    assert (logits(model) - base).abs().max() > 1e-3


def reference_scan(layer: DeltaLayer, h: torch.Tensor, couple: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """The published update, element by element (independent of DeltaLayer.scan)."""
    r = layer.cfg.rank
    S = torch.zeros(r, r, dtype=torch.float64)
    reads = []
    P = {n: p.detach().double() for n, p in layer.named_parameters()}
    for x in h[0].double():
        q = torch.tanh(P["memory_q_proj"] @ x)
        q = q / q.norm().clamp_min(1e-6)
        k = torch.tanh(P["memory_k_proj"] @ x)
        k = k / k.norm().clamp_min(1e-6)
        v = P["memory_v_proj"] @ x
        beta = torch.sigmoid(P["beta_proj"] @ x + P["beta_bias"])
        lam = 1 - beta if couple else torch.sigmoid(P["lambda_proj"] @ x + P["lambda_bias"])
        reads.append(S @ q)
        new = torch.empty_like(S)
        for i in range(r):
            pred_i = sum(S[i, j] * k[j] for j in range(r))
            for j in range(r):
                new[i, j] = lam[i] * S[i, j] - beta[i] * pred_i * k[j] + beta[i] * v[i] * k[j]
        S = new
    return torch.stack(reads), S


@pytest.mark.parametrize("couple", [True, False])
def test_scan_matches_the_equations(couple: bool) -> None:
    model, mem = attached(heads_scale=0.1, couple_lambda=couple)
    layer = mem.layers[0]
    h = torch.randn(1, 7, 64, generator=torch.Generator().manual_seed(3))
    layer.state = None
    reads = layer.scan(h)
    ref_reads, ref_state = reference_scan(layer, h, couple)
    assert torch.allclose(reads[0].double(), ref_reads, atol=1e-5)
    assert torch.allclose(layer.state[0].double(), ref_state, atol=1e-5)


def test_state_save_restore_round_trip() -> None:
    model, mem = attached(heads_scale=0.5)
    prefix, rest = IDS[:, :6], IDS[:, 6:]
    mem.reset()
    logits(model, prefix)
    saved = mem.get_state()
    assert DeltaMem.state_bytes(saved) == 2 * RANK * RANK * 4  # r×r fp32 per layer
    first = logits(model, rest)
    logits(model, IDS)  # scribble on the state
    mem.set_state(saved)
    again = logits(model, rest)
    assert torch.equal(first, again)
    mem.reset()
    fresh = logits(model, rest)
    assert not torch.equal(first, fresh)  # the state carried something


# -- the backend --------------------------------------------------------------------------------


def backend(tmp_path: Path, heads_scale: float = 0.5) -> DeltaMemBackend:
    model = tiny_model()
    adapter = write_adapter(tmp_path / "adapter", adapter_state(model, heads_scale=heads_scale))
    be = DeltaMemBackend(
        SidecarSettings(backend="delta-mem", adapter_dir=adapter), model=model, tokenizer=byte_tokenizer()
    )
    be.load()
    return be


def run(be: DeltaMemBackend, session, snippets: list[str], text: str = "what is the codename?") -> str:
    turn = ChatTurn(
        {"messages": [{"role": "user", "content": text}]}, {}, session, [Snippet(s, "test") for s in snippets], False, 6
    )
    prompt = be.prompt_ids(turn.body["messages"])
    return "".join(p.text for p in be.generate(turn, prompt))


def test_sessions_are_isolated(tmp_path: Path) -> None:
    be = backend(tmp_path)
    store = SessionStore(max_sessions=8, ttl_s=60, max_bytes=2**30)
    a, b = store.open("A"), store.open("B")
    alone = run(backend(tmp_path / "solo"), store.open("solo"), ["codename BLUEHERON-7"])
    run(be, b, ["codename REDKITE-3 and a different story"])
    with_b_first = run(be, a, ["codename BLUEHERON-7"])
    assert with_b_first == alone  # B's writes never reached A
    assert a.backend_state.state is not None and b.backend_state.state is not None
    assert not torch.equal(a.backend_state.state[0], b.backend_state.state[0])
    assert a.backend_state.nbytes > 0


def test_snippets_are_written_once_and_turns_reuse_the_cache(tmp_path: Path) -> None:
    be = backend(tmp_path)
    store = SessionStore(max_sessions=8, ttl_s=60, max_bytes=2**30)
    s = store.open("S")
    run(be, s, ["fact one"])
    assert be.last["preload_tokens"] > 0 and be.last["reused_tokens"] == 0
    first_ids = list(s.backend_state.ids)
    turn = ChatTurn(
        {
            "messages": [
                {"role": "user", "content": "what is the codename?"},
                {"role": "assistant", "content": be.tokenizer.decode(first_ids)[-4:]},
                {"role": "user", "content": "and again?"},
            ]
        },
        {},
        s,
        [Snippet("fact one", "t")],
        False,
        4,
    )
    "".join(p.text for p in be.generate(turn, be.prompt_ids(turn.body["messages"])))
    assert be.last["preload_tokens"] == 0  # already written


def test_backend_answers_openai_shapes(tmp_path: Path) -> None:
    be = backend(tmp_path)
    store = SessionStore(max_sessions=8, ttl_s=60, max_bytes=2**30)
    turn = ChatTurn(
        {"messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function"}]},
        {},
        store.open("x"),
        [Snippet("a fact", "t")],
        False,
        5,
    )
    response = asyncio.run(be.chat(turn))
    body = json.loads(response.body)
    assert body["object"] == "chat.completion" and body["usage"]["completion_tokens"] <= 5
    assert turn.extra_headers["x-delta-mem-ignored-fields"] == "tools"
    info = be.describe()
    assert info["mechanism"] == "delta-state" and info["adapter"]["layers"] == 2
    assert len(info["adapter"]["sha256"]) == 64
