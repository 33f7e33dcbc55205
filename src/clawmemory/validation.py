"""Input checks shared by every adapter; each raises InvalidInput naming the field."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal, overload

from .errors import InvalidInput

NAMESPACE_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
LABEL_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
SURROGATE_RE = re.compile("[\ud800-\udfff]")  # JSON may escape one (\\ud800); UTF-8 cannot store it


def namespace_name(value: Any, field: str = "namespace") -> str:
    if not isinstance(value, str) or not NAMESPACE_RE.match(value):
        raise InvalidInput(
            f"{field} must be 1-64 chars of a-z, 0-9, '.', '_' or '-', starting with a letter or digit",
            field=field,
        )
    return value


def label(value: Any, field: str) -> str:
    if not isinstance(value, str) or not LABEL_RE.match(value):
        raise InvalidInput(f"{field} must match [a-z][a-z0-9_-]{{0,31}}", field=field)
    return value


@overload
def text(value: Any, field: str, *, max_chars: int, required: Literal[True] = True) -> str: ...
@overload
def text(value: Any, field: str, *, max_chars: int, required: bool) -> str | None: ...
def text(value: Any, field: str, *, max_chars: int, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{field} must be a non-empty string", field=field)
    if len(value) > max_chars:
        raise InvalidInput(f"{field} is {len(value)} characters; the limit is {max_chars}", field=field)
    if not value.isascii() and SURROGATE_RE.search(value):
        raise InvalidInput(f"{field} contains a lone UTF-16 surrogate (not valid Unicode)", field=field)
    return value


def number(value: Any, field: str, *, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise InvalidInput(f"{field} must be a number between {lo} and {hi}", field=field)
    return float(value)


def integer(value: Any, field: str, *, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InvalidInput(f"{field} must be an integer between {lo} and {hi}", field=field)
    return value


def timestamp(value: Any, field: str) -> str:
    """ISO 8601 (any offset) or epoch milliseconds → ISO UTC with ``Z``; None → now."""
    if value is None:
        return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    try:
        if isinstance(value, bool):
            raise TypeError
        if isinstance(value, int | float):
            moment = datetime.fromtimestamp(value / 1000, UTC)
        elif isinstance(value, str):
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
        else:
            raise TypeError
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise InvalidInput(f"{field} must be ISO 8601 or epoch milliseconds", field=field) from exc
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def as_of(value: Any, field: str = "as_of") -> str | None:
    """An "as of" moment (ISO 8601 date or time, or epoch ms) as ISO UTC; None or "" stays None."""
    return None if value is None or value == "" else timestamp(value, field)
