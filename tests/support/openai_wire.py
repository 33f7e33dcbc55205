"""OpenAI chat-completions wire format, shared by the scripted model servers in tests.

Bodies (a completion, a stream chunk, the model list), one SSE event, and writing a
response from a ``BaseHTTPRequestHandler``. What each server answers stays its own.
"""

from __future__ import annotations

import json
import time
import uuid
from http.server import BaseHTTPRequestHandler
from typing import Any

USAGE = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}


def new_completion_id() -> tuple[str, int]:
    """(``chatcmpl-…`` id, ``created`` timestamp) for one answer."""
    return "chatcmpl-" + uuid.uuid4().hex[:12], int(time.time())


def completion(cid: str, created: int, model: str, message: dict, finish_reason: str, usage: dict) -> dict:
    """A non-streaming ``chat.completion`` body with one choice."""
    return {
        "id": cid,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": usage,
    }


def completion_chunk(cid: str, created: int, model: str, delta: dict, finish_reason: str | None = None) -> dict:
    """One ``chat.completion.chunk`` of a stream, with one choice."""
    return {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def model_list(model: str) -> dict:
    """The ``GET /v1/models`` body naming one model."""
    return {"object": "list", "data": [{"id": model, "object": "model"}]}


def sse_event(obj: dict | str) -> bytes:
    """One server-sent event: ``data: <json or literal>`` and a blank line."""
    payload = obj if isinstance(obj, str) else json.dumps(obj)
    return f"data: {payload}\n\n".encode()


def send(handler: BaseHTTPRequestHandler, status: int, payload: bytes, content_type: str = "application/json") -> None:
    """A complete response with content-length."""
    handler.send_response(status)
    handler.send_header("content-type", content_type)
    handler.send_header("content-length", str(len(payload)))
    handler.end_headers()
    handler.wfile.write(payload)


def send_json(handler: BaseHTTPRequestHandler, status: int, obj: Any) -> None:
    send(handler, status, json.dumps(obj).encode())
