"""The inspector's routes: each page reads one :class:`~clawmemory.inspector.Inspector`
method and renders a template; each action calls one and redirects back (POST → 303 → GET),
so every page works without JavaScript."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from ..errors import ClawMemoryError
from . import plot
from .inspector import Inspector
from .session import COOKIE, LIFETIME_S, Sessions

HERE = Path(__file__).parent
PAGE_SIZE = 50
DONE = {"forget": "Forgotten.", "restore": "Restored.", "pin": "Pinned.", "unpin": "Unpinned."}
NAV = (
    ("overview", "/ui", "Namespaces"),
    ("memories", "/ui/memories", "Memories"),
    ("search", "/ui/search", "Search"),
    ("ledger", "/ui/ledger", "Ledger"),
    ("conversations", "/ui/conversations", "Conversations"),
    ("observations", "/ui/observations", "Observations"),
    ("collections", "/ui/collections", "Collections"),
    ("doctor", "/ui/doctor", "Doctor & settings"),
)

templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals.update(nav=NAV, colour=plot.colour)


def inspector(request: Request) -> Inspector:
    return request.app.state.inspector


def _safe_next(target: str | None) -> str:
    """Only local inspector paths are followed after login (no open redirect)."""
    if target and target.startswith("/ui") and not target.startswith("//") and "\\" not in target:
        return target
    return "/ui"


def ui_router(token: str) -> APIRouter:
    """All ``/ui`` routes for a daemon whose bearer token is ``token``."""
    sessions = Sessions(token)
    router = APIRouter(include_in_schema=False)
    pages = APIRouter(prefix="/ui", dependencies=[Depends(sessions.page_guard())])
    actions = APIRouter(prefix="/ui", dependencies=[Depends(sessions.action_guard())])

    def render(request: Request, name: str, page: str, load: Any, **extra: Any) -> HTMLResponse:
        """Render ``name`` with what ``load()`` returns; a domain error renders the error page."""
        ui = inspector(request)
        context: dict[str, Any] = {
            "page": page,
            "csrf": sessions.csrf(request.cookies.get(COOKIE, "")),
            "ns": request.query_params.get("ns") or ui.engine.settings.default_namespace,
            "namespaces": ui.engine.store.namespace_names(),
            **extra,
        }
        try:
            context["data"] = load()
        except ClawMemoryError as exc:
            context.update(error=exc)
            return templates.TemplateResponse(request, "error.html", context, status_code=exc.status)
        return templates.TemplateResponse(request, name, context)

    @router.get("/ui/login", response_class=HTMLResponse)
    def login_page(request: Request, next: str | None = None, failed: bool = False) -> HTMLResponse:
        return templates.TemplateResponse(
            request,
            "login.html",
            {"next": _safe_next(next), "failed": failed, "page": "login"},
            status_code=401 if failed else 200,
        )

    @router.post("/ui/login")
    def login(request: Request, token: str = Form(""), next: str = Form("/ui")) -> Response:
        if not sessions.token_ok(token):
            return login_page(request, next, failed=True)
        response = RedirectResponse(_safe_next(next), status_code=303)
        response.set_cookie(COOKIE, sessions.issue(), max_age=LIFETIME_S, path="/ui", httponly=True, samesite="strict")
        return response

    @actions.post("/logout")
    def logout(request: Request, csrf: str = Form("")) -> Response:
        sessions.check_csrf(request, csrf)
        response = RedirectResponse("/ui/login", status_code=303)
        response.delete_cookie(COOKIE, path="/ui")
        return response

    @pages.get("", response_class=HTMLResponse)
    def overview(request: Request) -> HTMLResponse:
        return render(request, "overview.html", "overview", inspector(request).namespaces)

    @pages.get("/memories", response_class=HTMLResponse)
    def memories(
        request: Request,
        ns: str | None = None,
        q: str = "",
        kind: str = "",
        category: str = "",
        status: str = "active",
        validity: str = "",
        before: str = "",
    ) -> HTMLResponse:
        ns = ns or None
        filters = {"ns": ns or "", "q": q, "kind": kind, "category": category, "status": status, "validity": validity}
        return render(
            request,
            "memories.html",
            "memories",
            lambda: inspector(request).memories(
                ns,
                contains=q or None,
                kind=kind,
                category=category,
                status=status,
                validity=validity,
                limit=PAGE_SIZE,
                before=before or None,
            ),
            filters=filters,
            query=lambda **kw: urlencode({**filters, **kw}),
        )

    @pages.get("/memories/{memory_id}", response_class=HTMLResponse)
    def memory(request: Request, memory_id: str, ns: str | None = None, done: str = "") -> HTMLResponse:
        def load() -> dict[str, Any]:
            found = inspector(request).memory(memory_id, ns or None)
            return {
                **found,
                "plot": plot.energy_svg({memory_id: found["energy"]}, title="Energy of this entry")
                if found["energy"]
                else None,
            }

        return render(request, "memory.html", "memories", load, done=done)

    @actions.post("/memories/{memory_id}/{action}")
    def memory_action(
        request: Request, memory_id: str, action: str, ns: str = Form(""), csrf: str = Form("")
    ) -> Response:
        sessions.check_csrf(request, csrf)
        try:
            result = inspector(request).memory_action(memory_id, action, ns or None)
        except ClawMemoryError as exc:
            result = {"reason": exc.message}
        done = (
            DONE[action]
            if any(result.get(k) for k in ("forgotten", "restored", "pinned", "unpinned"))
            else f"Not done ({action}): {result.get('reason', 'nothing to do')}"
        )
        return RedirectResponse(f"/ui/memories/{memory_id}?{urlencode({'ns': ns, 'done': done})}", status_code=303)

    @pages.get("/search", response_class=HTMLResponse)
    def search(
        request: Request, ns: str | None = None, q: str = "", corpus: str = "all", mode: str = ""
    ) -> HTMLResponse:
        ui = inspector(request)
        form = {"q": q, "corpus": corpus, "mode": mode}
        load = (lambda: ui.explain_search(q, ns or None, corpus=corpus, mode=mode or None)) if q.strip() else dict
        return render(request, "search.html", "search", load, form=form, corpora=sorted(ui.engine.corpora))

    @pages.get("/ledger", response_class=HTMLResponse)
    def ledger(request: Request, ns: str | None = None) -> HTMLResponse:
        def load() -> dict[str, Any]:
            found = inspector(request).ledger(ns or None)
            return {**found, "plot": plot.energy_svg(found["energy"])}

        return render(request, "ledger.html", "ledger", load)

    @pages.get("/conversations", response_class=HTMLResponse)
    def conversations(request: Request, ns: str | None = None, offset: int = 0) -> HTMLResponse:
        return render(
            request,
            "conversations.html",
            "conversations",
            lambda: inspector(request).conversations(ns or None, limit=PAGE_SIZE, offset=offset),
        )

    @pages.get("/conversations/session", response_class=HTMLResponse)
    def session(request: Request, key: str, ns: str | None = None) -> HTMLResponse:
        return render(request, "session.html", "conversations", lambda: inspector(request).session(key, ns or None))

    @pages.get("/observations", response_class=HTMLResponse)
    def observations(request: Request, ns: str | None = None, tool: str = "", offset: int = 0) -> HTMLResponse:
        return render(
            request,
            "observations.html",
            "observations",
            lambda: inspector(request).observations(ns or None, tool=tool, limit=PAGE_SIZE, offset=offset),
            tool=tool,
        )

    @pages.get("/collections", response_class=HTMLResponse)
    def collections(request: Request, ns: str | None = None) -> HTMLResponse:
        return render(request, "collections.html", "collections", lambda: inspector(request).collections(ns or None))

    @pages.get("/doctor", response_class=HTMLResponse)
    def doctor(request: Request) -> HTMLResponse:
        ui = inspector(request)
        base = str(request.base_url).rstrip("/")
        return render(request, "doctor.html", "doctor", lambda: {**ui.doctor(base), "settings": ui.settings()})

    router.include_router(pages)
    router.include_router(actions)
    return router


def mount_ui(app: FastAPI, token: str) -> None:
    """Serve the inspector on ``app`` (over ``app.state.engine``): its pages and actions, and
    its static files (public)."""
    app.state.inspector = Inspector(app.state.engine)
    app.include_router(ui_router(token))
    app.mount("/ui/static", StaticFiles(directory=HERE / "static"), name="ui-static")
