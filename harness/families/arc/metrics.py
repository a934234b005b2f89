"""One ARC run's metrics over its tasks, and their aggregate over repeated runs.

A task that is missing or failed counts 0 in every score (the mean is over all task ids of the
subset, as the official scoring does); rates of responses are over the attempts made.

Pixel accuracy, as the seed reported it: correct pixels / total pixels pooled over the run
(not a mean of per-task ratios). Total = the cells of every shipped test output of every task
of the subset; correct = the cells the task's official answer matches (the weighted vote's
better guess per test output, `harness.judge.voting.answer_pixels`). A task without an answer
keeps its cells in the total, as the seed counted failed executions. Where this differs from
the seed: the seed scored one prediction per task, on its first test output only, and gave a
task no attempt solved 0 correct pixels however close it came (so its figure was the solved
share weighted by cells); here every test output counts and a near miss earns its matching
cells, which is what the seed's README says the figure is for.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from harness.families.arc.task import attempt_outcome, pixel_ratio
from harness.judge.voting import aggregate_runs, run_score

# Run metrics averaged over repeats (the rest of `metrics` are counts or context).
AGGREGATED: tuple[str, ...] = (
    "score", "train_majority_score", "oracle_score", "oracle_rate", "all_test_solved_rate",
    "pixel_accuracy", "train_perfect_rate", "train_partial_rate", "api_failure_rate",
    "api_timeout_rate", "max_tokens_rate", "no_code_rate", "transductive_rate",
    "program_error_rate", "cost",
)  # fmt: skip


def run_metrics(results: dict[str, dict[str, Any]], task_ids: Sequence[str],
                rows: Sequence[dict[str, Any]],
                test_cells: Mapping[str, int | None] | None = None) -> dict[str, Any]:  # fmt: skip
    """One run's metrics. Task scores: missing or failed tasks count 0 (over all task ids);
    `test_cells` (cells of each task's test outputs) puts a task without a result into the
    pixel total too."""
    n = len(task_ids)

    def rate(count: int, total: int) -> float:
        return count / total if total else 0.0

    def count(key: str) -> int:
        return sum(1 for t in task_ids if (results.get(t) or {}).get(key))

    responses = len(rows)
    outcomes = [attempt_outcome(r) for r in rows]
    program_errors = sum(1 for r in rows if r.get("code") is not None and (
        r.get("fatal") or any(v not in ("correct", "wrong", "ok", "not_run")
                              for v in (r.get("train_verdicts") or []) + (
                                  r.get("test_verdicts") or []))))  # fmt: skip
    costs = [r.get("estimated_cost") for r in rows if isinstance(r.get("estimated_cost"),
                                                                 int | float)]  # fmt: skip
    metrics: dict[str, Any] = {
        "tasks": n,
        "score": run_score({t: r.get("score") or 0.0 for t, r in results.items()}, task_ids),
        "train_majority_score": run_score(
            {t: r.get("train_majority_score") or 0.0 for t, r in results.items()}, task_ids),
        "oracle_score": run_score({t: r.get("oracle_score") or 0.0 for t, r in results.items()},
                                  task_ids),  # fmt: skip
        "all_test_solved": count("all_test_solved"),
        "train_majority_all_test_solved": count("train_majority_all_test_solved"),
        "oracle": count("oracle"),
        "train_perfect": count("train_perfect"),
        "train_partial": count("train_partial"),
        "responses": responses,
        "api_failures": sum(1 for o in outcomes if o == "api_error"),
        "api_timeouts": sum(1 for o in outcomes if o == "api_timeout"),
        "max_tokens_hits": sum(1 for r in rows if r.get("max_tokens_hit")),
        "no_code": sum(1 for o in outcomes if o in ("no_code", "max_tokens")),
        "transductive": sum(1 for r in rows if r.get("transductive")),
        "program_errors": program_errors,
        "harness_errors": sum(1 for o in outcomes if o == "harness_error"),
        "cost": round(sum(costs), 8) if costs else None,
        **{k: sum(int(r.get(k) or 0) for r in rows)
           for k in ("prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens")},
    }  # fmt: skip
    correct_pixels = total_pixels = 0
    for t in task_ids:
        res = results.get(t) or {}
        correct_pixels += int(res.get("correct_pixels") or 0)
        total_pixels += int(res.get("total_pixels") or (test_cells or {}).get(t) or 0)
    metrics.update(
        total_pixels=total_pixels, correct_pixels=correct_pixels,
        pixel_accuracy=pixel_ratio(correct_pixels, total_pixels),
        oracle_rate=rate(metrics["oracle"], n),
        all_test_solved_rate=rate(metrics["all_test_solved"], n),
        train_perfect_rate=rate(metrics["train_perfect"], n),
        train_partial_rate=rate(metrics["train_partial"], n),
        api_failure_rate=rate(metrics["api_failures"], responses),
        api_timeout_rate=rate(metrics["api_timeouts"], responses),
        max_tokens_rate=rate(metrics["max_tokens_hits"], responses),
        no_code_rate=rate(metrics["no_code"], responses),
        transductive_rate=rate(metrics["transductive"], responses),
        program_error_rate=rate(metrics["program_errors"], responses),
    )
    return metrics


def aggregate(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    per_run = [{k: float(r["metrics"][k]) for k in AGGREGATED
                if isinstance(r["metrics"].get(k), int | float)} for r in runs]  # fmt: skip
    return {name: dataclasses.asdict(s) for name, s in aggregate_runs(per_run).items()}
