"""Daemon routes about the attention-state sidecar (the OpenClaw plugin's
``clawmemory_sidecar_status`` and ``clawmemory_sidecar_provider_config`` tools call these)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

router = APIRouter(prefix="/v1/sidecar", strict_content_type=False)


@router.get("/status", summary="Sidecar host, backend requirements and live health")
def sidecar_status(request: Request, url: str | None = None) -> dict[str, Any]:
    return request.app.state.engine.sidecar_status(url)


@router.get("/provider-config", summary="The OpenClaw models.providers block for the sidecar")
def sidecar_provider_config(request: Request, url: str | None = None,
                            provider: str = "clawmemory-sidecar") -> dict[str, Any]:
    return request.app.state.engine.sidecar_provider_config(url, provider=provider)
