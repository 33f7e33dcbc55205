"""The MCP tools: the OpenClaw plugin's five memory tools (same input models, same Engine
calls, same text for the model) plus ``memory_settle``, which stands in for ``agent_end``.

An MCP tool's ``inputSchema`` is the JSON schema of the pydantic model the daemon validates
the plugin's calls with (``api/routes_tools.py``), so both adapters accept exactly the same
arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from ..api.models import Body
from ..api.routes_tools import TOOLS, ToolFn
from ..engine import Engine
from ..errors import InvalidInput


class SettleParams(Body):
    """``memory_settle``: how the run that used recalled memories ended."""

    success: bool | None = Field(None, description="The run ended well (true) or badly (false).")
    delta: float | None = Field(
        None, allow_inf_nan=False, description="Or a measured outcome (positive helped, negative hurt)."
    )
    ticketId: str | None = Field(
        None,
        description="Settle only this ticket (from a memory_recall block); "
        "default: every ticket this client opened that is still open.",
    )
    detail: str | None = Field(None, max_length=500, description="A short note on the outcome.")


DESCRIPTIONS = {
    "memory_search": "Search long-term memory (facts, decisions, preferences, past conversations and indexed "
    "notes) for text relevant to a query. Returns ranked snippets (JSON) with paths usable "
    "with memory_get.",
    "memory_get": "Read a memory item or a line range of an indexed memory file by the path returned from "
    "memory_search.",
    "memory_recall": "Recall stored memories relevant to a question before making a decision. The answer is a "
    "block of untrusted data with a ticket id; when the task is done, report how it went with "
    "memory_settle, so memories that helped are kept and ones that misled fade.",
    "memory_store": "Store a durable fact, decision or preference in long-term memory. Use either text, or "
    "question + answer (what was asked and what turned out to be true).",
    "memory_forget": "Forget a stored memory by id, or find candidates to forget by query.",
    "memory_settle": "Report the outcome of the task that used memory_recall (success true/false, or a "
    "measured delta). Settles the tickets this client opened (or one ticketId) exactly once.",
}


def _settle(e: Engine, ns: str | None, session: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    return e.memory_settle(ns, session, **params)


@dataclass(frozen=True)
class McpTool:
    name: str
    model: type[BaseModel]
    run: ToolFn

    def input_schema(self) -> dict[str, Any]:
        return self.model.model_json_schema(by_alias=True)

    def arguments(self, raw: dict[str, Any] | None) -> dict[str, Any]:
        """Validated arguments as the Engine takes them; a bad one is an :class:`InvalidInput`
        naming it."""
        try:
            return self.model.model_validate(raw or {}).model_dump(exclude_none=True)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or None
            raise InvalidInput(f"{field}: {first['msg']}" if field else first["msg"], field=field) from exc


MCP_TOOLS: dict[str, McpTool] = {
    **{name: McpTool(name, model, fn) for name, (model, fn) in TOOLS.items()},
    "memory_settle": McpTool("memory_settle", SettleParams, _settle),
}
