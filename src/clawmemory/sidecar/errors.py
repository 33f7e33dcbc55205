"""Errors in OpenAI's dialect: ``{"error": {"message", "type", "param", "code"}}``.

The sidecar speaks to OpenAI clients (OpenClaw's provider transport, the OpenAI SDKs), so
unlike the daemon it renders errors the way those clients parse them.
"""

from __future__ import annotations

import json

from starlette.responses import Response


class SidecarError(Exception):
    """An error the sidecar answers with ``status`` and an OpenAI-style body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = headers or {}

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}

    def response(self, extra_headers: dict[str, str] | None = None) -> Response:
        return error_response(
            self.status,
            self.message,
            type=self.type,
            code=self.code,
            param=self.param,
            headers={**self.headers, **(extra_headers or {})},
        )


def error_response(
    status: int,
    message: str,
    *,
    type: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = json.dumps({"error": {"message": message, "type": type, "param": param, "code": code}})
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def bad_request(message: str, *, param: str | None = None, code: str = "invalid_request") -> SidecarError:
    return SidecarError(400, message, param=param, code=code)


def upstream_error(status: int, message: str, code: str) -> SidecarError:
    return SidecarError(status, message, type="api_error", code=code)
