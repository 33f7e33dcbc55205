"""Retrieval when a request brings no attention state: the engine's own search on the
latest user message, and optionally a QMD daemon's REST ``/query``. Both fail open: any
error or timeout gives no snippets, never a failed chat request."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import anyio
import httpx

from .intake import Snippet
from .routing import text_of

if TYPE_CHECKING:
    from ..engine import Engine
    from .settings import SidecarSettings

log = logging.getLogger("clawmemory.sidecar")
INTERNAL_MARKER = "<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>"
_RUNTIME_LINE = re.compile(r"(?m)^\s*Runtime:.*$")
_LINE_NUMBER = re.compile(r"(?m)^\d+: ")
QUERY_CHARS = 2000


def latest_user_text(messages: Any) -> str:
    """The latest real user message (not an OpenClaw internal-context block), without the
    Runtime line, cut to its last ``QUERY_CHARS`` characters."""
    if not isinstance(messages, list):
        return ""
    for m in reversed(messages):
        if isinstance(m, Mapping) and m.get("role") == "user":
            text = text_of(m.get("content"))
            if INTERNAL_MARKER in text:
                continue
            text = _RUNTIME_LINE.sub("", text).strip()
            return text[-QUERY_CHARS:]
    return ""


class Retriever:
    """Finds snippets for a query in the engine and, when configured, in QMD."""

    def __init__(
        self, engine: Engine | None, settings: SidecarSettings, client: httpx.AsyncClient | None = None
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.client = client
        self.failures = {"engine": 0, "qmd": 0}

    def _engine_search(self, query: str) -> list[Snippet]:
        assert self.engine is not None
        hits = self.engine.search(query, self.settings.namespace, limit=self.settings.retrieve_limit)
        out = []
        for h in hits:
            if not h.relevant:
                continue
            label = h.category or h.kind or h.corpus
            out.append(Snippet(h.text, f"clawmemory:{h.corpus}/{label}", round(float(h.score), 4)))
        return out

    async def from_engine(self, query: str) -> list[Snippet]:
        if self.engine is None or not query:
            return []
        try:
            return await asyncio.wait_for(
                anyio.to_thread.run_sync(self._engine_search, query), self.settings.retrieve_timeout_s
            )
        except Exception as exc:  # fail open, by design
            self.failures["engine"] += 1
            log.warning("engine retrieval failed open: %r", exc)
            return []

    async def from_qmd(self, query: str) -> list[Snippet]:
        s = self.settings
        if not s.qmd_url or not query or self.client is None:
            return []
        body: dict[str, Any] = {"searches": [{"type": s.qmd_search_type, "query": query}], "limit": s.retrieve_limit}
        if s.qmd_collections:
            body["collections"] = s.qmd_collections
        try:
            r = await self.client.post(s.qmd_url.rstrip("/") + "/query", json=body, timeout=s.qmd_timeout_s)
            r.raise_for_status()
            results = r.json().get("results") or []
            out = []
            for item in results[: s.retrieve_limit]:
                text = _LINE_NUMBER.sub("", str(item.get("snippet") or item.get("text") or "")).strip()
                if text:
                    score = item.get("score")
                    out.append(
                        Snippet(
                            text,
                            f"qmd:{item.get('file') or item.get('docid') or 'result'}",
                            float(score) if isinstance(score, (int, float)) else None,
                        )
                    )
            return out
        except Exception as exc:  # fail open, by design
            self.failures["qmd"] += 1
            log.warning("qmd retrieval failed open: %r", exc)
            return []

    def warm_up(self) -> None:
        """One throwaway search, so the first real turn does not pay for loading the
        embedder and the lexical index inside its retrieval budget."""
        if self.engine is not None and self.settings.retrieve:
            try:
                self._engine_search("warm up")
            except Exception as exc:  # noqa: BLE001 - reported by the first real retrieval
                log.warning("retrieval warm-up failed: %r", exc)

    async def retrieve(self, messages: Any) -> tuple[list[Snippet], list[str]]:
        """Snippets for the latest user message and the sources that gave any."""
        if not self.settings.retrieve:
            return [], []
        query = latest_user_text(messages)
        if not query:
            return [], []
        if self.settings.qmd_url:
            engine_hits, qmd_hits = await asyncio.gather(self.from_engine(query), self.from_qmd(query))
        else:
            engine_hits, qmd_hits = await self.from_engine(query), []
        sources = [name for name, hits in (("engine", engine_hits), ("qmd", qmd_hits)) if hits]
        return engine_hits + qmd_hits, sources
