"""``clawmemory``: store, search and manage memories; run the daemon.

Every command opens the Engine on ``--data-dir`` (default ``$CLAWMEMORY_HOME`` or
``~/.clawmemory``); no daemon is needed except for ``serve`` itself.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from typer.exceptions import TyperException

from .. import __version__
from ..errors import ClawMemoryError, InvalidInput
from ..openclaw.cli import app as openclaw_app
from ..openclaw.cli import doctor_command
from .capture import capture_app
from .collection import collection_app, tools_app
from .context import context_app
from .embed import embed
from .ledger import import_app, ledger_app
from .options import DataDir, Json, Namespace, open_engine
from .output import emit_json, error_line, short, table
from .postgres import postgres_app
from .service import daemon_app, mcp_command
from .sidecar import sidecar_app
from .transfer import transfer_app

app = typer.Typer(
    name="clawmemory",
    help="Memory engine for AI agents: store, search, recall and context for OpenClaw.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
namespace_app = typer.Typer(help="Namespaces (spaces): every memory lives in one.", no_args_is_help=True)
app.add_typer(namespace_app, name="namespace")
app.add_typer(ledger_app, name="ledger")
app.add_typer(context_app, name="context")
app.add_typer(import_app, name="import")  # + one subcommand per importers.SOURCES (cli/transfer.py)
app.add_typer(transfer_app)  # top-level `export`
app.add_typer(capture_app)  # top-level `ingest` and `backend`
app.add_typer(sidecar_app, name="sidecar")
app.add_typer(collection_app, name="collection")
app.add_typer(tools_app)  # top-level `update`, `memory-search`, `memory-get`
app.add_typer(openclaw_app, name="openclaw")
app.command("doctor")(doctor_command)
app.add_typer(daemon_app, name="daemon")
app.add_typer(postgres_app, name="postgres")
app.command("mcp")(mcp_command)


def _version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool | None, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = None,
) -> None:
    """clawmemory: a memory engine for AI agents."""


@app.command()
def serve(
    data_dir: DataDir = None,
    host: Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 7411; 0 picks a free one).")] = None,
    allow_remote: Annotated[bool, typer.Option("--allow-remote", help="Permit a non-loopback bind address.")] = False,
    store_url: Annotated[
        str | None,
        typer.Option("--store", help="postgresql://… to share one PostgreSQL store between daemons (default: SQLite)."),
    ] = None,
) -> None:
    """Run the HTTP daemon (loopback, bearer token created on first start)."""
    from ..api.server import run

    run(data_dir, host=host, port=port, allow_remote=allow_remote or None, store_url=store_url)


@app.command()
def store(
    text: Annotated[str | None, typer.Argument(help="What to remember.")] = None,
    question: Annotated[str | None, typer.Option(help="Question form (with --answer).")] = None,
    answer: Annotated[str | None, typer.Option(help="Answer form (with --question).")] = None,
    kind: Annotated[str, typer.Option(help="Kind label, e.g. note, fact, decision.")] = "note",
    category: Annotated[str | None, typer.Option(help="Category label, e.g. preference.")] = None,
    source: Annotated[str | None, typer.Option(help="Where it came from.")] = None,
    importance: Annotated[float, typer.Option(help="0..1")] = 0.5,
    metadata: Annotated[str | None, typer.Option(help="JSON object.")] = None,
    namespace: Namespace = None,
    data_dir: DataDir = None,
    json_out: Json = False,
) -> None:
    """Store a memory (the same content twice is stored once)."""
    meta: Any = {}
    if metadata:
        try:
            meta = json.loads(metadata)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"--metadata is not valid JSON: {exc.msg}", field="metadata") from exc
    with open_engine(data_dir) as engine:
        result = engine.store_memory(
            namespace,
            text=text,
            question=question,
            answer=answer,
            kind=kind,
            category=category,
            source=source,
            importance=importance,
            metadata=meta,
        )
    if json_out:
        emit_json(result.to_dict())
    else:
        verb = "stored" if result.created else "already stored"
        typer.echo(f"{verb} {result.memory.id} in {result.memory.namespace}")


@app.command()
def search(
    query: Annotated[str, typer.Argument(help='Words; also "phrase", +required, -excluded.')],
    limit: Annotated[int | None, typer.Option("--limit", "-k", help="How many results.")] = None,
    corpus: Annotated[str, typer.Option(help="memory, messages or all.")] = "all",
    mode: Annotated[str | None, typer.Option(help="hybrid, lexical or vector.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="ISO date or time: memories valid then.")] = None,
    deep: Annotated[
        bool, typer.Option("--deep", help="Rescore the best hits with a small local LLM (seconds; the deep extra).")
    ] = False,
    namespace: Namespace = None,
    data_dir: DataDir = None,
    json_out: Json = False,
) -> None:
    """Search memories and conversation messages."""
    with open_engine(data_dir) as engine:
        hits = engine.search(query, namespace, limit=limit, corpus=corpus, mode=mode, as_of=as_of, deep=deep)
    if json_out:
        emit_json({"results": [h.to_dict() for h in hits]})
        return
    table(
        f"{len(hits)} result(s) for {query!r}",
        ["score", "id", "corpus", "text"],
        ([f"{h.score:.3f}", h.id, h.corpus, short(h.text)] for h in hits),
    )


@app.command()
def get(
    memory_id: Annotated[str, typer.Argument(help="Memory id.")],
    namespace: Namespace = None,
    data_dir: DataDir = None,
    json_out: Json = False,
) -> None:
    """Show one memory."""
    with open_engine(data_dir) as engine:
        memory = engine.get_memory(memory_id, namespace)
    if json_out:
        emit_json(memory.to_dict())
        return
    table(memory.id, ["field", "value"], ((k, v) for k, v in memory.to_dict().items()))


@app.command()
def forget(
    memory_id: Annotated[str, typer.Argument(help="Memory id.")],
    namespace: Namespace = None,
    data_dir: DataDir = None,
    json_out: Json = False,
) -> None:
    """Forget a memory (it leaves search; the row is kept for audit)."""
    with open_engine(data_dir) as engine:
        memory = engine.forget(memory_id, namespace)
    if json_out:
        emit_json(memory.to_dict())
    else:
        typer.echo(f"forgot {memory.id}")


@app.command(name="list")
def list_(
    kind: Annotated[str | None, typer.Option(help="Only this kind.")] = None,
    category: Annotated[str | None, typer.Option(help="Only this category.")] = None,
    status: Annotated[str, typer.Option(help="active or forgotten.")] = "active",
    limit: Annotated[int, typer.Option(help="Page size.")] = 50,
    offset: Annotated[int, typer.Option(help="Skip this many.")] = 0,
    namespace: Namespace = None,
    data_dir: DataDir = None,
    json_out: Json = False,
) -> None:
    """List memories, newest first."""
    with open_engine(data_dir) as engine:
        page = engine.list_memories(namespace, kind=kind, category=category, status=status, limit=limit, offset=offset)
    if json_out:
        emit_json(page.to_dict())
        return
    table(
        f"{page.total} memories (showing {len(page.items)} from {page.offset})",
        ["id", "kind", "category", "created", "text"],
        ([m.id, m.kind, m.category, m.created_at[:19], short(m.text, 60)] for m in page.items),
    )


app.command("embed")(embed)


@app.command()
def status(data_dir: DataDir = None, json_out: Json = False) -> None:
    """Store path, schema version and counts."""
    with open_engine(data_dir) as engine:
        info = engine.health()
    if json_out:
        emit_json(info)
        return
    rows = [
        ("version", info["version"]),
        ("store", info["store"]["path"]),
        ("schema version", info["store"]["schema_version"]),
    ]
    rows += [(k, v) for k, v in info["counts"].items()]
    embeddings = info["backends"]["embeddings"]
    rows += [
        (
            "embeddings",
            f"{embeddings['provider']}: " + ("ready" if embeddings.get("ready") else embeddings.get("error", "off")),
        )
    ]
    table("clawmemory status", ["what", "value"], rows)


@namespace_app.command("add")
def namespace_add(
    name: Annotated[str, typer.Argument(help="Namespace name.")], data_dir: DataDir = None, json_out: Json = False
) -> None:
    """Create a namespace (idempotent)."""
    with open_engine(data_dir) as engine:
        result = engine.ensure_namespace(name)
    if json_out:
        emit_json(result)
    else:
        typer.echo(("created " if result["created"] else "exists ") + name)


@namespace_app.command("list")
def namespace_list(data_dir: DataDir = None, json_out: Json = False) -> None:
    """List namespaces with their counts."""
    with open_engine(data_dir) as engine:
        spaces = engine.namespaces()
    if json_out:
        emit_json({"namespaces": spaces})
        return
    table(
        "namespaces",
        ["name", "memories", "messages", "created"],
        ([s["name"], s["memories"], s["messages"], s["created_at"][:19]] for s in spaces),
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI; any bad input ends as one line on stderr and exit code 2."""
    try:
        code = app(args=argv, standalone_mode=False)  # click returns Exit codes in this mode
    except ClawMemoryError as exc:
        error_line(exc.message)
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        error_line("aborted")
        return 130
    except TyperException as exc:
        if hasattr(exc, "show") and type(exc).__name__ == "NoArgsIsHelpError":
            exc.show()
            return 2
        error_line(exc.format_message().strip().splitlines()[0])
        return 2 if exc.exit_code in (1, 2) else exc.exit_code
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
