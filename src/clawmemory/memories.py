"""Validated, redacted new rows for the store: :func:`new_memory` and :func:`new_message`.

Every path that writes a memory or a message from caller input (the engine, the ledger,
importers) builds it here, so the same limits and redaction apply everywhere.
"""

from __future__ import annotations

from typing import Any

from . import validation
from .errors import InvalidInput
from .redaction import redact, redact_tree
from .store.records import NewMemory, NewMessage

MESSAGE_ROLES = frozenset({"user", "assistant", "system", "tool"})


def new_memory(item: dict[str, Any], namespace: str, *, max_chars: int, prefix: str = "") -> NewMemory:
    """A memory from ``text`` (or ``question`` + ``answer``), ``kind``, ``source``,
    ``importance`` (0..1, default 0.5), ``category`` and ``metadata``; bad fields raise
    InvalidInput named ``prefix`` + field."""
    question = validation.text(item.get("question"), f"{prefix}question", max_chars=max_chars, required=False)
    answer = validation.text(item.get("answer"), f"{prefix}answer", max_chars=max_chars, required=False)
    body = item.get("text")
    if body is None and answer is not None:
        body = f"{question}\n{answer}" if question else answer
    body = validation.text(body, f"{prefix}text", max_chars=max_chars)
    metadata = item.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise InvalidInput("metadata must be a JSON object", field=f"{prefix}metadata")
    source = item.get("source")
    if source is not None and not isinstance(source, str):
        raise InvalidInput("source must be a string", field=f"{prefix}source")
    category = item.get("category")
    return NewMemory(
        namespace=namespace,
        text=redact(body),
        kind=validation.label(item.get("kind", "note"), f"{prefix}kind"),
        question=redact(question) if question else None,
        answer=redact(answer) if answer else None,
        source=redact(source) if source else source,
        importance=validation.number(item.get("importance", 0.5), f"{prefix}importance", lo=0, hi=1),
        category=validation.label(category, f"{prefix}category") if category is not None else None,
        metadata=redact_tree(metadata),
    )


def new_message(namespace: str, session_key: str, item: Any, *, max_chars: int, prefix: str = "") -> NewMessage:
    """A conversation message from ``role``, ``text``, ``speaker``, ``created_at`` and
    ``metadata``; text over ``max_chars`` is refused (InvalidInput named ``prefix`` + field)."""
    if not isinstance(item, dict):
        raise InvalidInput("each message must be an object", field=prefix.rstrip("."))
    role = item.get("role")
    if role not in MESSAGE_ROLES:
        raise InvalidInput(f"role must be one of {sorted(MESSAGE_ROLES)}", field=f"{prefix}role")
    body = validation.text(item.get("text"), f"{prefix}text", max_chars=max_chars)
    speaker = item.get("speaker")
    if speaker is not None and not isinstance(speaker, str):
        raise InvalidInput("speaker must be a string", field=f"{prefix}speaker")
    metadata = item.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise InvalidInput("metadata must be a JSON object", field=f"{prefix}metadata")
    return NewMessage(
        namespace,
        session_key,
        role,
        redact(body),
        validation.timestamp(item.get("created_at"), f"{prefix}created_at"),
        speaker=speaker,
        metadata=redact_tree(metadata),
    )
