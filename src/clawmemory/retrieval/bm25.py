"""An in-memory BM25 index with any-word (OR) scoring in numpy.

SQLite's FTS5 stays the durable, transactional index; this is a derived cache of
the same analyzed terms (``search_items``) that scores OR-queries over 100k+
items in a few milliseconds, with tunable ``k1``/``b`` and a down-weighted
``context`` field (neighbouring text). Postings live in a compact CSR "base"
plus a small append-only "delta" merged when it grows.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .items import Column, ItemTable, candidate_scores

MERGE_AT = 10_000  # delta postings before folding them into the base (also ≥ 5% of the base)


@dataclass(frozen=True)
class Doc:
    """One document to index: its store id, filters and analyzed terms."""

    item_id: int
    namespace: str
    corpus: str
    terms: Sequence[str]
    context: Sequence[str] = ()  # e.g. the previous message
    context_next: Sequence[str] = ()  # e.g. the next message
    author: str | None = None


class BM25Index:
    """BM25F-style: tf = terms + ``context_weight`` × context + ``next_weight`` × context_next,
    filtered by namespace and corpus."""

    def __init__(self, k1: float = 1.2, b: float = 0.75, context_weight: float = 0.7, next_weight: float = 0.1) -> None:
        self.k1, self.b, self.context_weight, self.next_weight = k1, b, context_weight, next_weight
        self._lock = threading.Lock()
        self._term_ids: dict[str, int] = {}
        self._df: list[int] = []
        self.items = ItemTable()
        self._dl = Column(np.float32)
        self._total_dl = 0.0
        self._ptr = np.zeros(1, dtype=np.int64)
        self._docs = np.zeros(0, dtype=np.int32)
        self._tfs = np.zeros(0, dtype=np.float32)
        self._delta: dict[int, tuple[list[int], list[float]]] = {}
        self._delta_size = 0

    def __len__(self) -> int:
        return self.items.n_alive

    # -- writes -------------------------------------------------------------------------

    def add(self, docs: Iterable[Doc]) -> None:
        """Index documents (an item id already present is skipped)."""
        with self._lock:
            for doc in docs:
                self._add_one(doc)
            if self._delta_size >= max(MERGE_AT, len(self._docs) // 20):
                self._merge()

    def _add_one(self, doc: Doc) -> None:
        pos = self.items.add(doc.item_id, doc.namespace, doc.corpus, doc.author)
        if pos is None:
            return
        counts: dict[str, float] = dict(Counter(doc.terms))
        dl = float(len(doc.terms) + len(doc.context) + len(doc.context_next))
        for extra, w in ((doc.context, self.context_weight), (doc.context_next, self.next_weight)):
            for term in extra:
                counts[term] = counts.get(term, 0.0) + w
        for term, tf in counts.items():
            tid = self._term_ids.get(term)
            if tid is None:
                tid = self._term_ids[term] = len(self._df)
                self._df.append(0)
            self._df[tid] += 1
            postings = self._delta.get(tid)
            if postings is None:
                postings = self._delta[tid] = ([], [])
            postings[0].append(pos)
            postings[1].append(tf)
        self._delta_size += len(counts)
        self._dl.append(dl)
        self._total_dl += dl

    def remove(self, item_ids: Iterable[int]) -> None:
        """Drop items from results (postings are purged at the next merge)."""
        with self._lock:
            for item_id in item_ids:
                pos = self.items.remove(item_id)
                if pos is not None:
                    self._total_dl -= float(self._dl.buf[pos])

    def _merge(self) -> None:
        """Fold the delta into the CSR base, dropping postings of removed documents."""
        n_terms = len(self._df)
        base_terms = np.repeat(np.arange(len(self._ptr) - 1, dtype=np.int64), np.diff(self._ptr))
        d_terms = [np.full(len(p[0]), t, dtype=np.int64) for t, p in self._delta.items()]
        d_docs = [np.asarray(p[0], dtype=np.int32) for p in self._delta.values()]
        d_tfs = [np.asarray(p[1], dtype=np.float32) for p in self._delta.values()]
        terms = np.concatenate([base_terms, *d_terms])
        docs = np.concatenate([self._docs, *d_docs])
        tfs = np.concatenate([self._tfs, *d_tfs])
        keep = self.items.alive.view[docs]
        terms, docs, tfs = terms[keep], docs[keep], tfs[keep]
        order = np.lexsort((docs, terms))
        terms, self._docs, self._tfs = terms[order], docs[order], tfs[order]
        self._ptr = np.searchsorted(terms, np.arange(n_terms + 1)).astype(np.int64)
        self._df = np.diff(self._ptr).tolist()
        self._delta = {}
        self._delta_size = 0

    # -- reads --------------------------------------------------------------------------

    def df(self, term: str) -> int:
        """How many indexed items hold ``term`` (0 when unknown)."""
        tid = self._term_ids.get(term)
        return 0 if tid is None else int(self._df[tid])

    def search(
        self,
        terms: Sequence[str],
        *,
        namespaces: Sequence[str],
        corpora: Sequence[str],
        limit: int,
        within: Iterable[int] | None = None,
    ) -> list[tuple[int, float, float]]:
        """Top ``limit`` (item id, score, coverage) for any of ``terms``; ``within`` restricts
        to item ids. ``coverage`` is the idf-weighted share of the query terms the item holds
        (1.0 = all of them): a length-independent signal for the relevance floor."""
        with self._lock:
            n = len(self.items)
            if self.items.n_alive == 0 or not terms:
                return []
            scores = np.zeros(n, dtype=np.float32)
            held: list[tuple[float, np.ndarray]] = []  # (idf, positions holding the term), in term order
            total_idf = 0.0
            dl = self._dl.view
            avgdl = self._total_dl / self.items.n_alive
            k1, b, N = self.k1, self.b, self.items.n_alive
            for term in terms:
                tid = self._term_ids.get(term)
                if tid is None:  # a term no item holds still counts against coverage
                    total_idf += math.log(1.0 + (N + 0.5) / 0.5)
                    continue
                df = self._df[tid]
                idf = math.log(1.0 + (N - df + 0.5) / (df + 0.5))
                total_idf += idf
                for docs, tf in self._postings(tid):
                    norm = k1 * (1.0 - b + b * dl[docs] / avgdl)
                    scores[docs] += idf * tf * (k1 + 1.0) / (tf + norm)
                    held.append((idf, docs))
            cand = self.items.visible(np.flatnonzero(scores), namespaces, corpora, within)
            top = self.items.top(candidate_scores(scores, cand), cand, limit)
            # Coverage of the returned items only: the same idf sums, added in the same order.
            at = np.array([self.items.pos[item] for item, _ in top], dtype=np.int64)
            covered = np.zeros(len(at), dtype=np.float64)
            for idf, docs in held:  # a posting list's positions ascend (see _postings)
                found = docs[np.minimum(np.searchsorted(docs, at), len(docs) - 1)] == at
                covered[found] += idf
            return [(item, score, float(c) / total_idf) for (item, score), c in zip(top, covered)]

    def _postings(self, tid: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """The term's (positions, term frequencies) in the base and in the delta, each non-empty
        with its positions ascending (the base is sorted by term then position; the delta
        appends positions as items are added, in order)."""
        out = []
        if tid + 1 < len(self._ptr):
            lo, hi = self._ptr[tid], self._ptr[tid + 1]
            if hi > lo:
                out.append((self._docs[lo:hi], self._tfs[lo:hi]))
        delta = self._delta.get(tid)
        if delta:
            out.append((np.asarray(delta[0], dtype=np.int64), np.asarray(delta[1], dtype=np.float32)))
        return out

    def merge(self) -> None:
        """Fold pending postings into the compact base now (after a bulk load)."""
        with self._lock:
            if self._delta_size:
                self._merge()
