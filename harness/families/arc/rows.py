"""The ARC family's attempt rows: ``AttemptRow`` plus the puzzle and its per-grid results
(``harness.run.rows`` holds what every family shares). Train and test lists are in pair order;
test outputs never reach the model or the sandbox, only these host-side scores."""

from __future__ import annotations

from typing import Any, TypedDict

from harness.run.rows import AttemptRow


class ArcFields(TypedDict, total=False):
    arc_task: str
    dataset: str
    subset: str
    n_train: int
    n_test: int
    prompt_version: str
    transduction_filter: bool
    executed: bool  # False: hard-coded program, recorded but not run
    fatal: str | None  # the whole program failed (syntax, restricted, crash...)
    train_verdicts: list[str]  # "correct", "wrong" or an error kind, per pair
    train_predictions: list[Any]
    train_details: list[str | None]
    train_correct: list[bool | None]
    train_pixel: list[float | None]
    train_solved: int
    train_acc: float  # selection score
    train_pixel_mean: float
    all_train_correct: bool
    test_verdicts: list[str]
    test_predictions: list[Any]
    test_details: list[str | None]
    test_correct: list[bool | None]  # None: the data ships no output for that pair
    test_pixel: list[float | None]
    test_acc: float
    test_pixel_mean: float
    program_sha256: str  # reruns: the program, and the task it was written for
    source_task: str


class ArcAttemptRow(AttemptRow, ArcFields, total=False):
    pass
