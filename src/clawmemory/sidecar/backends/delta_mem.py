"""``delta-mem``: our PyTorch implementation of the gated delta-rule memory (``delta_model``)
on a local base model, with a real adapter (``delta_mem_config.json`` + ``delta_mem_adapter.pt``)
and one δ-state per session.

Per session we keep the δ-state (``r × r`` per layer), the token ids already read and their KV
cache. A turn: (1) snippets the session has not seen yet are written into the state in a
separate pass whose KV is dropped (the "history only in the state" regime the adapter was
trained for); (2) the visible conversation, rendered with the tokenizer's chat template, is
compared with what the session already read and only the new suffix is fed (a divergent
transcript is re-read from the post-snippet state); (3) the answer is generated, each token
written into the state. Requests are serialised: the state lives on the model's modules.

The released adapter targets ``Qwen/Qwen3-4B-Instruct-2507``; both must be local files (this
backend never downloads). It is tested here on a tiny random model with a synthetic adapter.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from ...errors import InvalidInput, Unavailable
from ..errors import SidecarError
from ..intake import Snippet
from ..sessions import Session
from ..settings import SidecarSettings
from .base import ChatTurn
from .delta_config import ADAPTER_FILE, CONFIG_FILE
from .local import Piece, ignored, memory_prefix, render_plain, respond

if TYPE_CHECKING:
    from .delta_model import DeltaMem

TORCH_HINT = "the delta-mem backend needs torch and transformers: pip install 'clawmemory[delta]'"


@dataclass
class DeltaState:
    """One session's δ-state, plus what it has read."""

    base: list[Any] | None = None  # state after the snippets only (re-read point on divergence)
    state: list[Any] | None = None  # state after snippets + conversation so far
    ids: list[int] = field(default_factory=list)
    cache: Any = None  # the KV cache for ``ids``
    written: set[str] = field(default_factory=set)

    @property
    def nbytes(self) -> int:
        from .delta_model import DeltaMem

        kv = 0
        if self.cache is not None:
            import torch

            for t in _cache_tensors(self.cache):
                if isinstance(t, torch.Tensor):
                    kv += t.numel() * t.element_size()
        return DeltaMem.state_bytes(self.base) + DeltaMem.state_bytes(self.state) + kv + 8 * len(self.ids)


def _cache_tensors(cache: Any) -> Iterator[Any]:
    layers = getattr(cache, "layers", None)
    if layers is not None:
        for layer in layers:
            yield getattr(layer, "keys", None)
            yield getattr(layer, "values", None)
    else:
        yield from getattr(cache, "key_cache", [])
        yield from getattr(cache, "value_cache", [])


class DeltaMemBackend:
    name = "delta-mem"
    mechanism = "delta-state"

    def __init__(self, settings: SidecarSettings, *, model: Any = None, tokenizer: Any = None) -> None:
        self.settings = settings
        base = settings.base_model_dir
        self.model_id = settings.model or (f"{Path(base).name}+delta-mem" if base else "delta-mem")
        self.model, self.tokenizer = model, tokenizer
        self.mem: DeltaMem | None = None
        self.adapter: dict[str, Any] | None = None
        self.lock = threading.Lock()
        self.last: dict[str, Any] = {}

    # -- lifecycle ------------------------------------------------------------------------

    def load(self) -> None:
        """Import torch/transformers, check the adapter files, load the base model, attach."""
        if self.mem is not None:
            return
        try:
            import torch  # noqa: F401
            import transformers  # noqa: F401
        except ImportError as exc:
            raise Unavailable(TORCH_HINT) from exc
        from .delta_model import DeltaMem, load_adapter_files

        s = self.settings
        if not s.adapter_dir:
            raise InvalidInput(
                f"the delta-mem backend needs --adapter-dir (with {CONFIG_FILE} and {ADAPTER_FILE})",
                field="adapter_dir",
            )
        cfg, sd = load_adapter_files(s.adapter_dir)  # before the slow model load: fail fast
        if self.model is None:
            self.model, self.tokenizer = self._load_base()
        self.mem = mem = DeltaMem.attach(self.model, cfg, sd)
        digest = hashlib.sha256((Path(s.adapter_dir) / ADAPTER_FILE).read_bytes()).hexdigest()
        self.adapter = {
            "path": str(s.adapter_dir),
            "sha256": digest,
            "config": cfg.to_dict(),
            "layers": len(mem.layers),
        }

    def _load_base(self) -> tuple[Any, Any]:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        s = self.settings
        base = s.base_model_dir
        if not base or not (Path(base) / "config.json").is_file():
            raise Unavailable(
                f"base_model_dir {base} must be a local model dir with config.json and weights "
                "(e.g. Qwen3-4B-Instruct-2507 for the released adapter); nothing is downloaded"
            )
        dtype = getattr(torch, s.dtype)
        model = AutoModelForCausalLM.from_pretrained(base, local_files_only=True, dtype=dtype)
        model = model.to(s.device).eval()  # type: ignore[arg-type]  # transformers types .to() as a decorator
        tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
        return model, tokenizer

    async def start(self) -> None:
        self.load()

    async def close(self) -> None:
        pass

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "mechanism": self.mechanism,
            "what": (
                "δ-state: a gated delta-rule associative memory (an r×r matrix per attention layer, "
                "updated on every token) steers the model's queries and attention output through a trained "
                "adapter. Snippets are written into the session's δ-state, not shown to the model as text. "
                "It is attention steering, not verbatim recall."
            ),
            "adapter": self.adapter,
            "base_model": str(self.settings.base_model_dir) if self.settings.base_model_dir else None,
            "device": self.settings.device,
        }

    def drop_session(self, session: Session) -> None:
        session.backend_state = None

    # -- the model ------------------------------------------------------------------------

    def _encode(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def prompt_ids(self, messages: list[dict[str, Any]]) -> list[int]:
        if getattr(self.tokenizer, "chat_template", None):
            from ..routing import text_of

            plain = [{"role": m.get("role", "user"), "content": text_of(m.get("content"))} for m in messages]
            text = self.tokenizer.apply_chat_template(plain, add_generation_prompt=True, tokenize=False)
            return self._encode(text)
        return self._encode(render_plain(messages, self.settings.chat_format))

    def _forward(self, ids: list[int], cache: Any) -> tuple[Any, Any]:
        import torch

        x = torch.tensor([ids], device=self.settings.device)
        with torch.inference_mode():
            out = self.model(input_ids=x, past_key_values=cache, use_cache=True)
        return out.logits[0, -1], out.past_key_values

    def write_snippets(self, state: DeltaState, snippets: Sequence[Snippet]) -> int:
        """Write the snippets the session has not seen into its δ-state (KV dropped)."""
        new = [s for s in snippets if s.key not in state.written]
        if not new:
            return 0
        ids = self._encode(memory_prefix(new))
        for target in ("base", "state"):
            self._attached().set_state(getattr(state, target))
            self._forward(ids, None)
            setattr(state, target, self._attached().get_state())
        state.written.update(s.key for s in new)
        return len(ids)

    def generate(self, turn: ChatTurn, prompt: list[int]) -> Iterator[Piece]:
        import torch

        body = turn.body
        max_tokens = turn.max_tokens or 256
        temperature = float(body.get("temperature", 0.0) or 0.0)
        stops = body.get("stop") or []
        stops = [stops] if isinstance(stops, str) else list(stops)
        eos = getattr(self.tokenizer, "eos_token_id", None)
        with self.lock:
            t0 = time.perf_counter()
            session = turn.session
            state = DeltaState() if session is None or session.backend_state is None else session.backend_state
            preload = self.write_snippets(state, turn.snippets)
            n = len(state.ids)
            if state.cache is not None and n and prompt[:n] == state.ids and len(prompt) > n:
                self._attached().set_state(state.state)
                logits, cache = self._forward(prompt[n:], state.cache)
                reused = n
            else:  # new session, or the transcript diverged: re-read it from the post-snippet state
                self._attached().set_state(state.base)
                logits, cache = self._forward(prompt, None)
                reused = 0
            ids = list(prompt)
            out: list[int] = []
            text_so_far = ""
            gen = torch.Generator().manual_seed(int(body.get("seed", 0)))
            finish = "length"
            for _ in range(max_tokens):
                if temperature > 0:
                    probs = torch.softmax(logits.float() / temperature, dim=-1)
                    nxt = int(torch.multinomial(probs, 1, generator=gen))
                else:
                    nxt = int(torch.argmax(logits))
                if eos is not None and nxt == eos:
                    finish = "stop"
                    break
                out.append(nxt)
                text = self.tokenizer.decode(out, skip_special_tokens=True)
                hit = next((s for s in stops if s and s in text), None)
                if hit is not None:
                    text = text[: text.index(hit)]
                    if len(text) > len(text_so_far):
                        yield Piece(text[len(text_so_far) :])
                    finish = "stop"
                    break
                if len(text) > len(text_so_far) and not text.endswith("\ufffd"):
                    yield Piece(text[len(text_so_far) :])
                    text_so_far = text
                logits, cache = self._forward([nxt], cache)  # every token is written (TSW)
                ids.append(nxt)
            if session is not None:
                state.state, state.ids, state.cache = self._attached().get_state(), ids, cache
                session.backend_state = state
            self.last = {
                "preload_tokens": preload,
                "reused_tokens": reused,
                "ms": round((time.perf_counter() - t0) * 1000, 1),
            }
            yield Piece("", finish_reason=finish, prompt_tokens=len(prompt), completion_tokens=len(out))

    def _attached(self) -> DeltaMem:
        if self.mem is None:
            raise SidecarError(503, "delta-mem backend is not loaded", type="api_error", code="backend_unavailable")
        return self.mem

    async def chat(self, turn: ChatTurn) -> Response:
        self._attached()
        prompt = self.prompt_ids(turn.body["messages"])
        skipped = ignored(turn.body)
        if skipped:
            turn.extra_headers["x-delta-mem-ignored-fields"] = ",".join(skipped)
        return await respond(self.model_id, turn.stream, lambda: self.generate(turn, prompt))
