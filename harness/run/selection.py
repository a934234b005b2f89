"""Which attempt a trial keeps, and a task's summary over its trials: one rule for the runner,
the report (runs without best rows) and ``rerun``.

Selection follows the seed tools: the best attempt of a trial by validation accuracy, ties to the
earlier attempt, never by test; a trial ``stopped_early`` when its best validation accuracy
reached 1.0 (the seed stops its attempts there). Summaries are mean and population std over
trials of each best row's metrics, plus totals over the task's attempts.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from harness.models.base import USAGE_FIELDS
from harness.run.rows import AttemptRow, BestRow, SummaryRow

SCORE_KEY = "val_acc"
PERFECT = 1.0
METRICS: tuple[str, ...] = ("val_acc", "test_acc")
#: Attempt fields a best row does not carry (large and per attempt).
_NOT_IN_BEST = ("prompt", "text", "reasoning_text")
#: Fields a summary row takes from the task's first attempt row, when present.
_CARRIED = ("run_id", "model", "api_mode", "reasoning_effort", "verbosity", "max_output_tokens",
            "tool_choice", "enable_code_interpreter", "api_base_url", "num_trials",
            "pricing_source", "pricing_model", "input_rate_per_million",
            "output_rate_per_million", "cached_rate_per_million", "fn", "length",
            "prompt_version", "global_seed", "dataset_seed", "dataset_path", "target_name",
            "source_run_id", "val_size", "test_size")  # fmt: skip
_TOKENS = USAGE_FIELDS


def pick_best(rows: Iterable[dict[str, Any]], score_key: str = SCORE_KEY) -> dict[str, Any] | None:
    """Highest selection score; ties go to the earlier attempt."""
    best: dict[str, Any] | None = None
    for row in sorted(rows, key=lambda r: int(r["attempt"])):
        if best is None or _score(row, score_key) > _score(best, score_key):
            best = row
    return best


def _score(row: dict[str, Any], key: str) -> float:
    return float(row.get(key) or 0.0)


def best_row(trial_rows: list[dict[str, Any]], score_key: str = SCORE_KEY,
             perfect: float = PERFECT) -> dict[str, Any] | None:
    """The ``best`` row of one trial's attempts (None for a trial without any)."""
    best = pick_best(trial_rows, score_key)
    if best is None:
        return None
    row = {k: v for k, v in best.items() if k not in _NOT_IN_BEST}
    row.update(row_type="best", is_summary=True, best_attempt=best["attempt"],
               attempts_used=len(trial_rows), stopped_early=_score(best, score_key) >= perfect,
               trial_cost=sum_known(r.get("estimated_cost") for r in trial_rows))  # fmt: skip
    return row


def best_rows(rows: Sequence[AttemptRow], order: Sequence[str] | None = None,
              score_key: str = SCORE_KEY, perfect: float = PERFECT) -> list[BestRow]:
    """One best row per (task, trial), in ``order`` of tasks (else sorted), then by trial."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((str(r["task_id"]), int(r["trial"])), []).append(r)
    rank = {t: i for i, t in enumerate(order)} if order is not None else None
    keys = sorted(groups, key=(lambda k: (rank.get(k[0], len(rank)), k)) if rank is not None
                  else None)  # fmt: skip
    return [b for k in keys if (b := best_row(groups[k], score_key, perfect)) is not None]


def mean_std(values: Sequence[float]) -> tuple[float | None, float | None]:
    """Mean and population std (None, None for no values)."""
    if not values:
        return None, None
    m = sum(values) / len(values)
    return m, math.sqrt(sum((v - m) ** 2 for v in values) / len(values))


def summary_rows(best: Sequence[BestRow], rows: Sequence[AttemptRow], order: Sequence[str],
                 metrics: Sequence[str] = METRICS,
                 task_fields: Callable[[str], dict[str, Any]] | None = None
                 ) -> list[SummaryRow]:  # fmt: skip
    """One row per task of ``order`` that has attempts: each metric's mean/std over the best
    rows of its trials, outcome and error counts, tokens and cost over all its attempts.
    ``task_fields(task_id)`` adds what the caller knows of the task (fn, length...)."""
    out: list[dict[str, Any]] = []
    for task_id in order:
        tb = [b for b in best if b["task_id"] == task_id]
        tr = [r for r in rows if r["task_id"] == task_id]
        if not tr:
            continue
        summary: dict[str, Any] = {k: tr[0][k] for k in _CARRIED if k in tr[0]}
        summary.update(row_type="summary", is_summary=True, task_id=task_id,
                       **(task_fields(task_id) if task_fields else {}), trial=None,
                       attempt=None, n_trials=len(tb), n_attempts=len(tr))  # fmt: skip
        for metric in metrics:
            m, s = mean_std([float(b.get(metric) or 0.0) for b in tb])
            summary[f"{metric}_mean"], summary[f"{metric}_std"], summary[metric] = m, s, m
        errors: Counter[str] = Counter()
        for r in tr:
            errors.update({k: v for k, v in (r.get("errors") or {}).items() if v})
        summary["errors"] = dict(errors)
        summary["outcomes"] = dict(Counter(str(r.get("outcome")) for r in tr))
        summary["compile_errors"] = dict(Counter(str(r["compile_error"]) for r in tr
                                                 if r.get("compile_error")))  # fmt: skip
        summary["api_errors"] = sum(1 for r in tr if r.get("api_error"))
        summary["transductive_attempts"] = sum(1 for r in tr if r.get("transductive"))
        summary["stopped_early"] = sum(1 for b in tb if b.get("stopped_early"))
        for tok in _TOKENS:
            summary[tok] = sum(int(r.get(tok) or 0) for r in tr)
        summary["estimated_cost"] = sum_known(r.get("estimated_cost") for r in tr)
        summary["duration_ms"] = round(sum(float(r.get("duration_ms") or 0) for r in tr), 1)
        out.append(summary)
    return out


def sum_known(values: Iterable[Any], digits: int = 6) -> float | None:
    """The sum of the numbers among ``values`` (costs: None where a price is unknown), rounded;
    None when there is none."""
    vals = [v for v in values if isinstance(v, int | float)]
    return round(sum(vals), digits) if vals else None
