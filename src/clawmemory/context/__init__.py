"""The OpenClaw context engine: token estimates, structured compaction (LLM or offline),
daily-markdown auto-flush and auto-retrieval. See :class:`ContextEngine`."""

from . import migrations as _migrations  # noqa: F401  (registers the context tables)
from .engine import METHODS, ContextEngine

__all__ = ["METHODS", "ContextEngine"]
