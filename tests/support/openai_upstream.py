"""A scripted OpenAI-compatible upstream on 127.0.0.1 for the sidecar's tests and benchmark.

It answers ``POST /v1/chat/completions`` (JSON, or SSE when ``stream`` is true) and
``GET /v1/models``, records every request (path, headers, parsed body), and can be told to:

- ``reply``: a function ``body -> text`` (default: ``"echo: <last user text>"``);
- ``chunks``: how many SSE content chunks to split the reply into, ``chunk_delay`` between them;
- ``gate``: a ``threading.Event``: after the first content chunk the stream waits for it (up to
  ``gate_timeout``), so a test can prove that chunk reached the client before the upstream
  finished; ``finished`` is set when a stream's answer has been written (just before ``[DONE]``);
- ``fail``: ``(status, body_bytes)`` to answer every chat request with an error;
- ``break_stream``: drop the connection after the first chunk.

The e2e suite has its own tool-directive model (``tests/e2e/fake_model.py``); this one is
for byte-level proxy behaviour.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from support.openai_wire import (
    USAGE,
    completion,
    completion_chunk,
    model_list,
    new_completion_id,
    send,
    send_json,
    sse_event,
)

MODEL = "scripted-upstream"


def last_user_text(body: dict) -> str:
    for m in reversed(body.get("messages") or []):
        if m.get("role") == "user":
            c = m.get("content")
            return c if isinstance(c, str) else " ".join(p.get("text", "") for p in c if isinstance(p, dict))
    return ""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: ScriptedUpstream

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            return send_json(self, 200, model_list(MODEL))
        send_json(self, 404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        body = json.loads(raw or b"{}")
        srv = self.server
        srv.record({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
        if srv.fail is not None:
            status, payload = srv.fail
            return send(self, status, payload)
        text = srv.reply(body)
        cid, created = new_completion_id()
        if not body.get("stream"):
            return send_json(
                self, 200, completion(cid, created, MODEL, {"role": "assistant", "content": text}, "stop", USAGE)
            )
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")  # as llama.cpp and vLLM send it
        self.end_headers()

        def event(obj: dict | str) -> None:
            data = sse_event(obj)
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def chunk(delta: dict, finish: str | None = None) -> None:
            event(completion_chunk(cid, created, MODEL, delta, finish))

        n = max(1, srv.chunks)
        size = max(1, -(-len(text) // n))
        pieces = [text[i : i + size] for i in range(0, len(text), size)] or [""]
        chunk({"role": "assistant", "content": ""})
        for i, piece in enumerate(pieces):
            chunk({"content": piece})
            if i == 0:
                if srv.break_stream:  # the connection drops mid-body: no terminating chunk
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if srv.gate is not None:
                    srv.gate.wait(srv.gate_timeout)
            if srv.chunk_delay:
                time.sleep(srv.chunk_delay)
        chunk({}, "stop")
        srv.finished.set()  # before the last bytes, so a client that has them all sees it set
        event("[DONE]")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class ScriptedUpstream(ThreadingHTTPServer):
    """Use as a context manager; ``base_url`` ends in ``/v1``."""

    daemon_threads = True

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.requests: list[dict] = []
        self.reply: Callable[[dict], str] = lambda body: "echo: " + last_user_text(body)
        self.chunks = 3
        self.chunk_delay = 0.0
        self.gate: threading.Event | None = None
        self.gate_timeout = 10.0
        self.finished = threading.Event()
        self.fail: tuple[int, bytes] | None = None
        self.break_stream = False
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def record(self, entry: dict) -> None:
        with self._lock:
            self.requests.append(entry)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
        self.reply = lambda body: "echo: " + last_user_text(body)
        self.chunks, self.chunk_delay, self.gate, self.fail, self.break_stream = 3, 0.0, None, None, False
        self.finished.clear()

    def __enter__(self) -> ScriptedUpstream:
        threading.Thread(target=self.serve_forever, name="scripted-upstream", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


def main() -> None:
    """Run standalone (for benchmarks): prints ``scripted upstream on <base_url>``."""
    import argparse

    ap = argparse.ArgumentParser(description="scripted OpenAI-compatible upstream")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    srv = ScriptedUpstream(args.port)
    print(f"scripted upstream on {srv.base_url}", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
