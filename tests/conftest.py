"""Shared fixtures: every test gets its own data dir and a real engine: SQLite, and for tests
marked ``backends`` also PostgreSQL (a real server with pgvector, see support/postgres.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.postgres import TestPostgres

from clawmemory.engine import Engine

# The Engine/component suite that runs once per store (SQLite and PostgreSQL): every component's
# SQL is exercised on both. Elsewhere, mark a test ``backends`` to run it on both.
BOTH_STORES = {
    "test_store.py",
    "test_engine.py",
    "test_hybrid.py",
    "test_ledger_core.py",
    "test_context_commit.py",
    "test_context_assemble.py",
    "test_context_compaction.py",
    "test_capture_ingest.py",
    "test_collections.py",
    "test_formation.py",
    "test_memory_tools.py",
    "test_inspector.py",
    "test_export.py",
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests in :data:`BOTH_STORES` or marked ``backends`` run once per store."""
    both = metafunc.definition.get_closest_marker("backends") or metafunc.definition.path.name in BOTH_STORES
    if "store_url" in metafunc.fixturenames and both:
        metafunc.parametrize("store_url", ["sqlite", "postgres"], indirect=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[TestPostgres]:
    """One PostgreSQL server for the session (started on first use)."""
    server = TestPostgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def store_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The store a test runs on: "" (SQLite in the data dir) or a fresh PostgreSQL database."""
    if getattr(request, "param", "sqlite") != "postgres":
        yield ""
        return
    server = request.getfixturevalue("postgres")
    url = server.database()
    try:
        yield url
    finally:
        server.drop(url)


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_url: str) -> Path:
    """The data dir; for a PostgreSQL run, ``CLAWMEMORY_STORE_URL`` points every Engine opened
    on it (in this process, the CLI or a daemon) at the test's database."""
    data = tmp_path / "home"
    monkeypatch.setenv("CLAWMEMORY_HOME", str(data))
    for name in list(__import__("os").environ):
        if name.startswith("CLAWMEMORY_") and name != "CLAWMEMORY_HOME":
            monkeypatch.delenv(name)
    if store_url:
        monkeypatch.setenv("CLAWMEMORY_STORE_URL", store_url)
    return data


@pytest.fixture()
def engine(home: Path) -> Iterator[Engine]:
    eng = Engine.open(home)
    try:
        yield eng
    finally:
        eng.close()
