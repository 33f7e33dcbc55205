"""The proxy backend's request shaping: what is sent upstream and what is never sent."""

from __future__ import annotations

import json

import pytest

from clawmemory.sidecar.backends.base import ChatTurn
from clawmemory.sidecar.backends.proxy import ProxyBackend, _error_passthrough
from clawmemory.sidecar.intake import Snippet
from clawmemory.sidecar.settings import SidecarSettings
from clawmemory.sidecar.upstream import UpstreamClient


def turn(body: dict, snippets=(), max_tokens=None) -> ChatTurn:
    return ChatTurn(body, {}, None, list(snippets), False, max_tokens)


def test_body_model_and_token_field() -> None:
    be = ProxyBackend(SidecarSettings(upstream_model="qwen3:4b", max_tokens_field="max_tokens"))
    assert be.model_id == "qwen3:4b"
    sent = json.loads(
        be._body(
            turn(
                {"model": "qwen3:4b", "messages": [{"role": "user", "content": "x"}], "max_completion_tokens": 9},
                max_tokens=9,
            )
        )
    )
    assert sent["model"] == "qwen3:4b" and sent["max_tokens"] == 9 and "max_completion_tokens" not in sent
    keep = ProxyBackend(SidecarSettings(model="mine", upstream_model="theirs"))
    sent = json.loads(
        keep._body(
            turn(
                {"model": "mine", "messages": [{"role": "user", "content": "x"}], "max_completion_tokens": 9},
                [Snippet("fact", "s")],
                9,
            )
        )
    )
    assert sent["model"] == "theirs" and sent["max_completion_tokens"] == 9
    assert sent["messages"][0]["role"] == "system" and "fact" in sent["messages"][0]["content"]


def test_headers_never_leak_session_keys_or_the_sidecar_token() -> None:
    incoming = {
        "authorization": "Bearer sidecar-tok",
        "x-openclaw-session-key": "k",
        "x-delta-attention-state": "[]",
        "x-delta-anything": "1",
        "content-length": "5",
        "host": "h",
        "traceparent": "00-ab",
        "accept": "*/*",
    }
    be = ProxyBackend(SidecarSettings(), client_token="sidecar-tok")
    out = be._headers(incoming)
    assert out == {
        "traceparent": "00-ab",
        "accept": "*/*",
        "content-type": "application/json",
        "accept-encoding": "identity",
    }
    # a client key that is not the sidecar's own is the client's upstream key: pass it on
    assert be._headers({"authorization": "Bearer sk-user"})["authorization"] == "Bearer sk-user"
    # a configured upstream key always wins
    keyed = ProxyBackend(SidecarSettings(upstream_api_key="sk-up"), client_token="sidecar-tok")
    assert keyed._headers({"authorization": "Bearer sk-user"})["authorization"] == "Bearer sk-up"


def test_error_passthrough_shapes() -> None:
    same = _error_passthrough(400, b'{"error": {"message": "m", "type": "t", "param": null, "code": "c"}}', {})
    assert same.status_code == 400 and json.loads(same.body)["error"]["code"] == "c"
    text = _error_passthrough(503, b'{"error": "model loading"}', {})
    assert json.loads(text.body)["error"] == {
        "message": "model loading",
        "type": "upstream_error",
        "param": None,
        "code": "upstream_503",
    }
    html = _error_passthrough(502, b"<h1>Bad gateway</h1>", {})
    assert json.loads(html.body)["error"]["code"] == "upstream_502"


def test_upstream_url_is_checked() -> None:
    c = UpstreamClient("https://api.example.com/v1/")
    assert (c.tls, c.host, c.port, c.prefix) == (True, "api.example.com", 443, "/v1")
    with pytest.raises(ValueError, match="http"):
        UpstreamClient("ftp://x")
