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
from tests.marketplace.region_world import run

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


@pytest.mark.slow
def test_every_operation_answers_as_documented(
    app: Flask, callers: Callers, monkeypatch: pytest.MonkeyPatch
) -> None:
    run()  # an engine run: matches to list and act on
    monkeypatch.setitem(app.config, "PROPAGATE_TEST_ERRORS", False)  # a 500 is an answer
    operations = _operations(app)
    assert len(operations) >= 16
    tried: dict[str, int] = {}
    for caller in (callers.anonymous, callers.b, callers.coordinator):
        for operation in operations:
            label = f"{operation.method.upper()} {operation.path}"

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
                    operation.as_strategy(GenerationMode.POSITIVE),
                    operation.as_strategy(GenerationMode.NEGATIVE),
                )
            )
            def check(case: Any, caller: Any = caller, label: str = label) -> None:
                response = case.call(headers=caller.headers)
                case.validate_response(response, checks=CHECKS, headers=caller.headers)
                tried[label] = tried.get(label, 0) + 1

            check()
    assert len(tried) == len(operations)
