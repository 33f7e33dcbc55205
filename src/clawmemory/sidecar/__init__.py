"""The attention-state sidecar: an OpenAI-compatible chat endpoint that keeps per-session
attention state (snippets from the request, the engine or QMD) and answers through one of
three honestly named backends (``proxy``, ``kv-prefix``, ``delta-mem``).

Started by ``clawmemory sidecar serve``; see ``sidecar.py`` for the flow.
"""

from .control import SidecarControl
from .settings import SidecarSettings, load_sidecar_settings

__all__ = ["SidecarControl", "SidecarSettings", "load_sidecar_settings"]
