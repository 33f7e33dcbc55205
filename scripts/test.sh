#!/usr/bin/env bash
# Install clawmemory with its test dependencies into ./.venv and run the whole suite:
# unit, integration (real daemon on loopback) and e2e (real OpenClaw; Node 24 and
# openclaw are installed into .cache/e2e by the e2e harness on first run).
# Extra args go to pytest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/bootstrap.sh" test
cd "$root"
exec .venv/bin/python -m pytest "$@"
