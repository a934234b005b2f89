"""Host-side scoring primitives: label normalisation, grid validation, exact and pixel accuracy.

Everything here receives *plain* JSON values (str/int/float/bool/None/list) that the sandbox
protocol has already decoded. Nothing is trusted: a value that is not exactly the expected shape
is rejected rather than coerced, so a program cannot earn credit with an object that merely
compares equal.
"""

from __future__ import annotations

from collections.abc import Sequence

Grid = list[list[int]]

MAX_GRID_SIDE = 30
"""ARC grids are 1x1 to 30x30; anything larger is not a valid answer."""


def normalise_binary_label(value: object) -> str | None:
    """Map a predicted or reference binary label to '0' or '1', or None when it is invalid.

    Accepted: the strings '0'/'1' (surrounding whitespace stripped), booleans, and the ints 0/1.
    Floats, other numbers, lists and None are invalid: the hidden-mapping prompts ask for a
    label, and accepting 0.9 or [1] would reward output that ignored the instructions.
    """
    if isinstance(value, bool):  # before int: bool is a subclass of int
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value) if value in (0, 1) else None
    if isinstance(value, str):
        stripped = value.strip()
        return stripped if stripped in ("0", "1") else None
    return None


def binary_accuracy(preds: Sequence[object], labels: Sequence[object]) -> float:
    """Fraction of positions where the normalised prediction equals the normalised label.

    An invalid prediction counts as wrong. Lengths must match: a silent zip would hide a runner
    bug that dropped predictions. An empty evaluation scores 0.0 (nothing was shown correct).
    """
    if len(preds) != len(labels):
        raise ValueError(f"{len(preds)} predictions for {len(labels)} labels")
    if not labels:
        return 0.0
    hits = 0
    for pred, label in zip(preds, labels, strict=True):
        norm_label = normalise_binary_label(label)
        if norm_label is None:
            raise ValueError(f"reference label {label!r} is not binary")
        if normalise_binary_label(pred) == norm_label:
            hits += 1
    return hits / len(labels)


def validate_grid(value: object) -> Grid | None:
    """Return a fresh copy of `value` if it is a valid ARC grid, else None.

    Valid means: a list of 1..30 rows, each a list of the same length 1..30, each cell an int
    0..9 (bools rejected: `True` is an int in Python but never a colour). Tuples are rejected
    too: the protocol delivers JSON lists, so anything else means something unexpected.
    """
    if type(value) is not list or not 1 <= len(value) <= MAX_GRID_SIDE:
        return None
    width: int | None = None
    out: Grid = []
    for row in value:
        if type(row) is not list or not 1 <= len(row) <= MAX_GRID_SIDE:
            return None
        if width is None:
            width = len(row)
        elif len(row) != width:
            return None
        for cell in row:
            if type(cell) is not int or not 0 <= cell <= 9:
                return None
        out.append(list(row))
    return out


def grid_shape(grid: Grid) -> tuple[int, int]:
    """(rows, columns) of a rectangular grid."""
    return len(grid), len(grid[0]) if grid else 0


def grid_correct(pred: object, expected: Grid) -> bool:
    """Exact match, shape included; an invalid prediction is never correct."""
    valid = validate_grid(pred)
    return valid is not None and valid == expected


def pixel_counts(pred: object, expected: Grid) -> tuple[int, int]:
    """(matching cells, expected cells); 0 matching when the prediction is invalid or misshapen."""
    total = sum(len(row) for row in expected)
    valid = validate_grid(pred)
    if valid is None or grid_shape(valid) != grid_shape(expected):
        return 0, total
    matching = sum(
        1
        for prow, erow in zip(valid, expected, strict=True)
        for p, e in zip(prow, erow, strict=True)
        if p == e
    )
    return matching, total


def pixel_accuracy(pred: object, expected: Grid) -> float:
    """Matching cells / expected cells, 0.0 when shapes differ (no partial credit for size)."""
    matching, total = pixel_counts(pred, expected)
    return matching / total if total else 0.0
