"""Every error as JSON ``{error: {code, message, field?}}`` with the right status."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import ClawMemoryError

log = logging.getLogger("clawmemory.api")


def error_response(
    status: int, code: str, message: str, field: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    error = {"code": code, "message": message}
    if field:
        error["field"] = field
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def _field(loc: tuple) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or None


def install(app: FastAPI) -> None:
    """Register the exception handlers on ``app``."""

    @app.exception_handler(ClawMemoryError)
    async def _domain(_: Request, exc: ClawMemoryError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.field)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        if first.get("type") == "json_invalid":
            return error_response(
                400,
                "invalid_json",
                f"body is not valid JSON: {(first.get('ctx') or {}).get('error', first.get('msg'))}",
            )
        field = _field(tuple(first.get("loc", ())))
        if first.get("type") == "model_attributes_type" and field is None:
            return error_response(400, "invalid_json", "body must be a JSON object sent as application/json")
        if first.get("type") == "extra_forbidden":
            return error_response(422, "invalid_input", f"unknown field {field}", field)
        if first.get("type") == "missing":
            message = f"{field} is required" if field else "request body is required"
        else:
            message = f"{field}: {first.get('msg')}" if field else str(first.get("msg"))
        return error_response(422, "invalid_input", message, field)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {401: "unauthorized", 404: "route_not_found", 405: "method_not_allowed"}
        return error_response(
            exc.status_code,
            codes.get(exc.status_code, "http_error"),
            str(exc.detail),
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(UnicodeEncodeError)
    async def _unencodable(_: Request, exc: UnicodeEncodeError) -> JSONResponse:
        # a lone surrogate (legal as a JSON escape, not as Unicode) in a field without its own check;
        # writes are transactional, so nothing was stored
        return error_response(
            422,
            "invalid_input",
            f"a string in the request is not valid Unicode (lone surrogate {exc.object[exc.start : exc.end]!a})",
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal", "internal error; see the daemon log")
