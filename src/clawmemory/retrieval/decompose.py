"""Rule-based query decomposition: the sub-queries a multi-hop question stands for.

A question whose evidence lies in several places ("Did Jon and Gina both start businesses
out of what they love?", "When did Maria adopt Coco and what breed is she?") ranks poorly as
one bag of words: each piece of evidence holds only half the terms. ``decompose`` splits it
into sub-queries, each searched on its own and fused into one candidate pool by the searcher:

- **per entity**: two or more named people or things joined by *and*, *or*, *both*, *vs*
  or a comparison (*than*, *compared to*) → one sub-query per entity, the others removed;
- **per clause**: clauses joined by *and* (or ``;``) that each carry at least two content
  words of their own ("when … and …") → one sub-query per clause, the question's named
  entities carried into clauses that lack them;
- **per speaker**: a sub-query that names a known speaker (an item author, e.g. a message's
  speaker) searches only that speaker's items, with the name left out: in a conversation the
  name mostly matches the *other* speaker addressing them.

With a configured LLM (``search_decompose = "llm"``), :class:`LLMDecomposer` writes the
sub-queries instead, and the rules remain its fallback. Sub-queries are off by default
(``search_subquery_weight = 0``): on the LoCoMo dev split they gave no held-out gain (see
docs/DESIGN.md, "Multi-hop candidates").

The rules are plain English syntax, not fitted to any benchmark; whether sub-queries are used,
and how much they weigh, is a search parameter chosen by cross-validation (docs/DESIGN.md).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from ..llm import LLMClient, LLMError
from ..text import STOPWORDS, terms, words

log = logging.getLogger("clawmemory.search")

# Capitalised words that are not names: sentence openers, question words, pronouns, months…
_NOT_NAMES = STOPWORDS | {
    "also",
    "ever",
    "anything",
    "please",
    "tell",
    "list",
    "name",
    "describe",
    "explain",
    "compare",
    "mention",
    "mentioned",
    "yes",
    "no",
}
_NAME = re.compile(r"\b[A-Z][\w\-]*(?:['\u2019]s)?(?:\s+(?:of\s+|the\s+)?[A-Z][\w\-]*(?:['\u2019]s)?)*")
_BOTH = re.compile(r"\bboth\b", re.IGNORECASE)
_COORD = re.compile(r"\s*,?\s*(?:and|or|&|vs\.?|versus)\s+(?:(?:the|a|an|with)\s+)?", re.IGNORECASE)
_COMPARE = re.compile(r"\b(?:than|compared? (?:to|with)|unlike)\b", re.IGNORECASE)
_CLAUSE_SPLIT = re.compile(r"\s*(?:;|,?\s+\band\b)\s+", re.IGNORECASE)
_SPACES = re.compile(r"\s{2,}")
_PUNCT_GAP = re.compile(r"[\s,]+([?.!])")
_QUESTION_START = re.compile(
    r"(?:what|when|where|which|who|whom|whose|why|how|did|does|do|is|are|was|were|has|have|had|can|could|"
    r"would|will|should)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class SubQuery:
    """One part of a decomposed query: its text and, optionally, the only author to search."""

    text: str
    author: str | None = None


class Decomposer(Protocol):
    def __call__(
        self, query: str, authors: Iterable[str] = (), *, limit: int = 3, speakers: bool = True
    ) -> list[SubQuery]: ...


@dataclass(frozen=True)
class Entity:
    surface: str  # as written in the query, without a possessive 's
    author: str | None  # the known author it names, if any
    start: int
    end: int  # span in the query, possessive included


def entities(query: str, authors: Iterable[str] = ()) -> list[Entity]:
    """Named people and things in ``query``, in order of appearance: known authors (matched
    by their words, case-insensitively) and other capitalised names."""
    found: list[Entity] = []

    def free(start: int, end: int) -> bool:
        return all(end <= e.start or start >= e.end for e in found)

    for author in sorted(set(authors), key=len, reverse=True):
        parts = words(author, keep_stopwords=True)
        if not parts:
            continue
        pattern = r"\b(" + r"\s+".join(re.escape(p) for p in parts) + r")(?:['\u2019]s)?\b"
        for m in re.finditer(pattern, query, re.IGNORECASE):
            if free(m.start(), m.end()):
                found.append(Entity(m.group(1), author, m.start(), m.end()))
    for m in _NAME.finditer(query):
        start, surface = m.start(), re.sub(r"['\u2019]s$", "", m.group())
        if start == 0 and words(surface.split(None, 1)[0], keep_stopwords=True)[:1] in ([], *([w] for w in _NOT_NAMES)):
            # a sentence opener ("Did Jon …", "What …"): the name, if any, starts after it
            rest = surface.split(None, 1)
            if len(rest) < 2:
                continue
            start, surface = query.index(rest[1], len(rest[0])), rest[1]
        head = words(surface, keep_stopwords=True)
        if head and not all(w in _NOT_NAMES for w in head) and free(start, m.end()):
            found.append(Entity(surface, None, start, m.end()))
    return sorted(found, key=lambda e: e.start)


def _joined(query: str, named: list[Entity]) -> list[Entity]:
    """The named entities that are coordinated or compared ("X and Y", "X or Y", "more … than
    Y"; with "both", every named entity): the ones to search one at a time."""
    group: list[Entity] = []
    for a, b in zip(named, named[1:]):
        gap = query[a.end : b.start]
        if _COORD.fullmatch(gap) or _COMPARE.search(gap):
            group += [e for e in (a, b) if e not in group]
    if not group and len(named) >= 2 and _BOTH.search(query):
        group = list(named)
    return group


def _without(text: str, surfaces: Iterable[str]) -> str:
    """``text`` with the named ``surfaces`` (their possessive 's and a coordinating word
    beside them) cut out, tidied up."""
    for surface in surfaces:
        name = re.escape(surface) + r"(?:['\u2019]s)?"
        text = re.sub(
            rf"(?:\b(?:and|or|&|vs\.?|versus)\s+(?:(?:the|a|an)\s+)?{name}\b|\b{name}\s*,?\s+(?:and|or|&|vs\.?|versus)\b|\b{name}\b)",
            " ",
            text,
            flags=re.IGNORECASE,
        )
    text = _BOTH.sub(" ", text)
    text = _PUNCT_GAP.sub(r"\1", _SPACES.sub(" ", text))
    return text.strip(" ,;")


def _content(text: str, named: Iterable[Entity]) -> int:
    """How many content terms ``text`` holds beyond the named entities."""
    skip = {t for e in named for t in terms(e.surface)}
    return sum(1 for t in terms(text) if t not in skip)


def _speaker_part(text: str, named: list[Entity]) -> SubQuery:
    """A sub-query restricted to the one known author it names (their name left out)."""
    speakers = {e.author for e in named if e.author}
    if len(speakers) != 1:
        return SubQuery(text)
    author = speakers.pop()
    rest = _without(text, [e.surface for e in named if e.author == author])
    return SubQuery(rest, author) if terms(rest) else SubQuery(text)


def decompose(query: str, authors: Iterable[str] = (), *, limit: int = 3, speakers: bool = True) -> list[SubQuery]:
    """At most ``limit`` sub-queries for ``query`` (see the module doc); [] when it is one hop.
    ``speakers=False`` leaves out the per-speaker sub-query of a query that is otherwise whole."""
    named = entities(query, authors)
    parts: list[SubQuery] = []
    group = _joined(query, named)
    for entity in group:
        text = _without(query, [e.surface for e in group if e.surface.casefold() != entity.surface.casefold()])
        parts.append(_speaker_part(text, [e for e in named if e not in group or e is entity]))
    if not parts:
        clauses = [c.strip(" ,;") for c in _CLAUSE_SPLIT.split(query) if c.strip(" ,;")]
        # every clause needs words of its own: two content terms each, or one when the later
        # clauses are questions of their own ("… and what breed is she?")
        need = 1 if all(_QUESTION_START.match(c) for c in clauses[1:]) else 2
        if len(clauses) >= 2 and all(_content(c, named) >= need for c in clauses):
            for clause in clauses:
                here = entities(clause, authors)
                if not here and named:
                    clause, here = f"{clause} {' '.join(dict.fromkeys(e.surface for e in named))}", named
                parts.append(_speaker_part(clause, here))
    if not parts and speakers:
        part = _speaker_part(query, named)
        if part.author:
            parts.append(part)
    return list(dict.fromkeys(p for p in parts if terms(p.text)))[:limit]


DECOMPOSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["searches"],
    "properties": {
        "searches": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["text"],
                "properties": {"text": {"type": "string", "maxLength": 300}, "speaker": {"type": ["string", "null"]}},
            },
        }
    },
}
DECOMPOSE_SYSTEM = (
    "You split a question about past conversations into the simpler searches that together find "
    "its evidence: one per person, thing or event it combines or compares, or one per clause. Each "
    "search is a short question in the question's words. Set speaker when a search is about what one "
    "participant said or did (a name from the list given), else null. A question that needs no "
    "splitting gets an empty list. Answer with JSON only, matching this JSON schema: " + json.dumps(DECOMPOSE_SCHEMA)
)


class LLMDecomposer:
    """Sub-queries written by the configured LLM, with the rules as the fallback.

    One time-limited call per distinct query (answers are cached); any failure (timeout,
    HTTP error, an answer outside the schema) falls back to :func:`decompose`. A search
    naming a known speaker is restricted to that speaker, as with the rules.
    """

    def __init__(self, client: LLMClient, *, timeout_s: float = 3.0, cache_size: int = 512) -> None:
        self.client = client
        self.timeout_s = timeout_s
        self._cache: OrderedDict[tuple[str, tuple[str, ...], int], list[SubQuery]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def __call__(
        self, query: str, authors: Iterable[str] = (), *, limit: int = 3, speakers: bool = True
    ) -> list[SubQuery]:
        known = tuple(sorted(set(authors)))
        key = (query, known, limit)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        try:
            parts = self._ask(query, known, limit)
        except LLMError as exc:
            log.info("llm decomposition unavailable, using the rules: %s", exc)
            return decompose(query, known, limit=limit, speakers=speakers)
        with self._lock:
            self._cache[key] = parts
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return parts

    def _ask(self, query: str, authors: tuple[str, ...], limit: int) -> list[SubQuery]:
        prompt = f"Participants: {', '.join(authors) or '(unknown)'}\nAt most {limit} searches.\nQuestion: {query}"
        reply = self.client.complete(
            DECOMPOSE_SYSTEM, prompt, max_tokens=400, temperature=0.0, timeout_s=self.timeout_s, json_mode=True
        )
        text = reply.text.strip()
        try:
            data = json.loads(text[text.find("{") : text.rfind("}") + 1])
            searches = data["searches"]
            if not isinstance(searches, list):
                raise TypeError("searches is not a list")
            by_name = {a.casefold(): a for a in authors}
            parts = []
            for s in searches:
                sub, speaker = s["text"], s.get("speaker")
                if not isinstance(sub, str) or not isinstance(speaker, str | None):
                    raise TypeError("a search's text or speaker has the wrong type")
                author = by_name.get(speaker.strip().casefold()) if speaker else None
                named = [e for e in entities(sub, authors) if e.author == author] if author else []
                parts.append(_speaker_part(sub.strip(), named) if named else SubQuery(sub.strip(), author))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise LLMError(f"the llm decomposition is not in the schema: {exc}") from exc
        parts = [p for p in dict.fromkeys(parts) if terms(p.text) and p.text.casefold() != query.casefold()]
        return parts[:limit]


def make_decomposer(settings: Any) -> Decomposer:
    """The decomposer ``settings.search_decompose`` names; the rules when the LLM is not usable."""
    if getattr(settings, "search_decompose", "rules") == "llm":
        try:
            client = LLMClient.from_settings(settings)
        except LLMError as exc:
            client = None
            log.warning("llm query decomposition not usable (%s); rule-based only", exc)
        if client is not None:
            return LLMDecomposer(client, timeout_s=settings.search_decompose_timeout_s)
    return decompose
