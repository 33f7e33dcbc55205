"""Reconciliation: compare a candidate with its nearest current memories and decide.

``duplicate`` → no-op (the memory's confirmations go up), ``refine`` → the memory's text
is replaced by the fuller candidate, ``contradict`` → the old memory gets ``valid_to`` and
``superseded_by`` (it leaves recall, stays listed and restorable), ``add`` → a new memory.
A candidate whose text the user explicitly forgot is ``forgotten`` and never re-added.

Offline rules look at the *slot* two sentences share (their content words without the
values) and at the values (numbers, dates, names) each names: same slot + a new value,
a value the candidate negates ("not TU Munich"), or a flipped preference about the same
thing, from a newer message, is a contradiction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .classifier import content_words, is_update, values

ACTIONS = ("add", "duplicate", "refine", "contradict", "forgotten")

_NEGATIVE = re.compile(
    r"\b(?:hate|hates|dislike|can't stand|cannot stand|no|not|never|don't|dont|avoid|"
    r"without)\b",
    re.I,
)
_GENERIC = frozenset("new old thing things time week day today also really sure fyi".split())
_DATE_WORD = re.compile(
    r"^(?:\d[\d.,:/-]*|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*|"
    r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*|next|this|today|tomorrow|tonight|weekend)$"
)


@dataclass(frozen=True)
class Candidate:
    """An extracted item with its provenance."""

    kind: str
    text: str
    namespace: str
    session_key: str
    seq: int
    at: str
    confidence: float
    role: str = "user"
    extractor: str = "offline"


@dataclass(frozen=True)
class Neighbour:
    """A current memory near a candidate."""

    id: str
    kind: str
    text: str
    valid_from: str


@dataclass(frozen=True)
class Decision:
    action: str
    target: str | None = None
    reason: str = ""


def _words(text: str) -> set[str]:
    return {w for w in content_words(text) if w not in _GENERIC}


def _value_words(text: str) -> set[str]:
    out: set[str] = set()
    for v in values(text):
        out |= set(re.findall(r"[a-z0-9]+(?:[.:,][0-9]+)*", v.lower()))
    return out


def _negated(text: str) -> set[str]:
    """Values the sentence denies: "not TU Munich", "no longer Lyon", "Marta … anymore"."""
    out: set[str] = set()
    for m in re.finditer(r"\b(?:not|no longer|instead of|rather than)\s+((?:[A-Z][\w-]*\s*){1,3})", text):
        out |= {w.lower() for w in m.group(1).split()}
    return out


def slot_overlap(a: str, b: str) -> tuple[set[str], set[str], set[str]]:
    """(shared slot words, values of a, values of b)."""
    va, vb = _value_words(a), _value_words(b)
    frame_a = _words(a) - va
    frame_b = _words(b) - vb
    named = {w for w in va & vb if not _DATE_WORD.match(w)}  # a name both mention is the subject
    return (frame_a & frame_b) | named, va, vb


def decide(candidate: Candidate, neighbours: Sequence[Neighbour]) -> Decision:
    """The offline rules, nearest neighbour first."""
    new = _words(candidate.text)
    for m in neighbours:
        old = _words(m.text)
        if not new or not old:
            continue
        union = new | old
        if candidate.text.strip().lower() == m.text.strip().lower() or len(new & old) / len(union) >= 0.85:
            return Decision("duplicate", m.id, "same content")
        newer = candidate.at >= m.valid_from and candidate.kind != "question"  # questions change nothing
        shared, v_new, v_old = slot_overlap(candidate.text, m.text)
        fresh_values = v_new - v_old
        smaller = min(len(old - v_old), len(new - v_new)) or 1
        if _negated(candidate.text) & v_old and newer:
            return Decision("contradict", m.id, "the candidate negates a value of the memory")
        if (
            shared
            and fresh_values
            and v_old
            and newer
            and (len(shared) >= max(1, 0.34 * smaller) or (is_update(candidate.text) and len(shared) >= 1))
        ):
            return Decision(
                "contradict",
                m.id,
                f"same slot ({', '.join(sorted(shared)[:4])}), new value ({', '.join(sorted(fresh_values)[:4])})",
            )
        if (
            candidate.kind == m.kind == "preference"
            and shared
            and newer
            and bool(_NEGATIVE.search(candidate.text)) != bool(_NEGATIVE.search(m.text))
        ):
            return Decision("contradict", m.id, "preference about the same thing flipped")
        if len(old - new) <= 1 and len(new - old) >= 1 and v_old <= v_new and len(old) >= 3:
            return Decision("refine", m.id, "the candidate says the same and more")
    return Decision("add", None, "nothing near says the same")
