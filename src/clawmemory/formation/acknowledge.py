"""The agent's acknowledgement of what the user said: the part of its reply that restates an item.

The reply right after a user's message is a paraphrase by a reader of that message, in plain words
("Mr Gallacher's retired an shut up shop, so Renfrew Tyre an Exhaust are takin over the tops fae January"
→ "Renfrew Tyre and Exhaust is the new sponsor from January"). A memory the user stated is indexed with
the clauses of the reply that restate it (index words only, never its text: the user's words rule, also
where the agent misread them, and a later correction supersedes as before), so that a later question in
plain words finds it. The reply's first statement (questions left out; what follows is mostly the agent's
own advice or comment) is split at ";" and dashes, and at commas where the message gave several items (a
reply that restates a list: "Saddle at 734 mm, 170 mm cranks coming, 80 mm stem"); a clause restates the
item it shares the most words with (stems, and numbers of two digits or more: "88" in "88,000"); a clause
that shares none, a question, and a clause that is one of the agent's own items (its commitments: their
own memories) restate nothing. When the message gave one item and the statement is one short clause, that
is its acknowledgement whatever its words ("So you're in the Sunday league with 10am kick-offs" after
"Association put us in the Sabbath yin").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .claims import stem
from .classifier import Item, Utterance, content_words, sentences

_CLAUSE = re.compile(r";\s+|\s+[–—]\s+")  # clauses of one sentence
_LIST = re.compile(r",\s+")  # the parts of a list-like sentence ("734 mm, 170 mm cranks coming, 80 mm stem")
_NUMBER = re.compile(r"\d{2,}")
SENTENCES = 1  # the reply's first statement acknowledges; what follows is the agent's own advice or comment
SHORT = 25  # words: one clause this short acknowledges the one item of its message


def words(text: str) -> frozenset[str]:
    """The stemmed content words of ``text`` and its numbers of two digits or more ("88,000": "88")."""
    found = {stem(w) for w in content_words(text) if w.strip("0.,")}
    found |= {n for n in _NUMBER.findall(text) if n.strip("0")}
    return frozenset(found)


def indexed(ack: str) -> str:
    """The words of an acknowledgement that its memory is indexed with: its content words, in order (the
    agent's "now", "so", "still" would match every question worded with them)."""
    lower = ack.lower()
    return " ".join(sorted(content_words(ack), key=lower.find))


def clauses(reply: str, lists: bool) -> list[str]:
    """The clauses of the reply's first statement (:data:`SENTENCES`; questions left out), and with ``lists``
    also its parts between commas."""
    out: list[str] = []
    statements = [s for s in sentences(reply) if not s.rstrip().endswith("?")]
    for sentence in statements[:SENTENCES]:
        for part in _CLAUSE.split(sentence):
            out += [p.strip() for p in (_LIST.split(part) if lists else [part]) if content_words(p)]
    return out


def acknowledgements(reply: str, items: Sequence[str], own: Sequence[str] = ()) -> list[str]:
    """For each of ``items`` (the items of one user message, in order), the clauses of ``reply`` (the
    agent's next message) that restate it, joined; "" for an item no clause restates. A clause of one of
    ``own`` (the reply's own items: the agent's commitments) is its own memory, no restatement."""
    out = [""] * len(items)
    parts = [p for p in clauses(reply, lists=len(items) > 1) if not any(p in o or o in p for o in own)]
    if len(items) == 1 and len(parts) == 1 and len(parts[0].split()) <= SHORT:
        return parts
    mine = [words(item) for item in items]
    for part in parts:
        theirs = words(part)
        shared = [len(theirs & w) for w in mine]
        best = max(shared, default=0)
        for k, n in enumerate(shared):
            if best and n == best:  # a clause as close to two items restates both ("Dai's back and Bryn's home")
                out[k] = f"{out[k]} {part}".strip()
    return out


def reply(turns: Sequence[Utterance], k: int) -> Utterance | None:
    """The agent's reply to the user's message ``turns[k]``: the next message with words (a tool call alone has
    none), when it is the agent's."""
    if turns[k].role != "user":
        return None
    after = next((t for t in turns[k + 1 :] if t.text.strip()), None)
    return after if after is not None and after.role == "assistant" else None


def acknowledged(turns: Sequence[Utterance], items: Sequence[Item]) -> list[str]:
    """For each of ``items``, its acknowledgement (:func:`acknowledgements`) in the agent's reply to the user's
    message it came from; "" for the agent's own items and where no reply follows in ``turns``."""
    out = [""] * len(items)
    at = {t.seq: k for k, t in enumerate(turns)}
    said: dict[int, list[int]] = {}
    for i, item in enumerate(items):
        if item.seq in at:
            said.setdefault(at[item.seq], []).append(i)
    for k, mine in said.items():
        answer = reply(turns, k)
        if answer is None:
            continue
        own = [x.text for x in items if x.seq == answer.seq and x.role == "assistant"]
        for i, ack in zip(mine, acknowledgements(answer.text, [items[i].text for i in mine], own), strict=True):
            out[i] = ack
    return out
