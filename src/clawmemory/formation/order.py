"""Recall order among memories about one subject: the later-stated first.

Reconciliation supersedes a memory only when it is sure the new one replaces it, and some
ways of saying a change will always slip past its rules. Search therefore does not rely on
it alone: among the memory hits of one search, a hit stated later than a better-ranked hit
*about the same subject* moves up to just above it (a temporal tie-break among competing
facts, as Zep/Graphiti and mem0 let recency decide). Every other hit keeps its order.

Two memories are about the same subject when they share an anchor — a slot word or a name,
also from the words of the exchange each came from (``about``) — and the same attribute of
it: the later one gives a value of a kind the earlier gives that the earlier does not say
("£1,350" / "£1,280", "sundays" / "wednesdays"), or the earlier one is an open question the
later one speaks to, or the later one, worded as a change, asserts what the earlier took back
("tabs not spaces" / "prettier defaults now, so spaces"). Shared words alone name an entity, not a subject: "my partner Dev" and
"Dev starts on June 22", or the billing service's port and its owner.

Before that, a recency prior on near ties (``later_near_ties``): of two memory hits the search
scores within ``NEAR_TIE`` of each other, the later-stated ranks first, about the same subject or not;
then a memory's linked revision (``revised_by``, :func:`revisions_first`), where the search returned it
below the memory, moves just above it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

from ..retrieval.hits import SearchHit
from . import claims
from .claims import Claim
from .classifier import content_words

_ANCHOR_VALUES = frozenset({"name", "code", "version"})  # a shared date or number is an attribute, not a subject
_NO_ATTRIBUTE = frozenset({"name"})  # names are anchors, not attributes


@dataclass(frozen=True)
class Stated:
    """A memory as ordering reads it: its text, kind, when it was stated and by whom (``user``;
    ``assistant`` for the agent's own commitments) and the words of its exchange (``about``).
    Its claim and anchors are read on first use: most pairs are told apart without them."""

    text: str
    kind: str
    at: str
    role: str = "user"
    about: str = ""

    @property
    def valued(self) -> bool:
        return valued(self.text)

    @property
    def takes_back(self) -> bool:
        return takes_back(self.text)

    @property
    def revises(self) -> bool:
        """Worded as a change or a return ("… again"), it hands something to someone named, or it gives a
        label a value ("manager = …") (cheap tests)."""
        return (
            changes(self.text) or hands_over(self.text) or resumes(self.text) or labels(self.text) or exits(self.text)
        )

    @cached_property
    def context(self) -> Claim:
        return claims.parse(self.about)

    @cached_property
    def claim(self) -> Claim:
        """Its claim, a bare number read as the quantity of its exchange ("219" after "189 euro")."""
        claim = claims.parse(self.text)
        return claims.resolve(claim, self.context) if self.about else claim

    @cached_property
    def anchors(self) -> frozenset[str]:
        """Its slot words and names, also those of its exchange."""
        anchors = self.claim.slot | self.claim.subject_words()
        if self.about:
            anchors |= self.context.slot | self.context.subject_words()
        return frozenset(anchors)


@lru_cache(maxsize=4096)
def stated(text: str, kind: str, at: str, role: str = "user", about: str = "") -> Stated:
    return Stated(text, kind, at, role, about)


# cached cheap tests of :mod:`.claims` (a search reads the same hits again)
valued = lru_cache(maxsize=4096)(claims.valued)
takes_back = lru_cache(maxsize=4096)(claims.takes_back)
changes = lru_cache(maxsize=4096)(claims.changes)
hands_over = lru_cache(maxsize=4096)(claims.hands_over)
resumes = lru_cache(maxsize=4096)(claims.resumes)
labels = lru_cache(maxsize=4096)(claims.labels)
exits = lru_cache(maxsize=4096)(claims.exits)
_siblings = lru_cache(maxsize=4096)(claims.siblings)


@lru_cache(maxsize=4096)
def _stems(text: str) -> frozenset[str]:
    return frozenset(claims.stem(w) for w in content_words(text))


def may_move(memories: Sequence[tuple[str, str]]) -> bool:
    """Whether :func:`later_first` could move any of these memories ((kind, text) each): two are
    about one subject only when the earlier is a question or takes a value back, when both give
    values, or when one is worded as a change or hands something over (a cheap test that spares a
    search parsing its hits)."""
    if len(memories) < 2:
        return False
    return (
        any(
            kind == "question" or takes_back(text) or changes(text) or hands_over(text) or exits(text)
            for kind, text in memories
        )
        or sum(valued(text) for _, text in memories) >= 2
    )


def same_subject(earlier: Stated, later: Stated) -> bool:
    """Whether ``later`` speaks about what ``earlier`` says (see the module doc)."""
    if later.role != "user" and earlier.role == "user":
        return False  # the agent's words never rank above what the user said about it
    answers = earlier.kind == "question" and later.kind != "question"
    both = earlier.valued and later.valued
    # a revision may change an attribute without a typed value (a stance, a list's member, who does
    # it); it needs a word in common with what it revises (the cheap test before any parsing)
    # (or, for a change between two values, in what each exchange is about: "also the association has moved
    # ... meetings are now at the village hall at 7" / "the association is back at the scout hut from december")
    revises = later.revises and bool(
        _stems(earlier.text) & _stems(later.text) or both and (earlier.about or later.about)
    )
    if not (answers or earlier.takes_back or both or revises):
        return False  # no attribute to change: a changed value (below) needs one on both sides
    if _siblings(earlier.text, later.text):
        return False  # the next record of a series (another invoice, log entry, row): no revision of this one
    a, b = earlier.claim, later.claim
    named = bool(a.slot & b.slot or a.shared_subject(b) or _shared_values(a, b))
    if not (named or earlier.anchors & later.anchors):
        return False
    if answers:
        return True
    if b.change and _reverses(a, b):
        return True
    changed = {kind for kind, (fresh, _) in claims.differences(b, a).items() if fresh} - _NO_ATTRIBUTE
    if changed - {"num"} or (changed and named):  # a bare number needs the texts' own anchor
        return True
    if named and "num" in b.values:  # a bare count read as the earlier one's quantity ("final count 95" / "110 log")
        counted = claims.resolve(b, a)
        if counted is not b and any(fresh for _, (fresh, _) in claims.differences(counted, a).items()):
            return True
    anchored = bool(earlier.anchors & later.anchors) and not named
    return revises and (_revised(a, b, both=both, anchored=anchored) or _became(earlier, later))


def _became(earlier: Stated, later: Stated) -> bool:
    """``later`` opens with a name ``earlier`` says and tells what became of it: it left or ended ("edit and mix by
    Kemi Adeleke" / "Kemi's gone full-time at the BBC, the new editor is Josh"; "Cake … from Bimpe's Bakes" /
    "Bimpe's order is cancelled"). A name said elsewhere in a sentence is not what it is about ("my partner Dev" /
    "I start June 15, Dev the week after"); an earlier memory of several statements is about more than the name,
    and one that already names whoever else the later brings in is no older state ("| Captain | Priya Nair (was
    Sophie Lang) |" / "Sophie stepped down …, the squad voted for Priya")."""
    name = claims.lead(later.text)
    if name is None or name not in earlier.claim.proper() or not exits(later.text) or _statements(earlier.text) > 1:
        return False
    others = later.claim.subject_words() - {name}
    return not others or not others <= earlier.claim.subject_words() | earlier.claim.capitals


def _statements(text: str) -> int:
    """Sentences and ';'-parts of ``text`` (a stop, ! or ? before more text, or a ';')."""
    return 1 + len(re.findall(r";|[.!?]\s+(?=\S)", text.strip()))


def _revised(earlier: Claim, later: Claim, *, both: bool, anchored: bool = False) -> bool:
    """``later`` revises what ``earlier`` says about a slot word both say (not qualified apart):
    worded as a change, it gives another value of any kind (``both`` give values, and the kinds are
    read imperfectly: "sub 2h" / "goal now 1:55"), turns the stance round ("Car yes" / "scratch
    that, … no rental car") or takes back what the earlier asserts ("drug B dropped" under the list
    that names it); or it hands the thing to someone the earlier does not name, where the earlier
    says who does it (the user, or someone named: "I own infra" / "handing infra to Rosa")."""
    shared = earlier.slot & later.slot
    actor = later.actor  # the verb that hands a thing over qualifies it otherwise ("own infra" / "hand infra")
    handed = actor not in (None, "self") and not earlier.says(actor)
    withdrawn = any(kind == "phrase" and earlier.asserts(v) for kind, v in later.denied)
    if not shared:  # someone named stands in for someone the earlier names ("Ines covers for Karl")
        if anchored and later.change and both:  # one exchange's subject, another value worded as a change
            return True
        if withdrawn and earlier.shared_subject(later):  # the named thing withdrawn ("no more Tresiba")
            return True
        return handed and bool(earlier.proper()) and bool(earlier.shared_subject(later))
    # a role given to someone else ("lights Sanjay" / "lights now Dev Gill"), a thing used "instead" of the one
    # the earlier names ("the treatment I use is Apivar" / "this year I am using MAQS instead"), a return to what
    # the earlier one gave up ("I do not want to use oxalic acid any more" / "I will use oxalic acid again")
    recast = any(w == w2 and n != n2 for w, n in later.roles - earlier.roles for w2, n2 in earlier.roles)
    swapped = "instead" in later.words and not later.denied and bool(later.slot - shared and earlier.slot - shared)
    resumed = "again" in later.words and earlier.negative and not later.negative
    # a label given another value ("manager = sister hallam" / "new manager there = charge nurse ade bello")
    mine, theirs = earlier.labelled, later.labelled
    relabelled = mine is not None and theirs is not None and mine[0] == theirs[0] and mine[1] != theirs[1]
    if later.change and (recast or swapped) or resumed or relabelled:
        return True
    if (
        later.change
        and (both or earlier.negative != later.negative or withdrawn)
        and any(not later.qualifies_apart(earlier, w) for w in shared)
    ):
        return True
    return handed and (earlier.actor == "self" or bool(earlier.proper()))


def _reverses(earlier: Claim, later: Claim) -> bool:
    """``later`` asserts what ``earlier`` took back ("tabs not spaces" / "prettier defaults now, so spaces")."""
    taken = {v for kind, v in earlier.denied if kind == "phrase"}
    kept = {v for kind, v in later.denied if kind == "phrase"}
    return any(_said(later, v) for v in taken - kept)


def _said(claim: Claim, phrase: str) -> bool:
    """``claim`` says the phrase's content words, the last one of several aside ("by text message" is
    said by "by text as well as by email": a head with its noun left out)."""
    words = [w for w in phrase.lower().split() if w in content_words(phrase)]
    return bool(words) and all(w in claim.words for w in (words[:-1] if len(words) > 1 else words))


def _shared_values(a: Claim, b: Claim) -> bool:
    return any(kind in _ANCHOR_VALUES for kind, _ in claims.shared(b, a))


def later_first(hits: Sequence[SearchHit], facts: Mapping[str, Stated]) -> list[SearchHit]:
    """``hits`` with each memory hit stated later than a better-ranked memory hit about the same
    subject moved to just above it (repeatedly: a chain of changes ends with the latest on top).
    ``facts`` holds the memory hits to order; other hits keep their places relative to each other."""

    def later_same_subject(a: SearchHit, b: SearchHit) -> bool:
        first, fact = facts.get(a.id), facts.get(b.id)
        return (
            first is not None
            and fact is not None
            and b.corpus == "memory"
            and a.corpus == "memory"
            and fact.at > first.at
            and same_subject(first, fact)
        )

    return _pull_above(hits, later_same_subject)


NEAR_TIE = 0.02  # a relative score gap the search cannot tell apart (chosen on tune..fresh5, round 9b)


def later_near_ties(hits: Sequence[SearchHit], at: Mapping[str, str], margin: float | None = None) -> list[SearchHit]:
    """``hits`` with each memory hit stated later (``at``: when each memory hit was stated) than a
    better-ranked memory hit scored within ``margin`` (default ``NEAR_TIE``) of it (relative) moved to just above it,
    repeatedly: between two answers the search scores alike, the later one is the current one
    (a recency prior on near ties only; every clear ranking stands)."""
    near = 1 - (NEAR_TIE if margin is None else margin)

    def near_and_later(a: SearchHit, b: SearchHit) -> bool:
        return (
            a.corpus == "memory"
            and a.id in at
            and a.score > 0
            and b.corpus == "memory"
            and at.get(b.id, "") > at[a.id]
            and b.score >= a.score * near
        )

    return _pull_above(hits, near_and_later)


def revisions_first(hits: Sequence[SearchHit]) -> list[SearchHit]:
    """``hits`` with each memory hit's revision (``revised_by``), where the search returned it below the
    hit, moved just above it. Only what the search returned moves: a revision is linked to a whole memory,
    and a query about another part of it is no query about the revision (tried: bringing in revisions the
    search did not return cost ordinary retrieval, key@1 -5 to -8 on fresh3..fresh5, and fixed no stale
    value there)."""
    out = list(hits)
    for h in hits:
        target = h.extra.get("revised_by") if h.corpus == "memory" else None
        if not target:
            continue
        at = next(i for i, x in enumerate(out) if x is h)
        there = next((i for i, x in enumerate(out) if x.id == target and x.corpus == "memory"), None)
        if there is not None and there > at:
            out.insert(at, out.pop(there))
    return out


def _pull_above(hits: Sequence[SearchHit], before: Callable[[SearchHit, SearchHit], bool]) -> list[SearchHit]:
    """``hits`` with, from the top down, the first lower hit ``b`` for which ``before(a, b)`` holds moved
    to just above ``a``, and ``a``'s place checked again (so a chain ends with its last link on top)."""
    out = list(hits)
    i = 0
    while i < len(out):
        j = next((j for j in range(i + 1, len(out)) if before(out[i], out[j])), None)
        if j is not None:
            out.insert(i, out.pop(j))
            continue
        i += 1
    return out
