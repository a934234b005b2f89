"""One selection rule (harness/run/selection.py) for the runner, the report and rerun."""

from __future__ import annotations

from harness.run.runner import RunnerOptions
from harness.run.selection import best_rows, mean_std, pick_best, summary_rows


def _row(task: str, trial: int, attempt: int, val: float, test: float, **kw) -> dict:
    return {"task_id": task, "trial": trial, "attempt": attempt, "val_acc": val,
            "test_acc": test, "row_type": "attempt", **kw}


def test_best_is_the_highest_validation_score_ties_to_the_earlier_attempt():
    rows = [_row("a", 1, 1, 0.5, 0.9), _row("a", 1, 2, 0.8, 0.1), _row("a", 1, 3, 0.8, 1.0)]
    (best,) = best_rows(rows)
    assert (best["best_attempt"], best["test_acc"], best["attempts_used"]) == (2, 0.1, 3)


def test_stopped_early_is_a_best_validation_of_one_even_on_the_last_attempt():
    # The seed's rule: the trial reached 1.0 (there it stops), whether or not attempts were left.
    rows = [_row("a", 1, 1, 0.5, 0.5), _row("a", 1, 2, 1.0, 0.9),  # stopped after 2 of 4
            _row("b", 1, 1, 0.2, 0.5), _row("b", 1, 2, 0.3, 0.5), _row("b", 1, 3, 1.0, 1.0),
            _row("c", 1, 1, 0.7, 0.7)]  # fmt: skip
    flags = {b["task_id"]: b["stopped_early"] for b in best_rows(rows)}
    assert flags == {"a": True, "b": True, "c": False}
    summary = summary_rows(best_rows(rows), rows, ["a", "b", "c"])
    assert [s["stopped_early"] for s in summary] == [1, 1, 0]


def test_summary_is_mean_and_population_std_over_trials_in_the_given_order():
    rows = [_row("b", 1, 1, 1.0, 0.5), _row("b", 2, 1, 0.0, 0.25), _row("a", 1, 1, 0.5, 0.5,
            prompt_tokens=10, estimated_cost=0.5, outcome="ok")]  # fmt: skip
    summary = summary_rows(best_rows(rows, ["b", "a"]), rows, ["b", "a"])
    assert [s["task_id"] for s in summary] == ["b", "a"]
    assert (summary[0]["val_acc_mean"], summary[0]["val_acc_std"]) == (0.5, 0.5)
    assert (summary[0]["n_trials"], summary[1]["prompt_tokens"]) == (2, 10)
    assert summary[1]["estimated_cost"] == 0.5 and summary[1]["outcomes"] == {"ok": 1}
    assert mean_std([]) == (None, None)


def test_best_is_by_validation_ties_to_earlier():
    rows = [{"attempt": 2, "val_acc": 0.9, "test_acc": 0.1},
            {"attempt": 1, "val_acc": 0.9, "test_acc": 0.5},
            {"attempt": 3, "val_acc": 0.8, "test_acc": 1.0}]
    assert pick_best(rows)["attempt"] == 1
    assert pick_best([]) is None
    assert mean_std([1.0, 0.0]) == (0.5, 0.5)
    assert RunnerOptions().score_key == "val_acc"
