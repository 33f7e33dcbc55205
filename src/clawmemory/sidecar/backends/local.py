"""Shared by the local backends (kv-prefix, delta-mem): prompt rendering for models
without a chat template, OpenAI response shapes, and relaying a generator that runs in a
worker thread as a real SSE stream (each piece is sent when it is generated)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse, Response, StreamingResponse

from ..intake import Snippet
from ..render import memory_block
from ..routing import text_of

IGNORED_FIELDS = ("tools", "tool_choice", "functions", "function_call", "response_format", "logit_bias", "n")


@dataclass
class Piece:
    """One generated piece of text; the last one carries ``finish_reason`` and token counts."""

    text: str
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0


def memory_prefix(snippets: Sequence[Snippet]) -> str:
    """The memory block as the first text the model reads (empty without snippets)."""
    block = memory_block(snippets)
    return f"{block}\n\n" if block else ""


def render_plain(messages: list[dict[str, Any]], fmt: str = "plain") -> str:
    """``plain``: ``role: content`` lines ending in ``assistant:``; ``raw``: the contents
    joined by newlines (completion-style prompts for base models)."""
    if fmt == "raw":
        return "\n".join(text_of(m.get("content")) for m in messages)
    lines = [f"{m.get('role', 'user')}: {text_of(m.get('content'))}" for m in messages]
    return "\n".join(lines) + "\nassistant:"


def ignored(body: dict[str, Any]) -> list[str]:
    """Request fields a local backend cannot honour (reported in a header, not an error)."""
    return [f for f in IGNORED_FIELDS if body.get(f) not in (None, [], "auto", 1)]


def completion(model: str, text: str, finish: str, prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    return {
        "id": "chatcmpl-" + uuid.uuid4().hex[:24],
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _chunk(cid: str, created: int, model: str, delta: dict, finish: str | None) -> bytes:
    obj = {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(obj, ensure_ascii=False).encode() + b"\n\n"


async def _thread_pieces(make: Callable[[], Iterator[Piece]]) -> AsyncIterator[Piece]:
    """Run ``make()`` in a thread and yield its pieces here as they are produced."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()
    done = object()
    stop = threading.Event()

    def work() -> None:
        try:
            for piece in make():
                loop.call_soon_threadsafe(queue.put_nowait, piece)
                if stop.is_set():
                    break
        except BaseException as exc:  # noqa: BLE001 - handed to the event loop
            loop.call_soon_threadsafe(queue.put_nowait, exc)
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, done)

    threading.Thread(target=work, name="sidecar-generate", daemon=True).start()
    try:
        while True:
            item = await queue.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()


async def respond(
    model: str, stream: bool, make: Callable[[], Iterator[Piece]], headers: dict[str, str] | None = None
) -> Response:
    """A JSON completion or an SSE stream from a generator of :class:`Piece`."""
    if not stream:
        texts, last = [], Piece("")
        async for piece in _thread_pieces(make):
            texts.append(piece.text)
            last = piece
        return JSONResponse(
            completion(model, "".join(texts), last.finish_reason or "stop", last.prompt_tokens, last.completion_tokens),
            headers=headers,
        )

    async def sse() -> AsyncIterator[bytes]:
        cid, created = "chatcmpl-" + uuid.uuid4().hex[:24], int(time.time())
        yield _chunk(cid, created, model, {"role": "assistant", "content": ""}, None)
        last = Piece("")
        try:
            async for piece in _thread_pieces(make):
                if piece.text:
                    yield _chunk(cid, created, model, {"content": piece.text}, None)
                last = piece
        except Exception as exc:  # noqa: BLE001 - the status line is already sent
            err = {"error": {"message": str(exc), "type": "api_error", "param": None, "code": "generation_failed"}}
            yield b"data: " + json.dumps(err).encode() + b"\n\n"
            return
        yield _chunk(cid, created, model, {}, last.finish_reason or "stop")
        usage = {
            "prompt_tokens": last.prompt_tokens,
            "completion_tokens": last.completion_tokens,
            "total_tokens": last.prompt_tokens + last.completion_tokens,
        }
        yield (
            b"data: "
            + json.dumps(
                {
                    "id": cid,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [],
                    "usage": usage,
                }
            ).encode()
            + b"\n\n"
        )
        yield b"data: [DONE]\n\n"

    return StreamingResponse(
        sse(), media_type="text/event-stream", headers={"cache-control": "no-cache", **(headers or {})}
    )
