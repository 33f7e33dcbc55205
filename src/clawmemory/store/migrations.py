"""Schema migrations: small named functions, applied in order, recorded by name.

Each component keeps its own list (``core`` here; others register theirs with
:func:`register`), so a component's schema grows without touching another's.
A migration is never edited after release; data is never dropped silently.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

Migration = Callable[[sqlite3.Connection], None]  # on Postgres a pgconn.Connection, which reads the same

_COMPONENTS: dict[str, list[Migration]] = {}


def register(component: str) -> Callable[[Migration], Migration]:
    """Decorator: append a migration to ``component``'s list (order of definition)."""

    def add(fn: Migration) -> Migration:
        _COMPONENTS.setdefault(component, []).append(fn)
        return fn

    return add


def migrate(db: Any) -> list[str]:
    """Apply every registered migration not yet recorded; return the names applied.

    Each migration runs in its own ``BEGIN IMMEDIATE`` transaction and re-checks the
    record inside it, so two processes opening one database never apply one twice.
    """
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    applied = []
    for component, steps in _COMPONENTS.items():
        for fn in steps:
            name = f"{component}.{fn.__name__}"
            db.execute("BEGIN IMMEDIATE")
            try:
                if db.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,)).fetchone():
                    db.execute("ROLLBACK")
                    continue
                fn(db)
                db.execute(
                    "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                    (name, datetime.now(UTC).isoformat()),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            applied.append(name)
    return applied


def dialect(db: Any) -> str:
    """``sqlite`` or ``postgres``: what a migration branches on where the two differ."""
    return getattr(db, "dialect", "sqlite")


def schema_version(db: Any) -> int:
    """How many migrations this database has applied."""
    return db.execute("SELECT count(*) FROM _migrations").fetchone()[0]


@register("core")
def m001_namespaces(db: sqlite3.Connection) -> None:
    db.execute(
        """
        CREATE TABLE namespaces (
            name        TEXT PRIMARY KEY,
            created_at  TEXT NOT NULL,
            metadata    TEXT NOT NULL DEFAULT '{}'
        )
        """
    )
    db.execute(
        "INSERT INTO namespaces (name, created_at) VALUES ('default', ?)",
        (datetime.now(UTC).isoformat(),),
    )


@register("core")
def m002_memories(db: sqlite3.Connection) -> None:
    db.execute(
        """
        CREATE TABLE memories (
            id            TEXT PRIMARY KEY,
            namespace     TEXT NOT NULL REFERENCES namespaces(name),
            kind          TEXT NOT NULL DEFAULT 'note',
            text          TEXT NOT NULL,
            question      TEXT,
            answer        TEXT,
            source        TEXT,
            importance    REAL NOT NULL DEFAULT 0.5,
            category      TEXT,
            metadata      TEXT NOT NULL DEFAULT '{}',
            content_hash  TEXT NOT NULL,
            status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'forgotten')),
            created_at    TEXT NOT NULL,
            updated_at    TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX memories_by_namespace ON memories (namespace, status, created_at)")
    # One active copy of the same content per namespace: replays are idempotent.
    db.execute(
        "CREATE UNIQUE INDEX memories_unique_content ON memories (namespace, content_hash) WHERE status = 'active'"
    )


@register("core")
def m003_messages(db: sqlite3.Connection) -> None:
    db.execute(
        """
        CREATE TABLE messages (
            id            TEXT PRIMARY KEY,
            namespace     TEXT NOT NULL REFERENCES namespaces(name),
            session_key   TEXT NOT NULL,
            seq           INTEGER NOT NULL,
            role          TEXT NOT NULL,
            speaker       TEXT,
            text          TEXT NOT NULL,
            metadata      TEXT NOT NULL DEFAULT '{}',
            content_hash  TEXT NOT NULL,
            created_at    TEXT NOT NULL,
            stored_at     TEXT NOT NULL,
            UNIQUE (namespace, session_key, content_hash)
        )
        """
    )
    db.execute("CREATE INDEX messages_by_session ON messages (namespace, session_key, seq)")


@register("core")
def m004_search_index(db: sqlite3.Connection) -> None:
    # One index over every searchable thing (memories, messages, later chunks and
    # observations). `terms` holds analyzed text (see clawmemory.text), `context` and
    # `context_next` analyzed neighbouring text (previous / next message), `author`
    # who wrote it, `embed_text` the raw text the embedder sees; `ns` and `corpus`
    # are FTS filter tokens.
    db.execute(
        """
        CREATE TABLE search_items (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            namespace   TEXT NOT NULL REFERENCES namespaces(name),
            ns          TEXT NOT NULL,
            corpus      TEXT NOT NULL,
            ref_id      TEXT NOT NULL,
            container   TEXT,
            terms       TEXT NOT NULL,
            context     TEXT NOT NULL DEFAULT '',
            context_next TEXT NOT NULL DEFAULT '',
            author      TEXT,
            embed_text  TEXT NOT NULL DEFAULT '',
            created_at  TEXT NOT NULL,
            UNIQUE (corpus, ref_id)
        )
        """
    )
    db.execute("CREATE INDEX search_items_by_container ON search_items (namespace, corpus, container)")
    if dialect(db) == "postgres":
        # Phrases, +required and -excluded (store/postgres.py): terms, context and context_next
        # as weights A, B, C of one tsvector, written by the store with each row.
        db.execute("ALTER TABLE search_items ADD COLUMN tsv tsvector NOT NULL")
        db.execute("CREATE INDEX search_items_tsv ON search_items USING gin (tsv)")
    # Removed items, in order, so in-memory indexes in any process can catch up.
    db.execute(
        """
        CREATE TABLE search_tombstones (
            seq      INTEGER PRIMARY KEY AUTOINCREMENT,
            item_id  INTEGER NOT NULL
        )
        """
    )
    if dialect(db) == "postgres":
        return
    db.execute(
        """
        CREATE VIRTUAL TABLE search_fts USING fts5(
            ns, corpus, terms, context, context_next,
            content='search_items', content_rowid='id',
            tokenize='unicode61 remove_diacritics 0'
        )
        """
    )


@register("core")
def m005_embeddings(db: sqlite3.Connection) -> None:
    # One vector per search item and model; `seq` orders writes so in-memory
    # vector indexes can catch up. A model change re-embeds (rows are replaced).
    if dialect(db) == "postgres":
        # pgvector; namespace and corpus beside the vector so an HNSW scan filters on them.
        # Each model gets its own HNSW index (fixed dimension) when its first vector is saved.
        db.execute("CREATE EXTENSION IF NOT EXISTS vector")
        db.execute(
            """
            CREATE TABLE embeddings (
                seq         INTEGER PRIMARY KEY AUTOINCREMENT,
                item_id     INTEGER NOT NULL UNIQUE REFERENCES search_items(id) ON DELETE CASCADE,
                model       TEXT NOT NULL,
                dim         INTEGER NOT NULL,
                vector      vector NOT NULL,
                namespace   TEXT NOT NULL,
                corpus      TEXT NOT NULL,
                created_at  TEXT NOT NULL
            )
            """
        )
        db.execute("CREATE INDEX embeddings_by_model ON embeddings (model)")
        return
    db.execute(
        """
        CREATE TABLE embeddings (
            seq         INTEGER PRIMARY KEY AUTOINCREMENT,
            item_id     INTEGER NOT NULL UNIQUE REFERENCES search_items(id) ON DELETE CASCADE,
            model       TEXT NOT NULL,
            dim         INTEGER NOT NULL,
            vector      BLOB NOT NULL,
            created_at  TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX embeddings_by_model ON embeddings (model)")


@register("core")
def m006_memory_facets(db: sqlite3.Connection) -> None:
    # Kind and category per namespace and status, index-only: the inspector's facet counts and
    # kind/category filters over 100k+ memories read the index instead of every row.
    db.execute("CREATE INDEX memories_by_kind_category ON memories (namespace, status, kind, category)")
