"""Reconciliation: compare a candidate with its nearest current memories and decide.

``duplicate`` → no-op (the memory's confirmations go up), ``refine`` → the memory's text
is replaced by the fuller candidate, ``contradict`` → each memory it contradicts gets
``valid_to`` and ``superseded_by`` (it leaves recall, stays listed and restorable), ``add`` →
a new memory. A candidate whose text the user explicitly forgot is ``forgotten`` and never
re-added.

Offline, both sentences are read as claims (:mod:`.claims`: slot, typed values, denied
values) and the dialogue decides who may change what. A newer candidate contradicts a memory
when it

- takes back a value the memory gives ("not TU Munich", "~~5~~", "25 -> 16");
- gives a value of the same type for the same slot ("79 kg" for "82 kg"; the slot is shared
  when enough slot words, a unit, or an anchoring name/date/identifier are shared; another
  name needs two shared slot words, a shared verb alone is no slot). Where several memories
  give a value of that type, the one sharing the most of the slot is the one replaced;
- settles an open question about the same slot, or flips a stance about the same thing (a
  preference, or a rule worded as a change: "never run migrations from CI" → "migrations may
  run from CI now");
- hands what the user did to someone named ("I fill it every Sunday" → "Tomasz will take the
  Sunday visits from now");
- moves a date ("slips to June 27") and exactly one dated plan of the same speaker is near.

Never across speakers the wrong way (the agent's sentence never supersedes or rewrites the
user's), never between two sentences of one message, and never between two records of one series
each led by its own key (the next invoice's header, log entry or table row); a record of a day that
is over is history. A wrong supersede removes a right
memory from recall, a missed one costs little (recall puts the later statement first,
:mod:`.order`), so the bar is high: a value taken back about someone the memory does not name
stays ("Karim starts not on Saturday" leaves "Saturday I open till 6"); another name replaces
one only when worded as a change; a computation ("2 sites × 4 plots = 8") restates values;
a shared slot word qualified otherwise is two slots ("practical exam" / "theory exam"); and a
date or time needs more than a shared entity ("Mateus back 23 Mar" / "Mateus has a conference
16–20 Mar") or one shared word between sentences that each name something else.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from . import claims
from .claims import Claim
from .classifier import content_words

ACTIONS = ("add", "duplicate", "refine", "contradict", "forgotten")

_STANCES = ("preference", "decision")
_RULE = re.compile(r"\b(?:may|can|must|should|allowed|always|never|only)\b", re.I)
_ARROW = re.compile(r"->|→|=>")
SAME_SLOT = 0.89  # cosine of a same-slot revision (multilingual-e5-small, both texts as queries); tuned on tune..fresh5
_NOT_SLOT_VALUES = frozenset({"name", "code", "when", "since"})
Similarity = Callable[[str, str], float]
_GENERIC = frozenset("new old thing things time week day today also really sure fyi".split())


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
    context: str = ""  # the topic before it: a short lead sentence ("Budget.") or the question it answers
    exchange: str = ""  # the same with a lead that is an item itself: indexed with it, read by recall order


@dataclass(frozen=True)
class Neighbour:
    """A current memory near a candidate, with where it was formed (None: not formed)."""

    id: str
    kind: str
    text: str
    valid_from: str
    role: str | None = None
    session_key: str | None = None
    seq: int | None = None


@dataclass(frozen=True)
class Decision:
    action: str
    targets: tuple[str, ...] = ()
    reason: str = ""
    revises: str = ""  # an added candidate: the text of a memory it revises without superseding it (indexed with it)
    revised: tuple[str, ...] = ()  # the ids of the memories it revises (linked, read by the recall order)

    @property
    def target(self) -> str | None:
        return self.targets[0] if self.targets else None


def _words(text: str) -> set[str]:
    return {w for w in content_words(text) if w not in _GENERIC}


def decide(
    candidate: Candidate,
    neighbours: Sequence[Neighbour],
    similarity: Similarity | None = None,
    by_meaning: Sequence[Neighbour] = (),
) -> Decision:
    """The offline rules over the neighbours found by words, nearest first; with ``similarity`` (two texts'
    cosine by the embedder; None: lexical only), a revision of the same slot among them and the memories
    near in meaning (``by_meaning``) is linked (:func:`_same_slot`). The rules that supersede read words,
    so a memory that shares none is no evidence for them (tried: hybrid neighbours for every rule added
    wrong supersedes on tune..fresh5)."""
    new = _words(candidate.text)
    if not new:
        return Decision("add", (), "no content words")
    for m in neighbours:
        old = _words(m.text)
        if old and (
            candidate.text.strip().lower() == m.text.strip().lower() or len(new & old) / len(new | old) >= 0.85
        ):
            return Decision("duplicate", (m.id,), "same content")
    about = claims.parse(candidate.context)
    claim = claims.resolve(claims.parse(candidate.text), about)
    context = about.slot
    may = [m for m in neighbours if _may_change(candidate, m)]
    named = {m.id: claims.parse(m.text).subject_words() for m in neighbours}
    found = _strongest(
        [(m.id, c) for m in may if (c := _contradiction(candidate, claim, context, m, _elsewhere(named, m.id)))]
    )
    if not found and claim.shift and "date" in claim.values:
        dated = [
            m
            for m in may
            if m.role == candidate.role
            and m.kind != "question"
            and claims.conflicts(claim, claims.parse(m.text)) & {"date"}
        ]
        # of several, the one of the thing it names ("Ch4 slips to 26 June": the Ch4 draft, not the Ch5 one)
        plans = dated if len(dated) == 1 else [m for m in dated if claim.proper() & claims.parse(m.text).proper()]
        if len(plans) == 1:
            found = [(plans[0].id, "the one dated plan near a date shift")]
    if found:
        return Decision("contradict", tuple(i for i, _ in found), "; ".join(why for _, why in found))
    for m in neighbours:
        old = _words(m.text)
        if (
            len(old - new) <= 1
            and len(new - old) >= 1
            and len(old) >= 3
            and _values(m.text) <= _values(candidate.text)
            and _may_change(candidate, m)
            and (m.role or "user") == candidate.role  # one speaker's words are never rewritten by the other's
        ):
            return Decision("refine", (m.id,), "the candidate says the same and more")
    revised = _revises(candidate, claim, may)
    if revised is not None:  # a guess from shared words: indexed with it and read by the recall order
        return Decision("add", (), "revises a memory near it", revised.text)
    if similarity is not None:
        ids = {m.id for m in neighbours}
        near = [*may, *(m for m in by_meaning if m.id not in ids and _may_change(candidate, m))]
        # linked, read by the recall order; not indexed with the memory's words (tried: that cost key@1 on
        # fresh, fresh3..fresh5, 1-3 each, the revision outranking the memory for its own words)
        if (same := _same_slot(candidate, claim, near, similarity)) is not None:
            return Decision("add", (), "the same slot near in meaning, another value", "", (same.id,))
    return Decision("add", (), "nothing near says the same")


def _revises(c: Candidate, claim: Claim, may: Sequence[Neighbour]) -> Neighbour | None:
    """The text of the nearest memory of the user's that a user's change revises below the bar for
    superseding: it takes back what the memory asserts ("swapped the quartz for a compact laminate" /
    "Worktop will be quartz"), or, worded as a change, gives another value of a typed kind about a name
    or slot word they share ("Haruka changed my slots, now it's Mondays" / "tutor Haruka, Tuesdays") or
    of a measure they give ("dropping back to 30 hrs" / "contract's going up to 34.5 hrs").
    A guess, like the terse value's antecedent: it is indexed with the candidate (so "worktop" finds the
    laminate) and read by the recall order, never linked (tried: linking these guesses cost key@1) nor used to
    supersede. None when none."""
    if c.role != "user" or not (claim.change or claim.denied):
        return None
    for m in may:
        if m.kind == "question" or (m.role or "user") != "user":
            continue
        old = claims.parse(m.text)
        if any(kind == "phrase" and old.asserts(v) for kind, v in claim.denied):
            return m
        shared = old.slot & claim.slot or claim.shared_subject(old)
        changed = claims.conflicts(claim, old) - {"num", "name"} if claim.change else set()
        # or a measure both give in one unit, another amount ("dropping back to 30 hrs" / "up to 34.5 hrs")
        if changed and (shared or any(k.startswith("qty:") and k != "qty:money" for k in changed)):
            return m
    return None


def slot_valued(text: str) -> bool:
    """Whether ``text`` gives a value :func:`_same_slot` compares (a cheap test before any embedding)."""
    return claims.valued(text) and bool(set(claims.parse(text).values) - _NOT_SLOT_VALUES)


def _same_slot(c: Candidate, claim: Claim, may: Sequence[Neighbour], similarity: Similarity) -> Neighbour | None:
    """Of the memories of the user's to which a user's candidate gives another value of a kind both give (a
    date, time, weekday, frequency, version, count or an amount in one unit: "the insurance is £46 a month" /
    "insured with them, £38 a month"; not a name or an identifier, they name things as often as they value
    them), and that do not each name something the other does not (names, none shared), the one
    nearest in meaning, at least :data:`SAME_SLOT`: the same slot with a new value, linked below the bar for
    superseding. None when none."""
    if c.role != "user" or claim.derived:
        return None
    best, nearest = None, SAME_SLOT
    for m in may:
        if m.kind == "question" or (m.role or "user") != "user":
            continue
        old = claims.parse(m.text)
        if not claims.conflicts(claim, old) - _NOT_SLOT_VALUES:
            continue
        mine, theirs = claim.subject_words(), old.subject_words()
        if mine and theirs and not (mine & theirs or claim.shared_subject(old)):
            continue
        if (cosine := similarity(c.text, m.text)) >= nearest:
            best, nearest = m, cosine
    return best


def _may_change(c: Candidate, m: Neighbour) -> bool:
    """Dialogue structure: a newer statement, not a question, not from the same message; the
    agent's sentences change only the agent's own earlier ones."""
    if c.kind == "question" or c.at < m.valid_from:
        return False
    if m.session_key == c.session_key and m.seq == c.seq:
        return False
    return c.role == "user" or m.role == "assistant"


@dataclass(frozen=True)
class _Conflict:
    why: str
    kind: str = ""  # the value type replaced by the same-slot rule ("" for every other rule)
    support: tuple[int, int] = (0, 0)  # shared slot and anchors; then shared words


def _strongest(found: list[tuple[str, _Conflict]]) -> list[tuple[str, str]]:
    """Every conflict, except that of several memories replaced in one value type by the same-slot
    rule only those sharing the most of the slot (then of all words) stay ("the June check-up is
    cancelled, the new date is 16 June" moves the June check-up, not also the March appointment
    that only shares "doctor")."""
    best: dict[str, tuple[int, int]] = {}
    for _, c in found:
        if c.kind:
            best[c.kind] = max(best.get(c.kind, (0, 0)), c.support)
    return [(mid, c.why) for mid, c in found if not c.kind or c.support >= best[c.kind]]


def _elsewhere(named: dict[str, set[str]], mid: str) -> set[str]:
    """Name words the other neighbours say: a name one of them is about is a subject, no value."""
    return set().union(*(words for other, words in named.items() if other != mid))


def _contradiction(
    c: Candidate,
    claim: Claim,
    context: frozenset[str],
    m: Neighbour,
    elsewhere: frozenset[str] | set[str] = frozenset(),
) -> _Conflict | None:
    """Why ``c`` contradicts ``m`` (None when it does not)."""
    refs, their_refs = set(claims.REF.findall(c.text)), set(claims.REF.findall(m.text))
    if refs and their_refs and not refs & their_refs:
        return None  # each names its own numbered thing ("Ticket #49102 …" / "Ticket #48577 …")
    if claims.siblings(c.text, m.text):
        return None  # the next record of a series ("INVOICE ZF-120317 …" / "INVOICE INV-21877 …"), not a revision
    old = claims.parse(m.text)
    # a slot word both qualify otherwise is two slots ("practical exam" / "theory exam")
    slot = {
        w for w in ((claim.slot | context) & old.slot) | claim.shared_subject(old) if not claim.qualifies_apart(old, w)
    }
    kinds = claims.conflicts(claim, old)
    # a value the memory takes back itself is no contradiction ("DE→EN" in both)
    taken_back = claims.denies(claim, old) - claims.denies(old, old)
    # a date or time the candidate takes back is no anchor it shares ("not the 24th" / "24 may Black Hill"):
    # a date does not say of what, a quantity names its attribute ("4 days, not 2" / "deliver in 2 days")
    taken = claims.denies(claim, claim)
    anchors = {
        (k, v)
        for k, v in claims.shared(claim, old)
        if k not in kinds and k != "name" and not (k in ("date", "weekday", "time") and v in taken)
    }
    support = len(slot) + len(anchors)
    # a value taken back about someone the memory does not name ("Karim starts not on Saturday")
    # leaves the memory's own Saturday alone
    # a number taken back as a typed one ("3 weeks instead of 2": 2 weeks) is a memory's bare number
    # ("replicaCount: 2") only in the exchange right after it; from another session that needs a shared slot word
    bare = (
        taken_back <= old.values.get("num", frozenset())
        and any(k.startswith("qty:") for k in claim.values)
        and m.session_key != c.session_key
    )
    # without a word in common, the candidate may not name what the memory does not; nor, for a date or time
    # taken back by a candidate that says what it is about, the memory what the candidate does not: "leads
    # only for the 10th, not the 24th" leaves "24 may Black Hill" (a date belongs to whatever happens on it;
    # "4 days, not 2" names its attribute, and a terse "june 28 now, not 21." is about the gig on the 21st)
    timed = {v for k in ("date", "weekday", "time") for v in old.values.get(k, ())}
    unnamed = claim.proper() <= {claims.stem(w) for w in old.words} and (
        not taken_back <= timed or not claim.slot or old.subject_words() <= {claims.stem(w) for w in claim.words}
    )
    if taken_back and (support or not bare and unnamed):
        return _Conflict(f"takes back {', '.join(sorted(taken_back))}")
    if not (claim.shift and "date" in claim.values) and _history(m, c.at):
        return None  # what happened on a day that is over ("18 Sep h v Rotherham 2½-1½ …") holds: news, no change
    if claim.derived or old.derived:
        return None  # a computation restates values: it neither states one nor holds one a new value replaces
    smaller = min(len(claim.slot), len(old.slot)) or 1
    # a third of the smaller slot shared, or, for a sentence worded as a change, a quarter of its own
    enough = support >= max(1, 0.34 * smaller) or claim.change and support >= max(1, 0.25 * len(claim.slot))
    # "same time" holds no value a new one replaces; nor does a date that had passed when the new one was
    # said (the next term's dates after last term's: the next one, not a change; a correction takes it back)
    # a memory that lists values for several things keeps those of the things the candidate does not name
    # ("deposit paid 31 jan" / "charter fee EUR 4,200, 30% deposit due 1 feb, balance by 15 may"): it is not
    # superseded whole, the recall order ranks the later first
    if kinds and m.text.count(", ") >= 2:
        kinds -= _listed(m.text, claim)
    typed = kinds - {"num", "name"} - {k for k, v in old.values.items() if v <= {claims.SAME}}
    if "date" in typed and _passed(old, m.valid_from, c.at):
        typed -= {"date"}
    # a correction says what it replaces ("the 20th instead of the 24th"): a memory holding none of the
    # values it takes back keeps its values of that kind ("review on the 19th of May" in a run-on message)
    aimed = claims.aimed(claim) if claim.denied and not taken_back else set()
    typed -= aimed
    mine, theirs = claim.proper(), old.proper()
    entity = slot <= claim.capitals & old.capitals and {k for k, _ in anchors} <= {"code", "version"}
    apart = bool(mine and theirs and not mine & theirs and support < 2)
    if (entity and (slot or anchors)) or apart:
        # Only the entity is shared, a name or an identifier ("Mateus back 23 Mar" / "Mateus has a
        # conference 16-20 Mar"; "N4 registration closes august 28" / "JLPT N4 in December"), or each
        # names what the other does not ("Covão sampled 12 Mar" / "Lagoa 3 March"): a quantity or version
        # names its own attribute (nights, kg), a date or time does not say of what.
        typed -= {"date", "weekday", "time"}
        if apart and claim.values.get("code", frozenset()) <= mine:  # capitalised identifiers name things
            typed -= {"code"}  # ("Ch2 draft by 30 Jan" / "Ch5 draft by 14 Aug"); "German B1" for "German A2" is a value
    if old.holder != claim.holder and "other" in (old.holder, claim.holder):
        # a count of someone else's things is not one of the user's: "I have 5 hives now" or "62 lb from the 4
        # old hives" replace not "my neighbour Brian has 10 hives", nor the other way round
        typed -= {k for k in typed if k.startswith("qty:")}
        kinds -= {"num"}
    where = ", ".join(sorted(slot | {v for _, v in anchors})[:4])
    strength = (support, len(claim.words & old.words))
    if typed and enough:
        kind = sorted(typed)[0]
        return _Conflict(f"same slot ({where}), new {', '.join(sorted(typed))}", kind, strength)
    fresh, dropped = claims.differences(claim, old).get("name", ([], []))
    if (
        "name" in kinds - aimed
        # one of several names it says again is not replaced: the new name joins them ("a week in Lisbon and
        # a week on the Algarve" / "Manchester to Faro, so Algarve first then Lisbon")
        # the one name it says again is replaced by the new one ("on-call switched to Dev this week, Marta is out
        # sick"), unless the new one is what changed ("the reply URL changed with the Group plan tenant")
        and (dropped or len(old.values["name"]) == 1 and not _changed_itself(c.text, fresh))
        and claim.change
        and not claim.adds  # "HA moved onto the N100 as well": it joins the names there
        # worded as a change only by an arrow the memory says too ("DE→EN" in a new client's line and a row)
        and not (claim.denied <= old.denied and not claims.changes(_ARROW.sub(" ", c.text)))
        and len(slot) >= 2
        and support >= 0.34 * smaller
        and not all(claims.stem(w) in elsewhere for n in fresh for w in n.split())
    ):  # names are subjects as often as values: another name replaces one only worded as a change
        return _Conflict(f"same slot ({where}), another name", "name", strength)
    if "num" in kinds - aimed and (len(slot) >= 2 or (claim.change and slot)):
        return _Conflict(f"same slot ({where}), another number", "num", strength)
    if m.kind == "question" and support >= max(1, 0.34 * smaller):
        return _Conflict("settles the open question")
    flipped = claim.negative != old.negative
    if flipped and slot and c.kind == m.kind == "preference":
        return _Conflict("preference about the same thing flipped")
    if (
        flipped
        and support >= 2
        and claim.change
        and m.kind in _STANCES
        and (c.kind in _STANCES or _RULE.search(c.text))
    ):
        return _Conflict(f"rule about the same thing ({where}) changed")
    if (
        old.actor == "self"
        and claim.actor not in (None, "self")
        and claim.change
        and support >= 2
        and c.role == "user"
        and m.role in (None, "user")
    ):
        return _Conflict(f"{claim.actor} does it now ({where})")
    return None


def _changed_itself(text: str, names: list[str]) -> bool:
    """Each of ``names`` is what ``text`` says changed: the subject right before its change word."""
    low = text.lower()
    for name in names:
        m = re.search(rf"\b{re.escape(name)}\s+(?:has\s+|have\s+|was\s+|were\s+|got\s+)?", low)
        if m is None or not claims.CHANGE.match(low, m.end()):
            return False
    return bool(names)


def _listed(text: str, claim: Claim) -> set[str]:
    """Value kinds of the parts of a list ``text`` (three or more comma-separated parts with values)
    that share no slot word with ``claim``, where another part does: values of the other things
    listed, not of the one ``claim`` is about."""
    parts = [claims.parse(p) for p in text.split(", ")]
    if sum(bool(p.values) for p in parts) < 3:
        return set()
    if not any(p.slot & claim.slot for p in parts):
        return set()
    return {k for p in parts if p.slot and not p.slot & claim.slot for k in p.values} - {"name"}


def _history(m: Neighbour, now: str) -> bool:
    """``m`` is a record led by a date (a log entry, a fixture, a result) and that day had passed at ``now``."""
    lead = claims.record(m.text)
    return lead is not None and lead[1] == "date" and _passed(claims.parse(lead[2]), m.valid_from, now)


def _passed(old: Claim, said: str, now: str) -> bool:
    """Every date of ``old`` (read as the first such day on or after ``said``) is before ``now``."""
    try:
        start, end = date.fromisoformat(said[:10]), date.fromisoformat(now[:10])
    except ValueError:
        return False
    days = []
    for value in old.values.get("date", ()):
        month, _, day = value.partition("-")
        if month not in claims.MONTHS or not day.isdigit():
            return False
        m = list(claims.MONTHS).index(month) + 1
        try:
            when = date(start.year, m, int(day))
            days.append(when if when >= start - timedelta(days=31) else date(start.year + 1, m, int(day)))
        except ValueError:
            return False
    return bool(days) and max(days) < end


def _values(text: str) -> set[str]:
    return claims.parse(text).all_values()
