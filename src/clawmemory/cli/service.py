"""``clawmemory mcp`` (the MCP server on stdio) and ``clawmemory daemon install|uninstall|status``
(the daemon as a systemd user unit or a launchd agent)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import InvalidInput
from ..service import manage
from ..service.units import PLATFORMS, Unit, current_platform, render
from ..settings import load_settings
from .options import DataDir, Json
from .output import emit_json, table

daemon_app = typer.Typer(
    help="Run the daemon as a login service (systemd user unit on Linux, launchd agent on macOS).", no_args_is_help=True
)

Port = Annotated[int | None, typer.Option(help="Port the daemon listens on (default: its settings, 7411).")]
Platform = Annotated[str | None, typer.Option(help="linux (systemd) or macos (launchd); default: this machine.")]
FilesOnly = Annotated[
    bool, typer.Option("--files-only", help="Only write/remove the file; do not call systemctl/launchctl.")
]


def mcp_command(
    data_dir: DataDir = None,
    namespace: Annotated[
        str | None,
        typer.Option(
            "--namespace",
            "-n",
            help="Namespace for this client (default: mcp_namespaces[client] from "
            "config.toml, else 'default'); created on first use.",
        ),
    ] = None,
) -> None:
    """Serve MCP on stdin/stdout (for Claude Code, Codex, Cursor, OpenClaw's MCP client, …)."""
    from ..mcp.stdio import run_stdio

    run_stdio(data_dir, namespace)


def _unit(data_dir: Path | None, port: int | None, platform: str | None) -> tuple[Unit, str]:
    platform = platform or current_platform()
    if platform not in PLATFORMS:
        raise InvalidInput(f"--platform must be one of {', '.join(PLATFORMS)}", field="platform")
    settings = load_settings(data_dir, port=port)
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    url = f"http://[{host}]:{settings.port}" if ":" in host else f"http://{host}:{settings.port}"
    return render(platform, settings.home, port), url


@daemon_app.command()
def install(
    data_dir: DataDir = None,
    port: Port = None,
    platform: Platform = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the unit and where it goes; change nothing.")
    ] = False,
    files_only: FilesOnly = False,
    json_out: Json = False,
) -> None:
    """Write the service file and start the daemon now and at every login."""
    unit, _ = _unit(data_dir, port, platform)
    if dry_run:
        steps = [] if files_only else [s.argv for s in manage.start_steps(unit)]
        if json_out:
            emit_json({"platform": unit.platform, "path": str(unit.path), "text": unit.text, "commands": steps})
            return
        typer.echo(f"# would write {unit.path}")
        typer.echo(unit.text, nl=False)
        for argv in steps:
            typer.echo(f"# then run: {' '.join(argv)}")
        return
    result = manage.install(unit, files_only=files_only)
    if json_out:
        emit_json(result)
        return
    typer.echo(f"{'replaced' if result['replaced'] else 'wrote'} {result['path']}")
    typer.echo("started and enabled at login" if not files_only else "not started (--files-only)")


@daemon_app.command()
def uninstall(
    data_dir: DataDir = None,
    port: Port = None,
    platform: Platform = None,
    files_only: FilesOnly = False,
    json_out: Json = False,
) -> None:
    """Stop the service and remove its file (the data dir is kept)."""
    unit, _ = _unit(data_dir, port, platform)
    result = manage.uninstall(unit, files_only=files_only)
    if json_out:
        emit_json(result)
    else:
        typer.echo(f"removed {result['path']}" if result["removed"] else f"nothing installed at {result['path']}")


@daemon_app.command()
def status(data_dir: DataDir = None, port: Port = None, platform: Platform = None, json_out: Json = False) -> None:
    """Whether the service file is installed, what the service manager says, and the daemon's health."""
    unit, url = _unit(data_dir, port, platform)
    info = manage.status(unit, url)
    if json_out:
        emit_json(info)
        return
    h = info["health"]
    rows = [
        ("file", info["path"] + ("" if info["installed"] else " (not installed)")),
        ("up to date", "yes" if info["current"] else "no"),
        ("manager", info["manager"]["output"].splitlines()[0] if info["manager"]["output"] else "?"),
        ("daemon", f"{h['url']}: " + (f"ok, version {h['version']}" if h["ok"] else h.get("error", "down"))),
    ]
    table("clawmemory daemon", ["what", "value"], rows)
