"""Schemathesis over the daemon's own ``/openapi.json`` (shared by tests/reliability and
benchmarks/soak.py): schema-valid and schema-violating cases for every operation."""

from __future__ import annotations

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode


def fuzz(url: str, token: str, examples: int, statuses: dict[str, int] | None = None) -> dict[str, int]:
    """Run ``examples`` cases per operation and mode against ``url``; the count of answers by
    status (into ``statuses`` when given, so it survives a failure). Raises AssertionError on the
    first ≥ 500 or dropped connection."""
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    statuses = {} if statuses is None else statuses
    headers = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    for op in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=examples,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=op.as_strategy(generation_mode=mode))
            def run(case: schemathesis.Case) -> None:
                try:
                    response = case.call(headers=headers, timeout=60)
                except (httpx.TransportError, OSError) as exc:
                    raise AssertionError(
                        f"connection dropped: {case.method} {case.formatted_path} {case.body!r:.300}"
                    ) from exc
                key = str(response.status_code)
                statuses[key] = statuses.get(key, 0) + 1
                assert response.status_code < 500, (
                    case.method,
                    case.formatted_path,
                    repr(case.body)[:300],
                    response.text[:300],
                )

            try:
                run()
            except Unsatisfiable:  # nothing to violate (an operation without parameters)
                pass
    return statuses
