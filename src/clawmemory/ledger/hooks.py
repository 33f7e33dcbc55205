"""The OpenClaw shapes of the ledger: tool parameters in, ``{content, details}`` out, and
the ``agent_end`` / ``session_end`` events read into settlement arguments. No storage here:
:class:`~clawmemory.ledger.Ledger` calls these around its own operations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import InvalidInput
from . import rows
from .render import escape

VERBS = {"created": "Stored", "reinforced": "Already known; reinforced", "merged": "Merged into"}


def store_fields(params: dict[str, Any]) -> dict[str, Any]:
    """``memory_store``'s darwin form (question, answer, source) or memory-lancedb form
    (text, importance, category), as ``Ledger.store_entry`` arguments."""
    keys = ("question", "answer", "text", "source", "category", "importance")
    return {k: params.get(k) for k in keys}


def stored(result: dict[str, Any]) -> dict[str, Any]:
    entry = result["entry"]
    return {
        "content": f"{VERBS[result['action']]} memory {entry['id']}.",
        "details": {
            "action": result["action"],
            "id": entry["id"],
            "entryId": entry["id"],
            "merged": result.get("merged"),
            "similarity": result.get("similarity"),
        },
    }


def forget_target(params: dict[str, Any]) -> tuple[str | None, str]:
    """``memory_forget``'s (entry id, query): ``entryId``/``memoryId`` forgets; a ``query``
    alone only lists candidates."""
    entry_id = params.get("entryId") or params.get("memoryId")
    if entry_id:
        return entry_id, ""
    query = params.get("query")
    if not query:
        raise InvalidInput("give entryId (or memoryId), or a query to find candidates", field="entryId")
    return None, query


def forgot(out: dict[str, Any]) -> dict[str, Any]:
    text = f"Forgot memory {out['id']}." if out["forgotten"] else f"Did not forget {out['id']}: {out['reason']}."
    return {"content": text, "details": {"action": "forgotten" if out["forgotten"] else "refused", **out}}


def candidates(hits: Sequence[Any]) -> dict[str, Any]:
    """Up to five live entries (search hits) the caller may forget by id."""
    found = [{"id": h.id, "text": h.text, "score": round(h.score, 4)} for h in hits][:5]
    if not found:
        return {"content": "No matching memory to forget.", "details": {"action": "none", "candidates": []}}
    lines = [f"- {f['id']} (score {f['score']:.2f}): {escape(f['text'], 200)}" for f in found]
    return {
        "content": "Candidates (call memory_forget with entryId to forget one):\n" + "\n".join(lines),
        "details": {"action": "candidates", "candidates": found},
    }


def outcome(params: dict[str, Any]) -> tuple[bool | None, float | None, str]:
    """``memory_settle``'s (success, delta, detail): exactly one of success or delta."""
    success, delta = params.get("success"), params.get("delta")
    if (success is None) == (delta is None):
        raise InvalidInput("give exactly one of success or delta", field="success")
    return success, delta, params.get("detail") or ""


def settled_ticket(ticket: str, one: dict[str, Any]) -> dict[str, Any]:
    text = (
        f"Settled ticket {ticket} (credit {one['credit']:+.3f})."
        if one["settled"]
        else f"Ticket {ticket} not settled: {one['reason']}."
    )
    return {"content": text, "details": {"settled": int(one["settled"]), "tickets": [one]}}


def settled_session(out: dict[str, Any]) -> dict[str, Any]:
    text = (
        f"Settled {out['settled']} ticket(s) as {out['outcome']} (credit {out['credit']:+.3f} each)."
        if out["settled"]
        else "No open tickets to settle."
    )
    return {"content": text, "details": out}


def agent_end(session: dict[str, Any] | None, event: dict[str, Any]) -> dict[str, Any]:
    """``agent_end`` as ``Ledger.settle_session`` arguments: the session key, ``success``,
    the plugin's configured deltas (``event.ledger``) and when the run ended (``event.endedAt``)."""
    ended = event.get("endedAt")
    return {
        "session_key": (session or {}).get("sessionKey") or (session or {}).get("sessionId"),
        "success": bool(event.get("success")),
        "overrides": event.get("ledger") or None,
        "detail": str(event.get("error") or "")[:500],
        "ended_at": rows.parse_iso(ended) if ended else None,
    }


def session_end(session: dict[str, Any] | None, event: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """``session_end``'s session key and the event fields worth logging (strings cut to 200)."""
    key = (
        (session or {}).get("sessionKey")
        or (session or {}).get("sessionId")
        or event.get("sessionKey")
        or event.get("sessionId")
    )
    info = {
        k: (v[:200] if isinstance(v, str) else v)
        for k in ("sessionId", "reason", "messageCount", "durationMs")
        if isinstance(v := event.get(k), str | int | float) and not isinstance(v, bool)
    }
    return key, info
