"""ARC pass@k by number of attempts, from a run's attempt rows (`harness analyze`).

pass@k, k = 1..A (A: attempts per task of the run), is the share of the run's tasks for which at
least one of the attempts numbered 1..k predicted every test output exactly (the row's
`test_correct` all true). Attempt numbers are fixed when the attempts are scheduled, before they
run concurrently, so "the first k" never depends on which reply came back first. Every attempt
counts whatever its outcome: one without a program, not run (hard-coded, with the transduction
filter on) or failing on a test input has not solved the task; a hard-coded program that did run
(`--no-transduction-filter`) counts, as it does for the oracle. So pass@A is the run's oracle
rate. The seed tool has no pass@k by attempts (its pass@2 is the vote, its oracle any attempt):
this definition is ours.

Tasks are the run's (`task_ids` of the manifest): a task without rows counts as unsolved, as a
missing task scores 0 officially; a task whose test outputs are not shipped (`test_correct`
holds null) is left out. Each run of a `--repeat-runs` directory (a trial) is a curve of its own;
with several curves, `mean` rows average them (each run weighs the same).

`pass_at_k_unbiased` is the estimator of Chen et al. (2021) averaged over tasks, 1 - C(n-c, k) /
C(n, k) with n attempts made and c of them solving: the expected pass@k over every choice of k
of the n attempts, so it does not depend on their numbering and varies less.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from harness.report.rundir import RunData

TABLE = "arc_pass_at_k"


def solved_all_tests(row: Mapping[str, Any]) -> bool | None:
    """True when the attempt predicted every test output exactly; None when an output is not
    shipped (nothing to check against)."""
    correct = row.get("test_correct")
    if not isinstance(correct, list) or not correct:
        return False
    if any(c is None for c in correct):
        return None
    return all(c is True for c in correct)


def unbiased_pass_at_k(n: int, c: int, k: int) -> float:
    """1 - C(n-c, k) / C(n, k) for n attempts, c solving; k above n means all n attempts."""
    if n <= 0:
        return 0.0
    k = min(k, n)
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def _curve(run_id: str, trial: int, task_ids: Sequence[str], max_k: int,
           rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:  # fmt: skip
    """pass@k for k = 1..max_k over one run's attempt rows (all of the same trial)."""
    by_task: dict[str, list[tuple[int, bool | None]]] = {t: [] for t in task_ids}
    for r in rows:
        by_task.setdefault(str(r.get("task_id")), []).append(
            (int(r.get("attempt") or 0), solved_all_tests(r)))  # fmt: skip
    scored = {t: a for t, a in by_task.items() if all(s is not None for _, s in a)}
    first = {t: min((i for i, s in a if s), default=None) for t, a in scored.items()}
    out = []
    for k in range(1, max_k + 1):
        solved = sum(1 for i in first.values() if i is not None and i <= k)
        estimates = [unbiased_pass_at_k(len(a), sum(1 for _, s in a if s), k)
                     for a in scored.values()]  # fmt: skip
        n = len(scored)
        out.append({"run_id": run_id, "run": trial, "k": k, "tasks": n, "solved": solved,
                    "pass_at_k": round(solved / n, 6) if n else None,
                    "pass_at_k_unbiased": round(sum(estimates) / n, 6) if n else None})  # fmt: skip
    return out


def pass_at_k_table(runs: Sequence[RunData]) -> list[dict[str, Any]]:
    """One row per (run, trial, k), then `mean` rows per k when there are several curves."""
    curves: list[list[dict[str, Any]]] = []
    for run in runs:
        task_ids = [str(t) for t in run.manifest.get("task_ids") or []]
        if not task_ids:
            task_ids = list(dict.fromkeys(str(r.get("task_id")) for r in run.attempts))
        seen = max((int(r.get("attempt") or 0) for r in run.attempts), default=0)
        max_k = max(int(run.config.get("attempts") or 0), seen)
        trials: dict[int, list[dict[str, Any]]] = {}
        for r in run.attempts:
            trials.setdefault(int(r.get("trial") or 1), []).append(r)
        for trial in sorted(trials):
            curves.append(_curve(run.run_id, trial, task_ids, max_k, trials[trial]))
    table = [row for curve in curves for row in curve]
    if len(curves) > 1:
        for k in sorted({row["k"] for row in table}):
            at_k = [row for row in table if row["k"] == k and row["pass_at_k"] is not None]
            if at_k:
                table.append({"run_id": "ALL", "run": "mean", "k": k, "runs": len(at_k),
                              "tasks": sum(r["tasks"] for r in at_k),
                              "solved": sum(r["solved"] for r in at_k),
                              **{key: round(sum(r[key] for r in at_k) / len(at_k), 6)
                                 for key in ("pass_at_k", "pass_at_k_unbiased")}})  # fmt: skip
    return table


def headline(table: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The rows to show first: the `mean` curve when there is one, else the only curve."""
    means = [r for r in table if r.get("run") == "mean"]
    return means or list(table)
