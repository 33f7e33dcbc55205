"""The corpus registry: caller-facing corpus names (``memory``, ``messages``, ``all``, …) →
the index corpora they search, and how each index corpus hydrates into :class:`SearchHit`.

The core registers ``memory`` and ``message``; components register theirs (capture's
``observation``, collections' ``chunk``) when the engine wires them, so a search over
``all`` reaches every corpus whatever order the components were built in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from ..errors import InvalidInput
from .hits import SearchHit

Hydrate = Callable[[list[str]], dict[str, SearchHit]]


class Corpora:
    """Names → index corpora, and one hydrator per index corpus."""

    def __init__(self) -> None:
        self.names: dict[str, tuple[str, ...]] = {"all": ()}
        self.hydrators: dict[str, Hydrate] = {}

    def register(self, corpus: str, hydrate: Hydrate, *, name: str, in_all: bool = True) -> None:
        """Index corpus ``corpus``, searched as ``name`` (and as ``all`` when ``in_all``)."""
        self.hydrators[corpus] = hydrate
        self.names[name] = (corpus,)
        if in_all and corpus not in self.names["all"]:
            self.names["all"] = (*self.names["all"], corpus)

    def alias(self, name: str, corpora: tuple[str, ...]) -> None:
        """A name that searches several index corpora (``knowledge`` = memories + chunks)."""
        self.names[name] = corpora

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def __getitem__(self, name: str) -> tuple[str, ...]:
        return self.names[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def resolve(self, name: str) -> tuple[str, ...]:
        """The index corpora ``name`` searches; InvalidInput naming ``corpus`` if unknown."""
        if name not in self.names:
            raise InvalidInput(f"corpus must be one of {sorted(self.names)}", field="corpus")
        return self.names[name]

    def hydrate(self, refs: Iterable[tuple[str, str]]) -> dict[str, dict[str, SearchHit]]:
        """(index corpus, ref id) pairs → hits per corpus (unknown corpora and gone rows omitted)."""
        by_corpus: dict[str, list[str]] = {}
        for corpus, ref in refs:
            by_corpus.setdefault(corpus, []).append(ref)
        return {c: self.hydrators[c](ids) for c, ids in by_corpus.items() if c in self.hydrators}
