"""Import a darwin-memo (0.7.x) ledger file: entries with their energies, the
graveyard with causes, per-entry history notes, and open tickets.

Nothing is dropped: every darwin entry keeps its id (``origin_id``, accepted
wherever an entry id is), its energy, uses, lineage, pin and probation, and its
full darwin record and history notes (``extra``). Open tickets keep their ids,
so ``clawmemory ledger settle <darwin ticket id> DELTA`` works after the import.
Two documented differences: secrets are redacted like every other write, and
two *alive* entries with byte-identical question and answer become one entry
(their energy and evidence pooled, the second recorded as merged into the first).
Re-importing the same file changes nothing (entries and tickets are keyed by id).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInput
from ..redaction import redact
from . import rows

if TYPE_CHECKING:
    from .ledger import Ledger

KINDS = {"explicit", "inferred", "entity", "cross_doc", "experience", "consolidated"}


def _load(source: str | Path | dict[str, Any]) -> tuple[dict[str, Any], str]:
    if isinstance(source, dict):
        return source, "payload"
    path = Path(source).expanduser()
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InvalidInput(f"{path}: no such file", field="path") from exc
    except (OSError, ValueError) as exc:  # unreadable, not UTF-8 or JSON, a NUL in the path
        raise InvalidInput(f"{path} is not a darwin-memo ledger file: {exc}", field="path") from exc
    return payload, str(path)


def _check(payload: Any) -> None:
    if not isinstance(payload, dict) or not isinstance(payload.get("entries"), list):
        raise InvalidInput("not a darwin-memo ledger: expected an object with an 'entries' list", field="path")
    for key in ("entries", "graveyard"):
        for n, e in enumerate(payload.get(key) or []):
            if not isinstance(e, dict) or not isinstance(e.get("id"), str) or not isinstance(e.get("answer"), str):
                raise InvalidInput(f"{key}[{n}] is not a darwin-memo entry (id, question, answer)", field=key)


def _ts(value: Any, fallback: str) -> str:
    if isinstance(value, str) and value:
        try:
            return rows.iso(rows.parse_iso(value))
        except ValueError:
            pass
    return fallback


def _redacted(d: dict[str, Any]) -> dict[str, Any]:
    out = dict(d)
    for key in ("question", "answer"):
        if isinstance(out.get(key), str):
            out[key] = redact(out[key])
    return out


def _notes(history: dict[str, Any], entry_id: str) -> list[Any]:
    notes = history.get(entry_id) or []
    return [n for n in notes if isinstance(n, dict | str)]


def _death(notes: list[Any], damaged: bool) -> tuple[str, str | None]:
    """(cause, when) from a dead entry's history; executed/starved by damage otherwise."""
    for note in reversed(notes):
        if isinstance(note, dict) and note.get("event") in ("death", "buried") and note.get("cause"):
            cause = note["cause"] if note["cause"] in ("starved", "executed", "forgotten") else None
            if cause:
                return cause, note.get("ts")
    return ("executed" if damaged else "starved"), None


def _settle_stats(notes: list[Any]) -> tuple[int, int, float, str | None]:
    wins = losses = 0
    net = 0.0
    last = None
    for note in notes:
        if isinstance(note, dict) and note.get("event") == "settle":
            credit = float(note.get("credit") or 0.0)
            net += credit
            wins += credit > 0
            losses += credit < 0
            last = note.get("ts") or last
    return wins, losses, net, last


def _rounds(items: list[dict[str, Any]], key: Any) -> Iterable[list[dict[str, Any]]]:
    """Split items so no round holds two with the same identity (the store dedups within a batch)."""
    seen: dict[str, int] = {}
    rounds: list[list[dict[str, Any]]] = []
    for item in items:
        k = key(item)
        r = seen.get(k, 0)
        seen[k] = r + 1
        while len(rounds) <= r:
            rounds.append([])
        rounds[r].append(item)
    return rounds


def import_darwin_memo(
    ledger: Ledger, source: str | Path | dict[str, Any], namespace: str | None = None
) -> dict[str, Any]:
    """Load a darwin-memo ledger file into ``namespace`` in one transaction."""
    payload, origin = _load(source)
    _check(payload)
    store = ledger.store
    ns = ledger.ns(namespace)
    state = state if isinstance(state := payload.get("ledger"), dict) else {}
    history = history if isinstance(history := state.get("history"), dict) else {}
    damaged = set(state.get("damaged") or [])
    pending = [t for t in (state.get("pending") or []) if isinstance(t, dict) and isinstance(t.get("id"), str)]
    alive = list(payload["entries"])
    dead = list(payload.get("graveyard") or [])
    heir_of = {m: e["id"] for e in alive + dead for m in (e.get("lineage") or []) if isinstance(m, str)}
    now_dt = ledger.clock()
    now = rows.iso(now_dt)

    def new_memory(d: dict[str, Any]) -> Any:
        sources = [s for s in (d.get("sources") or []) if isinstance(s, str)]
        return ledger.new_memory(
            {
                "question": d.get("question") or None,
                "answer": d["answer"],
                "kind": "qa",
                "source": sources[0] if sources else "darwin-memo",
                "metadata": {"darwin_id": d["id"]},
            },
            ns,
        )

    counts = {"entries": 0, "graveyard": 0, "tickets": 0, "skipped": 0, "duplicates_merged": 0}
    with store.transaction() as db:
        st = rows.state(db, ns, now)
        cfg, cum = rows.config(st), st["cum_upkeep"]
        known = rows.origins(db, ns)
        id_map: dict[str, str] = dict(known)
        todo_dead = [d for d in dead if d["id"] not in known]
        todo_alive = [d for d in alive if d["id"] not in known]
        counts["skipped"] = len(dead) + len(alive) - len(todo_dead) - len(todo_alive)

        def insert(d: dict[str, Any], memory_id: str, *, status: str) -> None:
            notes = _notes(history, d["id"])
            wins, losses, net, last = _settle_stats(notes)
            kind = str(d["kind"]) if d.get("kind") in KINDS else "explicit"
            extra = {
                "darwin": _redacted(d),
                "darwin_history": notes,
                "darwin_tick": state.get("tick_count"),
                "imported_from": origin,
                "imported_at": now,
            }
            energy = float(d.get("energy", cfg.spawnEnergy))
            rows.insert_entry(
                db,
                ns,
                memory_id,
                cfg,
                cum,
                kind,
                [s for s in d.get("sources") or [] if isinstance(s, str)],
                now,
                energy=energy,
                uses=int(d.get("uses") or 0),
                lineage=list(d.get("lineage") or []),
                pinned=bool(d.get("pinned")),
                probation=int(d.get("probation") or 0),
                origin_id=d["id"],
                extra=extra,
                dirty=int(status == "alive"),
                last_settled_at=(_ts(last, "") or None) if last else None,
                wins=wins,
                losses=losses,
                net_credit=net,
                damaged=d["id"] in damaged,
                born_at=_ts(d.get("recorded_ts"), now),
            )
            rows.event(
                db,
                ns,
                "import",
                entry=memory_id,
                at=now,
                data={"origin_id": d["id"], "status": status, "energy": energy, "from": origin},
            )

        # The graveyard first, one identity per round, each buried at once: dead rows may share text.
        for batch in _rounds(todo_dead, lambda d: new_memory(d).identity()):
            stored = store.add_memories([new_memory(d) for d in batch])
            for d, (memory, _) in zip(batch, stored):
                insert(d, memory.id, status="dead")
                id_map[d["id"]] = memory.id
                cause, when = _death(_notes(history, d["id"]), d["id"] in damaged)
                if d["id"] in heir_of:
                    cause = "merged"
                died = _ts(when, now)
                rows.mark_dead(db, memory.id, cause, died)
                store.forget_memory(memory.id)
                counts["graveyard"] += 1
        stored = store.add_memories([new_memory(d) for d in todo_alive]) if todo_alive else []
        first: dict[str, str] = {}
        for d, (memory, _) in zip(todo_alive, stored):
            if memory.id in first.values() or rows.entries(db, [memory.id], alive=False).get(memory.id):
                # A byte-identical alive twin: pool into the first, record this one as merged into it.
                row = rows.entries(db, [memory.id])[memory.id]
                pooled = min(cfg.maxEnergy, rows.balance(row, cum) + float(d.get("energy", 0.0)))
                rows.set_energy(
                    db,
                    memory.id,
                    pooled,
                    cum,
                    exempt=bool(row["exempt"]),
                    pinned=bool(row["pinned"]),
                    extra_sql=", uses = uses + ?, lineage = ?",
                    params=[int(d.get("uses") or 0), json.dumps(json.loads(row["lineage"]) + [d["id"]])],
                )
                rows.event(
                    db,
                    ns,
                    "import",
                    entry=memory.id,
                    at=now,
                    data={
                        "origin_id": d["id"],
                        "status": "merged",
                        "into": memory.id,
                        "darwin": _redacted(d),
                        "darwin_history": _notes(history, d["id"]),
                    },
                )
                id_map[d["id"]] = memory.id
                counts["duplicates_merged"] += 1
                continue
            insert(d, memory.id, status="alive")
            id_map[d["id"]] = memory.id
            first[d["id"]] = memory.id
            counts["entries"] += 1
        # Lineage and merge targets in our ids (unknown ids are kept as they were).
        for darwin_id in list(first) + [d["id"] for d in todo_dead]:
            memory_id = id_map[darwin_id]
            row = rows.entries(db, [memory_id], alive=False)[memory_id]
            lineage = [id_map.get(x, x) for x in json.loads(row["lineage"])]
            heir = id_map.get(heir_of.get(darwin_id, ""), heir_of.get(darwin_id))
            rows.relink(db, memory_id, lineage, heir)
        # Open tickets keep their ids; settleable by id, they expire like any other.
        expires = rows.iso(now_dt + timedelta(hours=cfg.maxTicketAgeHours)) if cfg.maxTicketAgeHours > 0 else None
        for t in pending:
            if rows.ticket_exists(db, t["id"]):
                continue
            named = [(t.get("deciding_entry"), "decider")] + [
                (s, "supporter") for s in t.get("supporting_entries") or []
            ]
            members = [(id_map[m], role) for m, role in named if isinstance(m, str) and m in id_map]
            members = list({m: (m, role) for m, role in reversed(members)}.values())[::-1]
            rows.open_ticket(
                db,
                t["id"],
                ns,
                query=str(t.get("query") or ""),
                shown=str(t.get("answer") or ""),
                opened_at=now,
                expires_at=expires,
                extra={"darwin": t, "imported_from": origin},
                members=[(m, role, 0.0) for m, role in members],
            )
            counts["tickets"] += 1
        rows.event(
            db,
            ns,
            "import",
            at=now,
            data={
                "from": origin,
                **counts,
                "darwin_config": payload.get("config"),
                "darwin_tick": state.get("tick_count"),
            },
        )
    return {
        "namespace": ns,
        "source": origin,
        **counts,
        "darwin_tick": state.get("tick_count"),
        "darwin_config": payload.get("config"),
    }
