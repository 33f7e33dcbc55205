"""Markdown collections (QMD-compatible): folders of notes registered in a namespace, cut
into heading-aware chunks (``chunking.py``), indexed as the ``chunk`` search corpus, and read
back safely (``service.py``); the tables and their migrations are in ``schema.py``."""

from .service import CORPUS, Collection, Collections

__all__ = ["CORPUS", "Collection", "Collections"]
