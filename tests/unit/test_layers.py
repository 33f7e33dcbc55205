"""The layers hold: every import in ``src/clawmemory`` points down (or sideways within a layer
without a cycle), and no private name (``_x``) is reached from another module.

Layers, bottom up (docs/DESIGN.md opens with the diagram):
0 leaves — errors, validation, redaction, text, settings, serving, untrusted, llm client
1 store — store/, export, store_copy
2 retrieval — retrieval/
3 core — core, memories
4 components — capture, context, formation, ledger, collections, tools, importers, the sidecar's
  control, backends and request pipeline
5 engine
6 adapters — api, cli, openclaw, mcp, ui, service, the sidecar process (app, server, sidecar, retrieve)
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import clawmemory

PACKAGE = "clawmemory"
SRC = Path(clawmemory.__file__).parent

# Module (or package prefix) → layer; the longest matching prefix wins.
LAYERS: dict[str, int] = {
    "clawmemory": 0,
    "clawmemory.errors": 0,
    "clawmemory.validation": 0,
    "clawmemory.redaction": 0,
    "clawmemory.text": 0,
    "clawmemory.settings": 0,
    "clawmemory.serving": 0,
    "clawmemory.untrusted": 0,
    "clawmemory.llm": 0,
    "clawmemory.sidecar.settings": 0,
    "clawmemory.store": 1,
    "clawmemory.export": 1,
    "clawmemory.store_copy": 1,
    "clawmemory.retrieval": 2,
    "clawmemory.core": 3,
    "clawmemory.memories": 3,
    "clawmemory.capture": 4,
    "clawmemory.context": 4,
    "clawmemory.formation": 4,
    "clawmemory.ledger": 4,
    "clawmemory.collections": 4,
    "clawmemory.tools": 4,
    "clawmemory.importers": 4,
    "clawmemory.sidecar": 4,  # control, backends and the request pipeline; the process below at 6
    "clawmemory.engine": 5,
    "clawmemory.__main__": 6,
    "clawmemory.api": 6,
    "clawmemory.cli": 6,
    "clawmemory.openclaw": 6,
    "clawmemory.mcp": 6,
    "clawmemory.ui": 6,
    "clawmemory.service": 6,
    "clawmemory.sidecar.app": 6,
    "clawmemory.sidecar.server": 6,
    "clawmemory.sidecar.sidecar": 6,
    "clawmemory.sidecar.retrieve": 6,
}

# Private attributes of other libraries' objects that have no public way in.
FOREIGN_PRIVATE = {
    "_threads",  # ThreadPoolExecutor: the worker threads to join on close
    "_ctx",  # llama_cpp.Llama: the context whose KV cache the kv-prefix backend saves
    "_replace",  # namedtuple's public API
    "_asdict",
    "_fields",
    "_getframe",
    "_exit",  # os._exit: the documented exit without cleanup
}

# Known violations still to fix: (module, what). Empty: add nothing here without a reason.
ALLOWED: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class Violation:
    module: str
    line: int
    what: str

    def key(self) -> tuple[str, str]:
        return self.module, self.what.split(":")[0]  # a cycle is keyed by its smallest member


def layer(module: str, layers: dict[str, int]) -> int:
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        if (name := ".".join(parts[:n])) in layers:
            return layers[name]
    raise AssertionError(f"{module} has no layer: add it to LAYERS")


def modules(src: Path, package: str) -> Iterator[tuple[str, Path]]:
    for path in sorted(src.rglob("*.py")):
        parts = [package, *path.relative_to(src).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


def imports(module: str, path: Path, package: str) -> Iterator[tuple[int, str, list[str]]]:
    """(line, imported module, names) for every import of ``package`` (any kind: top-level,
    lazy or TYPE_CHECKING-only; a type-only edge is still a dependency of the design)."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target == package or target.startswith(package + "."):
                yield node.lineno, target, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == package or alias.name.startswith(package + "."):
                    yield node.lineno, alias.name, []


def resolve(target: str, name: str, known: set[str]) -> str:
    """``from target import name``: the submodule ``target.name`` when there is one."""
    return f"{target}.{name}" if f"{target}.{name}" in known else target


def violations(src: Path, package: str, layers: dict[str, int]) -> list[Violation]:
    found = []
    mods = dict(modules(src, package))
    known = set(mods)
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for module, path in mods.items():
        own = layer(module, layers)
        for line, target, names in imports(module, path, package):
            for dep in {resolve(target, n, known) for n in names} or {target}:
                graph[module].add(dep)
                if layer(dep, layers) > own:
                    found.append(Violation(module, line, f"imports {dep} (layer {layer(dep, layers)} > {own})"))
            for n in names:
                if n.startswith("_") and not n.startswith("__") and resolve(target, n, known) == target:
                    found.append(Violation(module, line, f"imports private {target}.{n}"))
        tree = ast.parse(path.read_text(), str(path))
        own_private = defined_here(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and node.attr not in own_private | FOREIGN_PRIVATE
            ):
                found.append(Violation(module, node.lineno, f"uses private .{node.attr}"))
    found.extend(Violation(m, 0, f"import cycle: {' -> '.join(c)}") for m, c in cycles(graph))
    return found


def defined_here(tree: ast.Module) -> set[str]:
    """Names this module defines (functions, methods, classes, attributes it assigns, class
    fields): a private one of them used here stays inside the module."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return names


def cycles(graph: dict[str, set[str]]) -> list[tuple[str, list[str]]]:
    """One representative per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            members = []
            while True:
                w = stack.pop()
                on.discard(w)
                members.append(w)
                if w == v:
                    break
            if len(members) > 1:
                out.append((min(members), sorted(members)))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_imports_point_down_and_private_names_stay_home():
    found = violations(SRC, PACKAGE, LAYERS)
    new = [f"{v.module}:{v.line}: {v.what}" for v in found if v.key() not in ALLOWED]
    assert not new, "\n".join(new)
    stale = ALLOWED - {v.key() for v in found}
    assert not stale, f"fixed: remove from ALLOWED {sorted(stale)}"


def test_the_check_fails_on_planted_violations(tmp_path: Path):
    pkg = tmp_path / "planted"
    (pkg / "store").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "engine.py").write_text("from .store import base\n\nclass Engine:\n    def _hidden(self): ...\n")
    (pkg / "store" / "__init__.py").write_text("")
    (pkg / "store" / "base.py").write_text(
        "from ..engine import Engine\nfrom ..engine import _helper\n\ndef f(e: Engine):\n    return e._hidden()\n"
    )
    layers = {"planted": 0, "planted.store": 1, "planted.engine": 5}
    found = {(v.module, v.what) for v in violations(pkg, "planted", layers)}
    assert ("planted.store.base", "imports planted.engine (layer 5 > 1)") in found
    assert ("planted.store.base", "imports private planted.engine._helper") in found
    assert ("planted.store.base", "uses private ._hidden") in found
    assert any(what.startswith("import cycle: planted.engine -> planted.store.base") for _, what in found)
    clean = {"planted": 0, "planted.store": 5, "planted.engine": 5}
    assert not [v for v in violations(pkg, "planted", clean) if "layer" in v.what]
