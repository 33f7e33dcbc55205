"""One captured JSON line → one observation row.

The line format is what ``plugins/openclaw-capture`` writes (and what openclaw-mem's
``tool_result_persist`` sidecar writes, which it extends)::

    {"ts", "kind", "tool_name", "tool_call_id", "session_key", "agent_id", "is_synthetic",
     "is_error", "summary", "result", "detail": {...}, ...}

Fields that are not columns (``v``, ``result_chars``, anything a newer or older writer adds)
are merged into ``detail`` without overwriting its own keys, so old and new lines load alike.
Lines that carry ``"redaction": RULES_VERSION`` were redacted by the same rules and are
stored as written; any other line is redacted here first.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

from ..redaction import RULES_VERSION, redact, redact_tree
from ..validation import NAMESPACE_RE

COLUMNS = frozenset(
    {
        "ts",
        "kind",
        "tool_name",
        "tool_call_id",
        "session_key",
        "agent_id",
        "is_synthetic",
        "is_error",
        "summary",
        "result",
        "detail",
    }
)
SUMMARY_CHARS = 240
_AGENT_IN_KEY = re.compile(r"^agent:([^:]+):")
_SURROGATE = re.compile("[\ud800-\udfff]")  # a lone one (JSON "\\udXXX" escapes) cannot be stored as UTF-8
_NOT_NS = re.compile(r"[^a-z0-9._-]+")
# Built once: json.dumps/json.loads with arguments build a new encoder per call (~3 µs a line).
_DETAIL_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_DECODE = json.JSONDecoder().decode
# orjson reads integers past 64 bits as floats: a line with a run of 19 digits goes to json.
_DIGITS_ONLY = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_DIGITS = b"0" * 19


class LineError(ValueError):
    """A line that cannot become an observation (the message says why)."""


@lru_cache(maxsize=4096)
def sanitize_namespace(raw: str | None) -> str | None:
    """An agent id as a namespace name (the JS plugins' rule): lowercase, runs of other
    characters become ``-``, leading non-alphanumerics and trailing ``-._`` dropped, 64 chars.
    None when nothing valid is left."""
    if not raw:
        return None
    s = _NOT_NS.sub("-", raw.lower())
    s = re.sub(r"^[^a-z0-9]+", "", s)[:64].rstrip("-._")
    return s if NAMESPACE_RE.match(s) else None


@dataclass(slots=True)  # not frozen: a frozen init costs ~2 µs a line at 20k lines/s
class ParsedLine:
    """An observation ready to insert (namespace still to be decided by the caller)."""

    ts: str | None
    kind: str
    tool_name: str | None
    tool_call_id: str | None
    session_key: str | None
    agent_id: str | None
    is_synthetic: bool
    is_error: bool
    summary: str
    result: str | None
    detail_json: str
    content_hash: str

    def index_text(self) -> str:
        return index_text(self.tool_name, self.summary)


def index_text(tool_name: str | None, summary: str) -> str:
    """What search sees of an observation: the summary, led by the tool name."""
    name = tool_name or ""
    return summary if summary.startswith(name) else f"{name}: {summary}"


def _str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _map_strings(value: Any, fn: Any) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, dict):
        return {fn(k) if isinstance(k, str) else k: _map_strings(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_strings(v, fn) for v in value]
    return value


def _summary_from(tool_name: str | None, result: str | None) -> str | None:
    if result:
        head = " ".join(result[: SUMMARY_CHARS * 2].split())
        room = SUMMARY_CHARS - len(tool_name or "") - 2
        head = head if len(head) <= room else head[: room - 1] + "…"
        return f"{tool_name}: {head}" if tool_name else head
    return f"{tool_name}: (no text output)" if tool_name else None


def _load(line: bytes) -> tuple[Any, bool]:
    """The line's JSON value, and whether orjson read it.

    orjson (about 3 µs for a typical line; json takes 11) reads the lines it accepts as json
    would, except integers past 64 bits; lines with a 19-digit run, and every line orjson
    rejects (a BOM, NaN, lone surrogates, other encodings, broken JSON), go to json, which
    has the last word.
    Lone surrogates (``"\\udXXX"`` escapes) become U+FFFD: they cannot be stored as UTF-8."""
    if _LONG_DIGITS not in line.translate(_DIGITS_ONLY):
        try:
            return orjson.loads(line), True
        except orjson.JSONDecodeError:
            pass
    try:
        # json.loads(bytes) detects the encoding first; a line opening with "{" and a non-NUL
        # byte is UTF-8 by its rules, so decode it the way it would (surrogatepass) directly.
        obj = (
            _DECODE(line.decode("utf-8", "surrogatepass"))
            if line[0] == 0x7B and line[1:2] != b"\0"
            else json.loads(line)
        )
    except UnicodeDecodeError as exc:
        raise LineError(f"not UTF-8 ({exc.reason})") from exc
    except ValueError as exc:
        msg = getattr(exc, "msg", str(exc))
        raise LineError(f"not JSON ({msg})") from exc
    if b"\\ud" in line or b"\\uD" in line:
        obj = _map_strings(obj, lambda s: _SURROGATE.sub("\ufffd", s))
    return obj, False


def parse_line(raw: bytes) -> ParsedLine | None:
    """Parse one line (without its newline). None for a blank line; raises
    :class:`LineError` for anything that is not an observation."""
    line = raw.strip()
    if not line:
        return None
    obj, plain = _load(line)
    if not isinstance(obj, dict):
        raise LineError(f"a JSON {type(obj).__name__}, not an object")
    tool_name = _str(obj.get("tool_name"))
    result = _str(obj.get("result"))
    summary = _str(obj.get("summary")) or _summary_from(tool_name, result)
    if summary is None:
        raise LineError("no summary, result or tool_name: not an observation")
    detail = obj.get("detail")
    detail = dict(detail) if isinstance(detail, dict) else ({} if detail is None else {"detail": detail})
    if len(obj) > len(COLUMNS & obj.keys()):
        for key, value in obj.items():
            if key not in COLUMNS:
                detail.setdefault(key, value)
    if obj.get("redaction") != RULES_VERSION:
        summary = redact(summary)
        result = redact(result) if result else result
        detail = redact_tree(detail)
    session_key = _str(obj.get("session_key"))
    agent_id = _str(obj.get("agent_id"))
    if agent_id is None and session_key:
        m = _AGENT_IN_KEY.match(session_key)
        agent_id = m.group(1) if m else None
    return ParsedLine(
        ts=_str(obj.get("ts")),
        kind=_str(obj.get("kind")) or "tool",
        tool_name=tool_name,
        tool_call_id=_str(obj.get("tool_call_id")),
        session_key=session_key,
        agent_id=agent_id,
        is_synthetic=obj.get("is_synthetic") is True,
        is_error=obj.get("is_error") is True,
        summary=summary,
        result=result,
        # what orjson read it can write back alike (and 10× faster); json keeps NaN and big integers
        detail_json=orjson.dumps(detail).decode() if plain else _DETAIL_JSON(detail),
        content_hash=hashlib.sha256(line).hexdigest(),
    )
