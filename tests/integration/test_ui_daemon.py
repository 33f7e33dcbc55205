"""The web inspector over real HTTP: every page and action refuses a request without a
session, the login sets a strict cookie, forms need their CSRF token, and the pages show
and change what the store holds."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from support.daemon import Daemon
from support.inspector import ENV, seed

pytestmark = pytest.mark.integration
PAGES = [
    "/ui",
    "/ui/memories",
    "/ui/memories/mem_x",
    "/ui/search?q=billing",
    "/ui/ledger",
    "/ui/conversations",
    "/ui/conversations/session?key=chat-7",
    "/ui/observations",
    "/ui/collections",
    "/ui/doctor",
]
ACTIONS = ["/ui/memories/mem_x/forget", "/ui/memories/mem_x/restore", "/ui/memories/mem_x/pin", "/ui/logout"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Daemon, dict[str, str]]]:
    home = tmp_path_factory.mktemp("ui") / "home"
    ids = seed(home)
    with Daemon(home, env=ENV) as daemon:
        yield daemon, ids


@contextmanager
def logged_in(daemon: Daemon) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=daemon.url, timeout=30) as client:
        r = client.post("/ui/login", data={"token": daemon.token, "next": "/ui/ledger"})
        assert r.status_code == 303 and r.headers["location"] == "/ui/ledger"
        yield client


def csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


@pytest.mark.parametrize("path", PAGES)
def test_pages_without_a_session_go_to_the_login_page(site, path):
    daemon, _ = site
    with httpx.Client(base_url=daemon.url, timeout=30) as c:
        r = c.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/ui/login?next=/ui")
        page = c.get(r.headers["location"])
        assert page.status_code == 200 and 'name="token"' in page.text and "<nav" not in page.text
    forged = {"clawmemory_ui": "9999999999.abc.0000"}
    with httpx.Client(base_url=daemon.url, timeout=30, cookies=forged) as c:
        assert c.get(path).status_code == 303
        bearer = c.get(path, headers={"Authorization": f"Bearer {daemon.token}"})  # the UI wants its login
        assert bearer.status_code == 303


@pytest.mark.parametrize("path", ACTIONS)
def test_actions_without_a_session_are_401(site, path):
    daemon, ids = site
    with httpx.Client(base_url=daemon.url, timeout=30) as c:
        r = c.post(path.replace("mem_x", ids["note"]), data={"ns": "default", "csrf": "x"})
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    with daemon.client() as c:  # nothing changed
        assert c.get(f"/v1/memories/{ids['note']}").json()["status"] == "active"


def test_login_cookie_is_strict_and_a_wrong_token_is_refused(site):
    daemon, _ = site
    with httpx.Client(base_url=daemon.url, timeout=30) as c:
        bad = c.post("/ui/login", data={"token": "wrong", "next": "/ui"})
        assert bad.status_code == 401 and "not this daemon" in bad.text and "set-cookie" not in bad.headers
        evil = c.post("/ui/login", data={"token": daemon.token, "next": "//evil.example/ui"})
        assert evil.status_code == 303 and evil.headers["location"] == "/ui"
        cookie = evil.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/ui" in cookie


def test_forms_need_the_csrf_token_and_plain_memories_forget_and_restore(site):
    daemon, ids = site
    with logged_in(daemon) as c:
        url = f"/ui/memories/{ids['note']}?ns=default"
        page = c.get(url)
        assert page.status_code == 200 and "db-staging-3" in page.text and ">Pin<" not in page.text
        token = csrf(page.text)
        refused = c.post(f"/ui/memories/{ids['note']}/forget", data={"ns": "default", "csrf": "stale"})
        assert refused.status_code == 403
        r = c.post(f"/ui/memories/{ids['note']}/forget", data={"ns": "default", "csrf": token})
        assert r.status_code == 303 and "Forgotten" in c.get(r.headers["location"]).text
        assert ids["note"] in c.get("/ui/memories?status=forgotten").text
        assert ids["note"] not in c.get("/ui/memories").text
        pin = c.post(f"/ui/memories/{ids['note']}/pin", data={"ns": "default", "csrf": token})
        assert "only recall-ledger entries can be pinned" in c.get(pin.headers["location"]).text
        c.post(f"/ui/memories/{ids['note']}/restore", data={"ns": "default", "csrf": token})
        assert ids["note"] in c.get("/ui/memories").text
        out = c.post("/ui/logout", data={"csrf": token})
        assert out.status_code == 303
        assert c.get("/ui").status_code == 303


def test_memories_filter_search_and_page(site):
    daemon, _ = site
    with logged_in(daemon) as c:
        page = c.get("/ui/memories", params={"kind": "fact"}).text
        assert "2 memories" in page and "Deploys happen" in page and "Maria prefers" not in page
        assert "Frankfurt" in c.get("/ui/memories", params={"q": "frankfurt"}).text  # case-insensitive contains
        assert "0 memories" in c.get("/ui/memories", params={"q": "100%_"}).text  # LIKE wildcards are literal
        assert "1 memory" in c.get("/ui/memories", params={"category": "preference"}).text
        assert 'id="f-validity"' in page  # formation's validity columns are in every store
        newest = c.get("/ui/memories").text
        assert "showing 5, newest first" in newest and 'rel="next"' not in newest  # 5 fit on one page
        bad = c.get("/ui/memories", params={"ns": "nope"})
        assert bad.status_code == 404 and "does not exist" in bad.text


def test_search_ledger_and_conversation_pages_show_the_store(site):
    daemon, ids = site
    with logged_in(daemon) as c:
        hits = c.get("/ui/search", params={"q": "billing port", "mode": "lexical"}).text
        assert "billing listens on port 8443" in hits and "Lexical (BM25)" in hits
        ledger = c.get("/ui/ledger").text
        assert "<svg" in ledger and "<polyline" in ledger and "run-2" in ledger and "billing service port" in ledger
        assert "chat-7" in c.get("/ui/conversations").text
        assert "Where does staging run?" in c.get("/ui/conversations/session", params={"key": "chat-7"}).text
        doctor = c.get("/ui/doctor").text
        assert "daemon.health" in doctor or "Daemon" in doctor
        assert "default_namespace" in doctor
