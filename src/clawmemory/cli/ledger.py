"""``clawmemory ledger ...`` (one JSON object per call, mirroring ``darwin-memo ledger``)
and ``clawmemory import darwin-memo FILE``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InvalidInput
from .options import DataDir, Namespace, open_engine
from .output import emit_json_line

ledger_app = typer.Typer(
    help="The outcome-settled recall ledger (darwin-memo compatible). Every command prints one JSON object.",
    no_args_is_help=True,
)
import_app = typer.Typer(help="Import memories from other tools.", no_args_is_help=True)


@ledger_app.command()
def decide(
    query: Annotated[str, typer.Argument(help="The question to recall for.")],
    k: Annotated[int | None, typer.Option("-k", help="Most entries to show (default recallLimit).")] = None,
    session: Annotated[
        str | None, typer.Option(help="Session key the ticket belongs to (agent_end settles it).")
    ] = None,
    namespace: Namespace = None,
    data_dir: DataDir = None,
) -> None:
    """Recall: {answer, ticket_id, silent, entries}; answer and ticket are null when nothing is relevant."""
    with open_engine(data_dir) as engine:
        result = engine.ledger_recall(
            query, namespace, limit=k, session={"sessionKey": session} if session else None, via="cli"
        )
    d = result["details"]
    emit_json_line(
        {
            "answer": None if d["silent"] else result["content"],
            "ticket_id": d["ticketId"],
            "silent": d["silent"],
            "entries": [
                {"id": e["id"], "role": e["role"], "score": e["score"], "energy": e["energy"]} for e in d["entries"]
            ],
        }
    )


@ledger_app.command()
def settle(
    ticket_id: Annotated[str, typer.Argument(help="Ticket id from decide.")],
    delta: Annotated[float, typer.Argument(help="The measured outcome (a measurement, never a grade).")],
    detail: Annotated[str, typer.Option(help="Free text kept with the settlement.")] = "",
    scale: Annotated[
        float | None, typer.Option(help="Resource scale (default: the namespace's resourceScale).")
    ] = None,
    namespace: Namespace = None,
    data_dir: DataDir = None,
) -> None:
    """Settle one ticket exactly once: {settled, ...}; false (with reason) for unknown or already settled."""
    with open_engine(data_dir) as engine:
        emit_json_line(engine.ledger_settle(ticket_id, delta, namespace, scale=scale, detail=detail, via="cli"))


@ledger_app.command("settle-session")
def settle_session(
    session: Annotated[str, typer.Argument(help="Session key.")],
    success: Annotated[bool, typer.Option("--success/--failure", help="The run's outcome.")] = True,
    namespace: Namespace = None,
    data_dir: DataDir = None,
) -> None:
    """Settle every open ticket of a session (what agent_end does)."""
    with open_engine(data_dir) as engine:
        emit_json_line(engine.ledger_settle_session(session, namespace, success=success, via="cli"))


@ledger_app.command()
def tick(namespace: Namespace = None, data_dir: DataDir = None) -> None:
    """Ticket expiry, upkeep, deaths, consolidation of changed entries."""
    with open_engine(data_dir) as engine:
        emit_json_line(engine.ledger_tick(namespace, via="cli"))


@ledger_app.command()
def store(
    question: Annotated[str, typer.Argument(help="The question the entry answers.")],
    answer: Annotated[str, typer.Argument(help="The answer.")],
    source: Annotated[str, typer.Option(help="Where it came from.")] = "agent",
    category: Annotated[str | None, typer.Option(help="Category, e.g. preference (exempt from upkeep).")] = None,
    namespace: Namespace = None,
    data_dir: DataDir = None,
) -> None:
    """Write an entry at spawn energy: {entry_id, action: created|reinforced|merged}."""
    with open_engine(data_dir) as engine:
        result = engine.ledger_store(namespace, question=question, answer=answer, source=source, category=category)
    emit_json_line({"entry_id": result["entry"]["id"], "action": result["action"], "entry": result["entry"]})


@ledger_app.command()
def forget(
    entry_id: Annotated[str, typer.Argument(help="Entry id (or darwin-memo id).")],
    namespace: Namespace = None,
    data_dir: DataDir = None,
) -> None:
    """Forget an entry: {forgotten, reason?}. Kept for audit; `restore` brings it back."""
    with open_engine(data_dir) as engine:
        emit_json_line(engine.ledger_forget(entry_id, namespace))


@ledger_app.command()
def show(
    entry_id: Annotated[str, typer.Argument(help="Entry id (or darwin-memo id).")],
    namespace: Namespace = None,
    data_dir: DataDir = None,
) -> None:
    """One entry: balance now, runway, open tickets, history (and obituary if dead)."""
    with open_engine(data_dir) as engine:
        emit_json_line(engine.ledger_show(entry_id, namespace))


@ledger_app.command()
def obituaries(
    limit: Annotated[int, typer.Option(help="How many.")] = 50,
    cause: Annotated[str | None, typer.Option(help="starved, executed, merged or forgotten.")] = None,
    namespace: Namespace = None,
    data_dir: DataDir = None,
) -> None:
    """Dead entries, newest first, each with why it died."""
    with open_engine(data_dir) as engine:
        emit_json_line(engine.ledger_obituaries(namespace, limit=limit, cause=cause))


@ledger_app.command()
def stats(namespace: Namespace = None, data_dir: DataDir = None) -> None:
    """Population, graveyard by cause, open tickets, energy, the upkeep clock."""
    with open_engine(data_dir) as engine:
        emit_json_line(engine.ledger_stats(namespace))


@ledger_app.command()
def restore(
    entry_id: Annotated[str, typer.Argument(help="Entry id.")], namespace: Namespace = None, data_dir: DataDir = None
) -> None:
    """Bring a dead entry back at spawn energy."""
    with open_engine(data_dir) as engine:
        emit_json_line(engine.ledger_restore(entry_id, namespace))


@ledger_app.command()
def pin(
    entry_id: Annotated[str, typer.Argument(help="Entry id.")], namespace: Namespace = None, data_dir: DataDir = None
) -> None:
    """Pin an entry: it never starves or merges."""
    with open_engine(data_dir) as engine:
        emit_json_line(engine.ledger_pin(entry_id, namespace, pinned=True))


@ledger_app.command()
def unpin(
    entry_id: Annotated[str, typer.Argument(help="Entry id.")], namespace: Namespace = None, data_dir: DataDir = None
) -> None:
    """Unpin an entry."""
    with open_engine(data_dir) as engine:
        emit_json_line(engine.ledger_pin(entry_id, namespace, pinned=False))


@ledger_app.command()
def config(
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="KEY=VALUE, e.g. resourceScale=2 (repeatable).")
    ] = None,
    namespace: Namespace = None,
    data_dir: DataDir = None,
) -> None:
    """Show or set the namespace's ledger economics (persisted with the store)."""
    values: dict[str, Any] = {}
    for item in set_ or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidInput(f"--set wants KEY=VALUE, got {item!r}", field="set")
        values[key.strip()] = value.strip()
    with open_engine(data_dir) as engine:
        emit_json_line(engine.ledger_config(namespace, values or None))


@import_app.command("darwin-memo")
def import_darwin_memo(
    file: Annotated[Path, typer.Argument(help="A darwin-memo ledger JSON file.")],
    namespace: Namespace = None,
    data_dir: DataDir = None,
) -> None:
    """Load a darwin-memo ledger (entries, energies, graveyard, open tickets) into the ledger."""
    with open_engine(data_dir) as engine:
        emit_json_line(engine.import_darwin_memo(file, namespace))
