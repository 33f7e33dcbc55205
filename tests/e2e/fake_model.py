"""A scripted OpenAI-compatible chat model for end-to-end tests (no real LLM).

The script is written in the user's message. Directives, in order:

    call memory_store with {"text": "The deploy window is Friday 14:00"}
    then call memory_recall with {"query": "deploy window"}

For each request the model finds the current turn (messages after the last real user
message; OpenClaw appends ephemeral ``<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>`` user messages
after tool results, and those are not the user's), counts the tool results already in
the turn, and either emits the next directive as a tool call or, when all ran, answers:

    FINAL: <tool> -> <text of the last tool result>

A message without directives is answered ``FINAL: ok``. Streaming (SSE) and plain JSON
responses are both supported. Every request is kept in ``server.requests`` and, when a
log path is given, appended to it as one JSON line.

Run standalone: ``python fake_model.py --port 18791 [--log requests.jsonl]``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

if str(Path(__file__).resolve().parents[1]) not in sys.path:  # run standalone: tests/ for support.*
    sys.path.append(str(Path(__file__).resolve().parents[1]))

from support.openai_wire import (  # noqa: E402
    USAGE,
    completion,
    completion_chunk,
    model_list,
    new_completion_id,
    send_json,
    sse_event,
)

MODEL_ID = "fake-model"
INTERNAL_MARKER = "<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>"
DIRECTIVE = re.compile(r"\bcall\s+([A-Za-z_][\w.-]*)\s+with\s+(?=\{)")


def text_of(content: Any) -> str:
    """Plain text of an OpenAI message content (string or list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def parse_directives(text: str) -> list[tuple[str, dict]]:
    """All ``call <tool> with {json}`` directives in order; bad JSON ends the list."""
    out: list[tuple[str, dict]] = []
    decoder = json.JSONDecoder()
    for m in DIRECTIVE.finditer(text):
        try:
            args, _ = decoder.raw_decode(text, m.end())
        except json.JSONDecodeError:
            break
        if isinstance(args, dict):
            out.append((m.group(1), args))
    return out


def current_turn(messages: list[dict]) -> tuple[str, list[dict]]:
    """(text of the current real user message, messages after it)."""
    for i in range(len(messages) - 1, -1, -1):
        m = messages[i]
        if m.get("role") == "user" and INTERNAL_MARKER not in text_of(m.get("content")):
            return text_of(m.get("content")), messages[i + 1 :]
    return "", messages


def decide(body: dict) -> dict:
    """What the model does for one request: {"kind": "tool", name, args} or {"kind": "text", text}."""
    messages = body.get("messages") or []
    offered = {(t.get("function") or {}).get("name") for t in body.get("tools") or []}
    user_text, after = current_turn(messages)
    tool_results = [m for m in after if m.get("role") == "tool"]
    directives = parse_directives(user_text)
    done = len(tool_results)
    if done < len(directives):
        name, args = directives[done]
        if name not in offered:
            return {"kind": "text", "text": f"FINAL: tool {name} not offered ({len(offered)} tools)"}
        return {"kind": "tool", "name": name, "args": json.dumps(args)}
    if tool_results:
        last_call = next(
            (c for m in reversed(after) if m.get("role") == "assistant" for c in reversed(m.get("tool_calls") or [])),
            None,
        )
        name = (last_call or {}).get("function", {}).get("name", "tool")
        return {"kind": "text", "text": f"FINAL: {name} -> {text_of(tool_results[-1].get('content'))[:2000]}"}
    return {"kind": "text", "text": "FINAL: ok"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeModelServer

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            return send_json(self, 200, model_list(MODEL_ID))
        send_json(self, 404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = {}
        if not self.path.rstrip("/").endswith("/chat/completions"):
            return send_json(self, 404, {"error": {"message": "not found"}})
        decision = decide(body)
        self.server.record(
            {"t": time.time(), "path": self.path, "headers": dict(self.headers), "body": body, "decision": decision}
        )
        cid, created = new_completion_id()
        if decision["kind"] == "tool":
            call = {
                "id": "call_" + uuid.uuid4().hex[:8],
                "type": "function",
                "function": {"name": decision["name"], "arguments": decision["args"]},
            }
            message, finish = {"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls"
        else:
            message, finish = {"role": "assistant", "content": decision["text"]}, "stop"
        if not body.get("stream"):
            return send_json(self, 200, completion(cid, created, MODEL_ID, message, finish, USAGE))
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.end_headers()

        def event(obj: dict) -> None:
            self.wfile.write(sse_event(obj))
            self.wfile.flush()

        def chunk(delta: dict, finish_reason: str | None = None) -> None:
            event(completion_chunk(cid, created, MODEL_ID, delta, finish_reason))

        if decision["kind"] == "tool":
            call = message["tool_calls"][0]
            chunk(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": call["id"],
                            "type": "function",
                            "function": {"name": call["function"]["name"], "arguments": ""},
                        }
                    ],
                }
            )
            args = call["function"]["arguments"]
            for i in range(0, len(args), 64):  # arguments arrive in pieces, as from a real model
                chunk({"tool_calls": [{"index": 0, "function": {"arguments": args[i : i + 64]}}]})
        else:
            chunk({"role": "assistant", "content": ""})
            chunk({"content": message["content"]})
        chunk({}, finish)
        event({**completion_chunk(cid, created, MODEL_ID, {}), "choices": [], "usage": USAGE})
        self.wfile.write(sse_event("[DONE]"))
        self.wfile.flush()
        self.close_connection = True


class FakeModelServer(ThreadingHTTPServer):
    """The scripted model on 127.0.0.1. Use as a context manager or start()/stop()."""

    daemon_threads = True

    def __init__(self, port: int = 0, log_path: str | Path | None = None) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.requests: list[dict] = []
        self.log_path = Path(log_path) if log_path else None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def record(self, entry: dict) -> None:
        with self._lock:
            self.requests.append(entry)
            if self.log_path:
                with self.log_path.open("a") as f:
                    f.write(json.dumps(entry) + "\n")

    def start(self) -> FakeModelServer:
        self._thread = threading.Thread(target=self.serve_forever, name="fake-model", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def __enter__(self) -> FakeModelServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def provider_config(base_url: str) -> dict:
    """The openclaw.json `models` block that points OpenClaw at this server."""
    return {
        "mode": "merge",
        "providers": {
            "fake": {
                "baseUrl": base_url,
                "apiKey": "sk-local-fake",
                "api": "openai-completions",
                "models": [
                    {
                        "id": MODEL_ID,
                        "name": "Fake scripted model",
                        "reasoning": False,
                        "input": ["text"],
                        "cost": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0},
                        "contextWindow": 128000,
                        "maxTokens": 4096,
                        "compat": {"supportsPromptCacheKey": True},
                    }
                ],
            }
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=18791)
    ap.add_argument("--log")
    a = ap.parse_args()
    srv = FakeModelServer(a.port, a.log)
    print(f"fake model on {srv.base_url}", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
