"""Bearer-token auth (the token file itself: :func:`clawmemory.serving.ensure_token`)."""

from __future__ import annotations

import hmac

from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import error_response

UNAUTHORIZED = "missing or wrong bearer token (see the token file in the data dir)"


class BearerAuthMiddleware:
    """Pure ASGI: every request under one of ``prefixes`` needs ``Authorization: Bearer <token>``.

    Checked before anything reads the body, so an unauthenticated caller learns nothing
    (not even whether its JSON parses or which routes exist) and no body is read for it."""

    def __init__(self, app: ASGIApp, token: str, prefixes: tuple[str, ...] = ("/v1",)) -> None:
        self.app = app
        self.expected = token.encode()
        self.prefixes = prefixes

    def _guarded(self, path: str) -> bool:
        return any(path == p or path.startswith(p + "/") for p in self.prefixes)

    def _authorised(self, scope: Scope) -> bool:
        header = dict(scope["headers"]).get(b"authorization", b"")
        scheme, _, given = header.partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), self.expected)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._guarded(scope["path"]) and not self._authorised(scope):
            response = error_response(401, "unauthorized", UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
