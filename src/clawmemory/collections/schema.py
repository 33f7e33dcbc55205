"""Tables of markdown collections (component ``collections``), registered with the store's
migrations. A collection is a folder (plus glob patterns) in one namespace; each matching
file is a document, cut into chunks; each chunk is one search item (corpus ``chunk``)."""

from __future__ import annotations

import sqlite3

from ..store.migrations import register


@register("collections")
def m001_collections(db: sqlite3.Connection) -> None:
    db.execute(
        """
        CREATE TABLE collections (
            namespace   TEXT NOT NULL REFERENCES namespaces(name),
            name        TEXT NOT NULL,
            root        TEXT NOT NULL,                 -- absolute, resolved folder
            patterns    TEXT NOT NULL,                 -- JSON list of globs relative to root
            kind        TEXT NOT NULL DEFAULT 'folder' CHECK (kind IN ('folder', 'workspace')),
            created_at  TEXT NOT NULL,
            scanned_at  TEXT,
            PRIMARY KEY (namespace, name)
        )
        """
    )


@register("collections")
def m002_documents_and_chunks(db: sqlite3.Connection) -> None:
    db.execute(
        """
        CREATE TABLE collection_documents (
            id            TEXT PRIMARY KEY,
            namespace     TEXT NOT NULL,
            collection    TEXT NOT NULL,
            path          TEXT NOT NULL,               -- relative to the root, '/' separated
            content_hash  TEXT NOT NULL,               -- SHA-256 of the file bytes
            bytes         INTEGER NOT NULL,
            lines         INTEGER NOT NULL,
            title         TEXT,
            indexed_at    TEXT NOT NULL,
            UNIQUE (namespace, collection, path),
            FOREIGN KEY (namespace, collection) REFERENCES collections (namespace, name)
        )
        """
    )
    # A chunk's identity is the hash of (breadcrumb, text): an edit elsewhere in the file
    # keeps the chunk (and its search item and vector), only its line numbers move.
    db.execute(
        """
        CREATE TABLE collection_chunks (
            id            TEXT PRIMARY KEY,
            document_id   TEXT NOT NULL REFERENCES collection_documents(id),
            namespace     TEXT NOT NULL REFERENCES namespaces(name),
            seq           INTEGER NOT NULL,
            start_line    INTEGER NOT NULL,
            end_line      INTEGER NOT NULL,
            heading       TEXT,
            breadcrumb    TEXT NOT NULL DEFAULT '',
            text          TEXT NOT NULL,
            content_hash  TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX collection_chunks_by_document ON collection_chunks (document_id, seq)")
