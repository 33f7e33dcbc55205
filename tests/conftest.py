"""Shared fixtures: every test gets its own data dir and a real SQLite engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clawmemory.engine import Engine


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "home"
    monkeypatch.setenv("CLAWMEMORY_HOME", str(data))
    for name in list(__import__("os").environ):
        if name.startswith("CLAWMEMORY_") and name != "CLAWMEMORY_HOME":
            monkeypatch.delenv(name)
    return data


@pytest.fixture()
def engine(home: Path) -> Iterator[Engine]:
    eng = Engine.open(home)
    try:
        yield eng
    finally:
        eng.close()
