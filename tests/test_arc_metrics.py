"""ARC run metrics on hand-made data: pixel accuracy of the official answer, pass@k by attempts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.families.arc.metrics import run_metrics
from harness.judge.voting import AttemptOutcome, answer_pixels, vote_task
from harness.report.passk import pass_at_k_table, solved_all_tests, unbiased_pass_at_k
from harness.report.rundir import RunData

EXPECTED = [[[1, 2], [3, 4]], [[5, 5, 5]]]  # two test outputs: 4 + 3 cells


def att(i: int, preds: list, train: list[bool]) -> AttemptOutcome:
    return AttemptOutcome(attempt_index=i, has_program=True, transductive=False,
                          train_correct=train, train_pixel=0.0, test_predictions=preds)  # fmt: skip


def test_pixels_count_the_better_guess_per_test_output() -> None:
    # weighted vote: attempt 1 (all train right) first, attempt 2 second
    near = [[[1, 2], [3, 0]], [[5, 5, 0]]]  # 3 of 4, 2 of 3
    misshapen = [[[1, 2]], [[5, 0, 0]]]  # wrong shape: 0 of 4; 1 of 3
    votes = vote_task([att(1, near, [True, True]), att(2, misshapen, [False, False])], EXPECTED)
    assert votes.weighted_guesses == [near, misshapen]
    assert votes.weighted_score == 0.0  # no output solved, yet 5 of 7 cells right
    assert (votes.correct_pixels, votes.total_pixels) == (3 + 2, 7)
    assert answer_pixels([misshapen, near], EXPECTED) == (5, 7)  # guess order does not matter
    assert answer_pixels([], EXPECTED) == (0, 7)  # no candidate: the cells stay in the total
    assert vote_task([att(1, near, [True])], None).total_pixels is None


def test_run_pixel_accuracy_pools_cells_and_counts_missing_tasks() -> None:
    results: dict[str, dict[str, Any]] = {
        "a": {"score": 0.0, "correct_pixels": 5, "total_pixels": 7},
        "b": {"score": 1.0, "correct_pixels": 9, "total_pixels": 9},
    }
    m = run_metrics(results, ["a", "b", "c"], [], test_cells={"a": 7, "b": 9, "c": 4})
    assert (m["correct_pixels"], m["total_pixels"]) == (14, 20)
    assert m["pixel_accuracy"] == 0.7  # pooled 14/20, not the mean of 5/7, 9/9 and 0/4
    assert run_metrics({}, ["c"], [])["pixel_accuracy"] is None  # nothing known to score


def row(task: str, attempt: int, correct: list[bool | None], trial: int = 1) -> dict[str, Any]:
    return {"task_id": task, "trial": trial, "attempt": attempt, "test_correct": correct}


def run_data(rows: list[dict[str, Any]], tasks: list[str], attempts: int) -> RunData:
    manifest = {"run_id": "r", "task_family": "arc", "task_ids": tasks,
                "config": {"attempts": attempts}}  # fmt: skip
    return RunData(Path("r"), manifest, "arc", rows, [], [])


def test_pass_at_k_counts_the_first_k_attempt_numbers() -> None:
    rows = [
        row("t2", 3, [True, True]),  # listed first, but attempt 3: solves from k = 3
        row("t1", 2, [False]),
        row("t1", 1, [True]),  # attempt 1 solves t1
        row("t2", 1, [False, False]),
        row("t2", 2, [True, False]),  # one test output of two: not solved
        row("t3", 1, [False]),
        row("t3", 2, [False]),
        row("t5", 1, [None]),  # no shipped output: t5 is left out
    ]  # t4 has no rows: it counts, unsolved
    table = pass_at_k_table([run_data(rows, ["t1", "t2", "t3", "t4", "t5"], 3)])
    assert [(r["k"], r["tasks"], r["solved"], r["pass_at_k"]) for r in table] == [
        (1, 4, 1, 0.25), (2, 4, 1, 0.25), (3, 4, 2, 0.5)]  # fmt: skip
    # order-free: t1 (1 of 2 attempts) and t2 (1 of 3) at k = 1: (1/2 + 1/3) / 4
    assert table[0]["pass_at_k_unbiased"] == pytest.approx((1 / 2 + 1 / 3) / 4, abs=1e-6)
    assert table[2]["pass_at_k_unbiased"] == 0.5


def test_pass_at_k_per_run_and_their_mean() -> None:
    rows = [row("t1", 2, [True], trial=1), row("t1", 1, [True], trial=2),
            row("t2", 1, [False], trial=1), row("t2", 2, [False], trial=2)]  # fmt: skip
    table = pass_at_k_table([run_data(rows, ["t1", "t2"], 2)])
    got = {(r["run"], r["k"]): r["pass_at_k"] for r in table}
    assert got == {(1, 1): 0.0, (1, 2): 0.5, (2, 1): 0.5, (2, 2): 0.5,
                   ("mean", 1): 0.25, ("mean", 2): 0.5}  # fmt: skip


def test_unbiased_estimator_and_solved_rows() -> None:
    assert unbiased_pass_at_k(5, 2, 2) == pytest.approx(1 - 3 / 10)
    assert unbiased_pass_at_k(2, 0, 3) == 0.0 and unbiased_pass_at_k(2, 1, 3) == 1.0
    assert unbiased_pass_at_k(0, 0, 1) == 0.0
    assert solved_all_tests({"test_correct": []}) is False
    assert solved_all_tests({"test_correct": [True, None]}) is None
