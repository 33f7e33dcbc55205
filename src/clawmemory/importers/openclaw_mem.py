"""openclaw-mem (PyPI ``openclaw-context-pack``): its JSONL spools and its SQLite store.

- ``memory/openclaw-mem-observations.jsonl``: one tool result per line (``ts, kind,
  tool_name, tool_call_id, session_key, agent_id, is_synthetic, summary, message?, detail``),
  the line format the capture plugin extends: they become observations.
- ``memory/openclaw-mem-episodes.jsonl`` and the ``episodic_events`` table (``event_id, ts_ms,
  scope, session_id, agent_id, type, summary, payload_json, refs_json, ...``): conversation
  events (types naming ``user``/``assistant``) become messages of their session; every other
  event becomes an observation of kind ``episode.<type>``.
- The SQLite store's ``observations`` table (``id, ts, kind, summary, summary_en, lang,
  tool_name, detail_json``): observations. It is opened read-only.

Lines are redacted like every other write (a ``redaction`` marker in a peer's file is not
trusted). PATH: the SQLite file, a JSONL file, or a folder holding them (``memory/`` too).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .records import MessageRecord, ObservationRecord, Problem, Record, is_sqlite, json_lines


def _iso_ms(value: Any) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value if isinstance(value, str) else None


def _observation(obj: dict[str, Any], where: str) -> ObservationRecord:
    obj = {k: v for k, v in obj.items() if k != "redaction"}
    return ObservationRecord(json.dumps(obj, ensure_ascii=False, sort_keys=True).encode(), where)


def _json(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def _episode(event: dict[str, Any], where: str) -> Record:
    kind = str(event.get("type") or "event")
    ts = _iso_ms(event.get("ts_ms")) or _iso_ms(event.get("ts"))
    payload = _json(event.get("payload_json", event.get("payload")))
    session = event.get("session_id") or event.get("session_key")
    summary = event.get("summary")
    role = "user" if "user" in kind else "assistant" if "assistant" in kind else None
    if role and isinstance(summary, str) and summary.strip() and session:
        said = payload.get("text") if isinstance(payload, dict) else None
        text = said if isinstance(said, str) else summary
        return MessageRecord(
            str(session),
            role,
            text,
            where,
            created_at=ts,
            metadata={
                "openclaw_mem": {
                    "event_id": event.get("event_id"),
                    "type": kind,
                    "agent_id": event.get("agent_id"),
                    "scope": event.get("scope"),
                }
            },
        )
    return _observation(
        {
            "ts": ts,
            "kind": f"episode.{kind}",
            "summary": summary,
            "session_key": session,
            "agent_id": event.get("agent_id"),
            "detail": {
                "event_id": event.get("event_id"),
                "scope": event.get("scope"),
                "payload": payload,
                "refs": _json(event.get("refs_json")),
            },
        },
        where,
    )


def _jsonl(path: Path) -> Iterator[Record]:
    for item in json_lines(path):
        if isinstance(item, Problem):
            yield item
        elif "event_id" in item[1] or "ts_ms" in item[1]:
            yield _episode(item[1], item[0])
        else:
            yield _observation(item[1], item[0])


def _sqlite(path: Path) -> Iterator[Record]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables & {"observations", "episodic_events"}:
            yield Problem(path.name, "no openclaw-mem tables (observations, episodic_events)")
        if "observations" in tables:
            for row in db.execute("SELECT * FROM observations ORDER BY id"):
                r = dict(row)
                detail = _json(r.get("detail_json"))
                detail = detail if isinstance(detail, dict) else {"detail": detail}
                lifted = {k: detail.pop(k) for k in ("tool_call_id", "session_key", "agent_id") if k in detail}
                yield _observation(
                    {
                        "ts": r.get("ts"),
                        "kind": r.get("kind") or "tool",
                        "tool_name": r.get("tool_name"),
                        "summary": r.get("summary"),
                        **lifted,
                        "detail": {
                            **detail,
                            "openclaw_mem_id": r.get("id"),
                            "summary_en": r.get("summary_en"),
                            "lang": r.get("lang"),
                        },
                    },
                    f"observations:{r.get('id')}",
                )
        if "episodic_events" in tables:
            for row in db.execute("SELECT * FROM episodic_events ORDER BY ts_ms, event_id"):
                yield _episode(dict(row), f"episodic_events:{row['event_id']}")
    except sqlite3.Error as exc:
        yield Problem(path.name, f"unreadable: {exc}")
    finally:
        db.close()


def read(path: Path) -> Iterator[Record]:
    files = (
        [path]
        if path.is_file()
        else sorted(
            p
            for d in (path, path / "memory")
            if d.is_dir()
            for p in d.iterdir()
            if p.is_file() and (p.suffix == ".jsonl" or p.suffix in (".sqlite", ".db", ".sqlite3"))
        )
    )
    for file in files:
        if is_sqlite(file):
            yield from _sqlite(file)
        else:
            yield from _jsonl(file)
