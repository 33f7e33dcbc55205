"""``clawmemory import SOURCE PATH`` (one subcommand per source, beside ``import darwin-memo``)
and ``clawmemory export``."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..importers import SOURCES
from .ledger import import_app
from .options import DataDir, open_engine
from .output import emit_json, table

transfer_app = typer.Typer()  # top-level `export`

Namespace = Annotated[str | None, typer.Option("--namespace", "-n", help="Namespace (default: 'default'; must exist).")]
Json = Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Read, check and count; write nothing.")]
Into = Annotated[
    str,
    typer.Option(
        "--into", help="memories (plain, never expire) or ledger (recall-ledger entries, found by memory_recall)."
    ),
]

_stderr = Console(stderr=True)


def _print_report(report: dict[str, Any]) -> None:
    verb = "would add" if report["dry_run"] else "added"
    rows = [(kind, c["added"], c["skipped"]) for kind, c in report["by_type"].items()]
    typer.echo(
        f"{report['source']} → {report['namespace']}: {verb} {report['added']}, "
        f"skipped {report['skipped']} (already there), {report['errors']} error(s)"
    )
    table("by type", ["type", verb, "skipped"], rows)
    for p in report["error_details"][:20]:
        typer.echo(f"error: {p['where']}: {p['error']}", err=True)
    if report["errors"] > 20:
        typer.echo(f"… and {report['errors'] - 20} more (see --json)", err=True)


def _import_command(source: str) -> Any:
    def command(
        path: Annotated[Path, typer.Argument(help="File or folder to import.")],
        namespace: Namespace = None,
        dry_run: DryRun = False,
        into: Into = "memories",
        data_dir: DataDir = None,
        json_out: Json = False,
    ) -> None:
        with (
            open_engine(data_dir) as engine,
            Progress(
                TextColumn(f"importing {source}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=_stderr,
                transient=True,
                disable=not _stderr.is_terminal,
            ) as bar,
        ):
            task = bar.add_task(source, total=None)
            report = engine.import_source(
                source,
                path,
                namespace,
                dry_run=dry_run,
                into=into,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        emit_json(report) if json_out else _print_report(report)

    command.__doc__ = SOURCES[source].summary + " Idempotent: a re-import adds nothing."
    return command


for _name in SOURCES:
    import_app.command(_name)(_import_command(_name))


@transfer_app.command("export")
def export_command(
    fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl (lossless, re-importable) or markdown.")] = "jsonl",
    namespace: Annotated[
        str | None, typer.Option("--namespace", "-n", help="Only this namespace (default: all).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here (default: stdout).")] = None,
    data_dir: DataDir = None,
) -> None:
    """Export every row needed to rebuild the store; `import clawmemory` reads the jsonl back."""
    with open_engine(data_dir) as engine:
        if out is None:
            counts = engine.export(sys.stdout, fmt=fmt, namespace=namespace)
        else:
            tmp = out.with_name(out.name + ".part")
            try:
                with tmp.open("w", encoding="utf-8") as f:
                    counts = engine.export(f, fmt=fmt, namespace=namespace)
                os.replace(tmp, out)
            finally:
                tmp.unlink(missing_ok=True)
    summary = ", ".join(f"{n} {t}" for t, n in counts.items())
    typer.echo(f"exported {sum(counts.values())} row(s){f' to {out}' if out else ''}: {summary}", err=True)
