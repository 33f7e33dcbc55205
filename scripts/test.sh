#!/usr/bin/env bash
# Install clawmemory with its test dependencies into ./.venv and run the whole suite:
# unit, integration (real daemon on loopback) and e2e (real OpenClaw; Node 24 and
# openclaw are installed into .cache/e2e by the e2e harness on first run) and the web
# inspector's browser tests (Debian's chromium, installed here when missing).
# Extra args go to pytest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Debian's Chromium for the web inspector's browser tests (Playwright drives /usr/bin/chromium;
# it never downloads a browser of its own).
if ! command -v chromium >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq chromium
fi
"$root/scripts/bootstrap.sh" test
cd "$root"
# Lint and format gate (config in pyproject.toml): fails before the suite runs.
.venv/bin/ruff check src tests benchmarks
.venv/bin/ruff format --check src tests benchmarks
# Type gate (config in pyproject.toml [tool.mypy]): every def typed, untyped bodies checked.
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
