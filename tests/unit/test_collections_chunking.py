"""Heading-aware markdown chunking: sizes, overlap, section boundaries, line numbers."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from clawmemory.collections.chunking import CHARS_PER_TOKEN, chunk_markdown, parse_lines, top_level


def lines_of(doc: str, chunk) -> str:
    return "\n".join(doc.split("\n")[chunk.start_line - 1 : chunk.end_line])


def test_small_sections_each_get_a_chunk_with_breadcrumb_and_lines():
    doc = "# Memory\n\n## Deploys\nFly.io, region ams.\n\n## People\nAlice owns billing.\n"
    chunks = chunk_markdown(doc)
    assert [(c.start_line, c.end_line) for c in chunks] == [(1, 4), (6, 7)]
    assert chunks[0].breadcrumb == ("Memory", "Deploys")  # the lone title joins the first section
    assert chunks[1].breadcrumb == ("Memory", "People") and chunks[1].heading == "People"
    assert all(c.text == lines_of(doc, c) for c in chunks)


def test_top_level_is_the_shallowest_repeated_heading():
    assert top_level(parse_lines("# T\n## a\n## b\n")) == 2
    assert top_level(parse_lines("# T\n## a\n### x\n")) == 1
    assert top_level(parse_lines("no headings")) == 0


def test_long_section_splits_with_overlap_and_never_crosses_a_top_level_boundary():
    body_a = "\n".join(f"line {i} of alpha " + "word " * 12 for i in range(40))
    body_b = "\n".join(f"line {i} of beta " + "word " * 12 for i in range(40))
    doc = f"## Alpha\n{body_a}\n## Beta\n{body_b}\n"
    chunks = chunk_markdown(doc, max_tokens=100, overlap_tokens=30)
    beta_start = doc.split("\n").index("## Beta") + 1
    for c in chunks:
        assert len(c.text) <= 100 * CHARS_PER_TOKEN
        assert c.end_line < beta_start or c.start_line >= beta_start  # no straddling
        assert c.text == lines_of(doc, c)
    alpha = [c for c in chunks if c.end_line < beta_start]
    assert len(alpha) > 3
    # consecutive alpha chunks share their boundary lines (overlap), bounded by the budget
    for prev, nxt in zip(alpha, alpha[1:]):
        assert nxt.start_line <= prev.end_line
        shared = "\n".join(doc.split("\n")[nxt.start_line - 1 : prev.end_line])
        assert 0 < len(shared) <= 30 * CHARS_PER_TOKEN
        assert nxt.breadcrumb == ("Alpha",)


def test_cut_prefers_a_subheading_and_then_does_not_overlap():
    sub1 = "\n".join("alpha " * 10 for _ in range(4))
    sub2 = "\n".join("beta " * 10 for _ in range(4))
    doc = f"# Only\n### One\n{sub1}\n### Two\n{sub2}\n"
    chunks = chunk_markdown(doc, max_tokens=90, overlap_tokens=20)
    assert [c.breadcrumb for c in chunks] == [("Only", "One"), ("Only", "Two")]
    assert chunks[1].text.startswith("### Two") and chunks[1].start_line == chunks[0].end_line + 1


def test_headings_inside_code_fences_are_text():
    doc = "## Setup\n```bash\n# install it\npip install x\n```\n## Use\nrun it\n"
    chunks = chunk_markdown(doc)
    assert [c.breadcrumb for c in chunks] == [("Setup",), ("Use",)]
    assert "# install it" in chunks[0].text


def test_a_line_longer_than_the_budget_is_split_by_characters():
    doc = "intro\n\n" + "x" * 5000
    chunks = chunk_markdown(doc, max_tokens=400)
    long = [c for c in chunks if c.start_line == 3]
    assert len(long) == 4 and all(c.end_line == 3 and len(c.text) <= 1600 for c in long)
    assert "".join(c.text for c in long) == "x" * 5000


def test_empty_and_blank_documents_have_no_chunks():
    assert chunk_markdown("") == []
    assert chunk_markdown("\n\n  \n") == []
    with pytest.raises(ValueError):
        chunk_markdown("x", max_tokens=10, overlap_tokens=10)


_line = st.one_of(
    st.sampled_from(["", "# Title", "## Section", "### Sub", "```", "- item", "---"]),
    st.text(alphabet="abc xyz#-`", min_size=1, max_size=120),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_line, max_size=80), st.integers(min_value=5, max_value=60))
@example(["`" * 20 + " "], 5)  # one over-long line whose last window is only its trailing blank
def test_every_non_blank_line_is_covered_and_chunks_are_exact_line_ranges(lines, tokens):
    doc = "\n".join(lines)
    chunks = chunk_markdown(doc, max_tokens=tokens, overlap_tokens=tokens // 5)
    src = doc.split("\n")
    covered = set()
    for c in chunks:
        assert 1 <= c.start_line <= c.end_line <= len(src)
        if c.start_line == c.end_line and len(src[c.start_line - 1]) > tokens * CHARS_PER_TOKEN:
            assert c.text in src[c.start_line - 1]
        else:
            assert c.text == "\n".join(src[c.start_line - 1 : c.end_line])
        assert c.text.strip()
        covered.update(range(c.start_line, c.end_line + 1))
    assert {i + 1 for i, ln in enumerate(src) if ln.strip()} <= covered
    assert [c.seq for c in chunks] == list(range(len(chunks)))
