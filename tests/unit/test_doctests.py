"""The ``Examples`` in core's docstrings are tests too: run every one of the light modules."""

import doctest
import importlib

import pytest
from test_imports import light_modules


@pytest.mark.parametrize("name", light_modules())
def test_docstring_examples_hold(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (see above)"


def test_some_module_has_examples() -> None:
    """The parametrised test above is not vacuous: at least one core module carries examples."""
    finder = doctest.DocTestFinder()
    counted = sum(len(t.examples) for n in light_modules() for t in finder.find(importlib.import_module(n)))
    assert counted > 0
