"""Retrieval: text analysis, lexical (FTS5 BM25) search; vectors and fusion build on these."""
