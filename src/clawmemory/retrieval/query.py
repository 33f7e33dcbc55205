"""Parse a search query into FTS5 MATCH syntax.

Natural language matches **any** analyzed word (OR), ranked by BM25; agents
who want control can write ``"exact phrase"``, ``+required`` and ``-excluded``
(a ``+``/``-`` may also prefix a quoted phrase).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import InvalidInput
from ..text import terms

_TOKEN = re.compile(r'([+-]?)"([^"]*)"|([+-]?)(\S+)')


@dataclass
class LexicalQuery:
    """A parsed query: each clause is a list of terms (one term, or a phrase)."""

    optional: list[list[str]] = field(default_factory=list)
    required: list[list[str]] = field(default_factory=list)
    excluded: list[list[str]] = field(default_factory=list)

    @property
    def positive(self) -> list[list[str]]:
        return self.required + self.optional

    def is_empty(self) -> bool:
        return not self.positive

    def all_terms(self) -> list[str]:
        """Distinct positive terms, in query order."""
        seen: dict[str, None] = {}
        for clause in self.positive:
            for term in clause:
                seen.setdefault(term)
        return list(seen)

    def match(self, columns: str = "{terms context}") -> str | None:
        """The FTS5 expression, restricted to ``columns``; None when nothing to match."""
        if self.is_empty():
            return None
        expr = " AND ".join(_phrase(c) for c in self.required)
        if self.optional:
            anyof = " OR ".join(_phrase(c) for c in self.optional + self.required[:1])
            expr = f"{expr} AND ({anyof})" if expr else anyof
        if self.excluded:
            expr = f"({expr}) NOT ({' OR '.join(_phrase(c) for c in self.excluded)})"
        return f"{columns} : ({expr})"


def _phrase(clause: list[str]) -> str:
    return '"' + " ".join(clause) + '"'


def parse_query(text: str, *, max_chars: int = 4000) -> LexicalQuery:
    """Parse ``text``; raise :class:`InvalidInput` (field ``query``) when it cannot be searched.

    A query of stopwords only ("who am I") parses to an empty query that matches nothing.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("query must be a non-empty string", field="query")
    if len(text) > max_chars:
        raise InvalidInput(f"query is {len(text)} characters; the limit is {max_chars}", field="query")
    if text.count('"') % 2:
        raise InvalidInput('query has an unbalanced double quote (")', field="query")
    query = LexicalQuery()
    for match in _TOKEN.finditer(text):
        sign = match.group(1) if match.group(2) is not None else match.group(3)
        raw = match.group(2) if match.group(2) is not None else match.group(4)
        clause = terms(raw)
        if not clause:
            continue
        if match.group(2) is not None or sign:
            bucket = {"+": query.required, "-": query.excluded}.get(sign, query.optional)
            bucket.append(clause)
        else:
            query.optional.extend([t] for t in clause)
    if query.is_empty() and query.excluded:
        raise InvalidInput("query has only excluded terms; add a word to search for", field="query")
    _dedupe(query.optional)
    return query


def _dedupe(clauses: list[list[str]]) -> None:
    clauses[:] = [list(c) for c in dict.fromkeys(tuple(c) for c in clauses)]
