"""Context-engine settings. Keys are Lia's (camelCase) so an OpenClaw user's Lia config
carries over; snake_case names work too. In ``config.toml``::

    [context]
    compactionThreshold = 0.8
    autoRetrieval = false

or ``CLAWMEMORY_CONTEXT='{"autoRetrieval": true}'`` in the environment.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ContextSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    compaction_threshold: float = Field(
        0.80,
        alias="compactionThreshold",
        gt=0,
        le=1,
        description="Compact when the token estimate reaches this share of the budget.",
    )
    compaction_model: str = Field(
        "",
        alias="compactionModel",
        description="Model for LLM summaries (default: llm_model). Empty and llm_provider 'none' "
        "means the offline extractive summariser only.",
    )
    compaction_timeout_ms: int = Field(
        60_000,
        alias="compactionTimeoutMs",
        ge=100,
        le=600_000,
        description="Wall-clock limit for one LLM compaction (all chunks); then the offline summary.",
    )
    compaction_chunk_tokens: int = Field(
        100_000,
        alias="compactionChunkTokens",
        ge=1_000,
        description="An older half longer than this is summarised in chunks (user-turn boundaries).",
    )
    compaction_min_messages: int = Field(
        4, alias="compactionMinMessages", ge=2, description="Fewer live messages than this are never compacted."
    )
    context_window_tokens: int = Field(
        200_000,
        alias="contextWindowTokens",
        ge=1_000,
        description="Token budget when the host sends none (tokenBudget).",
    )
    auto_retrieval: bool = Field(
        False,
        alias="autoRetrieval",
        description="Search memory in assemble and add the hits to the prompt (recallPlacement). "
        "Off by default; the plugin's autoRecall hook does the same from before_prompt_build, "
        "which always carries the current user message (benchmarks/turns.py compares them).",
    )
    recall_placement: Literal["prependContext", "systemPrompt"] = Field(
        "prependContext",
        alias="recallPlacement",
        description="Where recalled memories go, for auto-retrieval and the plugin's autoRecall hook: "
        "prependContext (with the current user message, after the cached history: keeps "
        "the prompt cache) or systemPrompt (invalidates the cached history every time the "
        "block changes). Measured by benchmarks/context.py and benchmarks/turns.py.",
    )
    auto_retrieval_timeout_ms: int = Field(
        500,
        alias="autoRetrievalTimeoutMs",
        ge=10,
        le=5_000,
        description="Hard deadline for auto-retrieval; on timeout assemble returns without memory.",
    )
    auto_retrieval_mode: str = Field(
        "lexical",
        alias="autoRetrievalMode",
        pattern="^(lexical|hybrid|vector|default)$",
        description="Search mode for auto-retrieval: lexical (BM25; meets the 50 ms p99 budget at 100k "
        "messages on 2 cores), hybrid (adds a query embedding), or default (search_mode).",
    )
    auto_retrieval_limit: int = Field(
        5, alias="autoRetrievalLimit", ge=1, le=20, description="Most hits in the memory block."
    )
    auto_retrieval_max_chars: int = Field(
        2_000,
        alias="autoRetrievalMaxChars",
        ge=200,
        le=20_000,
        description="Most characters of recalled text in the memory block.",
    )
    transcript_retention_days: int = Field(
        180,
        alias="transcriptRetentionDays",
        ge=0,
        description="Daily markdown files older than this are deleted (0 keeps them forever). "
        "Database rows are kept unless pruned explicitly.",
    )
    collection_name: str = Field(
        "",
        alias="collectionName",
        description="An extra namespace auto-retrieval also reads (Lia's QMD collection); "
        "empty: only the agent's own namespace.",
    )
    daily_timezone: str = Field(
        "local",
        alias="dailyTimezone",
        description="Time zone for daily file names and ## HH:MM headings: 'local', 'UTC' or an "
        "IANA name such as 'Europe/Berlin'.",
    )
    store_heartbeats: bool = Field(False, alias="storeHeartbeats", description="Store and flush heartbeat turns too.")
