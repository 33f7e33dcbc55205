"""The embedded SQLite store: WAL, foreign keys, one connection per thread,
one writer at a time, the FTS5 index maintained in the same transaction as every write."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from ..text import index_terms
from . import migrations
from .records import (
    IndexItem,
    Memory,
    Message,
    NewMemory,
    NewMessage,
    SearchRow,
    new_id,
    now_iso,
    ns_token,
)

log = logging.getLogger("clawmemory.store")

IN_CHUNK = 500  # ids per statement


def chunked_in(db: Any, sql: str, ids: Iterable[Any], params: Sequence[Any] = ()) -> list[Any]:
    """Run ``sql`` once per :data:`IN_CHUNK` ids and return every row. ``sql`` holds
    ``IN ({marks})``; ``params`` bind before the ids. On SQLite the ids bind as one JSON array
    read by ``json_each``, so the SQL text is the same for any number of ids: each connection
    caches one prepared statement, not one per list length (a statement with 500 ``?`` is
    ~120 KB, and 128 of them per connection were most of the daemon's memory growth under
    load). PostgreSQL (:mod:`.pgconn`) gets them as one array, unnested."""
    ids = list(ids)
    rows: list[Any] = []
    sqlite = getattr(db, "dialect", "sqlite") == "sqlite"
    for start in range(0, len(ids), IN_CHUNK):
        part = ids[start : start + IN_CHUNK]
        if sqlite:
            rows.extend(db.execute(sql.format(marks="SELECT value FROM json_each(?)"), [*params, json.dumps(part)]))
        else:  # one array parameter: the same SQL text (and prepared statement) for any length
            array = "bigint[]" if isinstance(part[0], int) else "text[]"
            rows.extend(db.execute(sql.format(marks=f"SELECT unnest(?::{array})"), [*params, part]))
    return rows


def memory_from_row(row: Any) -> Memory:
    """A ``memories`` row (SQLite's or PostgreSQL's, by column name) as a :class:`Memory`."""
    return Memory(
        id=row["id"],
        namespace=row["namespace"],
        kind=row["kind"],
        text=row["text"],
        question=row["question"],
        answer=row["answer"],
        source=row["source"],
        importance=row["importance"],
        category=row["category"],
        metadata=json.loads(row["metadata"]),
        status=row["status"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _message(row: sqlite3.Row) -> Message:
    return Message(
        id=row["id"],
        namespace=row["namespace"],
        session_key=row["session_key"],
        seq=row["seq"],
        role=row["role"],
        speaker=row["speaker"],
        text=row["text"],
        metadata=json.loads(row["metadata"]),
        created_at=row["created_at"],
    )


def message_label(message: Message) -> str:
    """How a message reads in the index: ``Speaker: text`` when the speaker is known."""
    return f"{message.speaker}: {message.text}" if message.speaker else message.text


def _date_words(iso: str) -> str:
    """'2023-05-08T13:56:00Z' → '8 May 2023': lets questions that name a date match."""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return ""
    return f"{moment.day} {moment.strftime('%B')} {moment.year}"


def _message_item(window: Sequence[Message], i: int) -> IndexItem:
    """The index entry of ``window[i]``: its date and ``Speaker: text``, the previous and next
    messages as context, and previous + own + next text for the embedder."""
    message = window[i]
    prev = message_label(window[i - 1]) if i > 0 else ""
    after = message_label(window[i + 1]) if i + 1 < len(window) else ""
    own = message_label(message)
    return IndexItem(
        message.namespace,
        "message",
        message.id,
        f"{_date_words(message.created_at)} {own}",
        context=prev,
        context_next=after,
        author=message.speaker,
        embed_text="\n".join(t for t in (prev, own, after) if t),
        container=message.session_key,
        created_at=message.created_at,
    )


def index_row(item: IndexItem) -> tuple:
    """An item analysed for ``search_items`` (the CPU part of indexing, no database needed)."""
    return (
        item.namespace,
        ns_token(item.namespace),
        item.corpus,
        item.ref_id,
        item.container,
        index_terms(item.text),
        index_terms(item.context) if item.context else "",
        index_terms(item.context_next) if item.context_next else "",
        item.author,
        item.embed_text or item.text,
        item.created_at,
    )


class SQLStore:
    """The store's SQL, written once for SQLite and PostgreSQL (which runs it through the
    dialect shim in :mod:`.pgconn`). Subclasses own connections and transactions, the
    full-text index (``insert_index_rows``, ``unindex_item``, ``match_items``, ``items``),
    vectors (``save_embeddings``, ``embeddings_since``) and ``columns``."""

    path: str
    dialect = "sqlite"  # or "postgres": what SQL that differs between the two branches on
    like = "LIKE"  # a case-insensitive LIKE (SQLite's is; Postgres says ILIKE)
    _validity: bool | None = None
    _listeners: tuple[Callable[[], None], ...] = ()
    _local: threading.local

    @property
    def db(self) -> Any:
        """This thread's connection."""
        raise NotImplementedError

    def transaction(self) -> AbstractContextManager[Any]:
        """One write transaction; nested use joins the outer one."""
        raise NotImplementedError

    def insert_index_rows(self, db: Any, rows: Sequence[tuple]) -> None:
        raise NotImplementedError

    def unindex_item(self, db: Any, corpus: str, ref_id: str) -> None:
        raise NotImplementedError

    def columns(self, table: str) -> set[str]:
        """The column names of ``table``."""
        raise NotImplementedError

    def on_indexed(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after each commit that added search items (the embedding
        worker's wake-up); a listener that raises is logged, never the writer's failure."""
        self._listeners = (*self._listeners, listener)

    # -- for the subclasses' transactions and index writes

    def mark_indexed(self) -> None:
        """Search items were added in this thread's transaction: tell listeners after COMMIT."""
        self._local.indexed = True

    def after_commit(self) -> None:
        if getattr(self._local, "indexed", False):
            self._local.indexed = False
            for listener in self._listeners:
                try:
                    listener()
                except Exception:  # a wake-up must never fail a write that committed
                    log.exception("on_indexed listener failed")

    def after_rollback(self) -> None:
        self._local.indexed = False

    def advance_ids(self, db: Any, table: str, column: str) -> None:
        """After rows were written with their own ``column`` ids: ids the store assigns next
        follow the largest (SQLite's AUTOINCREMENT does this by itself)."""

    def schema_version(self) -> int:
        return migrations.schema_version(self.db)

    # -- namespaces ---------------------------------------------------------------------

    def ensure_namespace(self, name: str) -> bool:
        """Create ``name`` if missing; True when it was created."""
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO namespaces (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                (name, now_iso()),
            )
            return cur.rowcount == 1

    def namespace_names(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT name FROM namespaces ORDER BY name")]

    def has_namespace(self, name: str) -> bool:
        return self.db.execute("SELECT 1 FROM namespaces WHERE name = ?", (name,)).fetchone() is not None

    def list_namespaces(self) -> list[dict[str, Any]]:
        rows = self.db.execute(
            """
            SELECT n.name, n.created_at,
                   (SELECT count(*) FROM memories m
                     WHERE m.namespace = n.name AND m.status = 'active') AS memories,
                   (SELECT count(*) FROM messages g WHERE g.namespace = n.name) AS messages
              FROM namespaces n
             ORDER BY n.name
            """
        )
        return [dict(r) for r in rows]

    # -- search index -------------------------------------------------------------------

    def index_items(self, db: sqlite3.Connection, items: Sequence[IndexItem]) -> None:
        """Add items to the lexical index (call inside a transaction)."""
        self.insert_index_rows(db, [index_row(i) for i in items])

    def index_watermarks(self) -> tuple[int, int]:
        """(newest search item id, newest tombstone seq): what an in-memory index has to catch up to."""
        row = self.db.execute(
            "SELECT (SELECT coalesce(max(id), 0) FROM search_items), "
            "(SELECT coalesce(max(seq), 0) FROM search_tombstones)"
        ).fetchone()
        return row[0], row[1]

    def index_rows_since(self, item_id: int) -> list[sqlite3.Row]:
        """Search items added after ``item_id``, oldest first."""
        return self.db.execute(
            "SELECT id, namespace, corpus, ref_id, container, terms, context, context_next, author FROM search_items "
            "WHERE id > ? ORDER BY id",
            (item_id,),
        ).fetchall()

    def removed_since(self, seq: int) -> list[int]:
        """Item ids removed after tombstone ``seq``, in order."""
        return [
            r[0] for r in self.db.execute("SELECT item_id FROM search_tombstones WHERE seq > ? ORDER BY seq", (seq,))
        ]

    # -- embeddings ---------------------------------------------------------------------

    def items_to_embed(self, after_id: int, upto_id: int, model: str, limit: int) -> list[tuple[int, str]]:
        """Items with ``after_id < id <= upto_id`` that have no vector from ``model``, oldest first."""
        rows = self.db.execute(
            """
            SELECT i.id, i.embed_text
              FROM search_items i LEFT JOIN embeddings e ON e.item_id = i.id
             WHERE i.id > ? AND i.id <= ? AND (e.item_id IS NULL OR e.model != ?)
             ORDER BY i.id LIMIT ?
            """,
            (after_id, upto_id, model, limit),
        )
        return [(r[0], r[1]) for r in rows]

    def count_to_embed(self, model: str) -> int:
        """How many items lack a vector from ``model``."""
        return self.db.execute(
            "SELECT count(*) FROM search_items i LEFT JOIN embeddings e ON e.item_id = i.id "
            "WHERE e.item_id IS NULL OR e.model != ?",
            (model,),
        ).fetchone()[0]

    def embedding_watermark(self) -> int:
        return self.db.execute("SELECT coalesce(max(seq), 0) FROM embeddings").fetchone()[0]

    # -- memories -----------------------------------------------------------------------

    def add_memories(self, items: Sequence[NewMemory]) -> list[tuple[Memory, bool]]:
        """Insert memories in one transaction; an item whose content is already active in
        its namespace (or earlier in the batch) returns that memory with ``created=False``."""
        out: list[tuple[Memory, bool] | None] = [None] * len(items)
        rows: list[tuple] = []
        index: list[IndexItem] = []
        with self.transaction() as db:
            digests = [item.identity() for item in items]
            existing = self._active_by_hash(db, items, digests)
            fresh: dict[tuple[str, str], Memory] = {}
            for n, (item, digest) in enumerate(zip(items, digests)):
                key = (item.namespace, digest)
                if key in existing or key in fresh:
                    out[n] = (existing.get(key) or fresh[key], False)
                    continue
                stamp = now_iso()
                memory = Memory(
                    id=new_id("mem"),
                    namespace=item.namespace,
                    kind=item.kind,
                    text=item.text,
                    question=item.question,
                    answer=item.answer,
                    source=item.source,
                    importance=item.importance,
                    category=item.category,
                    metadata=dict(item.metadata),
                    status="active",
                    created_at=stamp,
                    updated_at=stamp,
                )
                fresh[key] = memory
                out[n] = (memory, True)
                rows.append(
                    (
                        memory.id,
                        memory.namespace,
                        memory.kind,
                        memory.text,
                        memory.question,
                        memory.answer,
                        memory.source,
                        memory.importance,
                        memory.category,
                        json.dumps(memory.metadata, ensure_ascii=False),
                        digest,
                        stamp,
                        stamp,
                    )
                )
                index.append(IndexItem(memory.namespace, "memory", memory.id, memory.text, created_at=stamp))
            db.executemany(
                """
                INSERT INTO memories (id, namespace, kind, text, question, answer, source, importance,
                                      category, metadata, content_hash, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                rows,
            )
            self.index_items(db, index)
        return [r for r in out if r is not None]

    def _active_by_hash(
        self, db: sqlite3.Connection, items: Sequence[NewMemory], digests: Sequence[str]
    ) -> dict[tuple[str, str], Memory]:
        found: dict[tuple[str, str], Memory] = {}
        for namespace in {i.namespace for i in items}:
            wanted = [d for i, d in zip(items, digests) if i.namespace == namespace]
            # SQLite, without statistics, reads (namespace, status) off the kind/category index and
            # walks every active memory of the namespace: 1.3 s per call at 850k memories, so a bulk
            # load slowed quadratically. The content index answers it in under a millisecond.
            hint = " INDEXED BY memories_unique_content" if self.dialect == "sqlite" else ""
            sql = f"SELECT * FROM memories{hint} WHERE namespace = ? AND status = 'active' AND content_hash IN ({{marks}})"
            for row in chunked_in(db, sql, wanted, [namespace]):
                found[(namespace, row["content_hash"])] = memory_from_row(row)
        return found

    def get_memory(self, memory_id: str) -> Memory | None:
        row = self.db.execute("SELECT * FROM memories WHERE id = ?", (memory_id,)).fetchone()
        return memory_from_row(row) if row else None

    def get_memories(self, ids: Iterable[str]) -> dict[str, Memory]:
        rows = chunked_in(self.db, "SELECT * FROM memories WHERE id IN ({marks})", ids)
        return {r["id"]: memory_from_row(r) for r in rows}

    def list_memories(
        self,
        namespace: str,
        *,
        kind: str | None = None,
        category: str | None = None,
        status: str = "active",
        limit: int = 50,
        offset: int = 0,
        contains: str | None = None,
        validity: str | None = None,
        ids: Sequence[str] | None = None,
        before: tuple[str, str] | None = None,
    ) -> tuple[list[Memory], int]:
        """Newest first. ``contains``: a case-insensitive substring of the text; ``ids``: only
        these (≤ 1000); ``validity`` (``current`` or ``superseded``) applies only once the table
        has validity columns; ``before``: (created_at, id) of the last row of the previous page
        (keyset paging: an index seek at any depth; the total ignores it)."""
        where = ["namespace = ?", "status = ?"]
        params: list[Any] = [namespace, status]
        if ids is not None:
            where.append(f"id IN ({','.join('?' * len(ids))})" if ids else "0")
            params.extend(ids)
        if kind:
            where.append("kind = ?")
            params.append(kind)
        if category:
            where.append("category = ?")
            params.append(category)
        if contains:
            escaped = contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append(f"text {self.like} ? ESCAPE '\\'")
            params.append(f"%{escaped}%")
        if validity and self.has_validity():
            now = now_iso()
            if validity == "current":
                where.append("superseded_by IS NULL AND (valid_to IS NULL OR valid_to > ?)")
            else:
                where.append("(superseded_by IS NOT NULL OR valid_to <= ?)")
            params.append(now)
        clause = " AND ".join(where)
        total = self.db.execute(f"SELECT count(*) FROM memories WHERE {clause}", params).fetchone()[0]
        if before is not None:
            clause += " AND created_at <= ? AND (created_at < ? OR id < ?)"
            params.extend([before[0], before[0], before[1]])
        rows = self.db.execute(
            f"SELECT * FROM memories WHERE {clause} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [memory_from_row(r) for r in rows], total

    def forget_memory(self, memory_id: str) -> Memory | None:
        """Mark a memory forgotten and drop it from the index; the row stays for audit."""
        with self.transaction() as db:
            cur = db.execute(
                "UPDATE memories SET status = 'forgotten', updated_at = ? WHERE id = ? AND status = 'active'",
                (now_iso(), memory_id),
            )
            if cur.rowcount:
                self.unindex_item(db, "memory", memory_id)
            row = db.execute("SELECT * FROM memories WHERE id = ?", (memory_id,)).fetchone()
        return memory_from_row(row) if row else None

    def restore_memory(self, memory_id: str) -> Memory | None:
        """Bring a forgotten memory back into the index (joins an open transaction). Raises
        ``sqlite3.IntegrityError`` when an identical memory is active."""
        with self.transaction() as db:
            cur = db.execute(
                "UPDATE memories SET status = 'active', updated_at = ? WHERE id = ? AND status = 'forgotten'",
                (now_iso(), memory_id),
            )
            row = db.execute("SELECT * FROM memories WHERE id = ?", (memory_id,)).fetchone()
            if cur.rowcount:
                self.index_items(
                    db, [IndexItem(row["namespace"], "memory", memory_id, row["text"], created_at=row["created_at"])]
                )
        return memory_from_row(row) if row else None

    def has_validity(self) -> bool:
        """Whether memories carry validity columns (``valid_from``, ``valid_to``, ``superseded_by``)."""
        if self._validity is None:
            self._validity = {"valid_to", "superseded_by"} <= self.columns("memories")
        return self._validity

    def memory_facets(self, namespace: str, status: str = "active") -> dict[str, dict[str, int]]:
        """Counts per kind and category of a namespace's memories in ``status``, and per status
        (for filters; index-only)."""
        out: dict[str, dict[str, int]] = {"kind": {}, "category": {}}
        for kind, category, n in self.db.execute(  # one streaming pass over the (…, kind, category) index
            "SELECT kind, category, count(*) FROM memories WHERE namespace = ? AND status = ? GROUP BY kind, category",
            (namespace, status),
        ):
            out["kind"][kind] = out["kind"].get(kind, 0) + n
            if category is not None:
                out["category"][category] = out["category"].get(category, 0) + n
        rows = self.db.execute(
            "SELECT status AS v, count(*) AS n FROM memories WHERE namespace = ? GROUP BY status", (namespace,)
        )
        out["status"] = {r["v"]: r["n"] for r in rows}
        return out

    # -- messages -----------------------------------------------------------------------

    def add_messages(self, items: Sequence[NewMessage]) -> list[tuple[Message, bool]]:
        """Append messages to their sessions (idempotent by content), indexed in the same transaction.

        Each message is indexed with its neighbours: the previous message as lexical
        ``context`` and previous + own + next text as what the embedder sees (answers often sit
        in the reply to a question). The session's former last message is re-indexed once its
        next message arrives.
        """
        out: list[tuple[Message, bool]] = []
        with self.transaction() as db:
            sessions: dict[tuple[str, str], list[NewMessage]] = {}
            for item in items:
                sessions.setdefault((item.namespace, item.session_key), []).append(item)
            done: dict[int, tuple[Message, bool]] = {}
            for (namespace, session_key), batch in sessions.items():
                for item, result in zip(batch, self._append_session(db, namespace, session_key, batch)):
                    done[id(item)] = result
            out = [done[id(item)] for item in items]
        return out

    def _append_session(
        self, db: sqlite3.Connection, namespace: str, session_key: str, batch: Sequence[NewMessage]
    ) -> list[tuple[Message, bool]]:
        tail = db.execute(
            "SELECT * FROM messages WHERE namespace = ? AND session_key = ? ORDER BY seq DESC LIMIT 2",
            (namespace, session_key),
        ).fetchall()
        seq = tail[0]["seq"] if tail else 0
        results: list[tuple[Message, bool]] = []
        fresh: list[Message] = []
        for item in batch:
            digest = item.identity()
            existing = db.execute(
                "SELECT * FROM messages WHERE namespace = ? AND session_key = ? AND content_hash = ?",
                (namespace, session_key, digest),
            ).fetchone()
            if existing is not None:
                results.append((_message(existing), False))
                continue
            seq += 1
            message = Message(
                new_id("msg"),
                namespace,
                session_key,
                seq,
                item.role,
                item.speaker,
                item.text,
                dict(item.metadata),
                item.created_at,
            )
            db.execute(
                """
                INSERT INTO messages (id, namespace, session_key, seq, role, speaker, text,
                                      metadata, content_hash, created_at, stored_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                (
                    message.id,
                    namespace,
                    session_key,
                    seq,
                    item.role,
                    item.speaker,
                    item.text,
                    json.dumps(item.metadata, ensure_ascii=False),
                    digest,
                    item.created_at,
                    now_iso(),
                ),
            )
            results.append((message, True))
            fresh.append(message)
        if not fresh:
            return results
        previous = [_message(r) for r in reversed(tail)]  # up to two, oldest first
        window = [*previous, *fresh]
        start = len(previous)
        index: list[IndexItem] = []
        if previous:  # the former last message now has a next one
            self.unindex_item(db, "message", previous[-1].id)
            index.append(_message_item(window, start - 1))
        index.extend(_message_item(window, i) for i in range(start, len(window)))
        self.index_items(db, index)
        return results

    def reindex_session(self, db: sqlite3.Connection, namespace: str, session_key: str) -> int:
        """Rebuild the index items of one session's messages, each with its neighbours (after
        rows were loaded directly, e.g. from an export; call inside a transaction)."""
        window = [
            _message(r)
            for r in db.execute(
                "SELECT * FROM messages WHERE namespace = ? AND session_key = ? ORDER BY seq", (namespace, session_key)
            )
        ]
        for message in window:
            self.unindex_item(db, "message", message.id)
        self.index_items(db, [_message_item(window, i) for i in range(len(window))])
        return len(window)

    def list_messages(self, namespace: str, session_key: str) -> list[Message]:
        rows = self.db.execute(
            "SELECT * FROM messages WHERE namespace = ? AND session_key = ? ORDER BY seq",
            (namespace, session_key),
        )
        return [_message(r) for r in rows]

    def list_sessions(self, namespace: str, *, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """Conversation sessions, most recently active first: key, message count, first and last time."""
        total = self.db.execute(
            "SELECT count(DISTINCT session_key) FROM messages WHERE namespace = ?", (namespace,)
        ).fetchone()[0]
        rows = self.db.execute(
            "SELECT session_key, count(*) AS messages, min(created_at) AS first_at, max(created_at) AS last_at "
            "FROM messages WHERE namespace = ? GROUP BY session_key ORDER BY last_at DESC LIMIT ? OFFSET ?",
            (namespace, limit, offset),
        )
        return [dict(r) for r in rows], total

    def get_messages(self, ids: Iterable[str]) -> dict[str, Message]:
        rows = chunked_in(self.db, "SELECT * FROM messages WHERE id IN ({marks})", ids)
        return {r["id"]: _message(r) for r in rows}

    def count_messages(self, namespace: str, session_key: str) -> int:
        return self.db.execute(
            "SELECT count(*) FROM messages WHERE namespace = ? AND session_key = ?", (namespace, session_key)
        ).fetchone()[0]

    def message_metadata_at(
        self, namespace: str, session_key: str, role: str, created_at: str
    ) -> dict[str, Any] | None:
        """The metadata of the session's first ``role`` message stamped ``created_at``, or None."""
        row = self.db.execute(
            "SELECT metadata FROM messages WHERE namespace = ? AND session_key = ? AND role = ? "
            "AND created_at = ? ORDER BY seq LIMIT 1",
            (namespace, session_key, role, created_at),
        ).fetchone()
        return None if row is None else json.loads(row[0])

    def unpaired_twin(
        self, db: Any, new: NewMessage, source: str, start: str, end: str
    ) -> tuple[str, dict[str, Any]] | None:
        """(id, metadata) of the earliest stored message of ``new``'s session with its role and
        text, written by ``source`` (``metadata.source``) between ``start`` and ``end`` and not
        yet paired (``metadata.paired``); call inside a transaction."""
        row = db.execute(
            "SELECT id, metadata FROM messages WHERE namespace = ? AND session_key = ? AND role = ? AND text = ? "
            "AND json_extract(metadata, '$.source') = ? AND json_extract(metadata, '$.paired') IS NULL "
            "AND created_at BETWEEN ? AND ? ORDER BY created_at LIMIT 1",
            (new.namespace, new.session_key, new.role, new.text, source, start, end),
        ).fetchone()
        return None if row is None else (row[0], json.loads(row[1]))

    def set_message_metadata(self, db: Any, message_id: str, metadata: dict[str, Any]) -> None:
        """Replace a message's metadata (call inside a transaction)."""
        db.execute(
            "UPDATE messages SET metadata = ? WHERE id = ?", (json.dumps(metadata, ensure_ascii=False), message_id)
        )

    def delete_messages_before(self, namespace: str, cutoff: str) -> int:
        """Delete the namespace's messages created before ``cutoff`` (and their index items);
        how many."""
        with self.transaction() as db:
            ids = [
                r[0]
                for r in db.execute(
                    "SELECT id FROM messages WHERE namespace = ? AND created_at < ?", (namespace, cutoff)
                )
            ]
            for message_id in ids:
                self.unindex_item(db, "message", message_id)
            db.executemany("DELETE FROM messages WHERE id = ?", [(i,) for i in ids])
        return len(ids)

    # -- stats --------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        row = self.db.execute(
            """
            SELECT (SELECT count(*) FROM namespaces) AS namespaces,
                   (SELECT count(*) FROM memories WHERE status = 'active') AS memories,
                   (SELECT count(*) FROM memories WHERE status = 'forgotten') AS forgotten,
                   (SELECT count(*) FROM messages) AS messages,
                   (SELECT count(*) FROM search_items) AS indexed,
                   (SELECT count(*) FROM embeddings) AS embedded
            """
        ).fetchone()
        return dict(row)


class Held:
    """A thread's connection, kept in its thread-local slot: when the thread ends the slot is
    dropped and the connection closed (the HTTP server's worker threads come and go)."""

    __slots__ = ("conn", "__weakref__")

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        weakref.finalize(self, conn.close)


class SQLiteStore(SQLStore):
    """SQLite implementation of :class:`~clawmemory.store.base.Store`: WAL, one connection per
    thread (closed when the thread ends), ``BEGIN IMMEDIATE`` under a process lock, an FTS5 index beside ``search_items``."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._open: weakref.WeakSet[Held] = weakref.WeakSet()  # every live thread's connection
        self._open_lock = threading.Lock()
        with self._write_lock:
            migrations.migrate(self.db)

    # -- connections and transactions -------------------------------------------------

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use, closed when the thread ends)."""
        held = getattr(self._local, "held", None)
        if held is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA busy_timeout = 30000")
            held = self._local.held = Held(conn)
            with self._open_lock:
                self._open.add(held)
        return held.conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``); commits on success, rolls back on error.

        Nested use joins the outer transaction.
        """
        db = self.db
        if db.in_transaction:
            yield db
            return
        with self._write_lock:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                self.after_rollback()
                raise
            else:
                db.execute("COMMIT")
        self.after_commit()

    def close(self) -> None:
        with self._open_lock:
            for held in list(self._open):
                try:
                    held.conn.close()
                except sqlite3.ProgrammingError:
                    pass
            self._open.clear()
        self._local = threading.local()

    def insert_index_rows(self, db: sqlite3.Connection, rows: Sequence[tuple]) -> None:
        """Insert analysed items (:func:`index_row`; call inside a transaction): rows into
        ``search_items``, then one insert-select into the FTS5 table."""
        if not rows:
            return
        self.mark_indexed()
        first = db.execute("SELECT coalesce(max(id), 0) FROM search_items").fetchone()[0]
        db.executemany(
            """
            INSERT INTO search_items (namespace, ns, corpus, ref_id, container, terms, context,
                                      context_next, author, embed_text, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            rows,
        )
        db.execute(
            "INSERT INTO search_fts (rowid, ns, corpus, terms, context, context_next) "
            "SELECT id, ns, corpus, terms, context, context_next FROM search_items WHERE id > ?",
            (first,),
        )

    def unindex_item(self, db: sqlite3.Connection, corpus: str, ref_id: str) -> None:
        """Remove one item from the lexical index (call inside a transaction)."""
        row = db.execute(
            "SELECT id, ns, corpus, terms, context, context_next FROM search_items WHERE corpus = ? AND ref_id = ?",
            (corpus, ref_id),
        ).fetchone()
        if row is None:
            return
        db.execute(
            "INSERT INTO search_fts (search_fts, rowid, ns, corpus, terms, context, context_next) "
            "VALUES ('delete', ?, ?, ?, ?, ?, ?)",
            (row["id"], row["ns"], row["corpus"], row["terms"], row["context"], row["context_next"]),
        )
        db.execute("DELETE FROM search_items WHERE id = ?", (row["id"],))
        db.execute("INSERT INTO search_tombstones (item_id) VALUES (?)", (row["id"],))

    def match_items(self, namespaces: Sequence[str], match: str, *, corpora: Sequence[str]) -> list[int]:
        """Item ids whose text satisfies an FTS5 ``match`` (phrases, required and excluded words)."""
        if not namespaces or not corpora:
            return []
        ns_filter = " OR ".join(f'"{ns_token(n)}"' for n in namespaces)
        corpus_filter = " OR ".join(f'"{c}"' for c in corpora)
        full = f"ns : ({ns_filter}) AND corpus : ({corpus_filter}) AND ({match})"
        return [r[0] for r in self.db.execute("SELECT rowid FROM search_fts WHERE search_fts MATCH ?", (full,))]

    def items(self, item_ids: Sequence[int]) -> dict[int, SearchRow]:
        """Search items by id (those still present)."""
        cursor = self.db.cursor()
        cursor.row_factory = None  # plain tuples: this runs for every search's candidate pool
        sql = "SELECT id, namespace, corpus, ref_id, container, author FROM search_items WHERE id IN ({marks})"
        return {r[0]: SearchRow(*r) for r in chunked_in(cursor, sql, item_ids)}

    def save_embeddings(self, model: str, dim: int, vectors: Sequence[tuple[int, bytes]]) -> int:
        """Store (item id, float32 bytes) vectors, replacing older ones; items removed
        meanwhile are skipped. Returns how many were written."""
        written = 0
        stamp = now_iso()
        with self.transaction() as db:
            for item_id, blob in vectors:
                db.execute("DELETE FROM embeddings WHERE item_id = ?", (item_id,))
                cur = db.execute(
                    "INSERT INTO embeddings (item_id, model, dim, vector, created_at) "
                    "SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM search_items WHERE id = ?)",
                    (item_id, model, dim, blob, stamp, item_id),
                )
                written += cur.rowcount
        return written

    def embeddings_since(self, seq: int, model: str) -> list[sqlite3.Row]:
        """Vectors of ``model`` written after ``seq``, with their item's namespace and corpus."""
        return self.db.execute(
            """
            SELECT e.seq, e.item_id, e.vector, i.namespace, i.corpus
              FROM embeddings e JOIN search_items i ON i.id = e.item_id
             WHERE e.seq > ? AND e.model = ?
             ORDER BY e.seq
            """,
            (seq, model),
        ).fetchall()

    def columns(self, table: str) -> set[str]:
        return {r["name"] for r in self.db.execute(f"PRAGMA table_info({table})")}
