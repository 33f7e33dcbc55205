"""Web inspector: how fast the memories page renders over a large store.

Target (issue 17): a page over 100k memories renders its first page in <= 300 ms.
Builds ``--size`` memories through the store's bulk path (``Engine.store_memories`` in
batches: validation, redaction and the FTS index in one transaction per batch), starts the
real daemon, logs in like a browser, and times whole HTTP round trips (query + render) for
the first page, filtered pages, a search, a page from the middle (keyset cursor), the
overview and the first page right after a write. With ``--browser`` it also loads the first
page in Debian's headless Chromium and reads the navigation timing (response end,
DOMContentLoaded, load event).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Corpus, report, summary_ms  # noqa: E402

from clawmemory.engine import Engine  # noqa: E402

KINDS = ("note", "fact", "preference", "decision")
CATEGORIES = ("infra", "people", "process", "preference", None)
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def build(home: Path, size: int, batch: int) -> tuple[float, str]:
    """Write ``size`` memories in batches; returns memories per second and the page cursor
    (``created_at|id``) of the memory in the middle."""
    corpus = Corpus()
    start = time.perf_counter()
    with Engine.open(home, embedding_provider="none") as engine:
        for i in range(0, size, batch):
            engine.store_memories(
                [
                    {
                        "text": f"{corpus.sentence()} #{n}",
                        "kind": KINDS[n % len(KINDS)],
                        **({"category": c} if (c := CATEGORIES[n % len(CATEGORIES)]) else {}),
                    }
                    for n in range(i, min(size, i + batch))
                ]
            )
        rate = size / (time.perf_counter() - start)
        middle = engine.list_memories(limit=1, offset=size // 2).items[0]
    return rate, f"{middle.created_at}|{middle.id}"


def serve(home: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "CLAWMEMORY_EMBEDDING_PROVIDER": "none"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "clawmemory", "serve", "--data-dir", str(home), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert proc.stdout is not None
    match = re.search(r"listening on (http://\S+)", proc.stdout.readline().decode())
    if not match:
        proc.kill()
        raise SystemExit("the daemon did not start")
    return proc, match.group(1)


def timed(client: httpx.Client, path: str, repeat: int, expect: str) -> dict[str, float]:
    samples = []
    for n in range(repeat + 2):
        t0 = time.perf_counter()
        r = client.get(path)
        elapsed = time.perf_counter() - t0
        if r.status_code != 200 or expect not in r.text:
            raise SystemExit(f"{path}: {r.status_code} without {expect!r}")
        if n >= 2:  # two warm-up loads
            samples.append(elapsed)
    return summary_ms(samples)


def after_writes(client: httpx.Client, token: str, repeat: int, expect: str) -> dict[str, float]:
    """The first page right after a memory is stored (the facet cache is cold each time)."""
    samples = []
    for n in range(repeat):
        r = client.post(
            "/v1/memories",
            headers={"Authorization": f"Bearer {token}"},
            json={"text": f"benchmark write {n}", "kind": "note"},
        )
        assert r.status_code == 201, r.text
        t0 = time.perf_counter()
        page = client.get("/ui/memories")
        samples.append(time.perf_counter() - t0)
        assert page.status_code == 200 and "memories" in page.text
    return summary_ms(samples)


def browser_timing(url: str, cookie: str, repeat: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    names = ("responseEnd", "domContentLoadedEventEnd", "loadEventEnd")
    runs: dict[str, list[float]] = {n: [] for n in names}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_FLAGS)
        context = browser.new_context()
        context.add_cookies([{"name": "clawmemory_ui", "value": cookie, "url": url}])
        page = context.new_page()
        for n in range(repeat + 2):
            page.goto(f"{url}/ui/memories", wait_until="load")
            timing = page.evaluate("() => performance.getEntriesByType('navigation')[0].toJSON()")
            if n >= 2:
                for name in names:
                    runs[name].append(timing[name] / 1000)
        browser.close()
    return {name: summary_ms(values) for name, values in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--browser", action="store_true", help="also time the page in headless Chromium")
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        write_rate, middle = build(home, args.size, args.batch)
        proc, url = serve(home)
        try:
            with httpx.Client(base_url=url, timeout=900) as client:
                token = (home / "token").read_text().strip()
                client.post("/ui/login", data={"token": token, "next": "/ui"})
                t0 = time.perf_counter()  # the daemon's first search loads the in-memory BM25 index
                client.get("/ui/memories", params={"q": "warm up"})
                index_load_s = time.perf_counter() - t0
                shown = f"{args.size} memories"
                pages = {
                    "first page": ("/ui/memories", shown),
                    "kind filter": ("/ui/memories?kind=fact", "memories"),
                    "kind + category": ("/ui/memories?kind=fact&category=infra", "memories"),
                    "text contains": ("/ui/memories?q=%233", "memories"),
                    "deep page (middle)": (f"/ui/memories?{urlencode({'before': middle})}", "older than"),
                    "overview": ("/ui", "default"),
                }
                results = {name: timed(client, path, args.repeat, expect) for name, (path, expect) in pages.items()}
                results["first page after a write"] = after_writes(client, token, args.repeat, shown)
                browser = browser_timing(url, client.cookies["clawmemory_ui"], args.repeat) if args.browser else None
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    rows = [[name, r["p50_ms"], r["p99_ms"]] for name, r in results.items()]
    if browser:
        rows += [[f"browser {name}", r["p50_ms"], r["p99_ms"]] for name, r in browser.items()]
    load = os.getloadavg()
    report(
        f"ui: memories page over {args.size} memories (built at {write_rate:,.0f}/s; first search after start "
        f"{index_load_s:.1f} s, loading the BM25 index; load {load[0]:.1f})",
        ["request", "p50 ms", "p99 ms"],
        rows,
        {
            "benchmark": "ui",
            "size": args.size,
            "write_per_s": round(write_rate),
            "http": results,
            "first_search_s": round(index_load_s, 2),
            "browser": browser,
            "target_ms": 300,
            "loadavg": [round(v, 2) for v in load],
            "machine": platform.machine(),
            "python": platform.python_version(),
        },
        args.json_path,
    )


if __name__ == "__main__":
    main()
