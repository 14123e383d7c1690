"""The examples in the geo docstrings run and give the answers they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["geo", "geo.crs", "geo.distance", "geo.errors", "geo.geocode", "geo.regions"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_of_the_module_pass(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    assert result.failed == 0
