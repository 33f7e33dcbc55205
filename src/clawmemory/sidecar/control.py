"""What the CLI, the daemon and the OpenClaw plugin ask about the sidecar without being it:
``status`` (host, the chosen backend's requirements, a live health check) and
``provider_config`` (the OpenClaw ``models.providers`` block that points at it).

Nothing here imports torch or llama_cpp: requirements are checked by looking, not loading.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..errors import InvalidInput
from ..serving import is_loopback
from .backends import make_backend
from .settings import SidecarSettings, load_sidecar_settings

PROVIDER_ID = "clawmemory-sidecar"
ADAPTER_FILES = ("delta_mem_config.json", "delta_mem_adapter.pt")


def _meminfo() -> dict[str, int]:
    out: dict[str, int] = {}
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in ("MemTotal", "MemAvailable"):
                out[name] = int(rest.split()[0]) * 1024
    except (OSError, ValueError):
        pass
    return out


def host_info() -> dict[str, Any]:
    mem = _meminfo()
    return {
        "platform": platform.system().lower(),
        "machine": platform.machine(),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "memory_total_bytes": mem.get("MemTotal"),
        "memory_available_bytes": mem.get("MemAvailable"),
    }


def _package(name: str, dist: str) -> dict[str, Any]:
    if importlib.util.find_spec(name) is None:
        return {"ok": False, "detail": f"{dist} is not installed"}
    try:
        return {"ok": True, "detail": f"{dist} {importlib.metadata.version(dist)}"}
    except importlib.metadata.PackageNotFoundError:
        return {"ok": True, "detail": f"{dist} (version unknown)"}


def _memory(needed: int | None, what: str) -> dict[str, Any]:
    available = _meminfo().get("MemAvailable")
    if needed is None or available is None:
        return {"ok": True, "detail": f"{what}: size unknown"}
    ok = available > needed * 1.2
    return {"ok": ok, "detail": f"{what} needs about {needed / 2**20:.0f} MiB; {available / 2**20:.0f} MiB available"}


def requirements(settings: SidecarSettings) -> dict[str, dict[str, Any]]:
    """Each requirement of the configured backend: ``{name: {ok, detail}}``."""
    if settings.backend == "proxy":
        return {"upstream_base_url": {"ok": bool(settings.upstream_base_url), "detail": settings.upstream_base_url}}
    if settings.backend == "kv-prefix":
        from .backends.kv_prefix import smoke_model_status

        out = {"llama_cpp": _package("llama_cpp", "llama-cpp-python")}
        if settings.preset == "custom":
            path = settings.model_path
            ok = bool(path and Path(path).is_file())
            out["model_file"] = {"ok": ok, "detail": str(path) if ok else f"model_path {path} is not a file"}
            size = Path(path).stat().st_size if ok and path else None
        else:
            out["model_file"] = smoke_model_status()
            size = 253_113_024
        kv = settings.n_ctx * 40_000  # generous per-token KV + compute estimate for small models
        out["memory"] = _memory(size + kv if size else None, "model + context")
        return out
    out = {"torch": _package("torch", "torch"), "transformers": _package("transformers", "transformers")}
    adapter = settings.adapter_dir
    missing = [f for f in ADAPTER_FILES if not (adapter and (Path(adapter) / f).is_file())]
    out["adapter_files"] = {
        "ok": not missing,
        "detail": f"{adapter}: {', '.join(ADAPTER_FILES)} present"
        if not missing
        else f"adapter_dir {adapter} lacks {', '.join(missing)}",
    }
    if not missing:
        try:
            from .backends.delta_config import DeltaMemConfig

            DeltaMemConfig.from_file(Path(adapter) / "delta_mem_config.json")  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            out["adapter_files"] = {"ok": False, "detail": str(exc)}
    base = settings.base_model_dir
    weights = (
        sorted(Path(base).glob("*.safetensors")) + sorted(Path(base).glob("*.bin"))
        if base and Path(base).is_dir()
        else []
    )
    ok = bool(base and (Path(base) / "config.json").is_file() and weights)
    out["base_model"] = {
        "ok": ok,
        "detail": f"{base}: config.json + {len(weights)} weight file(s)"
        if ok
        else f"base_model_dir {base} needs config.json and weights (local files; nothing is downloaded)",
    }
    size = sum(w.stat().st_size for w in weights) if weights else None
    factor = 2 if settings.dtype == "float32" and size and any(w.suffix == ".safetensors" for w in weights) else 1
    out["memory"] = _memory(size * factor if size else None, "base model weights")
    return out


def health(url: str, token: str | None, timeout: float = 2.5) -> dict[str, Any]:
    """``GET <url>/health``; never raises."""
    try:
        r = httpx.get(
            url.rstrip("/") + "/health",
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}"} if token else None,
        )
        if r.status_code != 200:
            return {"ok": False, "error": f"HTTP {r.status_code}"}
        return {"ok": True, **r.json()}
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        return {"ok": False, "error": f"sidecar not reachable at {url}: {exc}"}


def loopback_url(url: str) -> str:
    """``url`` if it is http(s) on a loopback host: a caller-given URL is probed with the
    sidecar's token, which must never be sent elsewhere."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        host = ""
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not is_loopback(host):
        raise InvalidInput("url must be an http(s) URL on a loopback host (the sidecar's own address)", field="url")
    return url


class SidecarControl:
    """The sidecar's configuration in the data dir ``home`` (``sidecar.toml`` and
    ``CLAWMEMORY_SIDECAR_*``). Cheap to construct: it reads settings when asked."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def settings(self, **overrides: Any) -> SidecarSettings:
        return load_sidecar_settings(self.home, **overrides)

    def _token(self, settings: SidecarSettings) -> str | None:
        if not settings.auth:
            return None
        try:
            return settings.token_path.read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    def status(self, url: str | None = None, **overrides: Any) -> dict[str, Any]:
        """Host facts, the configured backend's requirements, and the live health check."""
        s = self.settings(**overrides)
        reqs = requirements(s)
        target = loopback_url(url) if url is not None else s.base_url
        live = health(target, self._token(s))
        return {
            "url": target,
            "backend": s.backend,
            "host": host_info(),
            "requirements": reqs,
            "ready": all(r["ok"] for r in reqs.values()),
            "health": live,
        }

    def provider_config(self, url: str | None = None, provider: str = PROVIDER_ID, **overrides: Any) -> dict[str, Any]:
        """The ``openclaw.json`` block that points OpenClaw at the sidecar. ``compat.
        supportsPromptCacheKey`` makes OpenClaw send ``prompt_cache_key``, which is how the
        sidecar tells sessions apart (OpenClaw sends no session header)."""
        s = self.settings(**overrides)
        backend = make_backend(s)
        window = {"kv-prefix": s.n_ctx, "delta-mem": 32768}.get(s.backend, 128000)
        words = {
            "proxy": "context injection",
            "kv-prefix": "llama.cpp KV-prefix cache",
            "delta-mem": "delta-mem δ-state",
        }[s.backend]
        model = {
            "id": backend.model_id,
            "name": f"{backend.model_id} via clawmemory sidecar ({words})",
            "reasoning": False,
            "input": ["text"],
            "cost": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0},
            "contextWindow": window,
            "maxTokens": min(4096, window // 4),
            "compat": {"supportsPromptCacheKey": True},
        }
        block = {
            "baseUrl": (url or s.base_url).rstrip("/") + "/v1",
            "apiKey": self._token(s) or "local",
            "api": "openai-completions",
            "models": [model],
        }
        return {
            "models": {"mode": "merge", "providers": {provider: block}},
            "agents": {"defaults": {"model": {"primary": f"{provider}/{backend.model_id}"}}},
            "notes": [
                "Merge `models` into openclaw.json; set agents.defaults.model.primary to use it.",
                f"Backend {s.backend}: {words}.",
            ],
        }


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
