"""Agent-facing memory tools in OpenClaw memory-core's shapes: ``memory_search`` over every
corpus (memories, messages, markdown collections) and ``memory_get``, a bounded read of a
path a search returned (``memory_tools.py``)."""

from .memory_tools import MemoryTools

__all__ = ["MemoryTools"]
