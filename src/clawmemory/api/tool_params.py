"""Parameters of the OpenClaw plugin's tools: the one source of their schemas.

The daemon validates tool calls with these models, and ``clawmemory.openclaw.schemas``
generates the plugin's tool JSON schemas (``plugins/openclaw/src/tool-schemas.js``) and
the manifest's ``contracts.tools`` from them. A model's docstring is the tool's
description; field descriptions, defaults and limits go to the model as written.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

STORE_IMPORTANCE = 0.7  # memory-lancedb's default: the model chose to store it


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class MemorySearchParams(Params):
    """Search long-term memory (facts, decisions, preferences, past conversations and indexed notes) for text relevant to a query. Returns ranked snippets with paths usable with memory_get."""

    query: str = Field(description="What to look for")
    maxResults: int | None = Field(None, ge=1, le=100, description="Maximum number of results")
    minScore: float | None = Field(None, description="Minimum relevance score (0..1)")
    corpus: Literal["memory", "wiki", "all", "sessions"] | None = Field(
        None, description="Which corpus to search (default memory)"
    )
    asOf: str | None = Field(
        None, description="ISO date or time: search the memories that were valid then (default: current)"
    )
    deep: bool | None = Field(
        None, description="Slower, deeper search: a small local LLM rescores the best hits (seconds; default false)"
    )


class MemoryGetParams(Params):
    """Read a memory item or a line range of an indexed memory file by the path returned from memory_search."""

    path: str = Field(description="Path returned by memory_search")
    from_: int | None = Field(None, alias="from", ge=1, description="First line to read (1-based)")
    lines: int | None = Field(None, ge=1, description="Number of lines to read")
    corpus: Literal["memory", "wiki", "all"] | None = Field(
        None, description="Corpus the path belongs to (default memory)"
    )


class RecallParams(Params):
    """Recall stored memories relevant to a question before making a decision. Recalled memories are scored by whether the turn they helped ends well."""

    query: str = Field(description="The question or topic to recall memories about")
    limit: int | None = Field(None, ge=1, le=50, description="Maximum number of memories (default 5)")


class StoreParams(Params):
    """Store a durable fact, decision or preference in long-term memory. Use either text, or question + answer (what was asked and what turned out to be true)."""

    text: str | None = Field(None, description="The memory to store, self-contained")
    question: str | None = Field(None, description="Question form: the question this memory answers")
    answer: str | None = Field(None, description="Question form: the answer")
    source: str | None = Field(None, description="Where this came from (optional)")
    importance: float = Field(STORE_IMPORTANCE, ge=0, le=1, description=f"0..1 (default {STORE_IMPORTANCE})")
    category: Literal["preference", "decision", "entity", "fact", "other"] | None = Field(
        None, description="Kind of memory"
    )


class ForgetParams(Params):
    """Forget a stored memory by id, or find candidates to forget by query."""

    memoryId: str | None = Field(None, description="Id of the memory to delete")
    entryId: str | None = Field(None, description="Ledger entry id to delete")
    query: str | None = Field(None, description="Find memories matching this text")


class SidecarStatusParams(Params):
    """Report the clawmemory attention-state sidecar: its URL, backend, host facts, whether each backend requirement is met, whether it is ready, and its live health."""

    url: str | None = Field(None, description="Sidecar base URL (default: the daemon's configured sidecar URL)")


class SidecarProviderConfigParams(SidecarStatusParams):
    """Return the OpenClaw config block (models.providers and agents) that routes a model through the clawmemory sidecar, with notes on how to apply it."""

    provider: str = Field("clawmemory-sidecar", description="OpenClaw provider id for the sidecar")


# Optional (opt-in via tools.allow) tools: a GET on the daemon's sidecar routes with these
# parameters as the query string. Name → (parameters, daemon path).
OPTIONAL_TOOLS: dict[str, tuple[type[Params], str]] = {
    "clawmemory_sidecar_status": (SidecarStatusParams, "/v1/sidecar/status"),
    "clawmemory_sidecar_provider_config": (SidecarProviderConfigParams, "/v1/sidecar/provider-config"),
}
