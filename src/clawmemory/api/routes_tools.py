"""OpenClaw plugin bridge: ``POST /v1/tools/{tool}`` and the typed hooks
``POST /v1/hooks/before_prompt_build``, ``/agent_end`` and ``/session_end``.

Every tool call has the body ``{namespace, session: {sessionKey, sessionId, agentId,
workspaceDir}, params}`` and answers ``{content: <text for the model>, details: {...}}``.
``TOOLS`` is the dispatch table: tool name → (params model, Engine method). Add a tool
by adding one row (its parameters in ``tool_params.py``, the plugin's schemas generated
from them by ``python -m clawmemory.openclaw.schemas``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from ..engine import Engine
from ..errors import InvalidInput, NotFound
from .models import Body, Session, engine
from .tool_params import ForgetParams, MemoryGetParams, MemorySearchParams, Params, RecallParams, StoreParams


class ToolCall(Body):
    namespace: str | None = None
    session: Session = Field(default_factory=Session)
    params: dict[str, Any] = Field(default_factory=dict)


ToolFn = Callable[[Engine, str | None, dict[str, Any], dict[str, Any]], dict[str, Any]]


def _json_tool(fn: Callable[..., dict[str, Any]]) -> ToolFn:
    """A memory-core tool: the namespace is created if missing (the plugin derives it from the
    agent id), ``from_`` goes back to ``from``, and the result object is both the model's
    text (``content``, JSON) and the ``details``."""

    def run(e: Engine, ns: str | None, session: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        if ns is not None:
            e.ensure_namespace(ns)
        args = {("from" if k == "from_" else k): v for k, v in params.items()}
        result = fn(e, ns, session, args)
        return {"content": json.dumps(result, ensure_ascii=False), "details": result}

    return run


TOOLS: dict[str, tuple[type[Params], ToolFn]] = {
    "memory_search": (MemorySearchParams, _json_tool(lambda e, ns, s, p: e.memory_search(ns, s, **p))),
    "memory_get": (MemoryGetParams, _json_tool(lambda e, ns, s, p: e.memory_get(ns, s, **p))),
    "memory_recall": (RecallParams, lambda e, ns, s, p: e.memory_recall(ns, s, **p)),
    "memory_store": (StoreParams, lambda e, ns, s, p: e.memory_store(ns, s, **p)),
    "memory_forget": (ForgetParams, lambda e, ns, s, p: e.memory_forget(ns, s, **p)),
}


class LedgerOverrides(Body):
    successDelta: float | None = None
    failureDelta: float | None = None
    resourceScale: float | None = Field(None, gt=0)


class AgentEndEvent(Body):
    success: bool = False
    error: str | None = None
    durationMs: float | None = None
    runId: str | None = None
    endedAt: AwareDatetime | None = None  # when the run ended: a late replay settles nothing newer
    capture: bool | None = None
    messages: list[Any] | None = None
    ledger: LedgerOverrides | None = None


class AgentEnd(Body):
    namespace: str | None = None
    session: Session = Field(default_factory=Session)
    event: AgentEndEvent = Field(default_factory=AgentEndEvent)


class PromptBuildEvent(Body):
    """What the plugin forwards of OpenClaw's before_prompt_build event."""

    prompt: str = ""
    currentUserMessage: str | None = None


class PromptBuild(Body):
    namespace: str | None = None
    session: Session = Field(default_factory=Session)
    event: PromptBuildEvent = Field(default_factory=PromptBuildEvent)


class SessionEndEvent(BaseModel):
    """OpenClaw's session_end event; it gains fields over time, so unknown ones are accepted."""

    model_config = ConfigDict(extra="allow")
    sessionId: str | None = None
    sessionKey: str | None = None
    messageCount: int | None = None
    durationMs: float | None = None
    reason: str | None = None


class SessionEnd(Body):
    namespace: str | None = None
    session: Session = Field(default_factory=Session)
    event: SessionEndEvent = Field(default_factory=SessionEndEvent)


router = APIRouter(prefix="/v1", strict_content_type=False)


@router.post("/tools/{tool}", summary="Run one memory tool for the OpenClaw plugin")
def run_tool(tool: str, body: ToolCall, request: Request) -> dict[str, Any]:
    spec = TOOLS.get(tool)
    if spec is None:
        raise NotFound(f"unknown tool {tool!r}; known: {sorted(TOOLS)}", field="tool")
    model, fn = spec
    try:
        params = model.model_validate(body.params).model_dump(exclude_none=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in ("params", *first["loc"]))
        raise InvalidInput(f"{field}: {first['msg']}", field=field) from exc
    return fn(engine(request), body.namespace, body.session.model_dump(exclude_none=True), params)


@router.post("/hooks/before_prompt_build", summary="autoRecall: memories for the current user message")
def before_prompt_build(body: PromptBuild, request: Request) -> dict[str, Any]:
    event = body.event.model_dump(exclude_none=True)
    return engine(request).before_prompt_build(body.namespace, body.session.model_dump(exclude_none=True), event)


@router.post(
    "/hooks/agent_end",
    summary="A run ended: settle the session's open ledger tickets; with capture, store the turn's messages once",
)
def agent_end(body: AgentEnd, request: Request) -> dict[str, Any]:
    event = body.event.model_dump(mode="json", exclude_none=True)
    return engine(request).agent_end(body.namespace, body.session.model_dump(exclude_none=True), event)


@router.post("/hooks/session_end", summary="A session ended: expire its still-open ledger tickets")
def session_end(body: SessionEnd, request: Request) -> dict[str, Any]:
    event = body.event.model_dump(exclude_none=True)
    return engine(request).session_end(body.namespace, body.session.model_dump(exclude_none=True), event)
