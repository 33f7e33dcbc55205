"""Stored text shown to a model as untrusted data: the one place that decides what every
renderer (ledger recall, context auto-retrieval, the sidecar's memory block, memory_search
snippets) strips and escapes, so stored text can neither close a block, open a tag of its own
nor hide instructions in characters a reader cannot see."""

from __future__ import annotations

KEEP = "\n\t\r"  # layout controls the renderers keep (or fold into spaces themselves)
# Compatibility forms that NFKC folds into <, > or &: a model may read them as markup.
_FOLD = str.maketrans({"\uff1c": "<", "\ufe64": "<", "\uff1e": ">", "\ufe65": ">", "\uff06": "&", "\ufe60": "&"})


def strip_invisible(text: str) -> str:
    """``text`` without control, format (zero-width, bidi, tag characters), private-use,
    surrogate and unassigned characters; other separators (no-break space, U+2028) become
    spaces. Printable text is returned as it is."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c in KEEP else (" " if c.isspace() else "") for c in text)


def escape(text: str) -> str:
    """Plain text safe inside a delimited block: invisible characters stripped, look-alike
    brackets folded, and ``&``, ``<``, ``>`` escaped."""
    text = strip_invisible(text).translate(_FOLD)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
