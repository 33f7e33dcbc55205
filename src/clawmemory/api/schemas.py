"""Request bodies. Field checks that matter to every adapter live in the Engine;
these models give the OpenAPI schema and reject unknown fields."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .models import Body


class MemoryIn(Body):
    namespace: str | None = Field(None, description="Defaults to the configured default namespace.")
    text: str | None = Field(None, description="What to remember (required unless answer is given).")
    question: str | None = None
    answer: str | None = None
    kind: str = "note"
    source: str | None = None
    importance: float = Field(0.5, ge=0, le=1)
    category: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class SearchIn(Body):
    query: str = Field(..., description='Natural language; also "phrase", +required, -excluded.')
    namespace: str | None = None
    shared: list[str] = Field(default_factory=list, description="Extra namespaces to read.")
    limit: int | None = Field(None, ge=1, le=1000)
    corpus: str = Field("all", description="memory, messages, all (and corpora components add).")
    mode: Literal["hybrid", "lexical", "vector"] | None = None
    as_of: str | None = Field(None, description="ISO date or time: memories valid then (default: current).")
    deep: bool = Field(False, description="Rescore the best hits with a small local LLM (seconds; the deep extra).")
