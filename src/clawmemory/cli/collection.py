"""Markdown collections with QMD's verbs, and the memory-core tools from the shell.

``clawmemory collection add|add-workspace|list|remove|update|embed|search|vsearch|query``,
plus top-level ``clawmemory update`` (rescan every collection), ``clawmemory memory-search``
and ``clawmemory memory-get`` (the ``memory_search`` / ``memory_get`` tool results).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import NotFound
from ..retrieval.hits import SearchHit
from .embed import embed as embed_all
from .options import DataDir, Json, Namespace, open_engine
from .output import emit_json, short, table

collection_app = typer.Typer(
    help="Markdown collections (QMD-compatible verbs): folders of notes, indexed by heading-aware chunks.",
    no_args_is_help=True,
)
tools_app = typer.Typer()  # merged into the root: `update`, `memory-search`, `memory-get`

Limit = Annotated[int, typer.Option("--limit", "-k", help="How many results.")]
Only = Annotated[str | None, typer.Option("--collection", "-c", help="Only this collection.")]

NO_RERANKER = "no reranker is configured: results are in hybrid fusion order (BM25 + vectors)"


def _scan_line(stats: dict[str, Any]) -> str:
    return (
        f"{stats['indexed']} new, {stats['updated']} changed, {stats['unchanged']} unchanged, "
        f"{stats['removed']} removed, {stats['skipped']} skipped; chunks +{stats['chunks_added']} "
        f"-{stats['chunks_removed']}"
    )


@collection_app.command("add")
def add(
    path: Annotated[Path, typer.Argument(help="Folder of markdown files.")],
    name: Annotated[str, typer.Option("--name", help="Collection name (unique in the namespace).")],
    pattern: Annotated[
        list[str] | None,
        typer.Option("--pattern", "--mask", help="Glob relative to PATH (repeatable; default **/*.md)."),
    ] = None,
    namespace: Namespace = None,
    data_dir: DataDir = None,
    json_out: Json = False,
) -> None:
    """Register a folder as a collection and index it."""
    with open_engine(data_dir) as engine:
        result = engine.collection_add(path, name, namespace, patterns=pattern or None)
    if json_out:
        emit_json(result)
    else:
        typer.echo(f"{'added' if result['created'] else 'exists'} {name}: {_scan_line(result['scan'])}")


@collection_app.command("add-workspace")
def add_workspace(
    workspace: Annotated[Path, typer.Argument(help="OpenClaw workspace folder (holds MEMORY.md, memory/).")],
    name: Annotated[str, typer.Option("--name", help="Collection name.")] = "workspace",
    namespace: Namespace = None,
    data_dir: DataDir = None,
    json_out: Json = False,
) -> None:
    """Index an OpenClaw workspace's memory files: MEMORY.md, USER.md and memory/**/*.md."""
    with open_engine(data_dir) as engine:
        result = engine.collection_add_workspace(workspace, name, namespace)
    if json_out:
        emit_json(result)
    else:
        typer.echo(f"{'added' if result['created'] else 'exists'} {name}: {_scan_line(result['scan'])}")


@collection_app.command("list")
def list_(namespace: Namespace = None, data_dir: DataDir = None, json_out: Json = False) -> None:
    """Collections with their folders, patterns and counts."""
    with open_engine(data_dir) as engine:
        cols = engine.collection_list(namespace)
    if json_out:
        emit_json({"collections": cols})
        return
    table(
        "collections",
        ["name", "kind", "path", "patterns", "documents", "chunks", "scanned"],
        (
            [
                c["name"],
                c["kind"],
                c["path"],
                " ".join(c["patterns"]),
                c["documents"],
                c["chunks"],
                (c["scanned_at"] or "")[:19],
            ]
            for c in cols
        ),
    )


@collection_app.command("remove")
def remove(
    name: Annotated[str, typer.Argument(help="Collection name.")],
    namespace: Namespace = None,
    data_dir: DataDir = None,
    json_out: Json = False,
) -> None:
    """Unregister a collection: its chunks leave the index (the files stay)."""
    with open_engine(data_dir) as engine:
        result = engine.collection_remove(name, namespace)
    if json_out:
        emit_json(result)
    else:
        typer.echo(f"removed {name}: {result['documents']} document(s), {result['chunks']} chunk(s)")


@collection_app.command("update")
@tools_app.command("update")
def update(
    name: Annotated[str | None, typer.Argument(help="One collection (default: all).")] = None,
    namespace: Annotated[
        str | None, typer.Option("--namespace", "-n", help="Only this namespace (default: every namespace).")
    ] = None,
    data_dir: DataDir = None,
    json_out: Json = False,
) -> None:
    """Rescan collections by content hash: new and changed files are (re-)chunked, deleted ones leave."""
    with open_engine(data_dir) as engine:
        result = engine.collection_update(namespace, name)
    if json_out:
        emit_json(result)
        return
    for c in result["collections"]:
        line = "folder missing; index kept as it was" if c.get("missing") else _scan_line(c)
        typer.echo(f"{c['namespace']}/{c['name']}: {line}")
    if not result["collections"]:
        typer.echo("no collections; add one with `clawmemory collection add PATH --name NAME`")


@collection_app.command("embed")
def embed(data_dir: DataDir = None, json_out: Json = False) -> None:
    """Alias of `clawmemory embed`: embed every pending search item (chunks included)."""
    embed_all(data_dir=data_dir, json_out=json_out)


def _collection_search(
    query: str,
    mode: str,
    limit: int,
    only: str | None,
    namespace: str | None,
    data_dir: Path | None,
    json_out: bool,
    note: str | None = None,
) -> None:
    with open_engine(data_dir) as engine:
        if only is not None:
            engine.collections.get(only, namespace)  # a clear error for an unknown name
        # One collection: over-fetch, then keep that collection's chunks.
        fetch = limit if only is None else min(1000, limit * 10)
        hits = engine.search(query, namespace, limit=fetch, corpus="collections", mode=mode)
    hits = [h for h in hits if only is None or h.extra.get("collection") == only][:limit]
    rows = [_row(h) for h in hits]
    if json_out:
        emit_json({"mode": mode, "reranked": False, **({"note": note} if note else {}), "results": rows})
        return
    table(
        f"{len(rows)} result(s) for {query!r} ({mode})",
        ["score", "path", "lines", "heading", "text"],
        (
            [
                f"{r['score']:.3f}",
                r["path"],
                f"{r['startLine']}-{r['endLine']}",
                r["heading"] or "",
                short(r["text"], 70),
            ]
            for r in rows
        ),
    )
    if note:
        typer.echo(note)


def _row(h: SearchHit) -> dict[str, Any]:
    return {
        "path": h.extra["path"],
        "startLine": h.extra["startLine"],
        "endLine": h.extra["endLine"],
        "heading": h.extra["heading"],
        "collection": h.extra["collection"],
        "score": h.score,
        "textScore": h.text_score,
        "vectorScore": h.vector_score,
        "relevant": h.relevant,
        "text": h.text,
        "id": h.id,
    }


@collection_app.command("search")
def search(
    query: Annotated[str, typer.Argument(help='Words; also "phrase", +required, -excluded.')],
    limit: Limit = 10,
    only: Only = None,
    namespace: Namespace = None,
    data_dir: DataDir = None,
    json_out: Json = False,
) -> None:
    """BM25 keyword search over collections (any word matches; QMD's `search`)."""
    _collection_search(query, "lexical", limit, only, namespace, data_dir, json_out)


@collection_app.command("vsearch")
def vsearch(
    query: Annotated[str, typer.Argument(help="Natural-language query.")],
    limit: Limit = 10,
    only: Only = None,
    namespace: Namespace = None,
    data_dir: DataDir = None,
    json_out: Json = False,
) -> None:
    """Vector search over collections (needs `clawmemory embed` first; QMD's `vsearch`)."""
    _collection_search(query, "vector", limit, only, namespace, data_dir, json_out)


@collection_app.command("query")
def query(
    query: Annotated[str, typer.Argument(help="Natural-language query.")],
    limit: Limit = 10,
    only: Only = None,
    namespace: Namespace = None,
    data_dir: DataDir = None,
    json_out: Json = False,
) -> None:
    """Hybrid search over collections: BM25 + vectors, fused (QMD's `query`; no reranker yet)."""
    _collection_search(query, "hybrid", limit, only, namespace, data_dir, json_out, note=NO_RERANKER)


@tools_app.command("memory-search")
def memory_search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    max_results: Annotated[int | None, typer.Option("--max-results", "-k", help="Most results (default 6).")] = None,
    min_score: Annotated[float | None, typer.Option("--min-score", help="Drop results scoring below (0..1).")] = None,
    corpus: Annotated[str | None, typer.Option(help="memory, wiki, sessions or all (default all).")] = None,
    namespace: Namespace = None,
    data_dir: DataDir = None,
    json_out: Json = False,
) -> None:
    """The `memory_search` tool: memory-core's result shape (paths work with memory-get)."""
    params = {
        k: v
        for k, v in {"query": query, "maxResults": max_results, "minScore": min_score, "corpus": corpus}.items()
        if v is not None
    }
    with open_engine(data_dir) as engine:
        result = engine.memory_search(namespace, None, **params)
    if json_out:
        emit_json(result)
        return
    table(
        f"{len(result['results'])} result(s) for {query!r} ({result['mode']})",
        ["score", "path", "lines", "source", "snippet"],
        (
            [f"{r['score']:.3f}", r["path"], f"{r['startLine']}-{r['endLine']}", r["source"], short(r["snippet"], 70)]
            for r in result["results"]
        ),
    )


@tools_app.command("memory-get")
def memory_get(
    path: Annotated[
        str, typer.Argument(help="A path from memory-search (memories/ID, sessions/KEY, COLLECTION/FILE).")
    ],
    from_: Annotated[int | None, typer.Option("--from", help="First line (1-based).")] = None,
    lines: Annotated[int | None, typer.Option("--lines", help="How many lines (default 120).")] = None,
    namespace: Namespace = None,
    data_dir: DataDir = None,
    json_out: Json = False,
) -> None:
    """The `memory_get` tool: a bounded excerpt of a file, memory or session transcript."""
    params = {k: v for k, v in {"path": path, "from": from_, "lines": lines}.items() if v is not None}
    with open_engine(data_dir) as engine:
        result = engine.memory_get(namespace, None, **params)
    if json_out:
        emit_json(result)
    elif result["status"] == "not_found":
        raise NotFound(f"nothing at {result['path']!r} in this namespace", field="path")
    else:
        typer.echo(result["text"])
