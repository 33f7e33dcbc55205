"""HTTP routes of the context engine: ``POST /v1/context/{method}`` for the OpenClaw plugin.

Body: ``{"namespace", "session": {agentId, workspaceDir?, sessionKey?, sessionId?}, "params"}``
where ``params`` is OpenClaw's ContextEngine payload (its JSON parts). The answer is
OpenClaw's result shape (AssembleResult, CompactResult, ``{status}``, ``{bootstrapped}``,
``{ingested}``). ``assemble`` leaves ``messages`` out when they are unchanged.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import Field

from ..context import METHODS
from .models import Body, Session, engine

router = APIRouter(prefix="/v1/context", strict_content_type=False)


class ContextCallIn(Body):
    namespace: str = Field(..., description="The agent's namespace (created on first use).")
    session: Session = Field(default_factory=Session)
    params: dict[str, Any] = Field(..., description="OpenClaw's ContextEngine payload for this method.")


@router.post("/{method}", summary=f"OpenClaw ContextEngine call: one of {', '.join(METHODS)}")
def context_call(method: str, body: ContextCallIn, request: Request) -> dict[str, Any]:
    session = body.session.model_dump(exclude_none=True)
    return engine(request).context_call(method, body.namespace, session, body.params, omit_unchanged=True)
