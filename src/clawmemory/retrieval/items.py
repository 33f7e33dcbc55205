"""Dense positions for search items, shared by the in-memory indexes: item id ↔ position,
and the namespace / corpus / alive columns every search filters on."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np


class Column:
    """A growable 1-D (or row-wise 2-D) numpy array; views of old buffers stay valid."""

    def __init__(self, dtype: type, width: int = 0) -> None:
        shape = (1024, width) if width else (1024,)
        self.buf: np.ndarray = np.zeros(shape, dtype=dtype)
        self.size = 0

    def append(self, value: object) -> None:
        if self.size == len(self.buf):
            grown = np.zeros((len(self.buf) * 2, *self.buf.shape[1:]), dtype=self.buf.dtype)
            grown[: self.size] = self.buf
            self.buf = grown
        self.buf[self.size] = value
        self.size += 1

    @property
    def view(self) -> np.ndarray:
        return self.buf[: self.size]


class ItemTable:
    """Which position holds which item, and whether it may be returned to a caller."""

    def __init__(self) -> None:
        self.pos: dict[int, int] = {}
        self.item = Column(np.int64)
        self._ns = Column(np.int32)
        self._corpus = Column(np.int32)
        self.alive = Column(np.bool_)
        self._ns_ids: dict[str, int] = {}
        self._corpus_ids: dict[str, int] = {}
        self._counts: dict[tuple[int, int], int] = {}  # visible items per (namespace, corpus)
        self._authors: dict[str, set[str]] = {}  # namespace -> who wrote its items
        self.n_alive = 0

    def __len__(self) -> int:
        return self.item.size

    def add(self, item_id: int, namespace: str, corpus: str, author: str | None = None) -> int | None:
        """Append an item; None when it is already present."""
        if item_id in self.pos:
            return None
        if author:
            self._authors.setdefault(namespace, set()).add(author)
        position = self.item.size
        self.pos[item_id] = position
        self.item.append(item_id)
        key = (
            self._ns_ids.setdefault(namespace, len(self._ns_ids)),
            self._corpus_ids.setdefault(corpus, len(self._corpus_ids)),
        )
        self._ns.append(key[0])
        self._corpus.append(key[1])
        self.alive.append(True)
        self._counts[key] = self._counts.get(key, 0) + 1
        self.n_alive += 1
        return position

    def remove(self, item_id: int) -> int | None:
        """Hide an item; returns its position when it was visible."""
        position = self.pos.pop(item_id, None)
        if position is None or not self.alive.buf[position]:
            return None
        self.alive.buf[position] = False
        key = (int(self._ns.buf[position]), int(self._corpus.buf[position]))
        self._counts[key] -= 1
        self.n_alive -= 1
        return position

    def authors(self, namespaces: Sequence[str]) -> set[str]:
        """Everyone who wrote an item in ``namespaces`` (message speakers)."""
        return set().union(*(self._authors.get(n, set()) for n in namespaces))

    def count(self, namespaces: Sequence[str], corpora: Sequence[str]) -> int:
        """How many visible items lie in ``namespaces`` × ``corpora``."""
        ns_ok = {self._ns_ids[x] for x in namespaces if x in self._ns_ids}
        corpus_ok = {self._corpus_ids[x] for x in corpora if x in self._corpus_ids}
        return sum(n for (ns, corpus), n in self._counts.items() if ns in ns_ok and corpus in corpus_ok)

    def visible(
        self,
        cand: np.ndarray | None,
        namespaces: Sequence[str],
        corpora: Sequence[str],
        within: Iterable[int] | None = None,
    ) -> np.ndarray:
        """The candidate positions (None: every position) that are alive, in ``namespaces``
        and ``corpora`` (and ``within``, a set of item ids)."""
        ns_ok = np.zeros(len(self._ns_ids) + 1, dtype=np.bool_)
        ns_ok[[self._ns_ids[x] for x in namespaces if x in self._ns_ids]] = True
        corpus_ok = np.zeros(len(self._corpus_ids) + 1, dtype=np.bool_)
        corpus_ok[[self._corpus_ids[x] for x in corpora if x in self._corpus_ids]] = True

        def at(column: np.ndarray) -> np.ndarray:
            return column if cand is None else column[cand]

        # Only the filters that can exclude something here: every item alive, or every namespace
        # (corpus) of the table allowed, needs no pass over the 100k positions.
        mask = at(self.alive.view) if self.n_alive < len(self) else None
        for ok, column in ((ns_ok, self._ns.view), (corpus_ok, self._corpus.view)):
            if not ok[:-1].all():
                mask = ok[at(column)] if mask is None else mask & ok[at(column)]
        if mask is not None:
            cand = np.flatnonzero(mask) if cand is None else cand[mask]
        elif cand is None:
            cand = np.arange(len(self))
        if within is not None:
            allowed = np.fromiter((self.pos[i] for i in within if i in self.pos), dtype=np.int64)
            cand = np.intersect1d(cand, allowed)
        return cand

    def top(self, picked: np.ndarray, cand: np.ndarray, limit: int) -> list[tuple[int, float]]:
        """The ``limit`` best candidates as (item id, score), best first; ``picked``: their scores
        (:func:`candidate_scores`)."""
        if len(cand) > limit:
            keep = np.argpartition(-picked, limit - 1)[:limit]
            cand, picked = cand[keep], picked[keep]
        order = np.argsort(-picked, kind="stable")
        return list(zip(self.item.view[cand[order]].tolist(), picked[order].tolist()))  # Python ints and floats


def candidate_scores(scores: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """The scores (by position) of the candidate positions: ``scores`` itself when every position
    is one (no copy of a 100k array)."""
    return scores if len(cand) == len(scores) else scores[cand]
