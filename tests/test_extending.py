"""docs/extending.md runs as written: its examples are doctests."""

from __future__ import annotations

import doctest
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "extending.md"


def test_extending_guide_examples_run():
    result = doctest.testfile(str(DOC), module_relative=False, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                              verbose=False, raise_on_error=False, report=True)
    assert result.attempted >= 15, "the guide lost its examples"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {DOC.name} failed (see output above)"
