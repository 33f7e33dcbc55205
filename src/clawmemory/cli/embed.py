"""``clawmemory embed`` (and its alias ``clawmemory collection embed``): the foreground backfill."""

from __future__ import annotations

import typer

from .options import DataDir, Json, open_engine
from .output import emit_json


def embed(data_dir: DataDir = None, json_out: Json = False) -> None:
    """Embed every item that has no vector from the current model (backfill, with progress)."""
    from rich.progress import Progress

    with open_engine(data_dir) as engine:
        embedder = engine.embedder()
        total = engine.store.count_to_embed(embedder.model) if embedder else 0
        with Progress(transient=True, disable=json_out) as bar:
            task = bar.add_task("embedding", total=total)
            result = engine.embed(progress=lambda n: bar.advance(task, n))
    if json_out:
        emit_json(result)
    else:
        typer.echo(f"embedded {result['embedded']} item(s) with {result['model']} (dim {result['dim']})")
