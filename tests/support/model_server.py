"""A scripted LLM server on loopback, speaking both OpenAI's ``/v1/chat/completions`` and
Anthropic's ``/v1/messages`` (non-streaming JSON, plus SSE for OpenAI ``stream: true``).

Reusable by any test that needs a model stand-in: queue replies, or give a function.

    with ModelServer() as server:
        server.reply("hello")                       # next answer's text
        server.reply(status=500)                    # next answer is an HTTP error
        server.reply("late", delay=5)               # next answer after 5 s
        server.responder = lambda req: Reply(text=json.dumps({...}))   # computed answers
        client = LLMClient("openai", server.openai_url, "fake", timeout_s=2)
        ...
        server.requests        # every request: {"path", "headers", "body"}

``POST /v1/embeddings`` answers with :func:`hashed_embedding` vectors (while ``embeddings_up``).

When the queue is empty and no responder is set, the answer is ``default_text``.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from support.openai_wire import completion, send, sse_event


@dataclass
class Reply:
    text: str = "ok"
    status: int = 200
    delay: float = 0.0
    raw: bytes | None = None  # send these bytes as the body instead of a well-formed answer


def hashed_embedding(text: str, dim: int = 32) -> list[float]:
    """A deterministic bag-of-words vector: texts sharing words point the same way."""
    vector = [0.0] * dim
    for word in text.lower().split():
        vector[sum(word.encode()) % dim] += 1.0
    return vector


class ModelServer:
    def __init__(self, default_text: str = "ok", model: str = "scripted-model") -> None:
        self.default_text = default_text
        self.model = model
        self.queue: deque[Reply] = deque()
        self.responder: Callable[[dict[str, Any]], Reply] | None = None
        self.requests: list[dict[str, Any]] = []
        self.embeddings_up = True  # answer /v1/embeddings (set False to make it fail)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- script ---------------------------------------------------------------------------

    def reply(self, text: str = "ok", *, status: int = 200, delay: float = 0.0, raw: bytes | None = None) -> None:
        self.queue.append(Reply(text, status, delay, raw))

    def _next(self, request: dict[str, Any]) -> Reply:
        with self._lock:
            if self.queue:
                return self.queue.popleft()
        if self.responder is not None:
            return self.responder(request)
        return Reply(self.default_text)

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def openai_url(self) -> str:
        return f"{self.url}/v1"

    def start(self) -> ModelServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_unparsed": raw.decode("utf-8", "replace")}
                request = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                with owner._lock:
                    owner.requests.append(request)
                if self.path == "/v1/embeddings" and owner.embeddings_up:
                    inputs = body.get("input", [])
                    inputs = [inputs] if isinstance(inputs, str) else inputs
                    data = [
                        {"object": "embedding", "index": i, "embedding": hashed_embedding(t)}
                        for i, t in enumerate(inputs)
                    ]
                    self._send(200, json.dumps({"object": "list", "data": data, "model": body.get("model")}).encode())
                    return
                if self.path not in ("/v1/chat/completions", "/v1/messages"):
                    self._send(404, b'{"error": "not found"}')
                    return
                reply = owner._next(request)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.raw is not None:
                    self._send(reply.status, reply.raw)
                elif reply.status != 200:
                    self._send(reply.status, json.dumps({"error": {"message": "scripted failure"}}).encode())
                elif self.path == "/v1/messages":
                    self._send(200, json.dumps(owner._anthropic(reply.text)).encode())
                elif body.get("stream"):
                    self._stream(reply.text)
                else:
                    self._send(200, json.dumps(owner._openai(reply.text)).encode())

            def _send(self, status: int, payload: bytes, kind: str = "application/json") -> None:
                try:
                    send(self, status, payload, kind)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def _stream(self, text: str) -> None:
                chunks = [
                    {"choices": [{"index": 0, "delta": {"role": "assistant", "content": text}}]},
                    {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
                ]
                payload = b"".join(sse_event(c) for c in chunks) + sse_event("[DONE]")
                self._send(200, payload, "text/event-stream")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- wire formats ---------------------------------------------------------------------

    def _openai(self, text: str) -> dict[str, Any]:
        return completion(
            "chatcmpl-scripted",
            int(time.time()),
            self.model,
            {"role": "assistant", "content": text},
            "stop",
            {
                "prompt_tokens": 10,
                "completion_tokens": max(1, len(text) // 4),
                "total_tokens": 10 + max(1, len(text) // 4),
            },
        )

    def _anthropic(self, text: str) -> dict[str, Any]:
        return {
            "id": "msg_scripted",
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 10, "output_tokens": max(1, len(text) // 4)},
        }
