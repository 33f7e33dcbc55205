"""The attention-state sidecar: an OpenAI-compatible chat endpoint that keeps per-session
attention state (snippets from the request, the engine or QMD) and answers through one of
three honestly named backends (``proxy``, ``kv-prefix``, ``delta-mem``).

Started by ``clawmemory sidecar serve``; see ``sidecar.py`` for the flow. ``control.py`` (what
the engine reports about it), the backends and the request pipeline are layer 4; the process
itself (``app``, ``server``, ``sidecar``, ``retrieve``) is an adapter over the engine (layer 6).
"""

from .control import SidecarControl
from .settings import SidecarSettings, load_sidecar_settings

__all__ = ["SidecarControl", "SidecarSettings", "load_sidecar_settings"]
