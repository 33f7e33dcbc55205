"""Token estimates for OpenClaw messages, without a tokenizer at run time.

A linear model over run-length features of the text's byte classes (lower/upper
letters, digits, punctuation, spaces, newlines, non-ASCII), fitted by least squares
against a real BPE tokenizer (OpenAI ``cl100k_base``) on English chat, English technical
prose and Python/JS code. ``benchmarks/context.py --calibrate`` refits the
coefficients; the same script measures the error on held-out text (README table).
The features are computed with numpy in one pass (about 20 ms for 800 kB), and
per-text results are cached, so re-estimating a long history costs a hash lookup.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

_LOW, _UP, _DIG, _PUN, _SP, _NL, _NA, _SEP = range(8)
_CLASS = np.full(256, _PUN, dtype=np.uint8)
_CLASS[ord("a") : ord("z") + 1] = _LOW
_CLASS[ord("A") : ord("Z") + 1] = _UP
_CLASS[ord("0") : ord("9") + 1] = _DIG
_CLASS[[9, 32]] = _SP
_CLASS[[10, 13]] = _NL
_CLASS[128:] = _NA

FEATURES = (
    "lower_words",
    "upper_runs",
    "upper_extra",
    "long4",
    "long8",
    "digit_groups",
    "punct_runs",
    "punct_chars",
    "newlines",
    "space_runs",
    "space_long",
    "nonascii",
    "const",
)
# Fitted by `benchmarks/context.py --calibrate` against cl100k_base (see module doc).
COEFFICIENTS = np.array([0.828, 0.822, 0.119, 0.266, 0.278, 1.730, 0.546, 0.242, 0.279, 0.955, -0.170, 0.622, 1.041])

MESSAGE_OVERHEAD = 4  # role and separators in a chat template
IMAGE_TOKENS = 1_200  # a typical image block (Anthropic: about width*height/750)
TOOL_CALL_OVERHEAD = 8  # id, type and name wrappers of a tool call


def _feature_matrix(raw: bytes, seg_starts: np.ndarray) -> np.ndarray:
    """Features of every segment of ``raw`` (segments start at ``seg_starts``; the byte
    before each start is a separator, 0xFF, which never occurs in UTF-8, so no run crosses
    segments): shape (segments, features)."""
    n_seg = len(seg_starts)
    out = np.zeros((n_seg, len(FEATURES)))
    out[:, -1] = 1.0
    if not raw:
        return out
    cls = _CLASS[np.frombuffer(raw, dtype=np.uint8)]
    if n_seg > 1:
        cls[seg_starts[1:] - 1] = _SEP
    starts = np.concatenate(([0], np.flatnonzero(cls[1:] != cls[:-1]) + 1))
    lens = np.diff(np.append(starts, len(cls)))
    kind = cls[starts]
    prev = np.concatenate(([_NL], kind[:-1]))
    seg = np.searchsorted(seg_starts, starts, side="right") - 1
    low, up, dig, pun = kind == _LOW, kind == _UP, kind == _DIG, kind == _PUN
    spaces = (kind == _SP) & (lens > 1)
    columns = (
        low & (prev != _UP),
        up,
        np.where(up, lens - 1, 0),
        np.where(low, lens // 4, 0),
        np.where(low, lens // 8, 0),
        np.where(dig, (lens + 2) // 3, 0),
        pun,
        np.where(pun, lens, 0),
        np.where(kind == _NL, lens, 0),
        spaces,
        np.where(spaces, lens // 4, 0),
        np.where(kind == _NA, lens, 0),
    )
    for j, col in enumerate(columns):
        out[:, j] = np.bincount(seg, weights=col.astype(np.float64), minlength=n_seg)
    return out


def features(text: str) -> list[int]:
    """The feature vector of ``text`` (see :data:`FEATURES`)."""
    return [int(v) for v in _feature_matrix(text.encode("utf-8", "replace"), np.array([0]))[0]]


def estimate_many(texts: list[str]) -> list[int]:
    """Estimates for many texts in one vectorised pass."""
    if not texts:
        return []
    encoded = [t.encode("utf-8", "replace") for t in texts]
    lengths = np.array([len(b) + 1 for b in encoded])
    seg_starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    matrix = _feature_matrix(b"\xff".join(encoded), seg_starts)
    values = matrix @ COEFFICIENTS
    out = []
    for text, value in zip(texts, values):
        if not text:
            out.append(0)
        elif len(text) <= 3:
            out.append(1)
        else:
            out.append(max(1, round(float(value))))
    return out


def estimate_text(text: str) -> int:
    """Estimated tokens in ``text`` (0 for the empty string, at least 1 otherwise)."""
    return estimate_many([text])[0]


class TokenEstimator:
    """Estimates for messages, with an LRU cache of per-text counts (bounded by characters)."""

    def __init__(self, max_cached_chars: int = 64_000_000) -> None:
        self._cache: OrderedDict[str, int] = OrderedDict()
        self._chars = 0
        self._max = max_cached_chars
        self._lock = threading.Lock()

    def text(self, text: str) -> int:
        return self.many([text])[0]

    def many(self, texts: list[str]) -> list[int]:
        """Estimates for ``texts``; texts of 16+ characters are cached, misses are estimated in one pass."""
        out: list[int | None] = [None] * len(texts)
        missing: list[int] = []
        with self._lock:
            for i, text in enumerate(texts):
                if len(text) >= 16:
                    hit = self._cache.get(text)
                    if hit is not None:
                        self._cache.move_to_end(text)
                        out[i] = hit
                        continue
                missing.append(i)
        if missing:
            values = estimate_many([texts[i] for i in missing])
            with self._lock:
                for i, value in zip(missing, values):
                    out[i] = value
                    text = texts[i]
                    if 16 <= len(text) <= self._max // 4 and text not in self._cache:
                        self._cache[text] = value
                        self._chars += len(text)
                while self._chars > self._max:
                    old, _ = self._cache.popitem(last=False)
                    self._chars -= len(old)
        return [v or 0 for v in out]

    @staticmethod
    def _parts(message: Mapping[str, Any]) -> tuple[int, list[str]]:
        """(fixed tokens, texts to estimate) of one OpenClaw message."""
        fixed = MESSAGE_OVERHEAD
        content = message.get("content")
        if isinstance(content, str):
            return fixed, [content]
        texts: list[str] = []
        for block in content if isinstance(content, list) else ():
            if not isinstance(block, Mapping):
                continue
            kind = block.get("type")
            if kind == "text":
                texts.append(str(block.get("text") or ""))
            elif kind == "thinking":
                texts.append(str(block.get("thinking") or ""))
            elif kind == "toolCall":
                args = block.get("arguments")
                fixed += TOOL_CALL_OVERHEAD
                texts.append(str(block.get("name") or ""))
                texts.append(args if isinstance(args, str) else json.dumps(args, ensure_ascii=False, default=str))
            elif kind == "image":
                fixed += IMAGE_TOKENS
            else:
                texts.append(json.dumps(block, ensure_ascii=False, default=str))
        return fixed, texts

    def message(self, message: Mapping[str, Any]) -> int:
        """Tokens of one OpenClaw message: its text, thinking and tool-call blocks, images."""
        fixed, texts = self._parts(message)
        return fixed + sum(self.many(texts))

    def messages(self, messages: Iterable[Mapping[str, Any]]) -> int:
        """Tokens of a message list (one vectorised pass over the texts not cached yet)."""
        fixed = 0
        texts: list[str] = []
        for message in messages:
            f, t = self._parts(message)
            fixed += f
            texts += t
        return fixed + sum(self.many(texts))
