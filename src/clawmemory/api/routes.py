"""HTTP routes: each parses, calls one Engine method, returns its dict."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from .models import engine
from .schemas import MemoryIn, SearchIn

router = APIRouter(prefix="/v1", strict_content_type=False)


@router.get("/namespaces", summary="List namespaces with counts")
def list_namespaces(request: Request) -> dict[str, Any]:
    return {"namespaces": engine(request).namespaces()}


@router.put("/namespaces/{name}", summary="Create a namespace (idempotent)")
def put_namespace(name: str, request: Request, response: Response) -> dict[str, Any]:
    result = engine(request).ensure_namespace(name)
    response.status_code = 201 if result["created"] else 200
    return result


@router.post("/memories", status_code=201, summary="Store a memory (idempotent by content)")
def create_memory(body: MemoryIn, request: Request, response: Response) -> dict[str, Any]:
    fields = body.model_dump(exclude={"namespace"}, exclude_none=True)
    result = engine(request).store_memory(body.namespace, **fields)
    if not result.created:
        response.status_code = 200
    return result.to_dict()


@router.get("/memories", summary="List memories with filters and paging")
def list_memories(
    request: Request,
    namespace: str | None = None,
    kind: str | None = None,
    category: str | None = None,
    status: str = "active",
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    page = engine(request).list_memories(
        namespace, kind=kind, category=category, status=status, limit=limit, offset=offset
    )
    return page.to_dict()


@router.get("/memories/history", summary="Superseded memories (out of recall, kept for audit)")
def memory_history(request: Request, namespace: str | None = None, limit: int = 100) -> dict[str, Any]:
    return {"items": engine(request).memory_history(namespace, limit)}


@router.post("/memories/{memory_id}/restore", summary="Put a superseded memory back into recall")
def restore_memory(memory_id: str, request: Request, namespace: str | None = None) -> dict[str, Any]:
    return engine(request).restore_memory(memory_id, namespace)


@router.get("/memories/{memory_id}", summary="Get one memory")
def get_memory(memory_id: str, request: Request, namespace: str | None = None) -> dict[str, Any]:
    return engine(request).get_memory(memory_id, namespace).to_dict()


@router.delete("/memories/{memory_id}", summary="Forget a memory (kept for audit)")
def forget_memory(memory_id: str, request: Request, namespace: str | None = None) -> dict[str, Any]:
    return engine(request).forget(memory_id, namespace).to_dict()


@router.post("/search", summary="Search memories and messages")
def search(body: SearchIn, request: Request) -> dict[str, Any]:
    hits = engine(request).search(
        body.query,
        body.namespace,
        limit=body.limit,
        corpus=body.corpus,
        shared=body.shared,
        mode=body.mode,
        as_of=body.as_of,
        deep=body.deep,
    )
    return {"results": [h.to_dict() for h in hits]}
