import math

from clawmemory.retrieval import bm25
from clawmemory.retrieval.bm25 import BM25Index, Doc


def docs():
    return [
        Doc(1, "a", "memory", ["dark", "mode", "editor"]),
        Doc(2, "a", "memory", ["light", "mode"]),
        Doc(3, "b", "memory", ["dark", "chocol"]),
        Doc(4, "a", "message", ["dark", "room", "dark"], context=["editor"]),
    ]


def test_scores_match_the_bm25_formula():
    index = BM25Index(k1=1.2, b=0.75, context_weight=0.5)
    index.add(docs())
    (item, score, coverage), *_ = index.search(["light"], namespaces=["a"], corpora=["memory"], limit=5)
    n, df, dl, avgdl = 4, 1, 2, (3 + 2 + 2 + 4) / 4  # lengths count context tokens too
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    expected = idf * 1 * 2.2 / (1 + 1.2 * (1 - 0.75 + 0.75 * dl / avgdl))
    assert item == 2 and math.isclose(score, expected, rel_tol=1e-5) and coverage == 1.0


def test_any_word_filters_and_order():
    index = BM25Index()
    index.add(docs())
    got = index.search(["dark", "editor"], namespaces=["a"], corpora=["memory", "message"], limit=10)
    assert [i for i, _, _ in got][0] == 1 and {i for i, _, _ in got} == {1, 4}
    assert got[0][2] == 1.0  # item 1 holds both terms
    assert index.search(["dark"], namespaces=["b"], corpora=["memory"], limit=10)[0][0] == 3
    assert index.search(["dark"], namespaces=["zzz"], corpora=["memory"], limit=10) == []
    assert [i for i, _, _ in index.search(["dark"], namespaces=["a"], corpora=["memory"], limit=10, within=[1])] == [1]
    partial = index.search(["light", "unknownterm"], namespaces=["a"], corpora=["memory"], limit=1)
    assert 0 < partial[0][2] < 0.5  # the unknown term weighs most


def test_remove_and_merge_keep_results_consistent(monkeypatch):
    monkeypatch.setattr(bm25, "MERGE_AT", 3)
    index = BM25Index()
    index.add(docs())  # triggers a merge
    index.remove([1])
    assert [i for i, _, _ in index.search(["editor"], namespaces=["a"], corpora=["memory", "message"], limit=5)] == [4]
    index.add([Doc(5, "a", "memory", ["editor", "theme"])])
    index.merge()
    got = [i for i, _, _ in index.search(["editor"], namespaces=["a"], corpora=["memory", "message"], limit=5)]
    assert sorted(got) == [4, 5] and len(index) == 4


def test_readding_an_item_is_a_no_op():
    index = BM25Index()
    index.add(docs())
    index.add(docs())
    assert len(index) == 4


def test_coverage_sums_the_idf_of_the_query_terms_each_item_holds():
    index = BM25Index()
    index.add(docs())
    index.merge()  # items 1-4 in the compact base
    index.add([Doc(5, "a", "memory", ["dark", "theme"]), Doc(6, "a", "message", ["light"], context=["editor"])])
    index.remove([2])  # items 5 and 6 still in the delta, 2 gone
    terms = ["dark", "light", "editor", "dark", "unknownterm"]  # a repeated term counts twice
    n = len(index)

    def idf(term: str) -> float:
        df = index.df(term)
        return math.log(1 + (n - df + 0.5) / (df + 0.5)) if df else math.log(1 + (n + 0.5) / 0.5)

    held = {1: {"dark", "mode", "editor"}, 3: {"dark", "chocol"}, 4: {"dark", "room", "editor"}}
    held |= {5: {"dark", "theme"}, 6: {"light", "editor"}}
    total = 0.0
    for t in terms:
        total += idf(t)
    got = index.search(terms, namespaces=["a", "b"], corpora=["memory", "message"], limit=10)
    assert {i for i, _, _ in got} == set(held)
    for item, _, coverage in got:
        covered = 0.0
        for t in terms:  # in query order, as the index adds them
            if t in held[item]:
                covered += idf(t)
        assert coverage == covered / total
