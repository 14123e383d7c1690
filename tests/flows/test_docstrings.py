"""The examples in the engine's docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "module_name",
    [
        "flows.allocate",
        "flows.candidates",
        "flows.co2",
        "flows.loops",
        "flows.propose",
        "flows.symbiosis",
        "flows.validate",
    ],
)
def test_the_examples_in_the_docstrings_run(module_name: str) -> None:
    result = doctest.testmod(
        importlib.import_module(module_name),
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert result.attempted > 0
    assert result.failed == 0
