"""Daemon routes about the attention-state sidecar (the OpenClaw plugin's
``clawmemory_sidecar_status`` and ``clawmemory_sidecar_provider_config`` tools call these)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from .models import engine
from .tool_params import SidecarProviderConfigParams, SidecarStatusParams

router = APIRouter(prefix="/v1/sidecar", strict_content_type=False)


@router.get("/status", summary="Sidecar host, backend requirements and live health")
def sidecar_status(request: Request, q: Annotated[SidecarStatusParams, Query()]) -> dict[str, Any]:
    return engine(request).sidecar_status(q.url)


@router.get("/provider-config", summary="The OpenClaw models.providers block for the sidecar")
def sidecar_provider_config(request: Request, q: Annotated[SidecarProviderConfigParams, Query()]) -> dict[str, Any]:
    return engine(request).sidecar_provider_config(q.url, provider=q.provider)
