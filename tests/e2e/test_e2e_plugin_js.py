"""The JS plugin's own unit tests (`node --test`), on the harness's Node 24."""

from __future__ import annotations

import glob
import subprocess

from harness import PLUGIN_DIR, Toolchain


def test_plugin_node_unit_tests(toolchain: Toolchain) -> None:
    files = sorted(glob.glob(str(PLUGIN_DIR / "test" / "*.test.mjs")))
    assert files
    p = subprocess.run(
        [str(toolchain.node), "--test", *files], cwd=PLUGIN_DIR, capture_output=True, text=True, timeout=120
    )
    assert p.returncode == 0, p.stdout[-6000:] + p.stderr[-2000:]
    assert "# fail 0" in p.stdout or "ℹ fail 0" in p.stdout
