"""Hand-made hostile requests against the real daemon: every one is answered below 500
with a JSON error (or a normal answer), nothing is written by a refused request, and the
daemon is still healthy afterwards."""

from __future__ import annotations

import json

import httpx
import pytest

from clawmemory.engine import Engine
from clawmemory.errors import InvalidInput

pytestmark = pytest.mark.integration

DEEP = 10_000
FTS_ABUSE = [
    '"',
    '"unbalanced phrase',
    "*",
    "a*",
    "*a",
    "NEAR(",
    "NEAR(a b",
    'NEAR("a" "b", -1)',
    "^",
    "^a",
    "text:foo",
    "terms:x",
    "{terms context}: x",
    "- x",
    "+",
    "AND",
    "OR OR",
    "NOT",
    "(",
    ")",
    "((a)",
    "'",
    ":",
    "col:*",
    '"a" NEAR/2 "b"',
    "a AND",
    '"""',
    "-",
    "+-+-",
    "a -",
    "\\",
    "%",
    "_",
    "\u0000",
    "a\u0000b",
    "🙂*",
    "x" * 300 + "*",
    "NEAR(" * 500,
]
TRAVERSAL = [
    "../../etc/passwd",
    "/etc/passwd",
    "memories/../../x",
    "a/../b",
    "..\\..\\x",
    "%2e%2e/x",
    "workspace/..%2f..%2fetc",
    "./../x",
    "memories/" + "x" * 5000,
    "x" * 5000,
    "sessions/../memories",
    "a/./../../b",
    "\u0000",
    "memories/\u0000",
    "C:\\Windows\\win.ini",
    "~/.ssh/id_rsa",
    "file:///etc/passwd",
    "memories//x",
    "#L1-L2",
    "MEMORY.md#L999999999-L1",
]
BAD_NAMESPACES = ["../x", "..", ".", "a/../b", "/abs", "x" * 65, "", " ", "UPPER", "a b", "a\u0000", "%2e%2e", "é"]


def requests_to_try() -> list[tuple[str, str, dict]]:
    """(method, path, httpx kwargs) for every hand-made case."""
    cases: list[tuple[str, str, dict]] = []

    def post(path: str, body: object) -> None:
        cases.append(("POST", path, {"json": body}))

    def raw(method: str, path: str, content: bytes) -> None:
        cases.append((method, path, {"content": content, "headers": {"content-type": "application/json"}}))

    # wrong types
    for text in (123, ["a"], {"a": 1}, None, True, 1.5):
        post("/v1/memories", {"text": text})
        post("/v1/search", {"query": text})
        post("/v1/ledger/recall", {"query": text})
        post("/v1/tools/memory_search", {"params": {"query": text}})
        post("/v1/tools/memory_get", {"params": {"path": text}})
        post("/v1/ledger/settle", {"ticketId": text, "delta": 1})
    post("/v1/memories", {"text": "x", "importance": "high"})
    post("/v1/memories", {"text": "x", "metadata": "not an object"})
    post("/v1/tools/memory_store", {"params": "not an object"})
    post("/v1/context/assemble", {"namespace": "default", "params": {"messages": "not a list"}})
    post("/v1/context/ingest", {"namespace": "default", "params": {"message": 5}})
    post("/v1/context/afterTurn", {"namespace": "default", "params": {"messages": [1, None, "x"]}})
    post("/v1/hooks/agent_end", {"event": {"messages": [{"role": 5}], "success": "yes"}})
    # huge numbers, negative limits
    for n in (10**30, -1, 0, -(10**30), 2**63, 1e308, -1e308):
        post("/v1/search", {"query": "x", "limit": n})
        post("/v1/memories", {"text": f"huge {n}", "importance": n})
        post("/v1/ledger/recall", {"query": "x", "limit": n})
        post("/v1/ledger/settle", {"ticketId": "tkt_x", "delta": n})
        post("/v1/tools/memory_get", {"params": {"path": "memories/x", "from": n, "lines": n}})
        post("/v1/tools/memory_search", {"params": {"query": "x", "maxResults": n, "minScore": n}})
        post("/v1/ledger/config", {"config": {"creditGain": n}})
        cases.append(("PUT", "/v1/ledger/config", {"json": {"config": {"recallLimit": n, "upkeepPerSession": n}}}))
        cases.append(("GET", "/v1/memories", {"params": {"limit": str(n), "offset": str(n)}}))
        cases.append(("GET", "/v1/ledger/obituaries", {"params": {"limit": str(n)}}))
    cases.append(("GET", "/v1/memories", {"params": {"limit": "9" * 400}}))
    # nesting 10,000 deep, in the body itself and inside free-form params
    raw("POST", "/v1/memories", b'{"text": ' + b"[" * DEEP + b"]" * DEEP + b"}")
    raw(
        "POST",
        "/v1/tools/memory_search",
        b'{"params": {"query": "x", "deep": ' + b'{"a":' * DEEP + b"1" + b"}" * DEEP + b"}}",
    )
    raw("POST", "/v1/context/assemble", b'{"namespace": "default", "params": ' + b"[" * DEEP + b"]" * DEEP + b"}")
    raw("POST", "/v1/search", b"[" * DEEP + b"]" * DEEP)
    # malformed bodies: invalid UTF-8, NUL bytes, not JSON, truncated
    raw("POST", "/v1/memories", b'{"text": "\xff\xfe\xfd broken utf8"}')
    raw("POST", "/v1/search", b'{"query": "\xc3\x28"}')
    raw("POST", "/v1/memories", b'{"text": "nul \x00 inside"}')
    raw("POST", "/v1/memories", b'{"text": "\\u0000 escaped nul"}')
    raw("POST", "/v1/memories", b'{"text": "lone surrogate \\ud800"}')
    raw("POST", "/v1/search", b'{"query": "\\udfff\\ud800"}')
    raw("POST", "/v1/memories", b'{"text": "ok", "source": "\\ud800", "metadata": {"k": "\\udc00"}}')
    raw("POST", "/v1/tools/memory_recall", b'{"session": {"sessionKey": "\\ud800"}, "params": {"query": "x"}}')
    raw("POST", "/v1/ledger/entries", b'{"question": "\\ud800?", "answer": "a \\udfff"}')
    raw("POST", "/v1/memories", b'{"text": "trunc')
    raw("POST", "/v1/memories", b"\x00\x00\x00")
    raw("PUT", "/v1/ledger/config", b'{"config": {"creditGain": NaN, "x": Infinity}}')
    # FTS5 syntax abuse and 100 KB queries
    for q in [*FTS_ABUSE, "deploy " * 15_000, "x" * 100_000, '"' * 100_000, "NEAR(a b) " * 10_000]:
        post("/v1/search", {"query": q})
        post("/v1/search", {"query": q, "mode": "lexical"})
        post("/v1/ledger/recall", {"query": q})
        post("/v1/tools/memory_search", {"params": {"query": q}})
        post("/v1/tools/memory_recall", {"params": {"query": q}})
    # path traversal
    for path in TRAVERSAL:
        for corpus in (None, "wiki", "memory", "all"):
            params = {"path": path, **({"corpus": corpus} if corpus else {})}
            post("/v1/tools/memory_get", {"params": params})
        post("/v1/ledger/import/darwin-memo", {"path": path})  # a file path read by the daemon (NUL: was a 500)
    # namespace names with ../
    for ns in BAD_NAMESPACES:
        post("/v1/memories", {"namespace": ns, "text": "hello"})
        post("/v1/search", {"namespace": ns, "query": "hello"})
        post("/v1/tools/memory_store", {"namespace": ns, "params": {"text": "hello"}})
        post("/v1/context/bootstrap", {"namespace": ns, "params": {}})
        if ns.isprintable():  # (httpx itself refuses a NUL in a URL)
            cases.append(("GET", "/v1/memories", {"params": {"namespace": ns}}))
        if ns and "/" not in ns and ns.isprintable():
            cases.append(("PUT", f"/v1/namespaces/{ns}", {}))
    cases.append(("PUT", "/v1/namespaces/..%2F..%2Fetc", {}))
    cases.append(("PUT", "/v1/namespaces/%2e%2e", {}))
    return cases


def test_hand_made_hostile_requests_never_500(shared_daemon):
    statuses: dict[int, int] = {}
    failures = []
    with shared_daemon.client() as c:
        before = c.get("/v1/memories", params={"limit": 1}).json()["total"]
        for method, path, kw in requests_to_try():
            try:
                r = c.request(method, path, **kw)
            except httpx.TransportError as exc:  # the daemon dropped the connection: as bad as a 500
                failures.append((method, path, str(kw)[:160], "dropped", repr(exc)))
                continue
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
            if r.status_code >= 500 or (r.status_code >= 400 and not r.json().get("error", {}).get("code")):
                failures.append((method, path, str(kw)[:160], r.status_code, r.text[:160]))
        assert failures == [], "\n".join(map(str, failures))
        assert c.get("/health").status_code == 200
        stored = c.get("/v1/memories", params={"limit": 500}).json()
    assert all(0 <= m["importance"] <= 1 for m in stored["items"])  # no out-of-range value got in
    assert stored["total"] - before <= 12  # only the few well-formed stores were written
    assert statuses.get(422, 0) > 100


def test_sidecar_probe_urls_stay_on_loopback(shared_daemon):
    """The status route probes a caller-given URL with the sidecar's token: only loopback."""
    with shared_daemon.client() as c:
        for url in (
            "http://evil.example/",
            "https://10.0.0.1:8443",
            "file:///etc/passwd",
            "\x1f",
            "http://[::1",
            "gopher://127.0.0.1:70/",
            "http://127.0.0.1.evil.example/",
        ):
            r = c.get("/v1/sidecar/status", params={"url": url})
            assert r.status_code == 422 and r.json()["error"]["field"] == "url", (url, r.text)
        r = c.get("/v1/sidecar/status", params={"url": "http://127.0.0.1:9/\x7f"})
        assert r.status_code == 200 and r.json()["health"]["ok"] is False


def test_body_over_the_limit_is_413_by_header_and_by_stream(shared_daemon):
    big = b'{"text": "' + b"a" * (9 * 1024 * 1024) + b'"}'
    with shared_daemon.client() as c:
        r = c.post("/v1/memories", content=big, headers={"content-type": "application/json"})
        assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"

        def chunks():
            for _ in range(10):
                yield b"a" * (1024 * 1024)

        r = c.post("/v1/memories", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413
        assert c.get("/health").status_code == 200


def test_collection_names_and_paths_cannot_traverse(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.md").write_text("# a\nhello\n")
    with Engine.open(tmp_path / "home", embedding_provider="none") as engine:
        for name in BAD_NAMESPACES + ["../notes", "memories", "sessions"]:
            with pytest.raises(InvalidInput):
                engine.collection_add(tmp_path / "notes", name)
        engine.collection_add(tmp_path / "notes", "notes")
        for path in TRAVERSAL + ["notes/../../etc/passwd", "notes/%2e%2e/a.md"]:
            try:
                got = engine.memory_get(None, {}, path=path)
            except InvalidInput:
                continue
            assert got["status"] == "not_found", (path, got)
        assert "hello" in engine.memory_get(None, {}, path="notes/a.md")["text"]
        assert json.dumps(engine.collection_list())  # still listable
