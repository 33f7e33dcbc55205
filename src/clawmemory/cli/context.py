"""``clawmemory context ...``: run the context engine's pieces on message files.

FILE is JSON: a list of OpenClaw messages, or an object with ``messages`` (and, for
``assemble``, any other ContextEngine params such as ``tokenBudget`` or ``prompt``).
``-`` reads standard input. Every command prints JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InvalidInput
from .options import DataDir, Namespace, open_engine
from .output import emit_json

context_app = typer.Typer(
    help="The OpenClaw context engine: compaction, assembly, token estimates, retention. Prints JSON.",
    no_args_is_help=True,
)

MessagesFile = Annotated[str, typer.Option("--messages", "-m", help="JSON file of messages ('-' for stdin).")]


def _load(path: str) -> dict[str, Any]:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}", field="messages") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path} is not valid JSON: {exc.msg} (line {exc.lineno})", field="messages") from exc
    if isinstance(data, list):
        return {"messages": data}
    if isinstance(data, dict) and "messages" in data:
        return data
    raise InvalidInput(f"{path} must hold a list of messages or an object with 'messages'", field="messages")


@context_app.command()
def compact(
    messages: MessagesFile,
    summarizer: Annotated[str, typer.Option(help="auto (configured LLM, else offline), llm or offline.")] = "auto",
    out: Annotated[Path | None, typer.Option("--out", help="Also write the compacted messages here.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Summarise the older half of FILE's messages; prints the summary JSON."""
    params = _load(messages)
    with open_engine(data_dir) as engine:
        result = engine.context_compact_messages(params["messages"], summarizer=summarizer)
    if out is not None:
        out.write_text(json.dumps(result["messages"], ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    emit_json(result["summary"] if result["compacted"] else {"compacted": False, "reason": result["reason"]})


@context_app.command()
def assemble(
    messages: MessagesFile,
    budget: Annotated[int | None, typer.Option("--budget", help="Token budget (tokenBudget).")] = None,
    prompt: Annotated[str | None, typer.Option(help="The incoming user prompt (the recall query).")] = None,
    session: Annotated[str, typer.Option(help="Session id (stored compactions are per session).")] = "cli",
    retrieval: Annotated[
        bool | None, typer.Option("--retrieval/--no-retrieval", help="Override autoRetrieval.")
    ] = None,
    namespace: Namespace = None,
    data_dir: DataDir = None,
) -> None:
    """Assemble FILE's messages as OpenClaw's assemble would: prints the AssembleResult."""
    params = _load(messages)
    params.setdefault("sessionId", session)
    if budget is not None:
        params["tokenBudget"] = budget
    if prompt is not None:
        params["prompt"] = prompt
    with open_engine(data_dir) as engine:
        if retrieval is not None:
            engine.settings.context.auto_retrieval = retrieval
        ns = namespace or engine.settings.default_namespace
        emit_json(engine.context_call("assemble", ns, {}, params))


@context_app.command()
def estimate(messages: MessagesFile, data_dir: DataDir = None) -> None:
    """Token estimate of FILE's messages: total and per message."""
    params = _load(messages)
    with open_engine(data_dir) as engine:
        from ..context.messages import parse_messages

        msgs = parse_messages(params["messages"], "messages")
        per = [engine.context.tokens.message(m.raw) for m in msgs]
    emit_json({"estimatedTokens": sum(per), "messages": per})


@context_app.command()
def prune(
    workspace: Annotated[str | None, typer.Option(help="Agent workspace whose memory/daily files to prune.")] = None,
    days: Annotated[int | None, typer.Option(help="Keep this many days (default transcriptRetentionDays).")] = None,
    delete_rows: Annotated[bool, typer.Option("--delete-rows", help="Also delete stored messages that old.")] = False,
    namespace: Namespace = None,
    data_dir: DataDir = None,
) -> None:
    """Apply transcript retention to day files (and, if asked, stored messages)."""
    with open_engine(data_dir) as engine:
        emit_json(engine.context_prune(workspace, namespace, days=days, delete_rows=delete_rows))
