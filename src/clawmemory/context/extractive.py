"""The offline summariser: deterministic, extractive, no model.

It walks the older half once and copies out what the shared classifier
(:mod:`clawmemory.formation.classifier`) finds in the dialogue, with who said it, plus a
question→answer log, the emotional context and one line per tool action. Compaction keeps
what it can, where formation keeps what it is sure of: besides the durable items
(decisions, commitments, open questions, preferences, facts) it takes every other
substantive line the classifier ranks lower (terse answers, value lines without "I", hedged
plans, the agent's offers), and drops only what the dialogue shows is not substantive
(greetings, thanks, acknowledgements). These lines fill a token budget, highest confidence
first (ties: the later line): :data:`SHARE` of the tokens summarised, at least
:data:`FLOOR`. A 200k-token conversation takes about a second (benchmarks/context.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..formation.classifier import Classifier, Item, Utterance, sentences
from . import summary
from .messages import Msg, one_line, query_text
from .tokens import TokenEstimator

UNSURE = re.compile(
    r"\b(?:i don't know|i do not know|not sure|i can't (?:tell|say|answer)|i cannot (?:tell|say|answer)|"
    r"let me check|i'll (?:check|find out|look into)|get back to you|no information)\b",
    re.I,
)
EMOTION = re.compile(
    r"\b(?:frustrat\w*|annoy\w*|stress\w*|worried|worry|anxious|nervous|upset|angry|furious|sad|depressed|"
    r"overwhelm\w*|excited|thrilled|delighted|happy|glad|relieved|grateful|disappoint\w*|exhausted|"
    r"tired of|scared|afraid|panic\w*|proud|love (?:it|this|that))\b|!{2,}",
    re.I,
)
SECTION_OF = {
    "decision": "decisions",
    "commitment": "commitments",
    "question": "open_questions",
    "preference": "preferences",
    "fact": "key_facts",
}
CAPS = {"emotional_context": 20, "tool_actions": 30, "qa_log": 60}
SHARE = 0.3  # of the summarised tokens, the most the classified lines take
FLOOR = 1_000  # tokens the classified lines may always take
MAX_ITEM = 300
_CLAUSE_BREAK = re.compile(r"(?<=[,;:])\s+")
# where a clause of unpunctuated dictation starts: before a conjunction ("… the original dose and the next review …")
_CLAUSE_START = re.compile(r"\s+(?=(?:and|but|so|because|then|oh|also|plus|or|which|when|while|since|until)\b)")
ASKED = 160  # characters of a user's message the Q&A log keeps whole
_SENTENCE = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n+")


def _cap(items: list[str], key: str) -> list[str]:
    """At most ``CAPS[key]`` items: the Q&A log keeps its head and tail, the others the most recent."""
    limit = CAPS[key]
    if len(items) <= limit:
        return items
    if key == "qa_log":
        head = 5
        return (
            items[:head]
            + [f"… {len(items) - limit} more exchanges omitted (kept in memory)"]
            + items[len(items) - (limit - head) :]
        )
    return items[len(items) - limit :]


def fill(items: Sequence[Item], budget: int, tokens: TokenEstimator) -> list[Item]:
    """The items that fit in ``budget`` tokens as summary lines, taken by confidence (ties: the
    later item), returned in dialogue order."""
    order = sorted(range(len(items)), key=lambda i: (-items[i].confidence, -i))
    keep, used = set(), 0
    for i in order:
        cost = tokens.text("".join(f"- {line}\n" for line in _lines(items[i])))
        if used + cost <= budget:
            keep.add(i)
            used += cost
    return [item for i, item in enumerate(items) if i in keep]


def _lines(item: Item) -> list[str]:
    """An item as summary lines of at most :data:`MAX_ITEM` characters: a longer sentence is cut at
    its clause breaks into several lines (a long formal sentence keeps every clause; cutting it at
    the cap lost the mileage at the end of "…, which I bought second-hand …, and which now has a
    little over 48,000 miles"); a clause longer than the cap, as in dictation without punctuation,
    is wrapped at its words."""
    text = " ".join(item.text.split())
    chunks: list[str] = []
    for clause in _CLAUSE_BREAK.split(text):
        if chunks and len(chunks[-1]) + 1 + len(clause) <= MAX_ITEM:
            chunks[-1] = f"{chunks[-1]} {clause}"
        else:
            chunks += _wrap(clause)
    return [f"{item.who()}: {'… ' if n else ''}{one_line(c, MAX_ITEM)}" for n, c in enumerate(chunks)]


def _wrap(clause: str) -> list[str]:
    """``clause`` in pieces of at most :data:`MAX_ITEM` characters, each cut where a clause of its own
    starts (before "and", "so", "because" …) when one starts in the second two thirds of the piece,
    else at a word: a cut anywhere split "the next review is in three months" of a dictated message
    across two lines."""
    out: list[str] = []
    while len(clause) > MAX_ITEM:
        starts = [m.start() for m in _CLAUSE_START.finditer(clause, MAX_ITEM // 3, MAX_ITEM + 1)]
        at = starts[-1] if starts else clause.rfind(" ", 0, MAX_ITEM + 1)
        if at <= 0:
            break
        out.append(clause[:at])
        clause = clause[at:].lstrip()
    return [*out, clause]


def asked(words: str) -> str:
    """A user's question for the Q&A log: the message itself when short, else its questions (the
    first characters of a long message lost "…, or pool to 3 to save sequencing cost?" at its end)."""
    if len(words) <= ASKED or "?" not in words:
        return one_line(words, ASKED)
    questions = [one_line(s, MAX_ITEM) for s in sentences(words) if s.rstrip().endswith("?")]
    return " … ".join(questions) or one_line(words, ASKED)


class OfflineSummarizer:
    """Extractive summary of messages into :data:`summary.SECTIONS`."""

    name = "offline"

    def __init__(
        self,
        classifier: Classifier | None = None,
        tokens: TokenEstimator | None = None,
        *,
        share: float = SHARE,
        floor: int = FLOOR,
    ) -> None:
        self.classifier = classifier or Classifier()
        self.tokens = tokens or TokenEstimator()
        self.share, self.floor = share, floor

    def budget(self, messages: Sequence[Msg]) -> int:
        """Tokens the classified lines of a summary of ``messages`` may take."""
        return max(self.floor, int(self.share * self.tokens.messages(m.raw for m in messages)))

    def summarize(self, messages: Sequence[Msg], deadline: float | None = None) -> summary.Sections:
        out = summary.empty()
        calls: dict[str, str] = {}
        turns: list[Utterance] = []
        pending_q: tuple[str, bool] | None = None  # (question line, has "?")
        for i, msg in enumerate(messages):
            if msg.role == "user":
                if msg.internal or summary.is_summary(msg.text):
                    continue
                if pending_q is not None:
                    self._unanswered(out, pending_q)
                words = query_text(msg)
                if words:
                    pending_q = (asked(words), "?" in words)
                    turns.append(Utterance("user", words, i))
                    if EMOTION.search(words):
                        out["emotional_context"] += [
                            f"User: {one_line(s, MAX_ITEM)}" for s in _SENTENCE.split(words) if s and EMOTION.search(s)
                        ]
            elif msg.role == "assistant":
                if msg.text and not summary.is_summary(msg.text):
                    turns.append(Utterance("assistant", msg.text, i))
                    if pending_q is not None:
                        answer = one_line(msg.text, 200)
                        if pending_q[1]:
                            out["qa_log"].append(f"User asked: {pending_q[0]} → Answered: {answer}")
                        if pending_q[1] and UNSURE.search(msg.text[:400]):
                            out["open_questions"].append(f"User: {pending_q[0]} (not answered yet)")
                        pending_q = None
                for call in msg.tool_calls:
                    calls[call.id] = f"{call.name} {one_line(call.arguments, 120)}"
            else:  # toolResult
                done = calls.pop(msg.tool_call_id or "", None) or (msg.tool_name or "tool")
                result = one_line(msg.text, 160) if msg.text else "(no output)"
                out["tool_actions"].append(f"{done} → {result}{' [error]' if msg.is_error else ''}")
        for unanswered in calls.values():
            out["tool_actions"].append(f"{unanswered} → (no result)")
        if pending_q is not None:
            self._unanswered(out, pending_q)
        for item in fill(self.classifier.items(turns, residual=True), self.budget(messages), self.tokens):
            out[SECTION_OF[item.kind]] += _lines(item)
        merged = summary.merge(out)
        return {k: _cap(v, k) if k in CAPS else v for k, v in merged.items()}

    @staticmethod
    def _unanswered(out: summary.Sections, question: tuple[str, bool]) -> None:
        line, asked = question
        if asked:
            out["open_questions"].append(f"User: {line} (not answered yet)")
