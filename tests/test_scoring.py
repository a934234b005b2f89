"""Scoring primitives: binary label normalisation, grid validation, exact and pixel accuracy."""

from __future__ import annotations

import pytest

from harness.judge.scoring import (
    binary_accuracy,
    grid_correct,
    normalise_binary_label,
    pixel_accuracy,
    pixel_counts,
    validate_grid,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", "0"),
        ("1", "1"),
        (" 1\n", "1"),
        (True, "1"),
        (False, "0"),
        (0, "0"),
        (1, "1"),
        (2, None),
        (-1, None),
        (1.0, None),
        (0.0, None),
        ("01", None),
        ("yes", None),
        ("", None),
        (None, None),
        ([1], None),
    ],
)
def test_normalise_binary_label(value: object, expected: str | None) -> None:
    assert normalise_binary_label(value) == expected


def test_binary_accuracy() -> None:
    assert binary_accuracy(["1", 0, True, "x"], ["1", "0", "0", "1"]) == 0.5
    assert binary_accuracy([], []) == 0.0
    with pytest.raises(ValueError, match="2 predictions for 1 labels"):
        binary_accuracy(["1", "0"], ["1"])
    with pytest.raises(ValueError, match="not binary"):
        binary_accuracy(["1"], ["7"])


@pytest.mark.parametrize(
    "value",
    [
        None,
        [],
        [[]],
        [[1, 2], [3]],
        [[1, 10]],
        [[-1]],
        [[True]],
        [[1.0]],
        [["1"]],
        ([1, 2],),
        [(1, 2)],
        "[[1]]",
        [[0] * 31],
        [[0]] * 31,
        [1, 2],
    ],
)
def test_validate_grid_rejects(value: object) -> None:
    assert validate_grid(value) is None


def test_validate_grid_accepts_and_copies() -> None:
    grid = [[0, 9], [5, 5]]
    out = validate_grid(grid)
    assert out == grid and out is not grid and out[0] is not grid[0]
    assert validate_grid([[0] * 30] * 30) is not None
    assert validate_grid([[7]]) == [[7]]


def test_grid_correct() -> None:
    assert grid_correct([[1, 2]], [[1, 2]])
    assert not grid_correct([[1, 2]], [[1], [2]])
    assert not grid_correct(None, [[1]])
    assert not grid_correct([[True]], [[1]])


def test_pixel_accuracy() -> None:
    assert pixel_accuracy([[1, 2], [3, 4]], [[1, 2], [3, 5]]) == 0.75
    assert pixel_accuracy([[1, 2, 3, 4]], [[1, 2], [3, 4]]) == 0.0  # shape differs
    assert pixel_accuracy(None, [[1]]) == 0.0
    assert pixel_accuracy([[1, 10]], [[1, 1]]) == 0.0  # invalid grid
    assert pixel_counts([[1, 2]], [[1, 3]]) == (1, 2)
