"""Property-based fuzzing of the real daemon from its own ``/openapi.json`` (schemathesis
strategies driven by hypothesis): schema-valid and schema-violating requests for every
operation, with the token; none may be answered ≥ 500 or drop the connection.
``CLAWMEMORY_FUZZ_EXAMPLES`` sets the cases per operation and mode (CI-sized here;
``benchmarks/soak.py`` runs more)."""

from __future__ import annotations

import os

import pytest
from support.fuzz import fuzz

pytestmark = pytest.mark.integration
EXAMPLES = int(os.environ.get("CLAWMEMORY_FUZZ_EXAMPLES", "30"))


def test_no_request_is_answered_with_a_server_error(shared_daemon):
    statuses = fuzz(shared_daemon.url, shared_daemon.token, EXAMPLES)
    total = sum(statuses.values())
    print(f"fuzz: {total} cases, statuses {dict(sorted(statuses.items()))}")
    assert total >= 1000 or EXAMPLES < 30
    assert not any(int(s) >= 500 for s in statuses)
    with shared_daemon.client() as c:
        assert c.get("/health").json()["status"] == "ok"
