"""Retrieval (layer 2, over the store): text analysis and query syntax, the in-memory BM25
index, vectors and embedders, fusion, rerank and deep rescoring, the corpus registry
(``corpora.py``) and the hit every search returns (``hits.py``). Nothing here knows a
component; the core (``core.py``) assembles these into search."""
