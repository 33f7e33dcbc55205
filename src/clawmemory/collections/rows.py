"""The collections component's SQL: its tables ``collections``, ``collection_documents`` and
``collection_chunks``, as plain functions over a connection (``?`` placeholders: SQLite, and
PostgreSQL through ``pgconn``). Search items are the store's (``index_items``, ``unindex_item``)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from ..store.records import now_iso
from ..store.sqlite import chunked_in

# -- collections ----------------------------------------------------------------------------


def collection(db: Any, namespace: str, name: str) -> Any:
    return db.execute("SELECT * FROM collections WHERE namespace = ? AND name = ?", (namespace, name)).fetchone()


def insert_collection(db: Any, namespace: str, name: str, root: str, patterns: Sequence[str], kind: str) -> None:
    db.execute(
        "INSERT INTO collections (namespace, name, root, patterns, kind, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (namespace, name, root, json.dumps(list(patterns)), kind, now_iso()),
    )


def collections(db: Any, namespace: str | None = None, *, kind: str | None = None) -> list[Any]:
    """Collections of ``namespace`` (every namespace when None; only ``kind`` when given), by name."""
    return db.execute(
        "SELECT * FROM collections WHERE (? IS NULL OR namespace = ?) AND (? IS NULL OR kind = ?) "
        "ORDER BY namespace, name",
        (namespace, namespace, kind, kind),
    ).fetchall()


def collections_with_counts(db: Any, namespace: str) -> list[Any]:
    """Collections of ``namespace`` with ``documents`` and ``chunks`` counts, by name."""
    return db.execute(
        """
        SELECT c.*,
               (SELECT count(*) FROM collection_documents d
                 WHERE d.namespace = c.namespace AND d.collection = c.name) AS documents,
               (SELECT count(*) FROM collection_chunks k JOIN collection_documents d ON d.id = k.document_id
                 WHERE d.namespace = c.namespace AND d.collection = c.name) AS chunks
          FROM collections c WHERE c.namespace = ? ORDER BY c.name
        """,
        (namespace,),
    ).fetchall()


def delete_collection(db: Any, namespace: str, name: str) -> None:
    db.execute("DELETE FROM collections WHERE namespace = ? AND name = ?", (namespace, name))


def mark_scanned(db: Any, namespace: str, name: str) -> None:
    db.execute("UPDATE collections SET scanned_at = ? WHERE namespace = ? AND name = ?", (now_iso(), namespace, name))


# -- documents ------------------------------------------------------------------------------


def document_hashes(db: Any, namespace: str, name: str) -> dict[str, str]:
    """path → content hash of every document of the collection."""
    return {
        r["path"]: r["content_hash"]
        for r in db.execute(
            "SELECT path, content_hash FROM collection_documents WHERE namespace = ? AND collection = ?",
            (namespace, name),
        )
    }


def document_ids(db: Any, namespace: str, name: str) -> list[str]:
    return [
        r[0]
        for r in db.execute(
            "SELECT id FROM collection_documents WHERE namespace = ? AND collection = ?", (namespace, name)
        )
    ]


def document(db: Any, namespace: str, name: str, path: str) -> Any:
    """(id, content_hash) of the collection's document at ``path``, or None."""
    return db.execute(
        "SELECT id, content_hash FROM collection_documents WHERE namespace = ? AND collection = ? AND path = ?",
        (namespace, name, path),
    ).fetchone()


def insert_document(
    db: Any,
    doc_id: str,
    namespace: str,
    name: str,
    path: str,
    *,
    content_hash: str,
    size: int,
    lines: int,
    title: str,
    indexed_at: str,
) -> None:
    db.execute(
        "INSERT INTO collection_documents (id, namespace, collection, path, content_hash, bytes, lines, "
        "title, indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (doc_id, namespace, name, path, content_hash, size, lines, title, indexed_at),
    )


def update_document(
    db: Any, doc_id: str, *, content_hash: str, size: int, lines: int, title: str, indexed_at: str
) -> None:
    db.execute(
        "UPDATE collection_documents SET content_hash = ?, bytes = ?, lines = ?, title = ?, indexed_at = ? "
        "WHERE id = ?",
        (content_hash, size, lines, title, indexed_at, doc_id),
    )


def delete_document(db: Any, doc_id: str) -> None:
    """A document and its chunks (their search items are the caller's to unindex first)."""
    db.execute("DELETE FROM collection_chunks WHERE document_id = ?", (doc_id,))
    db.execute("DELETE FROM collection_documents WHERE id = ?", (doc_id,))


# -- chunks ---------------------------------------------------------------------------------


def chunk_hashes(db: Any, doc_id: str) -> dict[str, list[str]]:
    """content hash → chunk ids of a document, in order."""
    out: dict[str, list[str]] = {}
    for r in db.execute("SELECT id, content_hash FROM collection_chunks WHERE document_id = ? ORDER BY seq", (doc_id,)):
        out.setdefault(r["content_hash"], []).append(r["id"])
    return out


def chunk_ids(db: Any, doc_id: str) -> list[str]:
    return [r[0] for r in db.execute("SELECT id FROM collection_chunks WHERE document_id = ?", (doc_id,))]


def move_chunk(db: Any, chunk_id: str, seq: int, start_line: int, end_line: int) -> None:
    db.execute(
        "UPDATE collection_chunks SET seq = ?, start_line = ?, end_line = ? WHERE id = ?",
        (seq, start_line, end_line, chunk_id),
    )


def insert_chunk(
    db: Any,
    chunk_id: str,
    doc_id: str,
    namespace: str,
    *,
    seq: int,
    start_line: int,
    end_line: int,
    heading: str | None,
    breadcrumb: str,
    text: str,
    content_hash: str,
) -> None:
    db.execute(
        "INSERT INTO collection_chunks (id, document_id, namespace, seq, start_line, end_line, heading, "
        "breadcrumb, text, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (chunk_id, doc_id, namespace, seq, start_line, end_line, heading, breadcrumb, text, content_hash),
    )


def delete_chunk(db: Any, chunk_id: str) -> None:
    db.execute("DELETE FROM collection_chunks WHERE id = ?", (chunk_id,))


def chunks(db: Any, ids: Iterable[str]) -> list[Any]:
    """Chunks by id with their document's collection, path and time and the collection's kind."""
    return chunked_in(
        db,
        """
        SELECT k.id, k.namespace, k.start_line, k.end_line, k.heading, k.breadcrumb, k.text,
               k.document_id, d.collection, d.path, d.indexed_at, c.kind
          FROM collection_chunks k
          JOIN collection_documents d ON d.id = k.document_id
          JOIN collections c ON c.namespace = d.namespace AND c.name = d.collection
         WHERE k.id IN ({marks})
        """,
        ids,
    )
