"""The ``memory_search`` and ``memory_get`` tools, in OpenClaw memory-core's shapes.

``memory_search {query, maxResults?, minScore?, corpus?, asOf?}`` →
``{results: [{path, startLine, endLine, score, vectorScore, textScore, snippet, source,
citation?, relevant, valid_from?, valid_to?, superseded_by?}], provider, model, fallback,
citations, mode, corpus}``. Memories carry their validity; a memory superseded by a result
is listed after the current results, marked by ``valid_to`` and ``superseded_by``.
``asOf`` (ISO date or time) searches the memories valid at that moment.

memory-core's corpus names map onto ours (``core.corpora``):

============  =====================  ==============================================
tool corpus   core corpus            searches
============  =====================  ==============================================
``memory``    ``knowledge``          stored memories (ledger entries included) + markdown collections
``wiki``      ``collections``        markdown collections only
``sessions``  ``messages``           conversation messages
``all``       ``all``                everything indexed (the default when omitted)
============  =====================  ==============================================

Paths, as ``memory_get`` reads them back: ``memories/<id>`` (a stored memory),
``sessions/<sessionKey>`` (a transcript, one line per message, line = message seq),
``<collection>/<relpath>`` (a collection file); workspace-relative paths (``MEMORY.md``,
``memory/2026-11-20.md``) also resolve in a workspace collection. Snippets are plain text,
bounded to 700 characters around the best-matching lines. Reads are bounded like
memory-core's: 120 lines and 12,000 characters by default, with ``nextFrom`` to continue.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInput
from ..redaction import redact
from ..retrieval.hits import SearchHit
from ..text import terms
from ..untrusted import strip_invisible

if TYPE_CHECKING:
    from ..collections import Collections
    from ..core import Core

TOOL_CORPORA = {"memory": "knowledge", "wiki": "collections", "sessions": "messages", "all": "all"}
GET_CORPORA = ("memory", "wiki", "all")
DEFAULT_CORPUS = "all"
DEFAULT_MAX_RESULTS = 6  # memory-core's default
MAX_RESULTS = 100
SNIPPET_CHARS = 700
READ_LINES = 120
READ_CHARS = 12_000
MAX_READ_LINES = 10_000

SEARCH_PARAMS = ("query", "maxResults", "minScore", "corpus", "asOf", "deep")
GET_PARAMS = ("path", "from", "lines", "corpus")
_CITATION_SUFFIX = re.compile(r"#L(\d+)(?:-L(\d+))?$")


def _params(params: Any, allowed: tuple[str, ...], tool: str) -> dict[str, Any]:
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise InvalidInput(f"{tool} params must be a JSON object", field="params")
    for key in params:
        if key not in allowed:
            raise InvalidInput(f"{tool} has no parameter {key!r}; it takes {', '.join(allowed)}", field=key)
    return params


def _int(value: Any, field: str, lo: int, hi: int) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InvalidInput(f"{field} must be an integer from {lo} to {hi}", field=field)
    return value


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{field} must be a number (0..1)", field=field)
    return float(value)


def one_line(text: str) -> str:
    return " ".join(text.split())


def snippet(text: str, query_terms: set[str], limit: int = SNIPPET_CHARS) -> str:
    """At most ``limit`` characters of ``text``, around the line with most query terms."""
    text = text.strip()
    if len(text) <= limit:
        return text
    lines = text.split("\n")
    # Which line holds most query stems (as substrings: cheap, and "deploy" finds "deployed").
    stems = [t for t in query_terms if len(t) >= 3] or list(query_terms)
    best = max(range(len(lines)), key=lambda i: (sum(t in lines[i].lower() for t in stems), -i))
    lo = hi = best
    size = len(lines[best])
    grown = True
    while grown:
        grown = False
        if hi + 1 < len(lines) and size + len(lines[hi + 1]) + 1 <= limit:
            hi += 1
            size += len(lines[hi]) + 1
            grown = True
        if lo > 0 and size + len(lines[lo - 1]) + 1 <= limit:
            lo -= 1
            size += len(lines[lo]) + 1
            grown = True
    body = "\n".join(lines[lo : hi + 1])
    cut = len(body) > limit - 2
    if cut:
        body = body[: limit - 2].rstrip()
    return ("…" if lo > 0 else "") + body + ("…" if cut or hi < len(lines) - 1 else "")


def citation(path: str, start: int, end: int) -> str:
    return f"{path}#L{start}" if start == end else f"{path}#L{start}-L{end}"


def cite_for(session: dict[str, Any] | None) -> bool:
    """memory-core's ``citations: auto``: cite in direct chats, not in group or channel ones."""
    key = (session or {}).get("sessionKey")
    if not isinstance(key, str):
        return True
    tokens = set(key.lower().split(":"))
    return not ({"group", "channel"} & tokens)


class MemoryTools:
    """memory-core compatible search and read over a core's search and collections.
    ``predecessors``: the memories hits superseded (formation's), listed after them."""

    def __init__(
        self,
        core: Core,
        collections: Collections,
        predecessors: Callable[[Sequence[SearchHit]], list[SearchHit]] = lambda hits: [],
    ) -> None:
        self.core = core
        self.collections = collections
        self.predecessors = predecessors

    # -- memory_search ------------------------------------------------------------------

    def search(self, namespace: str | None, session: dict[str, Any] | None, params: Any) -> dict[str, Any]:
        """Run ``memory_search``; bad parameters raise InvalidInput naming the field."""
        p = _params(params, SEARCH_PARAMS, "memory_search")
        if "query" not in p:
            raise InvalidInput("query is required", field="query")
        query = p["query"]
        if not isinstance(query, str):
            raise InvalidInput("query must be a string", field="query")
        limit = (
            _int(p["maxResults"], "maxResults", 1, MAX_RESULTS)
            if p.get("maxResults") is not None
            else DEFAULT_MAX_RESULTS
        )
        min_score = _number(p["minScore"], "minScore") if p.get("minScore") is not None else None
        corpus = p.get("corpus") or DEFAULT_CORPUS
        if corpus not in TOOL_CORPORA:
            raise InvalidInput(f"corpus must be one of {', '.join(TOOL_CORPORA)}", field="corpus")
        core = self.core
        ns = core.namespace(namespace)
        requested = core.settings.search_mode
        embedder = core.embedder() if requested != "lexical" else None
        mode, fallback = requested, None
        if requested != "lexical" and embedder is None:
            off = core.settings.embedding_provider == "none"
            error = "embeddings are off" if off else core.embedder_error or "not loaded yet"
            mode, fallback = "lexical", {"from": requested, "reason": error}
        deep = p.get("deep") or False
        hits = core.search(query, ns, limit=limit, corpus=TOOL_CORPORA[corpus], as_of=p.get("asOf"), deep=deep)
        if min_score is not None:
            hits = [h for h in hits if h.score >= min_score]
        if p.get("asOf") is None:  # what the results superseded, marked, after them
            hits += self.predecessors(hits)[: max(0, limit - len(hits))]
        wanted = set(terms(query))
        cite = cite_for(session)
        return {
            "results": [self._result(h, wanted, cite) for h in hits],
            "provider": core.settings.embedding_provider if mode != "lexical" else "none",
            "model": embedder.model if embedder is not None and mode != "lexical" else None,
            "fallback": fallback,
            "citations": "auto",
            "mode": mode,
            "corpus": corpus,
        }

    def _result(self, hit: SearchHit, wanted: set[str], cite: bool) -> dict[str, Any]:
        if hit.corpus == "chunk":
            path, start, end = hit.extra["path"], hit.extra["startLine"], hit.extra["endLine"]
            source, text = ("memory" if hit.extra.get("workspace") else hit.extra["collection"]), hit.text
        elif hit.corpus == "memory":
            path, start, end, source, text = f"memories/{hit.id}", 1, hit.text.count("\n") + 1, "memory", hit.text
        elif hit.corpus == "message":
            seq = hit.extra.get("seq", 1)
            path, start, end, source = f"sessions/{hit.container}", seq, seq, "sessions"
            text = f"{hit.kind}: {one_line(hit.text)}"
        else:  # a corpus another component registered
            path, start, end, source, text = f"{hit.corpus}/{hit.id}", 1, 1, hit.corpus, hit.text
        out: dict[str, Any] = {
            "path": path,
            "startLine": start,
            "endLine": end,
            "score": round(hit.score, 4),
            "vectorScore": None if hit.vector_score is None else round(hit.vector_score, 4),
            "textScore": round(hit.text_score, 4),
            "snippet": snippet(strip_invisible(text), wanted),  # JSON-escaped; nothing hidden in it
            "source": source,
            "relevant": hit.relevant,
        }
        for key in ("valid_from", "valid_to", "superseded_by"):
            if hit.corpus == "memory" and key in hit.extra:
                out[key] = hit.extra[key]
        if cite:
            out["citation"] = citation(path, start, end)
            out["snippet"] = f"{out['snippet']}\n\nSource: {out['citation']}"
        return out

    # -- memory_get ---------------------------------------------------------------------

    def get(self, namespace: str | None, session: dict[str, Any] | None, params: Any) -> dict[str, Any]:
        """Run ``memory_get``: a bounded excerpt of a path ``memory_search`` returned."""
        p = _params(params, GET_PARAMS, "memory_get")
        path = p.get("path")
        if not isinstance(path, str) or not path.strip():
            raise InvalidInput("path is required (a path returned by memory_search)", field="path")
        if len(path) > 4096:
            raise InvalidInput("path is too long", field="path")
        corpus = p.get("corpus")
        if corpus is not None and corpus not in GET_CORPORA:
            raise InvalidInput(f"corpus must be one of {', '.join(GET_CORPORA)}", field="corpus")
        path = path.strip().removeprefix("./")
        if path.startswith("/") or "\\" in path or ".." in path.split("/"):
            raise InvalidInput("path must be a relative path as memory_search returns it, without '..'", field="path")
        start = _int(p["from"], "from", 1, 10**9) if p.get("from") is not None else None
        count = _int(p["lines"], "lines", 1, MAX_READ_LINES) if p.get("lines") is not None else None
        cited = _CITATION_SUFFIX.search(path)
        if cited:  # a citation ("MEMORY.md#L3-L9") used as a path
            path = path[: cited.start()]
            first, last = int(cited.group(1)), int(cited.group(2) or cited.group(1))
            start = start or first
            count = count or max(1, last - first + 1)
        ns = self.core.namespace(namespace)
        text = self._text(ns, path, corpus)
        if text is None:
            return {"status": "not_found", "text": "", "path": path}
        return excerpt(text, path, start or 1, count or READ_LINES)

    def _text(self, ns: str, path: str, corpus: str | None) -> str | None:
        head, _, rest = path.partition("/")
        if head == "memories" and rest and corpus != "wiki":
            memory = self.core.store.get_memory(rest)
            if memory is None or memory.namespace != ns or memory.status != "active":
                return None
            return memory.text
        if head == "sessions" and rest and corpus != "wiki":
            messages = self.core.store.list_messages(ns, rest)
            return redact("\n".join(f"{m.role}: {one_line(m.text)}" for m in messages)) if messages else None
        located = self.collections.locate(path, ns)
        if located is None:
            return None
        col, rel = located
        if corpus == "wiki" and col.kind == "workspace":
            return None
        return self.collections.read(col, rel)


def excerpt(text: str, path: str, start: int, count: int, max_chars: int = READ_CHARS) -> dict[str, Any]:
    """Lines ``start``… of ``text`` (at most ``count`` lines and ``max_chars`` characters),
    with ``truncated`` and ``nextFrom`` when more remains."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    chosen = lines[start - 1 : start - 1 + count]
    taken, size = 0, 0
    for line in chosen:
        extra = len(line) + (1 if taken else 0)
        if taken and size + extra > max_chars:
            break
        taken += 1
        size += extra
    body = "\n".join(chosen[:taken])
    hard_cut = len(body) > max_chars
    body = body[:max_chars]
    more_lines = start - 1 + taken < len(lines)
    truncated = hard_cut or more_lines
    next_from = start + taken if more_lines and not hard_cut else None
    out: dict[str, Any] = {"status": "ok", "text": body, "path": path, "from": start, "lines": taken}
    if truncated:
        out["truncated"] = True
        notice = (
            f"[More content available. Use from={next_from} to continue.]"
            if next_from
            else "[More content available; the line is longer than the read budget.]"
        )
        out["text"] = f"{body}\n\n{notice}" if body else notice
    if next_from:
        out["nextFrom"] = next_from
    return out
