"""The offline summariser: deterministic, extractive, no model.

It walks the older half once and copies out whole sentences that carry a decision,
a commitment, an open question, a preference, an emotion or a specific fact, with
who said it, plus a question→answer log and one line per tool action. Cue phrases
(below) are deliberately broad for the categories that must never be lost
(decisions, commitments, open questions, preferences); the bulkier sections are
capped, keeping the most recent items. A 200k-token conversation takes well under
a second (benchmarks/context.py).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence

from . import summary
from .messages import Msg, one_line, query_text

_SENTENCE = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n+")

DECISION = re.compile(
    r"\b(?:decided|decide to|decision|we(?:'ll| will| are going to|'re going to) (?:go with|use|stick with|ship|"
    r"switch|keep|move)|let'?s (?:go with|use|stick with|keep|do|ship|switch|move|pick|choose)|going with|"
    r"settled on|agreed|(?:we|i) (?:chose|picked|selected)|opted|the plan is|switch(?:ing|ed)? (?:over )?to|"
    r"final answer|approved?)\b", re.I)
_DEADLINE = (  # a date or deadline cue, in both commitment patterns
    r"by (?:mon|tues|wednes|thurs|fri|satur|sun)day|by (?:tomorrow|tonight|end of (?:the )?(?:day|week|month)|"
    r"eod|eow|next week|noon)|deadline")
COMMITMENT = re.compile(
    r"\b(?:i(?:'ll| will| shall)|we(?:'ll| will)|i(?:'m| am) going to|we(?:'re| are) going to|i promise|"
    r"promised?|commit(?:ted)? to|remind (?:me|you)|follow(?:ing)? up|get back to you|"
    + _DEADLINE + r"|due (?:on|by))\b", re.I)
AGENT_COMMITMENT = re.compile(
    r"\b(?:remind (?:me|you)|follow(?:ing)? up|get back to you|i promise|promised?|"
    + _DEADLINE + r"|tomorrow|next (?:time|session|week))\b", re.I)
OPEN = re.compile(
    r"\b(?:open question|still (?:need|have) to (?:decide|figure out|find out|check|confirm)|unresolved|tbd|"
    r"to be (?:decided|determined|confirmed)|not sure yet|(?:haven't|have not) decided|undecided|"
    r"need to figure out|open issue|remains? (?:open|unclear|unanswered)|(?:we|i) don't know yet)\b", re.I)
UNSURE = re.compile(
    r"\b(?:i don't know|i do not know|not sure|i can't (?:tell|say|answer)|i cannot (?:tell|say|answer)|"
    r"let me check|i'll (?:check|find out|look into)|get back to you|no information)\b", re.I)
PREFERENCE = re.compile(
    r"\b(?:i (?:really |much |strongly |generally )?(?:prefer|like|love|hate|dislike|enjoy|can't stand|"
    r"cannot stand)|i'd (?:rather|prefer|like)|i would (?:rather|prefer)|i don't (?:like|want|enjoy|care for)|"
    r"i do not (?:like|want)|my (?:favou?rite|preference|preferred)|(?:always|never) (?:use|write|reply|answer|"
    r"respond|call|include|add|put|format|say|send)|please (?:don't|do not|avoid|keep|use|always|never)|"
    r"call me|prefer(?:red|s)? (?:to|over))\b", re.I)
EMOTION = re.compile(
    r"\b(?:frustrat\w*|annoy\w*|stress\w*|worried|worry|anxious|nervous|upset|angry|furious|sad|depressed|"
    r"overwhelm\w*|excited|thrilled|delighted|happy|glad|relieved|grateful|disappoint\w*|exhausted|"
    r"tired of|scared|afraid|panic\w*|proud|love (?:it|this|that))\b|!{2,}", re.I)
FACT_PHRASE = re.compile(
    r"\b(?:(?:my|our) \w+(?: \w+)? (?:is|are|was)|i am|i'm|i work|i live|we use|we have|is called|is named)\b",
    re.I)
_DIGITS = re.compile(r"\d|https?://|\w/\w|`")
_PROPER_OR_DIGIT = re.compile(r"\d|https?://|\w/\w|@\w|`|(?<=[a-z,;:] )[A-Z][a-z]+")

# Cheap pre-checks (lower-cased substrings): a cue pattern runs only on text holding one of
# its triggers, which keeps a 200k-token conversation well under a second.
TRIGGERS = {
    "decisions": ("decid", "decision", "go with", "use", "stick", "let", "ship", "switch", "keep", "move",
                  "going with", "settled", "agreed", "chose", "picked", "selected", "opted", "plan is",
                  "final answer", "approv"),
    "commitments": ("'ll", "will", "shall", "going to", "promise", "commit", "remind", "follow", "get back",
                    "day", "tomorrow", "tonight", "end of", "eod", "eow", "next", "noon", "deadline", "due "),
    "open_questions": ("open", "still", "unresolved", "tbd", "to be ", "not sure", "decided", "figure out",
                       "remain", "don't know"),
    "preferences": ("prefer", "like", "love", "hate", "enjoy", "stand", "rather", "want", "care for",
                    "favo", "always", "never", "please", "call me"),
    "emotional_context": ("frustrat", "annoy", "stress", "worr", "anxious", "nervous", "upset", "angry",
                          "furious", "sad", "depress", "overwhelm", "excit", "thrill", "delight", "happy",
                          "glad", "relieved", "grateful", "disappoint", "exhaust", "tired of", "scared",
                          "afraid", "panic", "proud", "love", "!!"),
}

CAPS = {"emotional_context": 20, "key_facts": 50, "tool_actions": 30, "qa_log": 60,
        "decisions": 200, "commitments": 200, "open_questions": 200, "preferences": 200}
MAX_ITEM = 300


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s and len(s.strip()) > 2]


def _cap(items: list[str], key: str) -> list[str]:
    limit = CAPS[key]
    if len(items) <= limit:
        return items
    if key == "qa_log":
        head = 5
        return items[:head] + [f"… {len(items) - limit} more exchanges omitted (kept in memory)"] + \
            items[len(items) - (limit - head):]
    return items[len(items) - limit:]


class OfflineSummarizer:
    """Extractive summary of messages into :data:`summary.SECTIONS`."""

    name = "offline"

    def summarize(self, messages: Sequence[Msg], deadline: float | None = None) -> summary.Sections:
        out = summary.empty()
        calls: dict[str, str] = {}
        pending_q: tuple[str, bool] | None = None  # (question line, has "?")
        for i, msg in enumerate(messages):
            if msg.role == "user":
                if msg.internal or summary.is_summary(msg.text):
                    continue
                if pending_q is not None:
                    self._unanswered(out, pending_q)
                words = query_text(msg)
                if words:
                    pending_q = (one_line(words, 160), "?" in words)
                    self._scan(out, words, "User")
            elif msg.role == "assistant":
                if msg.text and not summary.is_summary(msg.text):
                    self._scan(out, msg.text, "Agent")
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
        for call in calls.values():
            out["tool_actions"].append(f"{call} → (no result)")
        if pending_q is not None:
            self._unanswered(out, pending_q)
        taken = {item for key in out for item in out[key]}
        out["key_facts"] = self._facts(messages, taken, CAPS["key_facts"])
        merged = summary.merge(out)
        return {k: _cap(v, k) for k, v in merged.items()}

    @staticmethod
    def _unanswered(out: summary.Sections, question: tuple[str, bool]) -> None:
        line, asked = question
        if asked:
            out["open_questions"].append(f"User: {line} (not answered yet)")

    @staticmethod
    def _scan(out: summary.Sections, text: str, who: str) -> None:
        """Copy out the sentences of ``text`` that match a category (one pass per cue
        pattern over the whole text; only matching sentences are sliced)."""
        user = who == "User"
        cues = [("decisions", DECISION), ("commitments", COMMITMENT if user else AGENT_COMMITMENT),
                ("open_questions", OPEN)]
        if user:
            cues += [("preferences", PREFERENCE), ("emotional_context", EMOTION)]
        low = text.lower()
        cues = [(k, p) for k, p in cues if any(t in low for t in TRIGGERS[k])]
        if not cues:
            return
        starts = [0] + [m.end() for m in _SENTENCE.finditer(text)]
        found: dict[int, list[str]] = {}
        for key, pattern in cues:
            for m in pattern.finditer(text):
                keys = found.setdefault(bisect_right(starts, m.start()) - 1, [])
                if key not in keys:
                    keys.append(key)
        bounds = starts + [len(text)]
        for idx in sorted(found):
            sentence = text[bounds[idx]: bounds[idx + 1]].strip()
            if len(sentence) <= 2:
                continue
            item = f"{who}: {one_line(sentence, MAX_ITEM)}"
            question = sentence.endswith("?")
            for key in found[idx]:
                if key == "open_questions" or key == "emotional_context" or not question:
                    out[key].append(item)

    @staticmethod
    def _facts(messages: Sequence[Msg], taken: set[str], limit: int) -> list[str]:
        """The latest ``limit`` sentences with a specific (a number, name, path, URL, or
        "my X is" phrase) not already in another section: user sentences, or the agent's
        ones with a number, path or URL. Walks backwards and stops when it has enough."""
        found: list[str] = []
        for msg in reversed(messages):
            if msg.role not in ("user", "assistant") or not msg.text or msg.internal or summary.is_summary(msg.text):
                continue
            user = msg.role == "user"
            text = query_text(msg) if user else msg.text
            if not (_PROPER_OR_DIGIT.search(text) or FACT_PHRASE.search(text)):
                continue
            who = "User" if user else "Agent"
            for sentence in reversed(_sentences(text)):
                if (sentence.endswith("?") or len(sentence) < 12
                        or not (_DIGITS.search(sentence) if not user else
                                _PROPER_OR_DIGIT.search(sentence) or FACT_PHRASE.search(sentence))):
                    continue
                item = f"{who}: {one_line(sentence, MAX_ITEM)}"
                if item not in taken:
                    taken.add(item)
                    found.append(item)
                    if len(found) >= limit:
                        return found[::-1]
        return found[::-1]
