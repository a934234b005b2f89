"""ARC in the one run engine: a subset of puzzles, every attempt voted, the official score.

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

Repeated runs are the runner's trials: each run asks the model afresh for every attempt (the
mock's reply counter moves on), shares nothing else, and is scored on its own. Attempts of a
task run concurrently (all of them vote, so there is no early stop).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console

from harness.errors import UserError
from harness.families.arc.data import DEFAULT_DATASET, ArcTask
from harness.families.arc.metrics import aggregate, run_metrics
from harness.families.arc.prompt import DEFAULT_VERSION
from harness.families.arc.subsets import DEFAULT_SUBSET
from harness.families.arc.summary_view import fmt, print_summary
from harness.families.arc.task import ArcEvalTask, attempt_outcome, task_log, task_result
from harness.run.config import RunConfig
from harness.run.engine import LogFn
from harness.run.runner import RunnerOptions, RunResult, TrialDoneFn
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


# The request settings each task log and summary records (in this order); what each attempt
# sent is its row's ``sampling``.
SAMPLING_FIELDS: tuple[str, ...] = ("reasoning_effort", "reasoning_summary", "verbosity",
                                    "max_output_tokens", "temperature", "sampling_mode",
                                    "qwen_no_think", "tool_choice",
                                    "enable_code_interpreter")  # fmt: skip


@dataclass(frozen=True)
class ArcOptions:
    """ARC settings that are not in the shared RunConfig (recorded in the manifest)."""

    dataset: str = DEFAULT_DATASET
    subset: str = DEFAULT_SUBSET
    data_dir: str | None = None
    limit: int | None = None
    max_turns: int = 1
    repeat_runs: int = 1
    prompt_version: str = DEFAULT_VERSION
    transduction_filter: bool = True


@dataclass
class ArcRunResult:
    run_dir: Any
    result: RunResult
    runs: list[dict[str, Any]]
    aggregate: dict[str, Any] | None
    summary: dict[str, Any]


def task_log_name(task_id: str, run: int, repeat_runs: int) -> str:
    """``tasks/`` file of one task: distinct for distinct ids (``a<b`` vs ``a>b``), plain ASCII
    (a non-ASCII id gets a hash suffix, never an error)."""
    safe = safe_file_name(task_id)
    return f"{safe}.json" if repeat_runs <= 1 else f"{safe}_run{int(run)}.json"


def seed_api_mode(config: RunConfig, mode_chosen: bool) -> RunConfig:
    """The API an ARC run calls: the ARC seed speaks Chat Completions to every custom base URL
    (vLLM, OpenRouter, gateways), so a base URL means ``chat_completions`` unless the API mode
    was chosen (``--api-mode`` or ``API_MODE``); OpenAI's own endpoint keeps the default."""
    if mode_chosen or not config.base_url or config.api_mode == "chat_completions":
        return config
    return dataclasses.replace(config, api_mode="chat_completions")


def make_tasks(arc_tasks: Sequence[ArcTask], opts: ArcOptions) -> list[ArcEvalTask]:
    return [ArcEvalTask(task=t, prompt_version=opts.prompt_version,
                        transduction_filter=opts.transduction_filter, max_turns=opts.max_turns,
                        dataset=opts.dataset, subset=opts.subset) for t in arc_tasks]  # fmt: skip


def load_arc_tasks(opts: ArcOptions) -> list[ArcTask]:
    """The subset's puzzles (first ``limit``), after checking the options fit together."""
    from harness.families.arc.prompt import load_prompt_version
    from harness.families.arc.subsets import resolve_subset

    prompt = load_prompt_version(opts.prompt_version)
    if opts.max_turns > 1 and prompt.feedback is None:
        raise UserError(f"prompt version '{opts.prompt_version}' has no feedback template: "
                        "it cannot be used with --max-turns > 1")  # fmt: skip
    tasks = resolve_subset(opts.dataset, opts.subset, opts.data_dir)
    if opts.limit is not None:
        tasks = tasks[: opts.limit]
    if not tasks:
        raise UserError(f"subset '{opts.subset}' has no tasks")
    return tasks


@dataclass
class ArcFamily:
    """``eval arc``: programs ``transform(grid)``, voted over attempts, official pass@2 score."""

    opts: ArcOptions
    name: str = "arc"
    results: dict[int, dict[str, dict[str, Any]]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def load_tasks(self, config: RunConfig, log: LogFn | None,
                   verify: bool) -> list[ArcEvalTask]:  # fmt: skip
        tasks = make_tasks(load_arc_tasks(self.opts), self.opts)
        if log:
            log("dataset", dataset=self.opts.dataset, subset=self.opts.subset,
                tasks=[t.task_id for t in tasks])  # fmt: skip
        return tasks

    def runner_options(self, config: RunConfig) -> RunnerOptions:
        return RunnerOptions(attempts=config.attempts, num_trials=self.opts.repeat_runs,
                             concurrency=config.concurrency, score_key="train_acc",
                             perfect_score=float("inf"), metrics=("train_acc", "test_acc"),
                             parallel_attempts=True)  # fmt: skip

    def outcome(self, row: dict[str, Any]) -> str:
        return attempt_outcome(row)

    def plan_note(self, config: RunConfig) -> str:
        return f"x{config.attempts} attempts"

    def invocation_fields(self) -> dict[str, Any]:
        return {"arc": dataclasses.asdict(self.opts)}

    def manifest_fields(self, tasks: Sequence[ArcEvalTask],
                        result: RunResult | None) -> dict[str, Any]:  # fmt: skip
        out: dict[str, Any] = {
            "arc": dataclasses.asdict(self.opts), "task_ids": [t.task_id for t in tasks],
            "files": {"summary": SUMMARY_NAME, "tasks_dir": TASKS_DIR,
                      "aggregate": AGGREGATE_NAME if self.opts.repeat_runs > 1 else None},
        }  # fmt: skip
        if result is not None:
            out["row_counts"] = {"attempt": len(result.attempt_rows),
                                 "harness_errors": result.harness_errors}  # fmt: skip
        return out

    def start(self, store: RunStore, config: RunConfig, tasks: Sequence[ArcEvalTask],
              console: Console) -> TrialDoneFn:  # fmt: skip
        """The tasks folder, and the per-task log written as each task's run ends."""
        make_folder(store.dir / TASKS_DIR, root=store.dir)
        self.results = {k: {} for k in range(1, self.opts.repeat_runs + 1)}
        sampling = {k: getattr(config, k) for k in SAMPLING_FIELDS}
        self.meta = {"run_id": config.run_id, "dataset": self.opts.dataset,
                     "subset": self.opts.subset, "model": config.model,
                     "api_mode": config.api_mode, "sampling": sampling}  # fmt: skip
        show_tasks = self.opts.repeat_runs == 1 and len(tasks) <= 50

        def on_trial_done(task: Any, trial: int, rows: list[dict[str, Any]]) -> None:
            res = task_result(task, rows)
            name = task_log_name(task.task_id, trial, self.opts.repeat_runs)
            res["log"] = f"{TASKS_DIR}/{name}"
            self.results[trial][task.task_id] = res
            store.write_json(store.dir / TASKS_DIR / name,
                             task_log(task, trial, rows, res, self.meta))  # fmt: skip
            store.log("task_done", task_id=task.task_id, run=trial, score=res["score"],
                      oracle=res["oracle"], train_perfect=res["train_perfect"])  # fmt: skip
            if show_tasks:
                console.print(f"  {console_text(task.task_id)}: score {fmt(res['score'])}, "
                              f"oracle {res['oracle']}, train-perfect {res['train_perfect']}, "
                              f"candidates {res['candidates']}/{res['attempts']}",
                              highlight=False)  # fmt: skip

        return on_trial_done

    def finish(self, store: RunStore, config: RunConfig, tasks: Sequence[ArcEvalTask],
               result: RunResult) -> ArcRunResult:  # fmt: skip
        """summary.json (every run), aggregate.json (repeats), the CSV of attempt rows."""
        opts = self.opts
        task_ids = [t.task_id for t in tasks]
        cells = {t.task_id: t.task.test_cells for t in tasks}
        runs = []
        for k in range(1, opts.repeat_runs + 1):
            rows = [r for r in result.attempt_rows if int(r["trial"]) == k]
            ordered = {t: self.results[k][t] for t in task_ids if t in self.results[k]}
            runs.append({"run": k, "metrics": run_metrics(ordered, task_ids, rows, cells),
                         "tasks": ordered})  # fmt: skip
        agg = aggregate(runs) if opts.repeat_runs > 1 else None
        summary = {
            "schema": "harness.arc.summary/1", **self.meta, "status": "complete",
            "arc": dataclasses.asdict(opts), "attempts": config.attempts,
            "task_ids": task_ids, "n_runs": opts.repeat_runs,
            "metrics": runs[0]["metrics"], "tasks": runs[0]["tasks"], "runs": runs,
            "aggregate": agg, "elapsed_s": round(result.elapsed_s, 2),
            "harness_errors": result.harness_errors,
        }  # fmt: skip
        store.write_json(store.dir / SUMMARY_NAME, summary)
        if agg is not None:
            store.write_json(store.dir / AGGREGATE_NAME, {
                "schema": "harness.arc.aggregate/1", **self.meta, "n_runs": opts.repeat_runs,
                "metrics": agg})  # fmt: skip
        store.write_csv(result.attempt_rows, CSV_COLUMNS)
        return ArcRunResult(store.dir, result, runs, agg, summary)

    def summarize(self, console: Console, config: RunConfig, outcome: ArcRunResult) -> None:
        print_summary(console, outcome.summary)
