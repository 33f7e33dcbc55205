"""`clawmemory postgres start|stop`: the bundled server on loopback, reachable by a store URL."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest

from clawmemory.cli.main import main
from clawmemory.store import open_store
from clawmemory.store.local_postgres import free_port


def test_start_serve_a_store_stop(capsys: pytest.CaptureFixture[str]) -> None:
    root = Path(tempfile.mkdtemp(prefix="clawmemory-pgcli-"))
    root.chmod(0o755)  # under root the server runs as nobody
    data = root / "pg"
    try:
        assert main(["postgres", "start", "--data", str(data), "--port", str(free_port()), "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["created"] and out["url"].startswith("postgresql://postgres@127.0.0.1:")
        store = open_store(out["url"], root / "unused.db")
        assert store.dialect == "postgres" and store.has_namespace("default")
        store.close()
        assert main(["postgres", "stop", "--data", str(data)]) == 0
        assert not (data / "postmaster.pid").exists()
    finally:
        main(["postgres", "stop", "--data", str(data)])
        shutil.rmtree(root, ignore_errors=True)


def test_store_url_must_be_postgres(tmp_path: Path) -> None:
    assert main(["serve", "--data-dir", str(tmp_path), "--port", "0", "--store", "mysql://x"]) == 2
