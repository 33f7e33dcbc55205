"""``clawmemory postgres``: run a local PostgreSQL (the ``postgres`` extra's bundled server) and
copy a SQLite store into any PostgreSQL (``migrate``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..errors import InvalidInput
from ..settings import load_settings
from .options import DataDir, Json
from .output import emit_json, table

postgres_app = typer.Typer(
    help="PostgreSQL store: start a local server, copy a SQLite store into one.", no_args_is_help=True
)

PgData = Annotated[Path, typer.Option("--data", help="The server's data dir (created on first start).")]
Port = Annotated[int, typer.Option(help="Port on 127.0.0.1.")]


@postgres_app.command("start")
def start(data: PgData, port: Port = 5432, json_out: Json = False) -> None:
    """Start PostgreSQL + pgvector on 127.0.0.1 (trust auth for local connections)."""
    from ..store.local_postgres import LocalPostgres

    server = LocalPostgres(data.expanduser().resolve(), port=port)
    created = server.init()
    server.start()
    out = {"url": server.url(), "data": str(server.data), "created": created}
    if json_out:
        emit_json(out)
        return
    typer.echo(f"PostgreSQL listening on 127.0.0.1:{port} (data: {server.data})")
    typer.echo(f"  store url: {out['url']}")
    typer.echo(f"  next: clawmemory serve --store {out['url']}   (or store_url in config.toml)")


@postgres_app.command("stop")
def stop(data: PgData) -> None:
    """Stop the server started with ``postgres start``."""
    from ..store.local_postgres import LocalPostgres

    LocalPostgres(data.expanduser().resolve()).stop()
    typer.echo("stopped")


@postgres_app.command("migrate")
def migrate(
    to: Annotated[str, typer.Option("--to", help="postgresql://user:password@host:port/db")],
    force: Annotated[bool, typer.Option("--force", help="Empty a target that already holds other data.")] = False,
    data_dir: DataDir = None,
    json_out: Json = False,
) -> None:
    """Copy this data dir's SQLite store into PostgreSQL and verify it (counts and content
    hashes per table), in one transaction: a failed or interrupted copy leaves the target as it
    was. Re-running from the same store verifies the copy and writes nothing."""
    from ..store_copy import copy_to_postgres

    if not to.startswith(("postgresql://", "postgres://")):
        raise InvalidInput("--to must be a postgresql:// URL", field="to")
    settings = load_settings(data_dir)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=json_out,
    ) as bar:
        task = bar.add_task("copying", total=None)

        def progress(what: str, done: int, total: int) -> None:
            bar.update(task, description=what, completed=done, total=total)

        report = copy_to_postgres(settings.db_path, to, force=force, progress=progress)
    out: dict[str, Any] = report.to_dict()
    if json_out:
        emit_json(out)
    else:
        table(
            f"{out['source']} → {out['target']}: {out['copied']} rows in {out['seconds']} s",
            ["table", "source rows", "target rows", "content hash", "ok"],
            [
                (t["table"], t["source_rows"], t["target_rows"], t["source_hash"][:12], "yes" if t["ok"] else "NO")
                for t in out["tables"]
            ],
        )
        if not report.ok:
            typer.echo("MISMATCH: see the tables marked NO; rolled back, the target is as it was")
        elif report.committed:
            typer.echo("verified: every table matches")
        else:
            typer.echo("verified: the target already held this copy; nothing was written")
    if not report.ok:
        raise typer.Exit(1)
