"""The hidden-mapping family's grid: which (function, length) points a run covers."""

from __future__ import annotations

import pytest

from harness.errors import UserError
from harness.families.erm.task import grid_points


def test_grid_points():
    assert grid_points(("fn_a", "fn_h"), (20, 40)) == [("fn_a", 20), ("fn_a", 40),
                                                       ("fn_h", 20), ("fn_h", 40)]
    assert grid_points(("fn_h",), ())[0] == ("fn_h", 100)
    with pytest.raises(UserError, match="multiples of 4"):
        grid_points(("fn_h",), (30,))
    with pytest.raises(UserError, match="unknown"):
        grid_points(("fn_z",), (20,))
