"""The delta-mem adapter's files, read and checked without torch where possible.

An adapter directory holds ``delta_mem_config.json`` (a flat dump of the upstream config
dataclass) and ``delta_mem_adapter.pt`` (a torch ``state_dict`` of the non-base parameters of
every wrapped ``…layers.{i}.self_attn``: ``memory_q_proj``/``memory_k_proj``/``memory_v_proj``
``[r, hidden]``, ``delta_q_proj`` ``[q_out, r]``, ``delta_k_proj``/``delta_v_proj`` ``[kv_out, r]``,
``delta_o_proj`` ``[hidden, r]``, ``beta_proj`` ``[r, hidden]``, ``beta_bias`` ``[r]``, and
``lambda_proj``/``lambda_bias`` when ``couple_lambda`` is false).

We implement the released configuration family: token-state writes (TSW), one state head,
``standard`` or ``no_lambda`` updates, the ``delta`` readout, any subset of the q/k/v/o heads.
Anything else is refused up front with the field that needs it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ...errors import InvalidInput

CONFIG_FILE = "delta_mem_config.json"
ADAPTER_FILE = "delta_mem_adapter.pt"
HEADS = ("q", "k", "v", "o")

# fields we do not implement, with the only value we accept (the upstream defaults)
FIXED = {
    "num_state_heads": 1,
    "num_memory_partitions": 1,
    "num_global_memory_partitions": 0,
    "memory_readout_mode": "delta",
    "memory_write_source": "learned_hidden",
    "memory_write_granularity": "token",
    "memory_reader_layers": [],
    "latent_memory_layers": [],
    "trainable_delta_scale": False,
    "delta_o_rmsnorm": False,
    "tie_memory_partition_read_write": False,
    "slot_read_top_k": 0,
    "global_memory_read_top_k": 0,
    "synthetic_memory_slots": 1,
}
WHY = {
    "num_state_heads": "multi-state writes (MSW)",
    "memory_write_granularity": "message/sentence-mean writes (SSW)",
    "memory_readout_mode": "experimental readouts",
}


@dataclass(frozen=True)
class DeltaMemConfig:
    rank: int = 8
    alpha: float = 16.0
    beta_bias_init: float = -1.5
    normalize_qk: bool = True
    couple_lambda: bool = True
    state_update_mode: str = "standard"
    rankwise_gates: bool = True
    delta_heads: tuple[str, ...] = HEADS
    target_modules: tuple[str, ...] = ("self_attn",)
    target_layers: tuple[int, ...] = ()

    @property
    def scaling(self) -> float:
        return self.alpha / self.rank

    @property
    def gate_dim(self) -> int:
        return self.rank if self.rankwise_gates else 1

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = CONFIG_FILE) -> DeltaMemConfig:
        if not isinstance(data, dict):
            raise InvalidInput(f"{where}: must be a JSON object", field=CONFIG_FILE)
        for name, value in FIXED.items():
            given = data.get(name, value)
            given = list(given) if isinstance(given, (list, tuple)) else given
            if given != value:
                what = WHY.get(name, "an archived upstream option")
                raise InvalidInput(
                    f"{where}: {name}={data[name]!r} ({what}) is not implemented; "
                    f"this backend supports {name}={value!r}",
                    field=name,
                )
        mode = str(data.get("state_update_mode", "standard")).lower()
        if mode not in ("standard", "no_lambda"):
            raise InvalidInput(
                f"{where}: state_update_mode={mode!r} is not implemented (standard, no_lambda)",
                field="state_update_mode",
            )
        heads = data.get("delta_heads", list(HEADS))
        if isinstance(heads, str):
            heads = [h.strip() for h in heads.split(",") if h.strip()]
        heads = tuple(str(h).lower() for h in heads)
        bad = [h for h in heads if h not in HEADS]
        if bad:
            raise InvalidInput(f"{where}: unknown delta_heads {bad}", field="delta_heads")
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values.update(
            state_update_mode=mode,
            delta_heads=heads,
            target_modules=tuple(data.get("target_modules", ("self_attn",))),
            target_layers=tuple(int(i) for i in data.get("target_layers", ()) or ()),
        )
        try:
            cfg = cls(**values)
            rank = int(cfg.rank)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"{where}: {exc}", field=CONFIG_FILE) from exc
        if rank < 1 or float(cfg.alpha) <= 0:
            raise InvalidInput(f"{where}: rank must be >= 1 and alpha > 0", field="rank")
        if cfg.target_modules != ("self_attn",):
            raise InvalidInput(
                f"{where}: target_modules={list(cfg.target_modules)} is not implemented (self_attn)",
                field="target_modules",
            )
        return cfg

    @classmethod
    def from_file(cls, path: str | Path) -> DeltaMemConfig:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise InvalidInput(f"{path} does not exist", field=CONFIG_FILE) from exc
        except ValueError as exc:
            raise InvalidInput(f"{path} is not valid JSON: {exc}", field=CONFIG_FILE) from exc
        return cls.from_dict(data, str(path))

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out.update(
            delta_heads=list(self.delta_heads),
            target_modules=list(self.target_modules),
            target_layers=list(self.target_layers),
            memory_write_granularity="token",
            memory_readout_mode="delta",
            num_state_heads=1,
        )
        return out


def expected_shapes(cfg: DeltaMemConfig, hidden: int, q_out: int, kv_out: int, o_out: int) -> dict[str, tuple]:
    """Parameter name -> shape for one wrapped attention layer."""
    r, g = cfg.rank, cfg.gate_dim
    shapes = {
        "memory_q_proj": (r, hidden),
        "memory_k_proj": (r, hidden),
        "memory_v_proj": (r, hidden),
        "delta_q_proj": (q_out, r),
        "delta_k_proj": (kv_out, r),
        "delta_v_proj": (kv_out, r),
        "delta_o_proj": (o_out, r),
        "beta_proj": (g, hidden),
        "beta_bias": (g,),
    }
    if not cfg.couple_lambda:
        shapes.update(lambda_proj=(g, hidden), lambda_bias=(g,))
    return shapes
