import sqlite3
import threading

import numpy as np
import pytest

from clawmemory.retrieval.query import parse_query
from clawmemory.store import NewMemory, NewMessage, SQLiteStore, migrations, open_store
from clawmemory.store import postgres as postgres_store
from clawmemory.store.postgres import tsquery
from clawmemory.store.sqlite import chunked_in


def found(store, namespaces, query, corpus="memory"):
    """ref ids whose text matches ``query`` through the FTS5 index."""
    ids = store.match_items(namespaces, parse_query(query).match(), corpora=[corpus])
    return sorted(row.ref_id for row in store.items(ids).values())


@pytest.fixture()
def store(tmp_path, store_url):
    s = open_store(store_url, tmp_path / "db.sqlite")
    yield s
    s.close()


def test_wal_foreign_keys_and_migrations(tmp_path):
    store = SQLiteStore(tmp_path / "db.sqlite")
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    version = store.schema_version()
    assert version >= 4
    # Re-opening applies nothing new.
    again = SQLiteStore(tmp_path / "db.sqlite")
    assert again.schema_version() == version
    assert migrations.migrate(again.db) == []
    again.close()
    store.close()


def test_migrations_apply_once(store, store_url, tmp_path):
    version = store.schema_version()
    again = open_store(store_url, tmp_path / "db.sqlite")
    assert again.schema_version() == version and migrations.migrate(again.db) == []
    again.close()


def test_memory_rows_carry_a_known_namespace(store):
    with pytest.raises(sqlite3.IntegrityError):
        store.add_memories([NewMemory(namespace="ghost", text="x")])
    assert store.counts()["memories"] == 0  # nothing half-written


def test_duplicates_inside_one_batch_are_stored_once(store):
    out = store.add_memories([NewMemory("default", "same"), NewMemory("default", "same")])
    assert [created for _, created in out] == [True, False]
    assert out[0][0].id == out[1][0].id and store.counts()["memories"] == 1


def test_add_is_idempotent_by_content(store):
    ((first, created1),) = store.add_memories([NewMemory("default", "Deploys go to Fly.io")])
    ((second, created2),) = store.add_memories([NewMemory("default", "Deploys go to Fly.io")])
    assert created1 and not created2 and first.id == second.id
    assert store.counts()["memories"] == 1
    assert store.counts()["indexed"] == 1


def test_fts_follows_every_write(store):
    ((mem, _),) = store.add_memories([NewMemory("default", "The staging database is on port 5433")])
    assert found(store, ["default"], "+staging +port") == [mem.id]
    store.forget_memory(mem.id)
    assert found(store, ["default"], "+staging +port") == []
    assert store.index_watermarks()[1] == 1  # the removal is recorded for in-memory indexes
    assert store.get_memory(mem.id).status == "forgotten"
    # forgotten content can be stored again as a new active memory
    ((again, created),) = store.add_memories([NewMemory("default", "The staging database is on port 5433")])
    assert created and again.id != mem.id


def test_failed_batch_rolls_back_index_too(store):
    with pytest.raises(sqlite3.IntegrityError):
        store.add_memories([NewMemory("default", "good one"), NewMemory("ghost", "bad one")])
    assert store.counts() == {**store.counts(), "memories": 0, "indexed": 0}


def test_namespaces_never_leak_in_search(store):
    store.ensure_namespace("alice")
    store.ensure_namespace("bob")
    store.add_memories([NewMemory("alice", "alice likes green tea")])
    store.add_memories([NewMemory("bob", "bob likes black tea")])
    hits = found(store, ["bob"], "+tea")
    assert len(hits) == 1
    assert store.get_memory(hits[0]).namespace == "bob"
    assert len(found(store, ["alice", "bob"], "+tea")) == 2


def test_messages_sequence_and_idempotence(store):
    batch = [
        NewMessage("default", "s1", "user", "hello there", "2026-01-01T10:00:00Z"),
        NewMessage("default", "s1", "assistant", "hi! how can I help", "2026-01-01T10:00:05Z"),
    ]
    store.add_messages(batch)
    store.add_messages(batch)  # replay
    msgs = store.list_messages("default", "s1")
    assert [(m.seq, m.role) for m in msgs] == [(1, "user"), (2, "assistant")]
    ids = store.match_items(["default"], parse_query("+help").match(), corpora=["message"])
    assert [row.container for row in store.items(ids).values()] == ["s1"]


def test_list_paging_and_filters(store):
    store.add_memories([NewMemory("default", f"memory number {i}", kind="fact" if i % 2 else "note") for i in range(7)])
    page, total = store.list_memories("default", limit=3, offset=0)
    assert total == 7 and len(page) == 3
    facts, total_facts = store.list_memories("default", kind="fact", limit=10)
    assert total_facts == 3 and all(m.kind == "fact" for m in facts)


def test_concurrent_writers_from_threads(store):
    errors = []

    def write(n):
        try:
            for i in range(20):
                store.add_memories([NewMemory("default", f"thread {n} item {i}")])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert store.counts()["memories"] == 160


def closed(conn) -> bool:
    if hasattr(conn, "raw"):  # PostgreSQL: the server's backend goes too
        return conn.raw.closed
    try:
        conn.execute("SELECT 1")
    except sqlite3.ProgrammingError as exc:
        return "closed" in str(exc)
    return False


def test_a_threads_connection_closes_when_the_thread_ends(store):
    """Server worker threads come and go: each one's connection (and its page cache) must go
    with it, not pile up for the life of the daemon (the soak's RSS growth, issue #18)."""
    opened: list = []

    def work():
        opened.append(store.db)
        store.db.execute("SELECT COUNT(*) FROM memories").fetchone()

    for _ in range(30):
        t = threading.Thread(target=work)
        t.start()
        t.join()
    assert len({id(c) for c in opened}) == 30
    assert all(closed(conn) for conn in opened)
    assert len(store._open) == 1  # the main thread's, still open and working
    assert store.db.execute("SELECT 1").fetchone()[0] == 1


class _Recording:
    """A real connection that remembers the SQL text of every statement it runs."""

    def __init__(self, db):
        self.db, self.sql = db, set()
        self.dialect = getattr(db, "dialect", "sqlite")

    def execute(self, sql, params=()):
        self.sql.add(sql)
        return self.db.execute(sql, params)


def test_id_lists_of_any_length_read_right(store):
    """On SQLite also one statement for every length: each connection caches its prepared
    statements by SQL text, and one ``?`` per id made a new (at 500 ids ~120 KB) statement
    for every list length, which grew the daemon's memory under load (issue #18)."""
    store.add_memories([NewMemory("default", f"note {i}") for i in range(1200)])
    ids = [r[0] for r in store.db.execute("SELECT id FROM memories")]
    db = _Recording(store.db)
    for n in (0, 1, 2, 7, 499, 500, 501, 1200):
        rows = chunked_in(db, "SELECT id FROM memories WHERE namespace = ? AND id IN ({marks})", ids[:n], ["default"])
        assert sorted(r[0] for r in rows) == sorted(ids[:n])
    if db.dialect == "sqlite":
        assert len(db.sql) == 1


def test_two_stores_share_one_database(tmp_path, store_url):
    a = open_store(store_url, tmp_path / "db.sqlite")
    b = open_store(store_url, tmp_path / "db.sqlite")
    a.add_memories([NewMemory("default", "written by a")])
    assert b.counts()["memories"] == 1
    a.close()
    b.close()


def test_phrases_required_and_excluded_words(store):
    store.add_memories(
        [
            NewMemory("default", "dark mode in the editor"),
            NewMemory("default", "the mode is dark"),
            NewMemory("default", "dark mode but vim"),
        ]
    )
    assert len(found(store, ["default"], '"dark mode"')) == 2
    assert len(found(store, ["default"], '+"dark mode" -vim')) == 1
    assert len(found(store, ["default"], "+dark +mode")) == 3
    assert found(store, ["default"], '"vim dark"') == []


def test_phrase_never_spans_a_message_and_its_neighbour(store):
    store.add_messages(
        [
            NewMessage("default", "s", "user", "we should deploy", "2026-01-01T10:00:00Z"),
            NewMessage("default", "s", "assistant", "friday works", "2026-01-01T10:00:05Z"),
        ]
    )
    # The second message's context is the first; "deploy friday" only runs across the two.
    assert found(store, ["default"], '"deploy friday"', corpus="message") == []
    assert len(found(store, ["default"], '"should deploy"', corpus="message")) == 2  # own text + as context


def test_tsquery_mirrors_the_fts5_expression():
    assert tsquery('{terms context} : (("editor" AND ("dark mode" OR "editor")) NOT ("vim"))') == (
        "( ( ('editor':AB) & ( ('dark':AB <-> 'mode':AB) | ('editor':AB) ) ) & ! ( ('vim':AB) ) )"
    )


def test_sampled_cosine_statistics_match_the_exact_ones(postgres, monkeypatch):
    """Above EXACT_STATS_UNDER vectors PostgreSQL takes the mean and spread of the cosine from a
    cached TABLESAMPLE (read in binary); a sample holding every vector gives the exact figures."""
    store = postgres_store.PostgresStore(postgres.database())
    try:
        store.add_memories([NewMemory("default", f"memory number {n}") for n in range(300)])
        ids = [r[0] for r in store.db.execute("SELECT id FROM search_items ORDER BY id")]
        rng = np.random.default_rng(0)
        vectors = rng.standard_normal((len(ids), 16)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        store.save_embeddings("m", 16, [(i, v.tobytes()) for i, v in zip(ids, vectors)])
        query = vectors[0]
        top, mean, std = store.nearest("m", 16, query, ["default"], ["memory"], 5)
        assert top[0][0] == ids[0] and len(top) == 5
        monkeypatch.setattr(postgres_store, "EXACT_STATS_UNDER", 0)
        _, sampled_mean, sampled_std = store.nearest("m", 16, query, ["default"], ["memory"], 5)
        exact = vectors @ query
        assert mean == pytest.approx(float(exact.mean()), abs=1e-5) and std == pytest.approx(
            float(exact.std()), abs=1e-5
        )
        assert sampled_mean == pytest.approx(mean, abs=1e-5) and sampled_std == pytest.approx(std, abs=1e-5)
        assert store._samples  # the sampled path ran
    finally:
        store.close()
