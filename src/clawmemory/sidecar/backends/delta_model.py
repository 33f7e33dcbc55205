"""The gated delta-rule memory (δ-mem, arXiv 2605.12357) attached to a frozen causal LM,
in PyTorch, written from the published equations; no upstream code is reproduced.

Per wrapped attention layer, with ``h_t`` the attention input (after the input norm) and
rank ``r``:

- ``q̂ = L2norm(tanh(W_mq h))``, ``k̂ = L2norm(tanh(W_mk h))`` (when ``normalize_qk``),
  ``v̂ = W_mv h``; ``β = sigmoid(W_β h + b_β)`` per row of the state (``rankwise_gates``), and
  the keep gate ``λ = 1 − β`` (coupled), ``sigmoid(W_λ h + b_λ)`` (uncoupled) or 1 (``no_lambda``);
- read before write: ``read_t = S_{t−1} q̂_t``;
- write: ``S_t = λ_t ⊙ S_{t−1} − β_t ⊙ (S_{t−1} k̂_t) k̂_tᵀ + β_t ⊙ v̂_t k̂_tᵀ`` (gates act on rows);
- the read steers attention through low-rank heads scaled by ``α/r``: ``Δq = W_Δq read`` is added
  to the ``q_proj`` output (before the q-norm and RoPE), likewise ``Δk``/``Δv`` for the heads the
  config enables, and ``Δo = W_Δo read`` to the ``o_proj`` output.

Every token is written (token-state writes, TSW), generated ones included. The state is
``r × r`` per layer per session: a few KB whatever the history length. The wrappers sit on
``q_proj``/``k_proj``/``v_proj``/``o_proj``; the model must call ``q_proj`` first in each attention
forward (Qwen3 and other Llama-family attentions do; it is checked at run time).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ...errors import InvalidInput
from .delta_config import ADAPTER_FILE, CONFIG_FILE, DeltaMemConfig, expected_shapes

_LAYER = re.compile(r"(?:^|\.)layers\.(\d+)\.self_attn$")


class DeltaLayer(nn.Module):
    """The δ parameters of one attention layer (named as in the adapter file) and its
    online state ``S`` (``[batch, r, r]``, fp32)."""

    # registered by name in __init__ (see delta_config.expected_shapes); lambda_* only when uncoupled
    memory_q_proj: torch.Tensor
    memory_k_proj: torch.Tensor
    memory_v_proj: torch.Tensor
    delta_q_proj: torch.Tensor
    delta_k_proj: torch.Tensor
    delta_v_proj: torch.Tensor
    delta_o_proj: torch.Tensor
    beta_proj: torch.Tensor
    beta_bias: torch.Tensor
    lambda_proj: torch.Tensor
    lambda_bias: torch.Tensor

    def __init__(self, cfg: DeltaMemConfig, hidden: int, q_out: int, kv_out: int, o_out: int) -> None:
        super().__init__()
        self.cfg = cfg
        for name, shape in expected_shapes(cfg, hidden, q_out, kv_out, o_out).items():
            self.register_parameter(name, nn.Parameter(torch.zeros(shape), requires_grad=False))
        self.state: torch.Tensor | None = None
        self.reads: torch.Tensor | None = None
        self._pending = 0  # how many of k/v/o still have to consume the current reads

    def gates(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(keep, write) gates per row, each ``[B, T, r]``."""
        r = self.cfg.rank
        beta = torch.sigmoid(F.linear(h, self.beta_proj) + self.beta_bias)
        if self.cfg.state_update_mode == "no_lambda":
            keep = torch.ones_like(beta)
        elif self.cfg.couple_lambda:
            keep = 1.0 - beta
        else:
            keep = torch.sigmoid(F.linear(h, self.lambda_proj) + self.lambda_bias)
        return keep.expand(*keep.shape[:-1], r), beta.expand(*beta.shape[:-1], r)

    def scan(self, h: torch.Tensor) -> torch.Tensor:
        """Reads for every position of ``h`` (``[B, T, hidden]``), writing each token into the
        state after reading it. Returns ``[B, T, r]``."""
        h32 = h.float()
        q = F.linear(h32, self.memory_q_proj.float())
        k = F.linear(h32, self.memory_k_proj.float())
        v = F.linear(h32, self.memory_v_proj.float())
        if self.cfg.normalize_qk:
            q = F.normalize(torch.tanh(q), dim=-1, eps=1e-6)
            k = F.normalize(torch.tanh(k), dim=-1, eps=1e-6)
        keep, write = self.gates(h32)
        b, t, r = q.shape
        s = self.state if self.state is not None and self.state.shape[0] == b else h32.new_zeros(b, r, r)
        reads = []
        for i in range(t):
            reads.append(torch.bmm(s, q[:, i, :, None])[..., 0])
            kt = k[:, i]
            pred = torch.bmm(s, kt[:, :, None])[..., 0]  # S k̂, [B, r]
            wt = write[:, i, :, None]
            s = (
                keep[:, i, :, None] * s
                - wt * pred[:, :, None] * kt[:, None, :]
                + wt * v[:, i, :, None] * kt[:, None, :]
            )
        self.state = s
        return torch.stack(reads, dim=1)

    def delta(self, head: str, reads: torch.Tensor, dtype: torch.dtype) -> torch.Tensor | None:
        if head not in self.cfg.delta_heads:
            return None
        weight = getattr(self, f"delta_{head}_proj")
        return (F.linear(reads, weight.float()) * self.cfg.scaling).to(dtype)


class _Wrap(nn.Module):
    """``base(x) + Δ`` for one projection; ``q`` also runs the scan."""

    def __init__(self, base: nn.Linear, layer: DeltaLayer, head: str) -> None:
        super().__init__()
        self.base = base
        self.layer = layer
        self.head = head
        self.in_features, self.out_features = base.in_features, base.out_features
        self.weight = base.weight  # some model code reads proj.weight (dtype/device checks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.base(x)
        layer = self.layer
        if self.head == "q":
            layer.reads = layer.scan(x)
            layer._pending = 3
        elif layer._pending <= 0 or layer.reads is None or layer.reads.shape[1] != x.shape[1]:
            raise RuntimeError("delta-mem: q_proj must run before k_proj/v_proj/o_proj in each attention forward")
        else:
            layer._pending -= 1
        d = layer.delta(self.head, layer.reads, out.dtype)
        return out if d is None else out + d


def attention_modules(model: nn.Module, cfg: DeltaMemConfig) -> list[tuple[str, nn.Module, int]]:
    """``(name, module, layer index)`` of every attention the adapter targets."""
    out = []
    for name, module in model.named_modules():
        match = _LAYER.search(name)
        if not match or not all(hasattr(module, p) for p in ("q_proj", "k_proj", "v_proj", "o_proj")):
            continue
        idx = int(match.group(1))
        if cfg.target_layers and idx not in cfg.target_layers:
            continue
        out.append((name, module, idx))
    return out


def _raw(proj: object) -> nn.Linear:
    """The original projection under our wrapper (a model's q/k/v/o are ``nn.Linear``)."""
    base = proj.base if isinstance(proj, _Wrap) else proj
    assert isinstance(base, nn.Linear), type(base)
    return base


def validate_adapter(model: nn.Module, cfg: DeltaMemConfig, state_dict: dict[str, Any]) -> list[str]:
    """Every problem between ``state_dict`` and what ``model`` + ``cfg`` need (empty when fine)."""
    problems, expected = [], {}
    targets = attention_modules(model, cfg)
    if not targets:
        return ["the model has no '...layers.N.self_attn' modules with q/k/v/o projections"]
    for name, m, _ in targets:
        q, k, o = _raw(m.q_proj), _raw(m.k_proj), _raw(m.o_proj)
        for p, shape in expected_shapes(cfg, q.in_features, q.out_features, k.out_features, o.out_features).items():
            expected[f"{name}.{p}"] = shape
    for key, shape in expected.items():
        if key not in state_dict:
            problems.append(f"missing {key} {list(shape)}")
        elif not isinstance(state_dict[key], torch.Tensor):
            problems.append(f"{key} is not a tensor")
        elif tuple(state_dict[key].shape) != shape:
            problems.append(f"{key} has shape {list(state_dict[key].shape)}, the model needs {list(shape)}")
    problems += [f"unexpected {key}" for key in state_dict if key not in expected]
    return problems


def load_adapter_files(adapter_dir: str | Path) -> tuple[DeltaMemConfig, dict[str, torch.Tensor]]:
    """Read and check the two adapter files (config first: it is cheap and names what is wrong)."""
    adapter_dir = Path(adapter_dir)
    cfg = DeltaMemConfig.from_file(adapter_dir / CONFIG_FILE)
    path = adapter_dir / ADAPTER_FILE
    if not path.is_file():
        raise InvalidInput(
            f"{path} does not exist (an adapter dir holds {CONFIG_FILE} and {ADAPTER_FILE})", field=ADAPTER_FILE
        )
    try:
        sd = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the same problem for the user
        raise InvalidInput(
            f"{path} is not a torch state_dict loadable with weights_only=True: {exc}", field=ADAPTER_FILE
        ) from exc
    if not isinstance(sd, dict):
        raise InvalidInput(f"{path} does not hold a state_dict (a dict of tensors)", field=ADAPTER_FILE)
    return cfg, sd


class DeltaMem:
    """The memory attached to one model: its layers, and state save/restore."""

    def __init__(self, model: nn.Module, cfg: DeltaMemConfig, layers: list[DeltaLayer]) -> None:
        self.model = model
        self.cfg = cfg
        self.layers = layers

    @classmethod
    def attach(cls, model: nn.Module, cfg: DeltaMemConfig, state_dict: dict[str, torch.Tensor]) -> DeltaMem:
        """Validate ``state_dict`` against ``model`` (all problems at once) and wrap its attentions."""
        problems = validate_adapter(model, cfg, state_dict)
        if problems:
            shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
            raise InvalidInput(f"the delta-mem adapter does not fit this model: {shown}", field=ADAPTER_FILE)
        layers = []
        for name, m, _ in attention_modules(model, cfg):
            q, k, v, o = (_raw(getattr(m, p)) for p in ("q_proj", "k_proj", "v_proj", "o_proj"))
            layer = DeltaLayer(cfg, q.in_features, q.out_features, k.out_features, o.out_features)
            with torch.no_grad():
                for p, param in layer.named_parameters():
                    param.copy_(state_dict[f"{name}.{p}"].float())
            layer.to(q.weight.device)
            m.delta_mem = layer
            m.q_proj, m.k_proj, m.v_proj, m.o_proj = (
                _Wrap(q, layer, "q"),
                _Wrap(k, layer, "k"),
                _Wrap(v, layer, "v"),
                _Wrap(o, layer, "o"),
            )
            layers.append(layer)
        return cls(model, cfg, layers)

    def get_state(self) -> list[torch.Tensor | None]:
        """A copy of every layer's state (what a session keeps)."""
        return [None if layer.state is None else layer.state.detach().clone() for layer in self.layers]

    def set_state(self, state: list[torch.Tensor | None] | None) -> None:
        for i, layer in enumerate(self.layers):
            s = None if state is None else state[i]
            layer.state = None if s is None else s.detach().clone()
            layer.reads, layer._pending = None, 0

    def reset(self) -> None:
        self.set_state(None)

    @staticmethod
    def state_bytes(state: list[torch.Tensor | None] | None) -> int:
        return sum(s.numel() * s.element_size() for s in state or [] if s is not None)
