"""The store (layer 1, over the leaves only): the ``Store`` protocol (``base.py``), the core
tables and their migrations, transactions and ``on_indexed``. SQLite is the embedded default;
PostgreSQL (``store_url = "postgresql://…"``) lets several daemons share one store. Components
keep their own tables here through their ``rows.py`` and ``schema`` modules."""

from __future__ import annotations

from pathlib import Path

from ..errors import InvalidInput
from .base import Store
from .records import IndexItem, Memory, Message, NewMemory, NewMessage, SearchRow
from .sqlite import SQLiteStore


def open_store(url: str, sqlite_path: str | Path) -> Store:
    """The store ``url`` names: ``postgresql://…`` (needs the ``postgres`` extra), or, when
    empty, the SQLite file at ``sqlite_path``."""
    if not url:
        return SQLiteStore(sqlite_path)
    if url.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresStore

        return PostgresStore(url)
    raise InvalidInput("store_url must be empty (SQLite) or a postgresql:// URL", field="store_url")


__all__ = [
    "IndexItem",
    "Memory",
    "Message",
    "NewMemory",
    "NewMessage",
    "SearchRow",
    "SQLiteStore",
    "Store",
    "open_store",
]
