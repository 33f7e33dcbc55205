"""The web inspector in a real browser: Debian's Chromium, headless, driven by Playwright
against the real daemon. Log in, search, open a memory, forget and restore it, view the
ledger plot; no console errors; every screenshot is saved and checked to be non-blank."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageStat
from support.daemon import Daemon
from support.inspector import ENV, seed

pytestmark = pytest.mark.integration
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# No network noise from a closed sandbox: no background services, updates, sync or QUIC.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SHOTS = Path(__file__).resolve().parents[2] / ".cache" / "ui-screenshots"


@pytest.fixture()
def site(tmp_path: Path) -> Iterator[tuple[Daemon, dict[str, str]]]:
    ids = seed(tmp_path / "home")
    with Daemon(tmp_path / "home", env=ENV) as daemon:
        yield daemon, ids


@pytest.fixture()
def page(tmp_path: Path):
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: scripts/test.sh installs it (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        tab = context.new_page()
        problems: list[str] = []
        tab.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        tab.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        tab.problems = problems
        yield tab
        browser.close()


def shot(tab, name: str) -> Path:
    """Save a full-page screenshot under .cache/ui-screenshots and check it shows something."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    with Image.open(path) as img:
        grey = img.convert("L")
        lo, hi = grey.getextrema()
        assert hi - lo > 100, f"{path} is blank (grey levels {lo}..{hi})"
        assert ImageStat.Stat(grey).stddev[0] > 10, f"{path} is nearly uniform"
    print(f"screenshot: {path}")
    return path


def test_log_in_search_open_forget_restore_and_ledger_plot(site, page):
    daemon, ids = site
    page.goto(f"{daemon.url}/ui/memories")
    assert "/ui/login" in page.url
    page.get_by_label("Token").fill("not the token")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_role("alert").inner_text().startswith("That token is not")
    assert [p for p in page.problems if "401" not in p] == []  # the wrong token's 401 is the one expected
    page.problems.clear()
    page.get_by_label("Token").fill(daemon.token)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/ui/memories")
    assert page.get_by_role("status").inner_text().startswith("5 memories")
    shot(page, "memories")

    page.get_by_role("link", name="Search").click()
    page.get_by_label("Query").fill("billing service port")
    page.get_by_label("Mode").select_option("lexical")
    page.get_by_role("button", name="Search").click()
    first = page.locator("table.hits tbody tr").first
    cells = first.locator("td").all_inner_texts()
    assert "billing listens on port 8443" in cells[1]
    assert float(cells[2]) > 0 and float(cells[5]) > 0 and cells[6] == "yes"  # lexical, fusion, relevant
    assert float(cells[7]) > 0  # the entry's energy
    shot(page, "search")

    first.get_by_role("link").click()
    page.wait_for_url(f"**/ui/memories/{ids['entry']}**")
    assert "alive" in page.locator("#memory-status").inner_text()
    assert page.locator("svg.plot circle").count() >= 2  # birth + the settled credit
    page.get_by_role("button", name="Forget").click()
    page.wait_for_url("**done=Forgotten**")
    assert "forgotten" in page.locator("#memory-status").inner_text()
    shot(page, "forgotten")
    page.get_by_role("button", name="Restore").click()
    page.wait_for_url("**done=Restored**")
    status = page.locator("#memory-status").inner_text()
    assert "active" in status and "alive" in status

    page.get_by_role("link", name="Ledger").click()
    plot = page.locator("svg.plot")
    assert plot.get_attribute("role") == "img" and plot.locator("polyline").count() >= 1
    assert plot.bounding_box()["width"] > 300
    assert "run-2" in page.get_by_role("table", name="Open tickets per session").inner_text()
    assert "run-1" in page.get_by_role("table", name="Settlements").inner_text()
    shot(page, "ledger")
    assert page.problems == []


def test_every_page_renders_and_is_keyboard_reachable(site, page):
    daemon, _ = site
    page.goto(f"{daemon.url}/ui/login")
    page.get_by_label("Token").fill(daemon.token)
    page.keyboard.press("Enter")
    page.wait_for_url("**/ui")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    for name in ("Memories", "Search", "Ledger", "Conversations", "Observations", "Collections", "Doctor & settings"):
        page.get_by_role("navigation", name="Inspector pages").get_by_role("link", name=name).click()
        assert page.locator("h1").count() == 1, name
        assert page.get_by_role("link", name=name).get_attribute("aria-current") == "page"
    page.get_by_role("link", name="Conversations").click()
    page.get_by_role("link", name="chat-7").click()
    assert "Where does staging run?" in page.locator("ol.messages").inner_text()
    shot(page, "session")
    assert page.problems == []
