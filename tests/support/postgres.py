"""A real PostgreSQL (+ pgvector) for tests: one server per test session on a free loopback
port in a temporary dir, and a fresh database per test, copied from a template that already
holds every migration (so a test pays ~0.1 s, not the migrations)."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from pathlib import Path

import psycopg

from clawmemory.store.local_postgres import LocalPostgres, free_port

TEMPLATE = "clawmemory_template"


class TestPostgres:
    __test__ = False

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="clawmemory-pg-"))
        self.root.chmod(0o755)  # the server may run as another user (see local_postgres)
        self.server = LocalPostgres(
            self.root / "data", port=free_port(), fast=True, settings={"max_connections": "300"}
        )
        self.server.start()
        self._names = itertools.count(1)
        self._template_ready = False

    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(self.server.url(), autocommit=True)

    def database(self) -> str:
        """The URL of a new, migrated, empty database."""
        import clawmemory.engine  # noqa: F401  (registers every component's migrations)
        from clawmemory.store.postgres import PostgresStore

        with self._admin() as admin:
            if not self._template_ready:
                admin.execute(f"CREATE DATABASE {TEMPLATE}")
                PostgresStore(self.server.url(TEMPLATE)).close()
                self._template_ready = True
            name = f"test_{next(self._names)}"
            admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} STRATEGY WAL_LOG")
        return self.server.url(name)

    def drop(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with self._admin() as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        self.server.stop()
        shutil.rmtree(self.root, ignore_errors=True)
