"""The plugin ↔ daemon contract: every daemon path the JS plugins call is a route of
``create_app()`` with the method the JS uses, and the plugin's tool schemas are the
daemon's pydantic models (generated, never hand-edited)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from clawmemory.api.app import create_app
from clawmemory.api.routes_tools import TOOLS
from clawmemory.context import METHODS
from clawmemory.engine import Engine
from clawmemory.openclaw import schemas

ROOT = Path(__file__).resolve().parents[2]
# A string literal or template holding a daemon path: "/v1/...", `/v1/...`, "/health".
LITERAL = re.compile(r"""(["'`])(/(?:v1/[^"'`\s?]*|health))\1""")
# What decides the method of the call a path literal sits in.
EXPLICIT = re.compile(r"""request\(\s*["']([A-Z]+)["']\s*,\s*$""")
POST_CALL = re.compile(r"\.(?:call|durableCall|post)\([^()]*$")
GET_CALL = re.compile(r"\.(?:read|get|health)\([^()]*$")
GET_KEY = re.compile(r"""["']?path["']?\s*:\s*$""")  # optional tools: bridge.read(spec.path, ...)
# Path parameters whose JS values must be names the daemon dispatches.
DISPATCH = {"/v1/context/{method}": set(METHODS), "/v1/tools/{tool}": set(TOOLS)}


@dataclass(frozen=True)
class Call:
    where: str
    method: str
    path: str  # ${...} parts kept as written


def js_calls(root: Path = ROOT / "plugins") -> list[Call]:
    """Every daemon path literal in ``plugins/**/src/*.js`` with the HTTP method of its call."""
    out = []
    for file in sorted(root.glob("**/src/*.js")):
        if "node_modules" in file.parts:
            continue
        text = file.read_text()
        for m in LITERAL.finditer(text):
            before = text[max(0, m.start() - 200) : m.start()].split(";")[-1].split("\n")[-1]
            if before.lstrip().startswith(("//", "*", "/*")):
                continue  # a comment
            line = text.count("\n", 0, m.start()) + 1
            where = f"{file.relative_to(root.parent)}:{line}"
            if e := EXPLICIT.search(before):
                method = e.group(1)
            elif POST_CALL.search(before):
                method = "POST"
            elif GET_CALL.search(before) or GET_KEY.search(before):
                method = "GET"
            else:
                method = "?"
            out.append(Call(where, method, m.group(2)))
    return out


def _pattern(route_path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", r"[^/]+", re.escape(route_path)) + "$")


def routes(engine: Engine) -> dict[str, set[str]]:
    """Route path template → methods, as the daemon publishes them (its OpenAPI paths)."""
    paths = create_app(engine, "t").openapi()["paths"]
    return {path: {m.upper() for m in ops} for path, ops in paths.items()}


def unmatched(calls: list[Call], served: dict[str, set[str]]) -> list[str]:
    """Calls with no route (or not for that method), or a dispatch value the daemon lacks."""
    bad = []
    for c in calls:
        concrete = re.sub(r"\$\{[^}]*\}", "X", c.path)
        hits = [p for p in served if _pattern(p).match(concrete)]
        if c.method == "?":
            bad.append(f"{c.where}: cannot tell the HTTP method of the call to {c.path}")
        elif not hits:
            bad.append(f"{c.where}: {c.method} {c.path} is no route of create_app()")
        elif not any(c.method in served[p] for p in hits):
            bad.append(
                f"{c.where}: {c.path} is served for {sorted(set().union(*(served[p] for p in hits)))}, not {c.method}"
            )
        for p in hits:
            if p in DISPATCH and "${" not in c.path:
                value = c.path.rsplit("/", 1)[1]
                if value not in DISPATCH[p]:
                    bad.append(f"{c.where}: {c.path}: {value!r} is not one of {sorted(DISPATCH[p])}")
    return bad


@pytest.fixture()
def served(engine: Engine) -> dict[str, set[str]]:
    return routes(engine)


def test_plugins_call_only_daemon_routes(served: dict[str, set[str]]) -> None:
    calls = js_calls()
    paths = {c.path for c in calls}
    # the walk finds what the plugin is known to call (so an empty walk cannot pass)
    assert {
        "/v1/hooks/before_prompt_build",
        "/v1/hooks/agent_end",
        "/v1/context/assemble",
        "/v1/tools/${spec.name}",
        "/v1/sidecar/status",
        "/health",
    } <= paths
    assert unmatched(calls, served) == []


def test_contract_check_fails_on_a_path_without_route(served: dict[str, set[str]], tmp_path: Path) -> None:
    src = tmp_path / "plug" / "src"
    src.mkdir(parents=True)
    (src / "x.js").write_text(
        'await bridge.call(ns, "/v1/hooks/before_prompt_buildx", body, 10);\n'
        'await bridge.read("/v1/tools/memory_recall", {}, 10);\n'
        'await bridge.call(ns, "/v1/context/assembel", body, 10);\n'
        'const p = "/v1/hooks/agent_end";\n'
    )
    bad = unmatched(js_calls(tmp_path), served)
    assert len(bad) == 4, bad
    assert "no route" in bad[0] and "not GET" in bad[1] and "'assembel'" in bad[2] and "method" in bad[3]


def test_generated_tool_schemas_are_fresh() -> None:
    for path, text in schemas.generated().items():
        assert path.read_text() == text, f"{path} is stale: run python -m clawmemory.openclaw.schemas"


def test_tool_schema_follows_the_daemon_model() -> None:
    direct, optional = schemas.tool_specs()
    store = next(t for t in direct if t["name"] == "memory_store")["parameters"]["properties"]
    assert store["importance"] == {
        "type": "number",
        "minimum": 0,
        "maximum": 1,
        "default": 0.7,
        "description": "0..1 (default 0.7)",
    }
    get = next(t for t in direct if t["name"] == "memory_get")["parameters"]
    assert "from" in get["properties"] and get["required"] == ["path"] and get["additionalProperties"] is False
    assert [t["name"] for t in direct] == list(TOOLS)
    assert all(t["description"] and t["path"].startswith("/v1/sidecar/") for t in optional)
