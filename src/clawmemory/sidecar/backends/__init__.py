"""Backends behind the sidecar, one interface (``base.Backend``):

- ``proxy`` (default): context injection in front of any OpenAI-compatible upstream;
- ``kv-prefix``: local llama.cpp with each session's snippets kept as a saved KV prefix
  (extra ``clawmemory[llama]``);
- ``delta-mem``: our PyTorch implementation of the gated delta-rule memory, with a real
  ``delta_mem_config.json`` + adapter (extra ``clawmemory[delta]``).

Heavy libraries are imported only when their backend is chosen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..settings import SidecarSettings
    from .base import Backend

BACKENDS = ("proxy", "kv-prefix", "delta-mem")


def make_backend(settings: SidecarSettings, token: str | None = None) -> Backend:
    """The backend ``settings.backend`` names (not started yet)."""
    if settings.backend == "proxy":
        from .proxy import ProxyBackend

        return ProxyBackend(settings, client_token=token)
    if settings.backend == "kv-prefix":
        from .kv_prefix import KVPrefixBackend

        return KVPrefixBackend(settings)
    if settings.backend == "delta-mem":
        from .delta_mem import DeltaMemBackend

        return DeltaMemBackend(settings)
    raise ValueError(f"unknown backend {settings.backend!r}; expected one of {BACKENDS}")
