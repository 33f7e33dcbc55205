"""The real daemon on a loopback port: auth, CRUD, search, errors, restart."""

from __future__ import annotations

import os
import stat

import httpx
import pytest

pytestmark = pytest.mark.integration


def test_health_needs_no_token_and_reports_store(daemon):
    r = httpx.get(f"{daemon.url}/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["store"]["schema_version"] >= 4
    assert body["store"]["path"].endswith("clawmemory.db")
    assert "x-request-id" in r.headers


def test_token_file_is_private(daemon):
    mode = stat.S_IMODE(os.stat(daemon.home / "token").st_mode)
    assert mode == 0o600


def test_binds_loopback_only(daemon):
    assert daemon.url.startswith("http://127.0.0.1:")


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_v1_requires_the_token(daemon, token):
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    for method, path in [("GET", "/v1/memories"), ("POST", "/v1/search"), ("GET", "/v1/namespaces")]:
        r = httpx.request(method, f"{daemon.url}{path}", headers=headers, json={"query": "x"})
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "unauthorized"
        assert r.headers["www-authenticate"] == "Bearer"
    with daemon.client() as c:
        assert c.get("/v1/memories").json()["total"] == 0  # nothing was written


def test_crud_and_search(daemon):
    with daemon.client() as c:
        r = c.post("/v1/memories", json={"text": "Deploys go to Fly.io region ams", "category": "fact"})
        assert r.status_code == 201
        mem = r.json()["memory"]
        again = c.post("/v1/memories", json={"text": "Deploys go to Fly.io region ams", "category": "fact"})
        assert again.status_code == 200 and again.json()["created"] is False
        assert c.get(f"/v1/memories/{mem['id']}").json()["text"] == mem["text"]
        page = c.get("/v1/memories", params={"limit": 1}).json()
        assert page["total"] == 1 and page["next_offset"] is None
        hits = c.post("/v1/search", json={"query": "where do we deploy"}).json()["results"]
        assert hits[0]["id"] == mem["id"]
        assert c.delete(f"/v1/memories/{mem['id']}").json()["status"] == "forgotten"
        assert c.post("/v1/search", json={"query": "deploy"}).json()["results"] == []


def test_namespaces_over_http(daemon):
    with daemon.client() as c:
        assert c.put("/v1/namespaces/agent-main").status_code == 201
        assert c.put("/v1/namespaces/agent-main").status_code == 200
        c.post("/v1/memories", json={"namespace": "agent-main", "text": "private to main"})
        assert c.post("/v1/search", json={"query": "private"}).json()["results"] == []
        hits = c.post("/v1/search", json={"query": "private", "namespace": "agent-main"}).json()
        assert len(hits["results"]) == 1


def _error(r: httpx.Response, status: int, code: str, field: str | None = None) -> None:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code and err["message"]
    if field:
        assert err["field"] == field


def test_errors_are_json_and_change_nothing(daemon):
    with daemon.client() as c:
        headers = {"content-type": "application/json"}
        _error(c.post("/v1/memories", content=b'{"text": ', headers=headers), 400, "invalid_json")
        _error(c.post("/v1/memories", json={"kind": "note"}), 422, "invalid_input", "text")
        _error(c.post("/v1/memories", json={"text": "x", "importance": 3}), 422, "invalid_input", "importance")
        _error(c.post("/v1/memories", json={"text": "x", "nope": 1}), 422, "invalid_input", "nope")
        big = b'{"text": "' + b"a" * (10 * 1024 * 1024) + b'"}'
        _error(c.post("/v1/memories", content=big, headers=headers), 413, "body_too_large")
        _error(c.post("/v1/memories", json={"text": "x", "namespace": "ghost"}), 404, "not_found", "namespace")
        _error(c.get("/v1/memories/mem_doesnotexist"), 404, "not_found", "id")
        _error(c.delete("/v1/memories/mem_doesnotexist"), 404, "not_found", "id")
        _error(c.post("/v1/search", json={"query": ""}), 422, "invalid_input", "query")
        _error(c.post("/v1/search", json={"query": '"open'}), 422, "invalid_input", "query")
        _error(c.post("/v1/search", json={"query": "x", "deep": "very"}), 422, "invalid_input", "deep")
        _error(c.get("/v1/memories", params={"limit": "many"}), 422, "invalid_input", "limit")
        _error(c.get("/v1/nowhere"), 404, "route_not_found")
        assert c.get("/v1/memories").json()["total"] == 0
        assert httpx.get(f"{daemon.url}/health").json()["counts"]["indexed"] == 0


def test_request_id_is_echoed(daemon):
    with daemon.client() as c:
        r = c.get("/v1/memories", headers={"X-Request-Id": "abc-123"})
        assert r.headers["x-request-id"] == "abc-123"
        assert len(c.get("/v1/nowhere").headers["x-request-id"]) >= 16


def test_openapi_schema_served(daemon):
    spec = httpx.get(f"{daemon.url}/openapi.json").json()
    assert "/v1/memories" in spec["paths"] and "/v1/search" in spec["paths"]


def test_restart_keeps_data(daemon):
    with daemon.client() as c:
        mem = c.post("/v1/memories", json={"text": "survives restarts"}).json()["memory"]
    token = daemon.token
    daemon.restart()
    assert daemon.token == token  # the token is created once
    with daemon.client() as c:
        assert c.get(f"/v1/memories/{mem['id']}").json()["text"] == "survives restarts"
        assert c.post("/v1/search", json={"query": "survives"}).json()["results"][0]["id"] == mem["id"]


def test_kill_after_ack_loses_nothing(daemon):
    import signal

    with daemon.client() as c:
        ids = [c.post("/v1/memories", json={"text": f"acked write {i}"}).json()["memory"]["id"] for i in range(20)]
    daemon.stop(signal.SIGKILL)
    daemon.start()
    with daemon.client() as c:
        assert c.get("/v1/memories", params={"limit": 100}).json()["total"] == 20
        for memory_id in ids:
            assert c.get(f"/v1/memories/{memory_id}").status_code == 200


def test_writes_are_embedded_in_the_background(daemon):
    import time

    with daemon.client() as c:
        c.post("/v1/memories", json={"text": "Maria is allergic to peanuts"})
        deadline = time.monotonic() + 90
        while httpx.get(f"{daemon.url}/health").json()["counts"]["embedded"] < 1:
            assert time.monotonic() < deadline, "the worker never embedded the memory"
            time.sleep(0.1)
        health = httpx.get(f"{daemon.url}/health").json()
        assert health["backends"]["embeddings"]["ready"] is True
        hit = c.post("/v1/search", json={"query": "food intolerance of a colleague", "mode": "vector"}).json()
        assert "peanuts" in hit["results"][0]["text"]
