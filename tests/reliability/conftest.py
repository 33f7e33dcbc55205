"""Fixtures of the reliability suite: real daemons on loopback (embeddings off, so the
figures measure the store, the HTTP layer and the ledger, not the embedder)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.daemon import LEXICAL, Daemon


@pytest.fixture(scope="module")
def shared_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    """One daemon for a whole module (fuzzing and auth checks do not need a fresh store)."""
    with Daemon(tmp_path_factory.mktemp("reliability") / "home", env=LEXICAL) as d:
        yield d


@pytest.fixture()
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    with Daemon(tmp_path / "home", env=LEXICAL) as d:
        yield d
