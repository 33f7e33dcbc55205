"""Our own cross-encoder reranker: a 2-layer MiniLM, int8 ONNX, shipped in ``reranker/``.

It reads "[CLS] query [SEP] snippet [SEP]" and scores how well the snippet answers the query.
Trained by ``scripts/train_reranker.py`` on chit-chat dialogues (MIT), never on LoCoMo, from
all-MiniLM-L6-v2 (Apache-2.0); ``reranker/reranker.json`` records how, and the sha256 of the
weights. :func:`rerank` fuses its scores with the engine's over the best ``depth`` candidates.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ..errors import Unavailable
from ..store import SearchRow

log = logging.getLogger("clawmemory.rerank")

MODEL_DIR = Path(__file__).resolve().parent / "reranker"


class Reranker:
    """The shipped cross-encoder (onnxruntime, int8), loaded once per engine."""

    def __init__(self, path: Path = MODEL_DIR, threads: int | None = None) -> None:
        try:
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - both are declared dependencies
            raise Unavailable(f"reranker needs onnxruntime and tokenizers: {exc}") from exc
        manifest = json.loads((path / "reranker.json").read_text())
        self.max_len = int(manifest["max_len"])
        self.model = f"minilm-ce/{manifest['layers']}L-{manifest['sha256']['model.int8.onnx'][:8]}"
        self._tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self._tokenizer.enable_truncation(self.max_len, strategy="longest_first")
        self._tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or 0
        options.inter_op_num_threads = 1
        # No spin-waiting between runs: on 2 cores it starves the embedder's threads (see __init__).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(
            str(path / "model.int8.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self._lock = threading.Lock()

    def pair_tokens(self, query: str, texts: Sequence[str]) -> list[int]:
        """How many tokens the model reads for each (query, text) pair (after truncation)."""
        return [len(enc.ids) for enc in self._tokenizer.encode_batch([(query, t) for t in texts])]

    def scores(self, query: str, texts: Sequence[str]) -> np.ndarray:
        """One relevance score (a logit) per text; higher is better.

        Each pair runs alone: int8 activations are quantised per tensor, so padding it into a
        batch with others would shift its score (length-sorted groups saved at most ~13% CPU here).
        """
        out = np.zeros(len(texts), dtype=np.float32)
        with self._lock:
            for i, enc in enumerate(self._tokenizer.encode_batch([(query, t) for t in texts])):
                feed = {
                    "input_ids": np.array([enc.ids], dtype=np.int64),
                    "attention_mask": np.ones((1, len(enc.ids)), dtype=np.int64),
                    "token_type_ids": np.array([enc.type_ids], dtype=np.int64),
                }
                out[i] = self._session.run(None, feed)[0][0]
        return out


def rerank(
    fused: dict[int, float], texts: dict[int, str], scores: Sequence[float] | np.ndarray, weight: float
) -> dict[int, float]:
    """Fuse cross-encoder ``scores`` (one per entry of ``texts``, in its order) into ``fused``.

    Each reranked item gains ``weight`` × its z-scored cross-encoder score, in units of the
    spread of the engine's own scores over the same items; the others keep theirs.
    """
    ids = list(texts)
    if len(ids) < 2 or not weight:
        return fused
    ce = np.asarray(scores, dtype=np.float64)
    base = np.array([fused[i] for i in ids])
    spread = float(base.std()) or 1.0
    z = (ce - ce.mean()) / (float(ce.std()) or 1.0)
    out = dict(fused)
    for i, bonus in zip(ids, z):
        out[i] = fused[i] + weight * spread * float(bonus)
    return out


class Reranking:
    """The search hook: rescore the best candidates with the cross-encoder, fail open.

    ``texts`` gives each candidate's text as the model reads it ("Speaker: text" for a message).
    """

    def __init__(
        self, texts: Callable[[list[SearchRow]], dict[int, str]], threads: int | None = None, path: Path = MODEL_DIR
    ) -> None:
        self._texts = texts
        self._threads = threads
        self._path = path
        self._model: Reranker | None = None
        self.error: str | None = None
        self._lock = threading.Lock()

    def model(self) -> Reranker | None:
        """The cross-encoder (loaded on first use), or None when it failed to load."""
        if self._model is None and self.error is None:
            with self._lock:
                if self._model is None and self.error is None:
                    try:
                        self._model = Reranker(self._path, threads=self._threads)
                    except Exception as exc:
                        self.error = str(exc)
                        log.warning("reranker unavailable (%s); search keeps the engine's order", exc)
        return self._model

    def __call__(
        self, query: str, fused: dict[int, float], rows: dict[int, SearchRow], weight: float, depth: int
    ) -> dict[int, float]:
        """``fused`` with its best ``depth`` items rescored (see :func:`rerank`)."""
        if not weight or depth < 2 or not query.strip() or (model := self.model()) is None:
            return fused
        best = [i for i in sorted(fused, key=fused.__getitem__, reverse=True) if i in rows][:depth]
        try:
            texts = self._texts([rows[i] for i in best])
            texts = {i: texts[i] for i in best if i in texts}
            return rerank(fused, texts, model.scores(query, list(texts.values())), weight)
        except Exception as exc:  # fail open: a broken model never breaks search
            log.warning("rerank failed, keeping the engine's order: %s", exc)
            return fused
