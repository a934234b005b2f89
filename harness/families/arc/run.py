"""`harness eval arc`: one ARC evaluation run (optionally repeated) from loaded tasks to files.

Run directory `<out_dir>/<run_id>/` (the RunStore layout plus ARC files):
- `manifest.json`, `runner.log`, `results_attempts.jsonl` (attempt rows only), `.csv`,
  `trials/<task>_trial<k>.jsonl` (RunStore; trial k is run k);
- `tasks/<task_id>.json`: the per-task log, written as soon as that task's attempts finish
  (with `--repeat-runs N > 1`: `tasks/<task_id>_run<k>.json`); `<task_id>` is made a safe,
  collision-free file name (`safe_file_name`: ids from data files may hold any character);
- `summary.json`: run metrics and, per task id, score / oracle / train_perfect / both votes'
  guesses (`runs[k-1]` for every run; `tasks` and `metrics` repeat run 1 for convenience);
- `aggregate.json` (only with `--repeat-runs N > 1`): per metric n, mean, sample std, a 95%
  interval from the standard error, and the per-run values.

Task ids and model names are printed through `console_text` (a data file's id may hold
terminal escapes or rich markup).

Repeated runs are the runner's trials: each run asks the model afresh for every attempt (the
mock's reply counter moves on), shares nothing else, and is scored on its own.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from harness.families.arc.data import ArcTask
from harness.families.arc.task import ArcEvalTask, attempt_outcome, task_log, task_result
from harness.judge.voting import aggregate_runs, run_score
from harness.run.config import RunConfig
from harness.run.console import progress_bar
from harness.run.lock import RunLock
from harness.run.manifest import base_manifest
from harness.run.runner import (
    ModelSession,
    RunnerOptions,
    RunResult,
)
from harness.run.store import RunStore
from harness.safe_io import make_folder
from harness.untrusted_text import console_text, safe_file_name

TASKS_DIR = "tasks"
SUMMARY_NAME = "summary.json"
AGGREGATE_NAME = "aggregate.json"
CSV_COLUMNS: tuple[str, ...] = (
    "run_id", "task_id", "trial", "attempt", "model", "api_mode", "reasoning_effort",
    "verbosity", "prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens",
    "estimated_cost", "duration_ms", "eval_ms", "api_calls", "api_error", "finish_reason",
    "max_tokens_hit", "code_lines", "outcome", "compile_error", "transductive",
    "transductive_reason", "train_solved", "train_acc", "train_pixel_mean", "all_train_correct",
    "test_acc", "test_pixel_mean", "turns_used", "n_train", "n_test", "code",
)  # fmt: skip
# Run metrics averaged over repeats (the rest of `metrics` are counts or context).
AGGREGATED: tuple[str, ...] = (
    "score", "train_majority_score", "oracle_score", "oracle_rate", "all_test_solved_rate",
    "train_perfect_rate", "train_partial_rate", "api_failure_rate", "api_timeout_rate",
    "max_tokens_rate", "no_code_rate", "transductive_rate", "program_error_rate", "cost",
)  # fmt: skip


@dataclass(frozen=True)
class ArcOptions:
    """ARC settings that are not in the shared RunConfig (recorded in the manifest)."""

    dataset: str = "arc-agi-1"
    subset: str = "shortest_training_10"
    data_dir: str | None = None
    limit: int | None = None
    max_turns: int = 1
    repeat_runs: int = 1
    prompt_version: str = "arc_v1"
    transduction_filter: bool = True


@dataclass
class ArcRunResult:
    run_dir: Path
    result: RunResult
    runs: list[dict[str, Any]]
    aggregate: dict[str, Any] | None
    summary: dict[str, Any]


def task_log_name(task_id: str, run: int, repeat_runs: int) -> str:
    """``tasks/`` file of one task: distinct for distinct ids (``a<b`` vs ``a>b``), plain ASCII
    (a non-ASCII id gets a hash suffix, never an error)."""
    safe = safe_file_name(task_id)
    return f"{safe}.json" if repeat_runs <= 1 else f"{safe}_run{int(run)}.json"


def make_tasks(arc_tasks: Sequence[ArcTask], opts: ArcOptions) -> list[ArcEvalTask]:
    return [ArcEvalTask(task=t, prompt_version=opts.prompt_version,
                        transduction_filter=opts.transduction_filter, max_turns=opts.max_turns,
                        dataset=opts.dataset, subset=opts.subset) for t in arc_tasks]  # fmt: skip


# ---------------------------------------------------------------------- metrics
def run_metrics(results: dict[str, dict[str, Any]], task_ids: Sequence[str],
                rows: Sequence[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    """One run's metrics. Task scores: missing or failed tasks count 0 (over all task ids)."""
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
    metrics.update(
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


# ---------------------------------------------------------------------- the run
def _manifest(config: RunConfig, opts: ArcOptions, argv: list[str], tasks: list[ArcEvalTask],
              pool_info: Any, status: str, started: float,
              result: RunResult | None) -> dict[str, Any]:  # fmt: skip
    manifest = base_manifest(config, "arc", status, argv, pool_info, started)
    manifest.update({
        "arc": dataclasses.asdict(opts), "task_ids": [t.task_id for t in tasks],
        "files": {"summary": SUMMARY_NAME, "tasks_dir": TASKS_DIR,
                  "aggregate": AGGREGATE_NAME if opts.repeat_runs > 1 else None},
    })  # fmt: skip
    if result is not None:
        manifest["row_counts"] = {"attempt": len(result.attempt_rows),
                                  "harness_errors": result.harness_errors}  # fmt: skip
        manifest["elapsed_s"] = round(result.elapsed_s, 2)
    return manifest


def run_arc(config: RunConfig, opts: ArcOptions, arc_tasks: Sequence[ArcTask], *,
            argv: list[str] | None = None, console: Console | None = None) -> ArcRunResult:
    """Model, sandbox, loop, per-task logs as tasks finish, summary.json, console summary.
    The run directory's lock is held throughout (one writer per run directory)."""
    console = console or Console()
    store = RunStore.create(config.out_dir, config.run_id)
    with RunLock(store.dir, notice=console.out):  # console.out: no markup applied
        return _run_arc_locked(config, opts, arc_tasks, store, argv, console)


def _run_arc_locked(config: RunConfig, opts: ArcOptions, arc_tasks: Sequence[ArcTask],
                    store: RunStore, argv: list[str] | None, console: Console) -> ArcRunResult:
    from harness.run.resume_trust import redact_argv
    from harness.sandbox.backend import make_backend

    started = time.time()
    make_folder(store.dir / TASKS_DIR, root=store.dir)
    argv = redact_argv(argv or [])
    store.log("invocation", argv=argv, config=config.to_dict(), arc=dataclasses.asdict(opts))
    tasks = make_tasks(arc_tasks, opts)
    store.log("dataset", dataset=opts.dataset, subset=opts.subset, tasks=[t.task_id for t in tasks])
    results: dict[int, dict[str, dict[str, Any]]] = {k: {} for k in range(1, opts.repeat_runs + 1)}
    meta = {"run_id": config.run_id, "dataset": opts.dataset, "subset": opts.subset,
            "model": config.model, "api_mode": config.api_mode,
            "sampling": {"reasoning_effort": config.reasoning_effort,
                         "verbosity": config.verbosity,
                         "max_output_tokens": config.max_output_tokens,
                         "tool_choice": config.tool_choice,
                         "enable_code_interpreter": config.enable_code_interpreter}}  # fmt: skip
    show_tasks = opts.repeat_runs == 1 and len(tasks) <= 50

    def on_trial_done(task: Any, trial: int, rows: list[dict[str, Any]]) -> None:
        res = task_result(task, rows)
        name = task_log_name(task.task_id, trial, opts.repeat_runs)
        res["log"] = f"{TASKS_DIR}/{name}"
        results[trial][task.task_id] = res
        store.write_json(store.dir / TASKS_DIR / name, task_log(task, trial, rows, res, meta))
        store.log("task_done", task_id=task.task_id, run=trial, score=res["score"],
                  oracle=res["oracle"], train_perfect=res["train_perfect"])  # fmt: skip
        if show_tasks:
            console.print(f"  {console_text(task.task_id)}: score {_fmt(res['score'])}, "
                          f"oracle {res['oracle']}, train-perfect {res['train_perfect']}, "
                          f"candidates {res['candidates']}/{res['attempts']}",
                          highlight=False)  # fmt: skip

    with ModelSession(config) as session:
        if session.key_note:
            console.print(session.key_note, highlight=False, markup=False)
        with make_backend(config.backend, workers=config.workers, limits=config.limits(),
                          **config.sandbox_options(),
                          warn=lambda m: console.print(f"[yellow]WARNING: {m}")) as pool:
            pool_info = pool.describe()
            store.write_manifest(_manifest(config, opts, argv, tasks, pool_info, "running",
                                           started, None))  # fmt: skip
            row_base = {"run_id": config.run_id, "model": config.model,
                        "api_mode": config.api_mode, "reasoning_effort": config.reasoning_effort,
                        "verbosity": config.verbosity, "policy": config.policy}  # fmt: skip
            options = RunnerOptions(attempts=config.attempts, num_trials=opts.repeat_runs,
                                    concurrency=config.concurrency, score_key="train_acc",
                                    perfect_score=float("inf"),
                                    metrics=("train_acc", "test_acc"),
                                    parallel_attempts=True)  # fmt: skip
            with progress_bar("eval arc", config.progress and sys.stderr.isatty()) as progress:
                result = session.run_tasks(tasks, pool=pool, store=store,
                                           limits=config.limits(), options=options,
                                           row_base=row_base, outcome=attempt_outcome,
                                           progress=progress,
                                           on_trial_done=on_trial_done)  # fmt: skip
    task_ids = [t.task_id for t in tasks]
    runs = []
    for k in range(1, opts.repeat_runs + 1):
        rows = [r for r in result.attempt_rows if int(r["trial"]) == k]
        ordered = {t: results[k][t] for t in task_ids if t in results[k]}
        runs.append({"run": k, "metrics": run_metrics(ordered, task_ids, rows),
                     "tasks": ordered})  # fmt: skip
    agg = aggregate(runs) if opts.repeat_runs > 1 else None
    summary = {
        "schema": "harness.arc.summary/1", **meta, "status": "complete",
        "arc": dataclasses.asdict(opts), "attempts": config.attempts,
        "task_ids": task_ids, "n_runs": opts.repeat_runs,
        "metrics": runs[0]["metrics"], "tasks": runs[0]["tasks"], "runs": runs,
        "aggregate": agg, "elapsed_s": round(result.elapsed_s, 2),
        "harness_errors": result.harness_errors,
    }  # fmt: skip
    store.write_json(store.dir / SUMMARY_NAME, summary)
    if agg is not None:
        store.write_json(store.dir / AGGREGATE_NAME, {"schema": "harness.arc.aggregate/1",
                                                      **meta, "n_runs": opts.repeat_runs,
                                                      "metrics": agg})  # fmt: skip
    store.write_csv(result.attempt_rows, CSV_COLUMNS)
    store.write_manifest(_manifest(config, opts, argv, tasks, pool_info, "complete", started,
                                   result))  # fmt: skip
    store.log("run_done", attempts=len(result.attempt_rows), elapsed_s=round(result.elapsed_s, 2))
    print_summary(console, summary)
    if result.harness_errors:
        console.print(f"[red]{result.harness_errors} harness error(s) (see runner.log)")
    from harness.report.html import write_report_quietly

    write_report_quietly(store.dir, console)
    console.print(f"run directory: {console_text(store.dir)}", highlight=False)
    return ArcRunResult(store.dir, result, runs, agg, summary)


# ---------------------------------------------------------------------- console
def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def print_summary(console: Console, summary: dict[str, Any]) -> None:
    wide = Console(width=max(console.width, 150), file=console.file)
    title = console_text(f"eval arc: {summary['model']} on {summary['dataset']} "
                         f"{summary['subset']} ({summary['run_id']})")  # fmt: skip
    if summary["n_runs"] == 1:
        table = Table(title=title)
        for col in ("task", "score", "train-maj", "oracle", "train perfect", "candidates",
                    "transductive", "outcomes", "cost $"):
            table.add_column(col, justify="left" if col in ("task", "outcomes") else "right",
                             no_wrap=col != "outcomes")
        for tid, t in summary["tasks"].items():
            outcomes = " ".join(f"{k}={v}" for k, v in sorted(t["outcomes"].items()))
            table.add_row(console_text(tid), _fmt(t["score"]), _fmt(t["train_majority_score"]),
                          _fmt(t["oracle"]), _fmt(t["train_perfect"]),
                          f"{t['candidates']}/{t['attempts']}", str(t["transductive"]), outcomes,
                          _fmt(t["estimated_cost"], 4))  # fmt: skip
        wide.print(table)
    else:
        table = Table(title=title)
        for col in ("run", "score", "train-maj", "oracle", "all solved", "train perfect",
                    "cost $"):
            table.add_column(col, justify="right")
        for run in summary["runs"]:
            m = run["metrics"]
            table.add_row(str(run["run"]), _fmt(m["score"]), _fmt(m["train_majority_score"]),
                          f"{m['oracle']}/{m['tasks']}", f"{m['all_test_solved']}/{m['tasks']}",
                          f"{m['train_perfect']}/{m['tasks']}", _fmt(m["cost"], 4))
        wide.print(table)
        agg = Table(title="aggregate over runs (mean, sample std, 95% CI)")
        for col in ("metric", "mean", "std", "95% CI"):
            agg.add_column(col, justify="left" if col == "metric" else "right")
        for name in ("score", "train_majority_score", "oracle_rate", "train_perfect_rate"):
            s = (summary["aggregate"] or {}).get(name)
            if s:
                agg.add_row(name, f"{s['mean']:.3f}", f"{s['std']:.3f}",
                            f"[{s['ci_low']:.3f}, {s['ci_high']:.3f}]")
        wide.print(agg)
    m = summary["metrics"]
    n, r = m["tasks"], m["responses"]
    cost = "unpriced" if m["cost"] is None else f"${m['cost']:.4f}"
    console.print(
        f"run 1: official score (weighted pass@2) {m['score']:.3f}, train-majority "
        f"{m['train_majority_score']:.3f}, oracle {m['oracle']}/{n}, all test outputs solved "
        f"{m['all_test_solved']}/{n}, train perfect {m['train_perfect']}/{n}, at least one "
        f"train pair {m['train_partial']}/{n}", highlight=False)  # fmt: skip
    console.print(
        f"responses {r}: api failures {m['api_failures']}, api timeouts {m['api_timeouts']}, "
        f"max-tokens {m['max_tokens_hits']}, no code {m['no_code']}, transductive "
        f"{m['transductive']}, program errors {m['program_errors']}; cost {cost}; tokens in "
        f"{m['prompt_tokens']} out {m['completion_tokens']}", highlight=False)  # fmt: skip
