"""What every route module shares: the strict request base, the plugin's session identity and
the Engine a route calls."""

from __future__ import annotations

from fastapi import Request
from pydantic import BaseModel, ConfigDict

from ..engine import Engine


class Body(BaseModel):
    """A request body: unknown fields are refused (422 naming the field)."""

    model_config = ConfigDict(extra="forbid")


class Session(Body):
    """Who is calling, as the OpenClaw plugin sends it with every tool, hook and context call."""

    sessionKey: str | None = None
    sessionId: str | None = None
    agentId: str | None = None
    workspaceDir: str | None = None


def engine(request: Request) -> Engine:
    """The app's Engine (set by :func:`clawmemory.api.app.create_app`)."""
    return request.app.state.engine
