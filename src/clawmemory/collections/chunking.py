"""Heading-aware markdown chunking with overlap.

A document is cut into chunks of about ``max_tokens`` (memory-core's default: 400 tokens,
80 of overlap), counted as 4 characters per token, and whole lines. Rules:

- A chunk never straddles a *top-level* section boundary. The top level is the shallowest
  heading level that occurs at least twice (so a lone ``# Title`` over many ``## Day``
  sections splits at the ``##`` headings); every heading at or above it starts a new group.
- Inside a group, lines are packed until the budget is full; the cut goes to the best break
  point in the last half of the chunk: a deeper heading (H1 100 … H6 50), a blank line (20),
  a list item (5), any other line (1), discounted by distance from the budget's end. Never
  inside a fenced code block when another break point exists.
- A chunk that was cut mid-section starts its successor with up to ``overlap_tokens`` of its
  last lines (no overlap after a cut at a heading: the breadcrumb carries the context).
- A single line longer than the budget is split by characters (same start and end line).

Every chunk records its 1-based ``start_line``/``end_line`` and its heading breadcrumb (the
headings in force at its first own line of body text, outermost first).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CHARS_PER_TOKEN = 4
DEFAULT_MAX_TOKENS = 400
DEFAULT_OVERLAP_TOKENS = 80
BREADCRUMB_SEP = " > "

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


@dataclass(frozen=True)
class Chunk:
    """One piece of a markdown document."""

    seq: int
    start_line: int  # 1-based, inclusive
    end_line: int  # 1-based, inclusive
    text: str
    breadcrumb: tuple[str, ...] = ()

    @property
    def heading(self) -> str | None:
        """The nearest heading above the chunk, if any."""
        return self.breadcrumb[-1] if self.breadcrumb else None

    def breadcrumb_text(self) -> str:
        return BREADCRUMB_SEP.join(self.breadcrumb)


@dataclass
class _Line:
    text: str
    level: int  # heading level 1-6, 0 for a plain line
    heading: str  # heading text (level > 0)
    fenced: bool  # inside a code fence (the fence lines included)
    crumbs: tuple[str, ...]  # breadcrumb in force on this line


def parse_lines(text: str) -> list[_Line]:
    """Lines with heading level, fence state and breadcrumb."""
    out: list[_Line] = []
    stack: list[tuple[int, str]] = []
    crumbs: tuple[str, ...] = ()
    fence: str | None = None
    for raw in text.split("\n"):
        line = raw[:-1] if raw.endswith("\r") else raw
        head = line.lstrip(" ")[:1]
        marker = _FENCE.match(line) if head in ("`", "~") else None
        if fence is not None:
            if (
                marker
                and marker.group(1)[0] == fence[0]
                and len(marker.group(1)) >= len(fence)
                and not line.strip()[len(marker.group(1)) :].strip()
            ):
                fence = None
            out.append(_Line(line, 0, "", True, crumbs))
            continue
        if marker:
            fence = marker.group(1)
            out.append(_Line(line, 0, "", True, crumbs))
            continue
        match = _HEADING.match(line) if head == "#" else None
        title = re.sub(r"[ \t]+#+$", "", (match.group(2) or "")).strip() if match else ""
        if match and title:
            level = len(match.group(1))
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, title))
            crumbs = tuple(h for _, h in stack)
            out.append(_Line(line, level, title, False, crumbs))
        else:
            out.append(_Line(line, 0, "", False, crumbs))
    if out and out[-1].text == "" and text.endswith("\n"):
        out.pop()  # a trailing newline does not make a last empty line
    return out


def top_level(lines: list[_Line]) -> int:
    """The heading level that separates groups: the shallowest one used at least twice
    (else the shallowest used at all; 0 when there are no headings)."""
    counts: dict[int, int] = {}
    for line in lines:
        if line.level:
            counts[line.level] = counts.get(line.level, 0) + 1
    if not counts:
        return 0
    repeated = [lvl for lvl, n in counts.items() if n >= 2]
    return min(repeated) if repeated else min(counts)


def _groups(lines: list[_Line]) -> list[tuple[int, int]]:
    """[start, end) line ranges that no chunk may cross. A group of headings only (a lone
    ``# Title`` above the first section) joins the group after it."""
    split = top_level(lines)
    starts = [0] + [i for i, ln in enumerate(lines) if i and ln.level and ln.level <= split]
    groups = [(s, e) for s, e in zip(starts, [*starts[1:], len(lines)]) if e > s]
    out: list[tuple[int, int]] = []
    carry: int | None = None
    for s, e in groups:
        s = s if carry is None else carry
        if e < len(lines) and not any(ln.text.strip() and not ln.level for ln in lines[s:e]):
            carry = s
            continue
        carry = None
        out.append((s, e))
    return out


def _break_score(lines: list[_Line], k: int) -> float:
    """How good it is to start a new chunk at line ``k``."""
    line = lines[k]
    if line.fenced and lines[k - 1].fenced:
        return 0.0
    if line.level:
        return 110.0 - 10 * line.level
    if not lines[k - 1].text.strip():
        return 20.0
    if _LIST_ITEM.match(line.text):
        return 5.0
    return 1.0


def chunk_markdown(
    text: str, *, max_tokens: int = DEFAULT_MAX_TOKENS, overlap_tokens: int = DEFAULT_OVERLAP_TOKENS
) -> list[Chunk]:
    """Cut a markdown document into chunks (see the module doc); empty text gives none."""
    if max_tokens < 1 or not 0 <= overlap_tokens < max_tokens:
        raise ValueError("need max_tokens >= 1 and 0 <= overlap_tokens < max_tokens")
    budget = max_tokens * CHARS_PER_TOKEN
    overlap = overlap_tokens * CHARS_PER_TOKEN
    lines = parse_lines(text)
    chunks: list[Chunk] = []
    for start, end in _groups(lines):
        for lo, hi, own in _pack(lines, start, end, budget, overlap):
            _emit(chunks, lines, lo, hi, own, budget)
    return chunks


def _pack(lines: list[_Line], start: int, end: int, budget: int, overlap: int) -> list[tuple[int, int, int]]:
    """(lo, hi, own) line ranges of one group: chunk = lines[lo:hi], own = first line not
    repeated from the previous chunk."""
    out: list[tuple[int, int, int]] = []
    lo = own = start
    while lo < end:
        if lo < own and sum(len(ln.text) + 1 for ln in lines[lo : own + 1]) > budget:
            lo = own  # the next own line does not fit after the overlap: drop the overlap
        size, hi = 0, lo
        while hi < end and (hi <= own or size + len(lines[hi].text) + 1 <= budget):
            size += len(lines[hi].text) + 1
            hi += 1
        if hi < end:
            hi = _best_break(lines, own, hi, budget) or hi
        out.append((lo, hi, own))
        if hi >= end:
            break
        nxt = hi
        if not lines[hi].level:  # cut mid-section: repeat the tail for continuity
            carried = 0
            while nxt - 1 > max(lo, own) and carried + len(lines[nxt - 1].text) + 1 <= overlap:
                nxt -= 1
                carried += len(lines[nxt].text) + 1
        lo, own = nxt, hi
    return out


def _best_break(lines: list[_Line], lo: int, hi: int, budget: int) -> int | None:
    """The best line in the last half of lines[lo:hi] (after ``lo``) to start the next chunk at."""
    window = budget / 2
    best, best_score, dist = None, 0.0, 0
    for k in range(hi, lo, -1):  # candidate: the next chunk starts at line k
        if k < hi:
            dist += len(lines[k].text) + 1
        if dist > window:
            break
        score = _break_score(lines, k) * (1 - 0.7 * (dist / window) ** 2)
        if score > best_score:
            best, best_score = k, score
    return best


def _emit(chunks: list[Chunk], lines: list[_Line], lo: int, hi: int, own: int, budget: int) -> None:
    while lo < hi and not lines[lo].text.strip():
        lo += 1
    while hi > lo and not lines[hi - 1].text.strip():
        hi -= 1
    if hi <= lo:
        return
    first = min(max(own, lo), hi - 1)
    body = next((i for i in range(first, hi) if lines[i].text.strip() and not lines[i].level), first)
    crumbs = lines[body].crumbs
    text = "\n".join(ln.text for ln in lines[lo:hi])
    if hi - lo == 1 and len(text) > budget:
        pieces = (text[at : at + budget] for at in range(0, len(text), budget))
        for piece in pieces:
            if piece.strip():  # a window of only the line's trailing blanks is no chunk
                chunks.append(Chunk(len(chunks), lo + 1, lo + 1, piece, crumbs))
        return
    chunks.append(Chunk(len(chunks), lo + 1, hi, text, crumbs))
