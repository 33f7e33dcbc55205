"""What a search returns: one :class:`SearchHit` per item, whatever corpus it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SearchHit:
    """One search result: the item, where it came from and how it scored. Hydrators build it
    with ``score = text_score = 0``; the search fills in the scores."""

    id: str
    corpus: str
    namespace: str
    text: str
    score: float = 0.0
    text_score: float = 0.0
    container: str | None = None
    kind: str | None = None
    category: str | None = None
    created_at: str | None = None
    relevant: bool = True  # clears the calibrated relevance floor
    vector_score: float | None = None
    coverage: float | None = None  # idf-weighted share of the query's terms the item holds
    extra: dict[str, Any] = field(default_factory=dict)  # corpus-specific (path, lines, …)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)
