"""Bearer-token auth and the token file (created 0600 on first start)."""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from fastapi import HTTPException, Request


def ensure_token(path: Path) -> str:
    """Read the token at ``path``, creating it (mode 0600) when absent."""
    if path.exists():
        token = path.read_text(encoding="utf-8").strip()
        if token:
            return token
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token + "\n")
    os.chmod(path, 0o600)
    return token


UNAUTHORIZED = "missing or wrong bearer token (see the token file in the data dir)"


def bearer_matches(header: str, expected: bytes) -> bool:
    """Whether an ``Authorization`` header value is ``Bearer <expected>`` (constant time)."""
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected)


def bearer_guard(token: str):
    """A FastAPI dependency that accepts only ``Authorization: Bearer <token>``."""
    expected = token.encode()

    async def check(request: Request) -> None:
        if not bearer_matches(request.headers.get("authorization", ""), expected):
            raise HTTPException(401, UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})

    return check
