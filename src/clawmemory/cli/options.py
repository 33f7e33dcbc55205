"""Options every command group shares, written once, and how a command opens the Engine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..engine import Engine

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", "-d", help="Data dir (default: $CLAWMEMORY_HOME or ~/.clawmemory)."),
]
Namespace = Annotated[str | None, typer.Option("--namespace", "-n", help="Namespace (default: 'default').")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def open_engine(data_dir: Path | None) -> Engine:
    """The Engine on ``data_dir`` (use it in a ``with`` block: it closes the store)."""
    return Engine.open(data_dir)
