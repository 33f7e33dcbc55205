"""HTTP routes of the recall ledger (``/v1/ledger/...``); each calls one Engine method."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import Field

from ..errors import InvalidInput
from .models import Body, engine


class RecallIn(Body):
    query: str
    namespace: str | None = None
    limit: int | None = Field(None, ge=1, le=50)
    sessionKey: str | None = None


class StoreIn(Body):
    namespace: str | None = None
    question: str | None = None
    answer: str | None = None
    text: str | None = None
    source: str | None = None
    category: str | None = None
    importance: float | None = Field(None, ge=0, le=1)


class SettleIn(Body):
    namespace: str | None = None
    ticketId: str
    delta: float = Field(..., allow_inf_nan=False)
    scale: float | None = Field(None, gt=0)
    detail: str = ""


class SettleSessionIn(Body):
    namespace: str | None = None
    sessionKey: str
    success: bool | None = None
    delta: float | None = Field(None, allow_inf_nan=False)
    detail: str = ""


class NamespaceIn(Body):
    namespace: str | None = None


class ConfigIn(Body):
    namespace: str | None = None
    config: dict[str, Any]


class ImportIn(Body):
    namespace: str | None = None
    path: str | None = Field(None, description="A darwin-memo ledger file on the daemon's machine.")
    data: dict[str, Any] | None = Field(None, description="Or the file's parsed JSON.")


router = APIRouter(prefix="/v1/ledger", strict_content_type=False)


@router.post("/recall", summary="Recall relevant entries; opens a ticket unless nothing is relevant")
def recall(body: RecallIn, request: Request) -> dict[str, Any]:
    session = {"sessionKey": body.sessionKey} if body.sessionKey else None
    return engine(request).ledger_recall(body.query, body.namespace, limit=body.limit, session=session)


@router.post("/entries", summary="Store an entry (near-twins are reinforced or merged)")
def store(body: StoreIn, request: Request) -> dict[str, Any]:
    fields = body.model_dump(exclude={"namespace"}, exclude_none=True)
    return engine(request).ledger_store(body.namespace, **fields)


@router.get("/entries/{entry_id}", summary="One entry with balance, runway and history")
def show(entry_id: str, request: Request, namespace: str | None = None) -> dict[str, Any]:
    return engine(request).ledger_show(entry_id, namespace)


@router.delete("/entries/{entry_id}", summary="Forget an entry (kept for audit, restorable)")
def forget(entry_id: str, request: Request, namespace: str | None = None) -> dict[str, Any]:
    return engine(request).ledger_forget(entry_id, namespace)


@router.post("/entries/{entry_id}/restore", summary="Bring a dead entry back")
def restore(entry_id: str, body: NamespaceIn, request: Request) -> dict[str, Any]:
    return engine(request).ledger_restore(entry_id, body.namespace)


@router.post("/entries/{entry_id}/pin", summary="Pin: never starves or merges")
def pin(entry_id: str, body: NamespaceIn, request: Request) -> dict[str, Any]:
    return engine(request).ledger_pin(entry_id, body.namespace, pinned=True)


@router.post("/entries/{entry_id}/unpin", summary="Unpin")
def unpin(entry_id: str, body: NamespaceIn, request: Request) -> dict[str, Any]:
    return engine(request).ledger_pin(entry_id, body.namespace, pinned=False)


@router.post("/settle", summary="Settle one ticket with a measured delta (exactly once)")
def settle(body: SettleIn, request: Request) -> dict[str, Any]:
    return engine(request).ledger_settle(
        body.ticketId, body.delta, body.namespace, scale=body.scale, detail=body.detail, via="http"
    )


@router.post("/settle-session", summary="Settle every open ticket of a session")
def settle_session(body: SettleSessionIn, request: Request) -> dict[str, Any]:
    if (body.success is None) == (body.delta is None):
        raise InvalidInput("give exactly one of success or delta", field="success")
    return engine(request).ledger_settle_session(
        body.sessionKey, body.namespace, success=body.success, delta=body.delta, detail=body.detail, via="http"
    )


@router.post("/tick", summary="Expiry, upkeep, deaths, consolidation now")
def tick(body: NamespaceIn, request: Request) -> dict[str, Any]:
    return engine(request).ledger_tick(body.namespace, via="http")


@router.get("/obituaries", summary="Dead entries with their obituaries")
def obituaries(
    request: Request, namespace: str | None = None, limit: int = 50, cause: str | None = None
) -> dict[str, Any]:
    return engine(request).ledger_obituaries(namespace, limit=limit, cause=cause)


@router.get("/stats", summary="Population, graveyard, tickets, energy, clock")
def stats(request: Request, namespace: str | None = None) -> dict[str, Any]:
    return engine(request).ledger_stats(namespace)


@router.get("/config", summary="The namespace's ledger economics")
def get_config(request: Request, namespace: str | None = None) -> dict[str, Any]:
    return engine(request).ledger_config(namespace)


@router.put("/config", summary="Set ledger economics (camelCase keys, persisted)")
def put_config(body: ConfigIn, request: Request) -> dict[str, Any]:
    return engine(request).ledger_config(body.namespace, body.config)


@router.post("/import/darwin-memo", summary="Import a darwin-memo ledger file")
def import_darwin(body: ImportIn, request: Request) -> dict[str, Any]:
    source = body.path if body.path is not None else body.data
    if source is None or (body.path is not None and body.data is not None):
        raise InvalidInput("give exactly one of path or data", field="path")
    return engine(request).import_darwin_memo(source, body.namespace)
