"""A minimal chat-completion client for two wire formats.

- ``openai``: any OpenAI-compatible ``POST {base_url}/chat/completions`` (base URL ends
  in ``/v1``: OpenAI, vLLM, llama.cpp, Ollama, LM Studio, OpenRouter, …).
- ``anthropic``: ``POST {base_url}/v1/messages`` (Anthropic's Messages API).

Every call has a hard wall-clock limit (connect + read + the whole body), never
retries on its own and turns every failure into :class:`LLMError`, so callers can
fall back to their offline path in one ``except``.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

import httpx

from ..errors import Unavailable

PROVIDERS = ("openai", "anthropic")
ANTHROPIC_VERSION = "2023-06-01"

# Calls run here so the wall-clock limit holds even if a server trickles its body.
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="clawmemory-llm")


class LLMError(Unavailable):
    """The model could not answer usefully (not configured, timed out, HTTP error, bad body)."""

    code = "llm_unavailable"


@dataclass(frozen=True)
class LLMReply:
    text: str
    model: str
    input_tokens: int | None
    output_tokens: int | None
    elapsed_s: float


class LLMClient:
    """Chat completions against one endpoint.

    ``provider``: ``openai`` or ``anthropic``. ``base_url``: for ``openai`` the URL
    that ``/chat/completions`` hangs off (usually ending ``/v1``); for ``anthropic`` the
    host root (``https://api.anthropic.com``; a trailing ``/v1`` is tolerated).
    ``timeout_s``: default wall-clock limit per call.
    """

    def __init__(
        self,
        provider: str,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if provider not in PROVIDERS:
            raise LLMError(f"llm provider must be one of {PROVIDERS}, not {provider!r}")
        if not base_url:
            raise LLMError("llm base URL is not configured")
        if not model:
            raise LLMError("llm model is not configured")
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.timeout_s = timeout_s
        self._transport = transport

    @classmethod
    def from_settings(cls, settings: Any, *, model: str | None = None) -> LLMClient | None:
        """The client described by ``settings.llm_*``; None when ``llm_provider`` is ``none``."""
        if getattr(settings, "llm_provider", "none") == "none":
            return None
        return cls(
            settings.llm_provider,
            settings.llm_base_url,
            model or settings.llm_model,
            api_key=settings.llm_api_key,
            timeout_s=settings.llm_timeout_s,
        )

    def complete(
        self,
        system: str,
        prompt: str,
        *,
        max_tokens: int = 2048,
        temperature: float = 0.2,
        timeout_s: float | None = None,
        json_mode: bool = False,
    ) -> LLMReply:
        """One completion: ``system`` instructions, one user ``prompt``; returns the text.

        ``json_mode`` asks an OpenAI-compatible server for a JSON object (ignored by
        Anthropic, whose prompt should say so). Raises :class:`LLMError` on any failure.
        """
        limit = self.timeout_s if timeout_s is None else timeout_s
        if limit <= 0:
            raise LLMError("no time left for the llm call")
        url, headers, body = (self._openai if self.provider == "openai" else self._anthropic)(
            system, prompt, max_tokens, temperature, json_mode
        )
        start = time.monotonic()
        future = _POOL.submit(self._post, url, headers, body, limit)
        try:
            status, raw = future.result(timeout=limit + 0.25)
        except FutureTimeout as exc:
            future.cancel()
            raise LLMError(f"llm call exceeded {limit:.1f} s") from exc
        elapsed = time.monotonic() - start
        if status != 200:
            raise LLMError(f"llm endpoint answered HTTP {status}: {raw[:300]!r}")
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise LLMError("llm endpoint answered with a body that is not JSON") from exc
        if not isinstance(data, dict):
            raise LLMError("llm endpoint answered with JSON that is not an object")
        parse = self._parse_openai if self.provider == "openai" else self._parse_anthropic
        try:
            text, usage_in, usage_out = parse(data)
        except (KeyError, IndexError, TypeError) as exc:
            raise LLMError(f"unexpected llm response shape: {str(data)[:300]}") from exc
        if not isinstance(text, str) or not text.strip():
            raise LLMError("llm returned an empty answer")
        return LLMReply(text, str(data.get("model") or self.model), usage_in, usage_out, elapsed)

    def _post(self, url: str, headers: dict[str, str], body: dict[str, Any], limit: float) -> tuple[int, bytes]:
        timeout = httpx.Timeout(limit, connect=min(limit, 5.0))
        try:
            with httpx.Client(timeout=timeout, transport=self._transport) as client:
                response = client.post(url, json=body, headers=headers)
                return response.status_code, response.content
        except httpx.TimeoutException as exc:
            raise LLMError(f"llm call timed out after {limit:.1f} s") from exc
        except httpx.HTTPError as exc:
            raise LLMError(f"llm endpoint unreachable: {exc}") from exc

    # -- wire formats -------------------------------------------------------------------

    def _openai(
        self, system: str, prompt: str, max_tokens: int, temperature: float, json_mode: bool
    ) -> tuple[str, dict[str, str], dict[str, Any]]:
        headers = {"content-type": "application/json"}
        if self.api_key:
            headers["authorization"] = f"Bearer {self.api_key}"
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": prompt}],
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": False,
        }
        if json_mode:
            body["response_format"] = {"type": "json_object"}
        return f"{self.base_url}/chat/completions", headers, body

    def _anthropic(
        self, system: str, prompt: str, max_tokens: int, temperature: float, json_mode: bool
    ) -> tuple[str, dict[str, str], dict[str, Any]]:
        headers = {"content-type": "application/json", "anthropic-version": ANTHROPIC_VERSION}
        if self.api_key:
            headers["x-api-key"] = self.api_key
        base = self.base_url[:-3] if self.base_url.endswith("/v1") else self.base_url
        body = {
            "model": self.model,
            "system": system,
            "messages": [{"role": "user", "content": prompt}],
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        return f"{base}/v1/messages", headers, body

    @staticmethod
    def _parse_openai(data: dict[str, Any]) -> tuple[str, int | None, int | None]:
        content = data["choices"][0]["message"]["content"]
        if isinstance(content, list):  # some servers return content parts
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        usage = data.get("usage") or {}
        return content, usage.get("prompt_tokens"), usage.get("completion_tokens")

    @staticmethod
    def _parse_anthropic(data: dict[str, Any]) -> tuple[str, int | None, int | None]:
        text = "".join(b.get("text", "") for b in data["content"] if b.get("type") == "text")
        usage = data.get("usage") or {}
        return text, usage.get("input_tokens"), usage.get("output_tokens")
