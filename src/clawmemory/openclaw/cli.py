"""``clawmemory openclaw install|uninstall|doctor`` and the top-level ``clawmemory doctor``.

Mount with::

    from clawmemory.openclaw.cli import app as openclaw_app, doctor_command
    app.add_typer(openclaw_app, name="openclaw")
    app.command("doctor")(doctor_command)

People get rich output; ``--json`` prints one JSON document for scripts. Bad input is one
line on stderr and exit code 2; ``doctor`` exits 1 when a check fails.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from .config import OpenClawConfigError
from .doctor import run_doctor
from .install import install, uninstall

app = typer.Typer(
    name="openclaw",
    help="Connect clawmemory to OpenClaw: install or remove the plugin, check the setup.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="openclaw.json to use (default: $OPENCLAW_CONFIG_PATH, "
        "$OPENCLAW_STATE_DIR/openclaw.json, ~/.openclaw/openclaw.json).",
    ),
]
DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="clawmemory data dir (default: the plugin's, else $CLAWMEMORY_HOME or ~/.clawmemory)."
    ),
]
UrlOpt = Annotated[
    str | None, typer.Option("--daemon-url", help="Daemon URL (default: the plugin's, else http://127.0.0.1:7411).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Change nothing; print the diff.")]
OpenClawOpt = Annotated[str | None, typer.Option("--openclaw", help="Path of the openclaw CLI (default: on PATH).")]
NoCliOpt = Annotated[
    bool, typer.Option("--no-openclaw-cli", help="Edit openclaw.json directly; never call the openclaw CLI.")
]

out = Console()


def _fail(message: str) -> typer.Exit:
    sys.stderr.write(f"error: {message}\n")
    return typer.Exit(2)


def _emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def _print_diff(diff: str) -> None:
    for line in diff.splitlines():
        style = (
            "green"
            if line.startswith("+") and not line.startswith("+++")
            else ("red" if line.startswith("-") and not line.startswith("---") else None)
        )
        out.print(line, style=style, markup=False, highlight=False, soft_wrap=True)


def _print_changes(title: str, result: Any) -> None:
    out.print(f"[bold]{title}[/bold] {result.config_path}")
    if not result.changed:
        out.print("nothing to change: already in place")
    for c in result.changes:
        out.print(f"  • {c}", markup=False, highlight=False)
    if getattr(result, "backup_path", None):
        out.print(f"backup: {result.backup_path}", markup=False)
    _print_peers_and_notes(result)


def _print_peers_and_notes(result: Any) -> None:
    for p in getattr(result, "peers", []) or []:
        out.print(f"[yellow]peer[/yellow] {p['note']}", highlight=False)
    for n in result.notes:
        out.print(f"[yellow]note[/yellow] {n}", highlight=False)


@app.command("install")
def install_command(
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    daemon_url: UrlOpt = None,
    disable_memory_core: Annotated[
        bool, typer.Option("--disable-memory-core", help="Also disable memory-core (it owns memory_search/memory_get).")
    ] = False,
    dry_run: DryRunOpt = False,
    openclaw: OpenClawOpt = None,
    no_openclaw_cli: NoCliOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Install the clawmemory plugin into OpenClaw and select it for memory and context."""
    try:
        result = install(
            config,
            data_dir=data_dir,
            daemon_url=daemon_url,
            disable_memory_core=disable_memory_core,
            dry_run=dry_run,
            openclaw=False if no_openclaw_cli else openclaw,
        )
    except OpenClawConfigError as exc:
        raise _fail(exc.message) from None
    if json_out:
        return _emit_json(result.to_dict())
    if dry_run:
        out.print(
            f"[bold]dry run[/bold]: {result.config_path} would change like this"
            if result.diff
            else "dry run: nothing to change"
        )
        _print_diff(result.diff)
        _print_peers_and_notes(result)
        return
    _print_changes("installed clawmemory into", result)
    if result.changed:
        out.print(
            f"plugin: {result.plugin_dir} (via {result.method})  data dir: {result.data_dir}  daemon: {result.daemon_url}",
            markup=False,
            highlight=False,
        )
        out.print("next: restart the OpenClaw gateway (`openclaw gateway restart`), then run `clawmemory doctor`")


@app.command("uninstall")
def uninstall_command(
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    dry_run: DryRunOpt = False,
    openclaw: OpenClawOpt = None,
    no_openclaw_cli: NoCliOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Remove the plugin from OpenClaw and restore the slots it replaced (memories are kept)."""
    try:
        result = uninstall(config, data_dir=data_dir, dry_run=dry_run, openclaw=False if no_openclaw_cli else openclaw)
    except OpenClawConfigError as exc:
        raise _fail(exc.message) from None
    if json_out:
        return _emit_json(result.to_dict())
    if dry_run:
        out.print("[bold]dry run[/bold]" if result.diff else "dry run: nothing to change")
        _print_diff(result.diff)
        return
    _print_changes("removed clawmemory from", result)


def doctor_command(
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    daemon_url: UrlOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Check the OpenClaw wiring and the daemon; say how to fix each problem."""
    try:
        report = run_doctor(config, data_dir=data_dir, daemon_url=daemon_url)
    except OpenClawConfigError as exc:
        raise _fail(exc.message) from None
    if json_out:
        _emit_json(report.to_dict())
    else:
        t = Table(title=f"clawmemory doctor — {report.config_path}", show_lines=False)
        for col in ("", "check", "detail", "fix"):
            t.add_column(col, overflow="fold")
        marks = {True: "[green]ok[/green]", None: "[dim]skip[/dim]"}
        for c in report.checks:
            mark = marks.get(c.ok) or ("[red]FAIL[/red]" if c.severity == "error" else "[yellow]warn[/yellow]")
            t.add_row(mark, c.title, c.detail, c.fix or "")
        out.print(t)
        out.print("[green]all good[/green]" if report.ok else "[red]problems found[/red]: fix the FAIL rows above")
    if not report.ok:
        raise typer.Exit(1)


app.command("doctor")(doctor_command)


def main(argv: list[str] | None = None) -> int:
    """Standalone entry (``python -m clawmemory.openclaw.cli``)."""
    try:
        rc = app(args=argv, standalone_mode=False)  # click returns Exit codes instead of raising here
    except typer.Exit as exc:
        return exc.exit_code
    except OpenClawConfigError as exc:
        sys.stderr.write(f"error: {exc.message}\n")
        return 2
    except typer.Abort:
        return 130
    except Exception as exc:  # click usage errors
        if hasattr(exc, "format_message"):
            sys.stderr.write(f"error: {exc.format_message().strip().splitlines()[0]}\n")
            return 2
        raise
    return rc if isinstance(rc, int) else 0


if __name__ == "__main__":
    sys.exit(main())
