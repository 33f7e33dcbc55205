"""Bearer-token auth and the token file (created 0600 on first start)."""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import error_response


def ensure_token(path: Path) -> str:
    """Read the token at ``path``, creating it (mode 0600) when absent."""
    if path.exists():
        token = path.read_text(encoding="utf-8").strip()
        if token:
            if os.stat(path).st_mode & 0o077:  # loosened by hand or a copy: make it private again
                os.chmod(path, 0o600)
            return token
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token + "\n")
    os.chmod(path, 0o600)
    return token


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
