"""The ledger's economics: defaults, validation, and the camelCase keys the
OpenClaw plugin config uses. Persisted per namespace (``ledger_state.config``)
so every caller of one store uses the same economics (darwin-memo passed its
scale per invocation and never stored it)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from ..errors import InvalidInput


@dataclass(frozen=True)
class LedgerConfig:
    # -- the seed plugin's keys -------------------------------------------------------
    resourceScale: float = 1.0  # credit = creditGain * tanh(advantage / resourceScale)
    successDelta: float = 1.0  # measured delta of a successful run (agent_end success)
    failureDelta: float = -1.0  # measured delta of a failed run
    tickIntervalHours: float = 24.0  # background tick cadence; <= 0 disables it
    # -- energy -------------------------------------------------------------------------
    spawnEnergy: float = 1.0
    maxEnergy: float = 5.0
    creditGain: float = 0.6  # the most one settlement can pay (darwin-memo's 0.6)
    supporterShare: float = 0.25  # supporters' share of the decider's credit
    splitSessionCredit: bool = True  # one run's outcome is split over the tickets it opened
    baselineWeight: float = 0.5  # credit uses delta - baselineWeight * (running mean delta)
    baselineAlpha: float = 0.05  # EWMA rate of that running mean
    # -- upkeep: charged per settled session (default) and/or per tick --------------------
    upkeepPerSession: float = 0.002
    upkeepPerTick: float = 0.0
    upkeepExemptCategories: tuple[str, ...] = ("preference",)
    maxTicketAgeHours: float = 24.0  # open tickets older than this expire at delta 0
    # -- recall -------------------------------------------------------------------------
    recallLimit: int = 5
    supporterMinRatio: float = 0.5  # shown entries need >= this share of the top relevance
    rankWeight: float = 0.15  # energy/usefulness may move a score by at most +-15 %
    youngBoost: float = 0.5  # optimism for entries with little evidence (in rankWeight units)
    youngUses: int = 3
    # -- consolidation --------------------------------------------------------------------
    dedupThreshold: float = 0.85  # write time: a near-twin is reinforced or merged, not added
    mergeThreshold: float = 0.55  # tick: neighbours this similar (term Jaccard) merge
    mergeNeighbours: int = 5  # nearest neighbours examined per changed entry
    consolidateBatch: int = 5000  # changed entries examined per tick (the rest wait)
    maxMergedChars: int = 4000

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["upkeepExemptCategories"] = list(self.upkeepExemptCategories)
        return d

    def merged(self, values: dict[str, Any] | None) -> LedgerConfig:
        """A copy with ``values`` applied (validated; unknown keys rejected)."""
        if not values:
            return self
        known = {f.name: f for f in fields(self)}
        out: dict[str, Any] = {}
        for key, value in values.items():
            if key not in known:
                raise InvalidInput(f"unknown ledger setting {key!r}", field=key)
            out[key] = _coerce(key, value, getattr(self, key))
        cfg = replace(self, **out)
        cfg.check()
        return cfg

    def check(self) -> None:
        if not self.resourceScale > 0:
            raise InvalidInput("resourceScale must be > 0", field="resourceScale")
        if not 0 < self.spawnEnergy <= self.maxEnergy:
            raise InvalidInput("spawnEnergy must be in (0, maxEnergy]", field="spawnEnergy")
        for key in (
            "upkeepPerSession",
            "upkeepPerTick",
            "creditGain",
            "supporterShare",
            "baselineWeight",
            "rankWeight",
            "youngBoost",
            "maxTicketAgeHours",
        ):
            if getattr(self, key) < 0:
                raise InvalidInput(f"{key} must be >= 0", field=key)
        for key in ("baselineAlpha", "supporterMinRatio", "dedupThreshold", "mergeThreshold"):
            if not 0 <= getattr(self, key) <= 1:
                raise InvalidInput(f"{key} must be between 0 and 1", field=key)
        if self.rankWeight >= 1:
            raise InvalidInput("rankWeight must be < 1 (relevance stays first)", field="rankWeight")
        for key in ("recallLimit", "youngUses", "mergeNeighbours", "consolidateBatch", "maxMergedChars"):
            if getattr(self, key) < 1:
                raise InvalidInput(f"{key} must be >= 1", field=key)


DEFAULTS = LedgerConfig()


def _coerce(key: str, value: Any, current: Any) -> Any:
    if isinstance(current, bool):
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.lower() in ("true", "1", "yes")
        if not isinstance(value, bool):
            raise InvalidInput(f"{key} must be true or false", field=key)
        return value
    if isinstance(current, tuple):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise InvalidInput(f"{key} must be a list of strings", field=key)
        return tuple(value)
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError as exc:
            raise InvalidInput(f"{key} must be a number", field=key) from exc
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{key} must be a finite number", field=key)
    if isinstance(current, int):
        if value != int(value):
            raise InvalidInput(f"{key} must be an integer", field=key)
        return int(value)
    return float(value)
