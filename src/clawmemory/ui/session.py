"""Token login for the inspector: a signed, expiring session cookie and a CSRF token per session.

The cookie is ``<expiry>.<nonce>.<hmac>``, signed with the daemon's bearer token, so it is
stateless, dies with a token change, and is useless without the token. It is HttpOnly,
SameSite=Strict and scoped to ``/ui``; every form that changes something also carries
``csrf`` = HMAC of the cookie."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from urllib.parse import quote

from fastapi import HTTPException, Request

COOKIE = "clawmemory_ui"
LIFETIME_S = 12 * 3600


class Sessions:
    """Issues and checks inspector sessions for one daemon token."""

    def __init__(self, token: str) -> None:
        self._token = token.encode()
        self._key = hashlib.sha256(b"clawmemory-ui-session:" + self._token).digest()

    def token_ok(self, given: str) -> bool:
        return hmac.compare_digest(given.strip().encode(), self._token)

    def _sign(self, message: str) -> str:
        return hmac.new(self._key, message.encode(), hashlib.sha256).hexdigest()

    def issue(self, now: float | None = None) -> str:
        expiry = int((now or time.time()) + LIFETIME_S)
        body = f"{expiry}.{secrets.token_urlsafe(16)}"
        return f"{body}.{self._sign(body)}"

    def valid(self, cookie: str | None, now: float | None = None) -> bool:
        if not cookie or cookie.count(".") != 2:
            return False
        body, _, signature = cookie.rpartition(".")
        expiry = body.split(".", 1)[0]
        if not hmac.compare_digest(signature, self._sign(body)) or not expiry.isdigit():
            return False
        return int(expiry) > (now or time.time())

    def csrf(self, cookie: str) -> str:
        return self._sign("csrf:" + cookie)

    def page_guard(self) -> Callable[[Request], None]:
        """Dependency for pages: no valid session → 303 to the login page."""

        def check(request: Request) -> None:
            if not self.valid(request.cookies.get(COOKIE)):
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                raise HTTPException(303, "log in first", headers={"Location": f"/ui/login?next={quote(target)}"})

        return check

    def action_guard(self) -> Callable[[Request], None]:
        """Dependency for actions and data: no valid session → 401."""

        def check(request: Request) -> None:
            if not self.valid(request.cookies.get(COOKIE)):
                raise HTTPException(401, "log in to the inspector first (/ui/login)")

        return check

    def check_csrf(self, request: Request, given: str) -> None:
        """A changing form must carry this session's CSRF token (403 otherwise)."""
        if not hmac.compare_digest(given.encode(), self.csrf(request.cookies.get(COOKIE, "")).encode()):
            raise HTTPException(403, "stale or missing form token; reload the page")
