"""The sidecar's settings: defaults, then ``sidecar.toml`` in the data dir, then
``CLAWMEMORY_SIDECAR_*`` environment variables, then explicit overrides (CLI flags).

They are kept apart from the engine's :class:`~clawmemory.settings.Settings` because the
sidecar is its own process with its own port, and because its knobs (an upstream URL,
model files, session caps) mean nothing to the daemon.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from ..errors import InvalidInput
from ..settings import resolve_home, token_file

CONFIG_FILE = "sidecar.toml"
ENV_PREFIX = "CLAWMEMORY_SIDECAR_"

Backend = Literal["proxy", "kv-prefix", "delta-mem"]


class SidecarSettings(BaseSettings):
    """Every knob of ``clawmemory sidecar serve``. Field names double as ``sidecar.toml`` keys."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid")

    home: Path = Field(Path("~/.clawmemory"), description="Data dir: the engine's database and token.")
    host: str = Field("127.0.0.1", description="Address the sidecar binds to.")
    port: int = Field(7412, ge=0, le=65535, description="Port the sidecar listens on.")
    allow_remote: bool = Field(False, description="Permit binding a non-loopback address.")
    auth: bool = Field(True, description="Require the data dir's bearer token on /v1 and /delta routes.")
    backend: Backend = Field("proxy", description="proxy | kv-prefix | delta-mem.")
    model: str | None = Field(None, description="Model id the sidecar advertises (default per backend).")
    max_body_bytes: int = Field(16 * 1024 * 1024, ge=1024, description="Largest accepted request body.")
    require_session_key: bool = Field(False, description="Refuse requests that name no session (400).")

    # proxy
    upstream_base_url: str = Field("http://127.0.0.1:8080/v1", description="OpenAI-compatible upstream, ending in /v1.")
    upstream_api_key: str | None = Field(None, description="Key sent upstream (else the client's Authorization).")
    upstream_model: str | None = Field(None, description="Model name sent upstream (default: the request's).")
    upstream_timeout_s: float = Field(600.0, gt=0, description="Read timeout for one upstream response.")
    max_tokens_field: Literal["keep", "max_tokens", "max_completion_tokens"] = Field(
        "keep", description="Rename the token limit for upstreams that know only one of the two names."
    )

    # attention state / retrieval
    namespace: str | None = Field(None, description="Namespace the sidecar retrieves from (default: the engine's).")
    retrieve: bool = Field(True, description="Retrieve snippets from the engine when a request brings none.")
    retrieve_limit: int = Field(6, ge=1, le=50, description="Snippets retrieved per turn.")
    retrieve_timeout_s: float = Field(1.0, gt=0, description="Budget for one retrieval; past it, fail open.")
    qmd_url: str | None = Field(None, description="QMD daemon base URL (its REST /query); off when unset.")
    qmd_search_type: Literal["lex", "vec", "hyde"] = Field("lex", description="QMD search type (lex needs no model).")
    qmd_collections: list[str] = Field(default_factory=list, description="QMD collections to search (default: all).")
    qmd_timeout_s: float = Field(3.0, gt=0, description="Timeout for one QMD call.")
    snippet_max_chars: int = Field(1200, ge=32, description="Longest snippet kept (longer ones are cut).")
    session_max_snippets: int = Field(24, ge=1, description="Snippets a session keeps (oldest dropped first).")
    session_max_chars: int = Field(12_000, ge=256, description="Characters of snippets a session keeps.")

    # sessions
    max_sessions: int = Field(256, ge=1, description="Sessions held at once (least recently used evicted).")
    session_ttl_s: float = Field(6 * 3600.0, gt=0, description="Idle time after which a session is dropped.")
    max_session_bytes: int = Field(1024 * 1024 * 1024, ge=1024, description="Memory all sessions may hold together.")

    # kv-prefix (llama.cpp)
    preset: Literal["smoke", "custom"] = Field(
        "smoke", description="smoke: Gemma 3 270M from PyPI; custom: model_path."
    )
    model_path: Path | None = Field(None, description="GGUF file for preset=custom.")
    n_ctx: int = Field(8192, ge=256, description="Context length of the llama.cpp context.")
    n_threads: int | None = Field(None, ge=1, description="CPU threads for llama.cpp (default: all cores).")
    n_batch: int = Field(512, ge=8, description="llama.cpp batch size.")
    allow_download: bool = Field(False, description="Permit installing the smoke model package from PyPI.")
    chat_format: Literal["plain", "raw"] = Field(
        "plain", description="Local prompt format: plain 'role: content' lines, or raw contents (base models)."
    )

    # delta-mem (PyTorch)
    adapter_dir: Path | None = Field(None, description="Dir with delta_mem_config.json + delta_mem_adapter.pt.")
    base_model_dir: Path | None = Field(None, description="Local dir of the base model (transformers format).")
    device: str = Field("cpu", description="torch device for the delta-mem backend.")
    dtype: Literal["float32", "bfloat16", "float16"] = Field("float32", description="torch dtype for delta-mem.")

    @property
    def token_path(self) -> Path:
        return token_file(self.home)

    @property
    def config_path(self) -> Path:
        return self.home / CONFIG_FILE

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def load_sidecar_settings(home: str | Path | None = None, **overrides: Any) -> SidecarSettings:
    """Build :class:`SidecarSettings`: defaults, ``sidecar.toml``, environment, then
    ``overrides`` (``None`` values are ignored so CLI flags pass through unconditionally)."""
    data_dir = resolve_home(home)
    path = data_dir / CONFIG_FILE
    file_values: dict[str, Any] = {}
    if path.exists():
        try:
            file_values = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput(f"{path}: {exc}", field=CONFIG_FILE) from exc
    file_values = {k: v for k, v in file_values.items() if f"{ENV_PREFIX}{k.upper()}" not in os.environ}
    unknown = sorted(set(file_values) - set(SidecarSettings.model_fields))
    if unknown:
        raise InvalidInput(f"{path}: unknown setting {unknown[0]!r}", field=unknown[0])
    explicit = {k: v for k, v in overrides.items() if v is not None}
    try:
        return SidecarSettings(**{**file_values, **explicit, "home": data_dir})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        raise InvalidInput(f"sidecar setting {field}: {first['msg']}", field=field) from exc
