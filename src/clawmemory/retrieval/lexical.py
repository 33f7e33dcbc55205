"""Lexical search: the in-memory BM25 index kept in step with the store.

The store's ``search_items`` table is the truth; before each search the index
catches up with rows added or removed since it last looked (by this process or
any other), so it never serves stale results and never needs a restart.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..store import SearchRow, Store
from ..store.sqlite import IN_CHUNK
from .bm25 import BM25Index, Doc
from .query import LexicalQuery


@dataclass(frozen=True)
class LexicalHit:
    row: SearchRow
    score: float
    coverage: float


class LexicalSearcher:
    """BM25 any-word search over a store's search items."""

    def __init__(self, store: Store, *, k1: float = 1.2, b: float = 0.75, context_weight: float = 0.5) -> None:
        self.store = store
        self.index = BM25Index(k1=k1, b=b, context_weight=context_weight)
        self._rows: dict[int, SearchRow] = {}  # every indexed item's row, as of the last sync
        self._seen = (0, 0)
        self._sync_lock = threading.Lock()

    def sync(self) -> None:
        """Bring the in-memory index up to date with the store."""
        marks = self.store.index_watermarks()
        if marks == self._seen:
            return
        with self._sync_lock:
            if marks == self._seen:
                return
            added = self.store.index_rows_since(self._seen[0])
            removed = self.store.removed_since(self._seen[1])
            self.index.add(
                Doc(
                    r["id"],
                    r["namespace"],
                    r["corpus"],
                    r["terms"].split(),
                    r["context"].split(),
                    r["context_next"].split(),
                    r["author"],
                )
                for r in added
            )
            self._rows.update((r["id"], _row(r)) for r in added)
            self.index.remove(removed)
            for item_id in removed:
                self._rows.pop(item_id, None)
            if len(added) > 10_000:
                self.index.merge()
            self._seen = (max(marks[0], self._seen[0]), max(marks[1], self._seen[1]))

    def count(self, namespaces: Sequence[str], corpora: Sequence[str], *, sync: bool = True) -> int:
        """How many items a search over ``namespaces`` × ``corpora`` ranks (``sync=False``: as of
        the last sync, e.g. right after :meth:`search`, saving the store a watermark query)."""
        if sync:
            self.sync()
        return self.index.items.count(namespaces, corpora)

    def search(
        self, query: LexicalQuery, namespaces: Sequence[str], corpora: Sequence[str], limit: int
    ) -> list[LexicalHit]:
        """Best ``limit`` items for ``query``; phrases, ``+required`` and ``-excluded`` are
        enforced through the store's FTS5 index, scoring is BM25 over every positive term."""
        self.sync()
        within = None
        if query.required or query.excluded or any(len(c) > 1 for c in query.optional):
            match = query.match()  # None: no positive term, so nothing can match
            within = self.store.match_items(namespaces, match, corpora=corpora) if match is not None else []
            if not within:
                return []
        scored = self.index.search(
            query.all_terms(), namespaces=namespaces, corpora=corpora, limit=limit, within=within
        )
        rows = self.rows([item_id for item_id, _, _ in scored])
        return [LexicalHit(rows[i], s, c) for i, s, c in scored if i in rows]

    def rows(self, item_ids: Sequence[int]) -> dict[int, SearchRow]:
        """Search items by id, as the store's ``items`` returns them (those still present, ascending
        ids within each ``IN_CHUNK`` of ``item_ids``: a search's pool order, which its sums follow),
        read from memory as of the last sync; an id the index has not seen yet is read from the store.
        Rows never change once written (an item is only added or removed), so a synced copy is exact."""
        out: dict[int, SearchRow] = {}
        for start in range(0, len(item_ids), IN_CHUNK):
            part = sorted(set(item_ids[start : start + IN_CHUNK]))
            found = {i: row for i in part if (row := self._rows.get(i)) is not None}
            if len(found) < len(part):  # added since the last sync, or removed
                found.update(self.store.items([i for i in part if i not in found]))
                found = {i: found[i] for i in part if i in found}
            out.update(found)
        return out


def _row(r: Any) -> SearchRow:
    """A synced item's row; its repeated strings (namespace, corpus, container, author) shared."""
    container, author = r["container"], r["author"]
    return SearchRow(
        r["id"],
        sys.intern(r["namespace"]),
        sys.intern(r["corpus"]),
        r["ref_id"],
        container and sys.intern(container),
        author and sys.intern(author),
    )
