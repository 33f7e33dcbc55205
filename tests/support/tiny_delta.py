"""A tiny randomly initialised Qwen3 model, a byte-level tokenizer with a chat template, and
synthetic delta-mem adapters that use the released adapter's exact key names and shapes.
Needs torch + transformers (the ``delta`` extra)."""

from __future__ import annotations

import json
from pathlib import Path

import torch

HIDDEN, LAYERS, HEADS, KV_HEADS, HEAD_DIM, RANK = 64, 2, 4, 2, 16, 8
SPECIALS = ["<|im_start|>", "<|im_end|>", "<|endoftext|>"]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def tiny_model(seed: int = 0):
    from transformers import Qwen3Config, Qwen3ForCausalLM

    torch.manual_seed(seed)
    cfg = Qwen3Config(
        vocab_size=256 + len(SPECIALS),
        hidden_size=HIDDEN,
        intermediate_size=128,
        num_hidden_layers=LAYERS,
        num_attention_heads=HEADS,
        num_key_value_heads=KV_HEADS,
        head_dim=HEAD_DIM,
        max_position_embeddings=2048,
        tie_word_embeddings=False,
        eos_token_id=257,
        bos_token_id=258,
        pad_token_id=258,
    )
    return Qwen3ForCausalLM(cfg).eval()


def byte_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {ch: i for i, ch in enumerate(alphabet)}
    for j, tok in enumerate(SPECIALS):
        vocab[tok] = 256 + j
    tk = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tk.decoder = decoders.ByteLevel()
    tk.add_special_tokens(SPECIALS)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tk, eos_token="<|im_end|>", bos_token="<|endoftext|>", pad_token="<|endoftext|>"
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def adapter_state(
    model, *, heads_scale: float = 0.0, seed: int = 1, heads=("q", "o"), couple_lambda: bool = True
) -> dict[str, torch.Tensor]:
    """Real key names (``model.layers.{i}.self_attn.<param>``); random memory projections; the
    delta heads are ``heads_scale`` × random (0 = the zero-weight adapter)."""
    g = torch.Generator().manual_seed(seed)
    sd = {}
    for i, layer in enumerate(model.model.layers):
        a = layer.self_attn
        q_out, kv_out, o_out = a.q_proj.out_features, a.k_proj.out_features, a.o_proj.out_features
        p = f"model.layers.{i}.self_attn."
        for name in ("memory_q_proj", "memory_k_proj", "memory_v_proj", "beta_proj"):
            sd[p + name] = torch.randn(RANK, HIDDEN, generator=g) / HIDDEN**0.5
        sd[p + "beta_bias"] = torch.full((RANK,), -1.5)
        for head, out in (("q", q_out), ("k", kv_out), ("v", kv_out), ("o", o_out)):
            scale = heads_scale if head in heads else 0.0
            sd[p + f"delta_{head}_proj"] = torch.randn(out, RANK, generator=g) * scale
        if not couple_lambda:
            sd[p + "lambda_proj"] = torch.randn(RANK, HIDDEN, generator=g) / HIDDEN**0.5
            sd[p + "lambda_bias"] = torch.full((RANK,), 1.5)
    return sd


def config_dict(heads=("q", "o"), couple_lambda: bool = True, **extra) -> dict:
    """A delta_mem_config.json as upstream writes it (the released adapter's values)."""
    cfg = {
        "rank": RANK,
        "alpha": 16.0,
        "beta_bias_init": -1.5,
        "normalize_qk": True,
        "couple_lambda": couple_lambda,
        "state_update_mode": "standard",
        "rankwise_gates": True,
        "output_init": "base_slice_fixed",
        "base_slice_ref_width": 8,
        "online_gain": 0.05,
        "num_state_heads": 1,
        "num_memory_partitions": 1,
        "memory_readout_mode": "delta",
        "memory_write_source": "learned_hidden",
        "memory_write_granularity": "token",
        "target_modules": ["self_attn"],
        "target_layers": [],
        "delta_heads": list(heads),
        "trainable_delta_scale": False,
        "delta_o_rmsnorm": False,
    }
    cfg.update(extra)
    return cfg


def write_adapter(path: Path, sd: dict, cfg: dict | None = None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "delta_mem_config.json").write_text(json.dumps(cfg or config_dict(), indent=2))
    torch.save(sd, path / "delta_mem_adapter.pt")
    return path
