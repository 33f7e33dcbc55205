"""The daemon's sidecar routes (what the OpenClaw plugin's two sidecar tools call)."""

from __future__ import annotations

import pytest
from support.daemon import Daemon
from support.openai_upstream import ScriptedUpstream
from support.sidecar import SidecarProcess

pytestmark = pytest.mark.integration


def test_daemon_reports_sidecar_status_and_provider_config(daemon: Daemon) -> None:
    with (
        ScriptedUpstream() as up,
        SidecarProcess(daemon.home, "--upstream", up.base_url, "--no-retrieve") as sc,
        daemon.client() as c,
    ):
        status = c.get("/v1/sidecar/status", params={"url": sc.url})
        assert status.status_code == 200, status.text
        info = status.json()
        assert info["health"]["ok"] is True and info["health"]["backend"] == "proxy"
        assert info["requirements"]["upstream_base_url"]["ok"] is True
        cfg = c.get("/v1/sidecar/provider-config", params={"url": sc.url}).json()
        block = cfg["models"]["providers"]["clawmemory-sidecar"]
        assert block["baseUrl"] == sc.url + "/v1" and block["apiKey"] == daemon.token == sc.token
        assert block["models"][0]["compat"]["supportsPromptCacheKey"] is True
    with daemon.client() as c:
        down = c.get("/v1/sidecar/status", params={"url": "http://127.0.0.1:9"}).json()
        assert down["health"]["ok"] is False
        assert c.get("/v1/sidecar/status", headers={"Authorization": "Bearer wrong"}).status_code == 401
