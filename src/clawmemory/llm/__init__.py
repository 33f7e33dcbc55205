"""One small client for the optional LLM jobs (compaction summaries, HyDE, rerank).

Every job that uses it has a deterministic offline fallback: any :class:`LLMError`
(timeout, HTTP error, bad response, no endpoint configured) means "use the fallback".
"""

from .client import LLMClient, LLMError, LLMReply

__all__ = ["LLMClient", "LLMError", "LLMReply"]
