"""Fixtures for the OpenClaw end-to-end tests (marker ``e2e``).

Session-wide: the Node 24 + openclaw toolchain (installed once into the cache) and the
scripted model. Per module: a clawmemory daemon and an isolated OpenClaw home with the
plugin installed through ``clawmemory openclaw install``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fake_model import FakeModelServer  # noqa: E402
from harness import Daemon, OpenClawHome, Toolchain, clawmemory_cli, ensure_toolchain  # noqa: E402


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def toolchain() -> Toolchain:
    return ensure_toolchain()


@pytest.fixture(scope="session")
def fake_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeModelServer]:
    log = tmp_path_factory.mktemp("fake-model") / "requests.jsonl"
    with FakeModelServer(0, log) as srv:
        yield srv


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    d = Daemon(tmp_path_factory.mktemp("clawmemory") / "data")
    try:
        d.start()
    except RuntimeError as exc:
        pytest.fail(f"cannot start the clawmemory daemon: {exc}")
    yield d
    d.stop()


def install_plugin(home: OpenClawHome, daemon: Daemon, *extra: str) -> dict:
    """``clawmemory openclaw install`` into this home, pointing at this daemon."""
    run = clawmemory_cli(
        [
            "openclaw",
            "install",
            "--config",
            str(home.config_path),
            "--data-dir",
            str(daemon.data_dir),
            "--daemon-url",
            daemon.url,
            "--disable-memory-core",
            "--json",
            *extra,
        ],
        env=home.env,
    ).check()
    return run.json()


@pytest.fixture(scope="module")
def oc_home(
    toolchain: Toolchain, fake_model: FakeModelServer, daemon: Daemon, tmp_path_factory: pytest.TempPathFactory
) -> OpenClawHome:
    """An isolated OpenClaw with clawmemory installed and selected."""
    home = OpenClawHome(toolchain, tmp_path_factory.mktemp("openclaw"), fake_model.base_url)
    install_plugin(home, daemon)
    return home


def skip_if_missing(daemon: Daemon, *routes: tuple[str, str]) -> None:
    """Skip (with the reason) while the daemon does not implement these routes yet."""
    missing = [f"{m} {p}" for m, p in routes if daemon.route_missing(m, p)]
    if missing:
        pytest.skip(f"daemon route not implemented yet (404): {', '.join(missing)}")
