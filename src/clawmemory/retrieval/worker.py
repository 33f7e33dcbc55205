"""Background embedding: writes never wait for vectors.

The worker walks search items in id order, embeds those without a vector from the
current model (so a model change re-embeds everything), and stores them. It sleeps
until notified of new writes, and backs off when the embedder fails.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from ..store import Store
from .embeddings import Embedder

log = logging.getLogger("clawmemory.embed")


class EmbeddingBackfill:
    """Embed pending items in batches; ``step()`` does one batch and says how many."""

    def __init__(self, store: Store, embedder: Embedder, batch: int = 32) -> None:
        self.store = store
        self.embedder = embedder
        self.batch = batch
        self._cursor = 0

    def pending(self) -> int:
        return self.store.count_to_embed(self.embedder.model)

    def step(self) -> int:
        upto = self.store.index_watermarks()[0]
        rows = self.store.items_to_embed(self._cursor, upto, self.embedder.model, self.batch)
        if not rows:
            self._cursor = upto  # everything up to here has a current vector
            return 0
        vectors = self.embedder.embed_passages([text for _, text in rows])
        self.store.save_embeddings(
            self.embedder.model,
            self.embedder.dim,
            [(item_id, vec.tobytes()) for (item_id, _), vec in zip(rows, vectors)],
        )
        self._cursor = rows[-1][0]
        return len(rows)

    def run(self, progress: Callable[[int], None] | None = None) -> int:
        """Embed until nothing is pending (foreground backfill); returns how many were embedded."""
        done = 0
        while n := self.step():
            done += n
            if progress:
                progress(n)
        return done


class EmbeddingWorker(threading.Thread):
    """Runs :class:`EmbeddingBackfill` in a daemon thread until stopped."""

    def __init__(self, backfill: EmbeddingBackfill, idle_seconds: float = 5.0) -> None:
        super().__init__(name="clawmemory-embedder", daemon=True)
        self.backfill = backfill
        self.idle_seconds = idle_seconds
        self._wake = threading.Event()
        self._halt = threading.Event()
        self.last_error: str | None = None

    def notify(self) -> None:
        """New items were written: look for work now."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._halt.set()
        self._wake.set()
        self.join(timeout)

    def run(self) -> None:
        backoff = 1.0
        while not self._halt.is_set():
            try:
                worked = self.backfill.step()
                self.last_error = None
                backoff = 1.0
            except Exception as exc:  # keep the daemon alive; retry later
                self.last_error = str(exc)
                log.warning("embedding failed, retrying in %.0fs: %s", backoff, exc)
                self._halt.wait(backoff)
                backoff = min(backoff * 2, 300.0)
                continue
            if not worked:
                self._wake.wait(self.idle_seconds)
                self._wake.clear()
