"""The lexical searcher's copy of the search items' rows (what hybrid search builds its pool
from instead of a store read): the store's rows in SQLite's order, never stale after a write."""

from __future__ import annotations

from clawmemory.engine import Engine
from clawmemory.store.sqlite import IN_CHUNK


def item_of(engine: Engine, memory_id: str) -> int:
    row = engine.store.db.execute("SELECT id FROM search_items WHERE ref_id = ?", (memory_id,)).fetchone()
    return int(row[0])


def test_rows_are_the_stores_in_its_order_and_follow_writes(home):
    with Engine.open(home) as engine:
        texts = [{"text": f"note {n} about the garden shed"} for n in range(IN_CHUNK + 300)]
        ids = [r.memory.id for r in engine.store_memories(texts)]
        lexical = engine.searcher.lexical
        lexical.sync()
        items = [item_of(engine, m) for m in ids][::-1]  # descending, over two chunks
        rows = lexical.rows(items)
        assert rows == engine.store.items(items) and len(rows) == len(items)
        if getattr(engine.store.db, "dialect", "sqlite") == "sqlite":  # the pool order a search sums in
            assert list(rows) == list(engine.store.items(items))

        engine.forget(ids[0])  # removed: gone once the index catches up, never served stale
        lexical.sync()
        gone = items[-1]  # ids[0]'s item
        assert gone not in lexical.rows([gone, items[0]]) and items[0] in lexical.rows([items[0]])

        new = item_of(engine, engine.store_memory(text="a new note about the greenhouse").memory.id)
        assert lexical.rows([new]) == engine.store.items([new])  # not synced yet: read from the store
        lexical.sync()
        assert lexical.rows([new]) == engine.store.items([new])
        hits = engine.search("greenhouse", mode="lexical")
        assert [h.text for h in hits] == ["a new note about the greenhouse"]
