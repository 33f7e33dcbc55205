#!/usr/bin/env bash
# Install clawmemory into ./.venv and run the daemon on the embedded default
# (SQLite + local embeddings in ~/.clawmemory, loopback only). Extra args go to `clawmemory serve`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/bootstrap.sh"
exec "$root/.venv/bin/clawmemory" serve "$@"
