import numpy as np

from clawmemory.retrieval.items import ItemTable
from clawmemory.retrieval.vectors import VectorIndex


def unit(*xs):
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_cosine_order_filters_and_stats():
    index = VectorIndex(3)
    index.add(
        [
            (1, "a", "memory", unit(1, 0, 0)),
            (2, "a", "memory", unit(0.9, 0.1, 0)),
            (3, "b", "memory", unit(1, 0, 0)),
            (4, "a", "message", unit(0, 1, 0)),
        ]
    )
    hits = index.search(unit(1, 0, 0), namespaces=["a"], corpora=["memory", "message"], limit=10)
    assert [i for i, _ in hits.top] == [1, 2, 4]
    assert abs(hits.top[0][1] - 1.0) < 1e-6
    cosines = [1.0, float(unit(0.9, 0.1, 0) @ unit(1, 0, 0)), 0.0]
    assert abs(hits.mean - np.mean(cosines)) < 1e-6 and abs(hits.std - np.std(cosines)) < 1e-6
    assert [i for i, _ in index.search(unit(1, 0, 0), namespaces=["b"], corpora=["memory"], limit=5).top] == [3]
    assert index.search(unit(1, 0, 0), namespaces=["a"], corpora=["memory"], limit=5, within=[2]).top[0][0] == 2


def test_reembedding_replaces_and_removal_hides():
    index = VectorIndex(3)
    index.add([(1, "a", "memory", unit(1, 0, 0))])
    index.add([(1, "a", "memory", unit(0, 1, 0))])  # a new model's vector for the same item
    assert len(index) == 1
    top = index.search(unit(0, 1, 0), namespaces=["a"], corpora=["memory"], limit=5).top
    assert top[0][0] == 1 and abs(top[0][1] - 1.0) < 1e-6
    index.remove([1])
    assert index.search(unit(0, 1, 0), namespaces=["a"], corpora=["memory"], limit=5).top == []


def test_visible_applies_only_the_filters_that_exclude_something():
    items = ItemTable()
    for item_id, namespace, corpus in [
        (1, "a", "memory"),
        (2, "b", "memory"),
        (3, "a", "message"),
        (4, "b", "message"),
    ]:
        items.add(item_id, namespace, corpus)
    both = ["memory", "message"]
    assert items.visible(None, ["a", "b"], both).tolist() == [0, 1, 2, 3]
    assert items.visible(None, ["a"], both).tolist() == [0, 2]
    assert items.visible(None, ["a", "b"], ["message"]).tolist() == [2, 3]
    assert items.visible(np.array([1, 2, 3]), ["b", "a"], both).tolist() == [1, 2, 3]
    assert items.visible(np.array([1, 2, 3]), ["b"], ["memory"]).tolist() == [1]
    items.remove(2)
    assert items.visible(None, ["a", "b"], both).tolist() == [0, 2, 3]
    assert items.visible(np.array([0, 1, 3]), ["a", "b"], both).tolist() == [0, 3]
    assert items.visible(None, ["a", "b"], both, within=[4, 9]).tolist() == [3]
