"""The inspector benchmark runs end to end at CI size (its 100k figures are in the README)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "ui.py"


def test_ui_benchmark_small():
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--size", "600", "--batch", "200", "--repeat", "2"],
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["size"] == 600 and result["write_per_s"] > 0
    assert set(result["http"]) >= {"first page", "kind filter", "text contains", "deep page (middle)"}
    assert all(r["n"] == 2 and r["p50_ms"] > 0 for r in result["http"].values())
