"""The structured compaction summary: sections, rendering to the message the model
reads, parsing that message back (so a second compaction carries the first one's
items forward), and merging."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

SECTIONS: tuple[tuple[str, str], ...] = (
    ("qa_log", "Q&A log"),
    ("decisions", "Decisions"),
    ("commitments", "Commitments"),
    ("open_questions", "Open questions"),
    ("preferences", "Preferences"),
    ("emotional_context", "Emotional context"),
    ("key_facts", "Key facts"),
    ("tool_actions", "Tool actions"),
)
KEYS = tuple(k for k, _ in SECTIONS)
_TITLE_TO_KEY = {t.lower(): k for k, t in SECTIONS}

BANNER = "[Conversation context — earlier in this session, compacted by clawmemory]"
INTRO = (
    "The older part of this conversation was replaced by this summary. Questions in the Q&A "
    "log were already answered: do not answer them again."
)
FOOTER = (
    "The full transcript is kept in long-term memory (the clawmemory store and "
    "memory/daily/*.md); search memory to recover exact wording."
)
ACK = "Understood. I have the earlier context of this session and will not repeat answers already given."

Sections = dict[str, list[str]]


def empty() -> Sections:
    return {k: [] for k in KEYS}


def _norm(item: str) -> str:
    return re.sub(r"\W+", " ", item.lower()).strip()


def merge(*parts: Mapping[str, Iterable[str]]) -> Sections:
    """Concatenate sections in order, dropping repeats (case and punctuation ignored)."""
    out = empty()
    seen: dict[str, set[str]] = {k: set() for k in KEYS}
    for part in parts:
        for key in KEYS:
            for item in part.get(key, ()):
                item = " ".join(str(item).split())
                n = _norm(item)
                if item and n not in seen[key]:
                    seen[key].add(n)
                    out[key].append(item)
    return out


def render(sections: Mapping[str, list[str]]) -> str:
    """The summary as the model reads it: banner, one ``## Title`` per non-empty section."""
    lines = [BANNER, "", INTRO]
    for key, title in SECTIONS:
        items = sections.get(key) or []
        if not items:
            continue
        lines += ["", f"## {title}"]
        lines += [f"- {item}" for item in items]
    lines += ["", FOOTER]
    return "\n".join(lines)


def is_summary(text: str) -> bool:
    return text.startswith(BANNER)


def parse(text: str) -> Sections:
    """Sections from a rendered summary (inverse of :func:`render`)."""
    out = empty()
    key = None
    for line in text.splitlines():
        if line.startswith("## "):
            key = _TITLE_TO_KEY.get(line[3:].strip().lower())
        elif key and line.startswith("- "):
            out[key].append(line[2:].strip())
        elif not line.strip() or line == FOOTER:
            continue
    return out


def count(sections: Mapping[str, list[str]]) -> dict[str, int]:
    return {k: len(sections.get(k) or []) for k in KEYS}
