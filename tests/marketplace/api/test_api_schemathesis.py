"""Schemathesis against ``/api/v1/openapi.json`` on the WSGI app: no 5xx, every answer as
documented (status code, content type, body schema), for a visitor, a firm and a coordinator.

Bounded so that the suite stays fast: :data:`EXAMPLES_PER_OPERATION` generated requests
per operation and caller (positive and negative data), no shrinking.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.marketplace.api.conftest import Callers
from tests.marketplace.region_world import matches, run

EXAMPLES_PER_OPERATION = 6
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _operations(app: Flask) -> list[Any]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = []
    for result in schema.get_all_operations():
        operations.append(result.ok())
    return operations


def _fuzz(
    operation: Any,
    headers: dict[str, str],
    tried: dict[str, int],
    path_parameters: dict[str, str] | None = None,
) -> None:
    """Send :data:`EXAMPLES_PER_OPERATION` generated requests to ``operation``; check each."""
    label = f"{operation.method.upper()} {operation.path}"
    fixed = {"path_parameters": path_parameters} if path_parameters else {}

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(
        case=st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE, **fixed),
            operation.as_strategy(GenerationMode.NEGATIVE, **fixed),
        )
    )
    def check(case: Any) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)
        tried[label] = tried.get(label, 0) + 1

    check()


@pytest.mark.slow
def test_every_operation_answers_as_documented(
    app: Flask, callers: Callers, monkeypatch: pytest.MonkeyPatch
) -> None:
    run()  # an engine run: matches to list and act on
    [match] = matches()
    monkeypatch.setitem(app.config, "PROPAGATE_TEST_ERRORS", False)  # a 500 is an answer
    operations = _operations(app)
    assert len(operations) >= 16
    tried: dict[str, int] = {}
    for caller in (callers.anonymous, callers.b, callers.coordinator):
        for operation in operations:
            _fuzz(operation, caller.headers, tried)
    # Firm A on its own listing and match: the answers of a caller who may act.
    for operation in operations:
        if "{public_id}" in operation.path:
            target = match if operation.path.startswith("/matches") else match.offer
            _fuzz(operation, callers.a.headers, tried, {"public_id": target.public_id})
    assert len(tried) == len(operations)
