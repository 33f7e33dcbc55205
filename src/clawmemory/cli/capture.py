"""``clawmemory ingest`` (captured tool-result observations → the store) and
``clawmemory backend`` (which plugin owns OpenClaw's memory, readiness, fallback posture).

Mounted in ``cli/main.py`` with ``app.add_typer(capture_app)``: the commands sit at the top level.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InvalidInput
from ..openclaw.backend import backend_report
from ..openclaw.capture_files import observation_files
from .options import DataDir, Json, open_engine
from .output import emit_json, table

capture_app = typer.Typer(no_args_is_help=True)

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="openclaw.json (default: $OPENCLAW_CONFIG_PATH, "
        "$OPENCLAW_STATE_DIR/openclaw.json, ~/.openclaw/openclaw.json).",
    ),
]


def _print_pass(result: dict[str, Any]) -> None:
    table(
        f"ingested {result['added']} observation(s) from {result['lines']} line(s) in {result['seconds']:.2f}s",
        ["file", "lines", "added", "duplicates", "errors", "offset", "note"],
        (
            [
                f["path"],
                f["lines"],
                f["added"],
                f["duplicates"],
                f["error_count"],
                f["offset"],
                "missing"
                if f["missing"]
                else "rotated (old file)"
                if f["rotated"]
                else "truncated: read from start"
                if f["truncated"]
                else f"{f['pending_bytes']} bytes of an unfinished line wait"
                if f["pending_bytes"]
                else "",
            ]
            for f in result["files"]
        ),
    )
    for f in result["files"]:
        for e in f["errors"]:
            sys.stderr.write(f"{f['path']}:{e['line']}: skipped: {e['error']}\n")
        if f["error_count"] > len(f["errors"]):
            sys.stderr.write(f"{f['path']}: … {f['error_count'] - len(f['errors'])} more corrupt line(s)\n")


@capture_app.command()
def ingest(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="JSONL files written by the clawmemory-capture plugin "
            "(default: the observation files its OpenClaw config points at)."
        ),
    ] = None,
    namespace: Annotated[
        str | None,
        typer.Option(
            "--namespace",
            "-n",
            help="Put every observation here (must exist); default: the line's agent id, created if missing.",
        ),
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep ingesting what is appended (Ctrl-C stops).")
    ] = False,
    interval: Annotated[float, typer.Option(help="Seconds between passes with --follow.")] = 2.0,
    config: ConfigOpt = None,
    data_dir: DataDir = None,
    json_out: Json = False,
) -> None:
    """Load captured tool-result observations; searchable with `clawmemory search --corpus observations`.

    Re-ingesting adds nothing; a file is resumed where the last pass stopped (rotation and
    truncation are detected); a corrupt line is reported with its line number and skipped.
    """
    paths = list(files or [])
    if not paths:
        paths = observation_files(config)
        if not paths:
            raise InvalidInput(
                "no FILE given and no observation file found (is the clawmemory-capture plugin "
                "installed? see `clawmemory backend`)",
                field="files",
            )
    if interval <= 0:
        raise InvalidInput("--interval must be positive", field="interval")
    with open_engine(data_dir) as engine:
        if not follow:
            result = engine.ingest_observations(paths, namespace)
            emit_json(result) if json_out else _print_pass(result)
            return

        def on_pass(report: Any) -> None:
            r = report.to_dict()
            if json_out:
                sys.stdout.write(json.dumps(r, ensure_ascii=False) + "\n")
                sys.stdout.flush()
            elif r["added"] or r["errors"] or any(f["rotated"] or f["truncated"] for f in r["files"]):
                _print_pass(r)

        try:
            engine.follow_observations(paths, namespace, interval=interval, on_pass=on_pass)
        except KeyboardInterrupt:
            pass


def _mark(ok: bool | None) -> str:
    return "yes" if ok is True else "NO" if ok is False else "-"


@capture_app.command()
def backend(
    config: ConfigOpt = None,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="clawmemory data dir (default: the plugin's).")
    ] = None,
    daemon_url: Annotated[str | None, typer.Option("--daemon-url", help="Daemon URL (default: the plugin's).")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds per daemon request.")] = 2.0,
    json_out: Json = False,
) -> None:
    """Memory and context-engine slots, memory plugins, clawmemory readiness, fallback posture."""
    r = backend_report(config, data_dir=data_dir, daemon_url=daemon_url, timeout=timeout).to_dict()
    if json_out:
        emit_json(r)
        return
    c, cap = r["clawmemory"], r["capture"]
    rows = [
        ("config", r["config_path"] + ("" if r["config_found"] else " (not found)")),
        ("memory slot", r["memory_slot"] + ("" if r["memory_slot_explicit"] else " (default)")),
        ("context-engine slot", r["context_engine_slot"]),
        ("clawmemory daemon", f"{_mark(c['daemon']['ok'])}  {c['daemon']['detail']}"),
        ("clawmemory token", f"{_mark(c['token']['ok'])}  {c['token']['detail']}"),
        ("embeddings", f"{_mark(r['embeddings']['ok'])}  {r['embeddings']['detail']}"),
        (
            "capture plugin",
            ("enabled" if cap["enabled"] else "installed, disabled" if cap["installed"] else "not installed")
            + f"; annotates memory_backend={cap['annotates_as']} ({cap['backend_mode']})",
        ),
    ]
    rows += [("observations file", f"{f['path']} ({f['bytes']} bytes)") for f in cap["files"]]
    table("memory backend", ["what", "value"], rows)
    table(
        "memory plugins",
        ["plugin", "found as", "enabled", "selected", "note"],
        ([p["id"], p["source"], _mark(p["enabled"]), _mark(p["selected"]), p["note"]] for p in r["memory_plugins"]),
    )
    fb = r["fallback"]
    table(
        "if plugins.slots.memory goes back to memory-core",
        ["", "effect"],
        ([str(i + 1), e] for i, e in enumerate(fb["effects"] + [f"to do: {s}" for s in fb["steps"]])),
    )
