"""The OpenClaw context engine (a component, layer 4): token estimates, structured compaction
(LLM or offline), daily-markdown auto-flush and auto-retrieval over a Core. The calls are in
``engine.py`` (:class:`ContextEngine`), its SQL in ``rows.py``, its tables in ``migrations.py``."""

from . import migrations as _migrations  # noqa: F401  (registers the context tables)
from .engine import METHODS, ContextEngine

__all__ = ["METHODS", "ContextEngine"]
