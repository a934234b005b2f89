"""The hidden-mapping family in the one run engine: its grid of tasks, its selection rule (best
validation accuracy, early stop at 1.0), its manifest keys, its files and its summary table.

At the end the best attempt of every trial and one summary row per grid point are appended to
``results_attempts.jsonl`` (``is_summary: true``) and every row goes to the CSV, whose columns
are fixed here (``CSV_COLUMNS``) so that files of different runs line up.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from harness.families.erm.task import ERROR_KINDS, ErmTask, attempt_outcome, grid_points, load_task
from harness.run.config import RunConfig
from harness.run.engine import LogFn
from harness.run.runner import RunnerOptions, RunResult, TrialDoneFn
from harness.run.store import RunStore
from harness.untrusted_text import console_text

CSV_COLUMNS: tuple[str, ...] = (
    "run_id", "row_type", "is_summary", "fn", "length", "trial", "attempt", "model", "api_mode",
    "reasoning_effort", "verbosity", "prompt_tokens", "completion_tokens", "reasoning_tokens",
    "cached_tokens", "estimated_cost", "duration_ms", "eval_ms", "api_calls", "api_error",
    "finish_reason", "max_tokens_hit", "code", "code_lines", "val_acc", "test_acc",
    "val_acc_std", "test_acc_std", "stopped_early", "best_attempt", "attempts_used",
    "compile_error", "outcome", "transductive",
    *(f"errors_{k}" for k in ERROR_KINDS),
    "dataset_seed", "dataset_path", "train_size", "val_size", "test_size",
    # added for the seed tools' columns (issue 13), at the end so older columns keep their place
    "prompt_version", "global_seed", "num_trials", "max_output_tokens", "tool_choice",
    "enable_code_interpreter", "api_base_url", "pricing_source", "pricing_model",
    "input_rate_per_million", "output_rate_per_million", "cached_rate_per_million", "tool_uses",
    "tool_results_chars", "prompt", "text",
)  # fmt: skip


@dataclass
class ErmFamily:
    """``eval erm``: programs for fn_a..fn_q, scored on validation and test inputs."""

    name: str = "erm"

    def load_tasks(self, config: RunConfig, log: LogFn | None, verify: bool) -> list[ErmTask]:
        """The grid's tasks; with ``verify`` (a resume) each dataset is first checked against
        its seed, so a cache edited since the run started (hashes included) stops the resume."""
        from harness.families.erm.verify import verify_task_dataset

        def notice(message: str) -> None:
            click.echo(f"notice: {message}", err=True)
            if log:
                log("notice", message=message)

        tasks = []
        for fn, length in grid_points(config.functions, config.lengths, notice):
            t0 = time.perf_counter()
            task = load_task(fn, length, train_size=config.train_size, val_size=config.val_size,
                             test_size=config.test_size, seed=config.seed,
                             dataset_dir=config.dataset_dir, tabular_dir=config.tabular_dir,
                             prompt_version=config.prompt_version)  # fmt: skip
            if verify:
                verify_task_dataset(task.meta, task.path, config.tabular_dir)
            if log:
                log("dataset", task_id=task.task_id, source=task.dataset_source,
                    path=str(task.path), derived_seed=task.meta.get("derived_seed"),
                    seconds=round(time.perf_counter() - t0, 3))  # fmt: skip
            tasks.append(task)
        return tasks

    def runner_options(self, config: RunConfig) -> RunnerOptions:
        return RunnerOptions(attempts=config.attempts, num_trials=config.num_trials,
                             concurrency=config.concurrency)  # fmt: skip

    def outcome(self, row: dict[str, Any]) -> str:
        return attempt_outcome(row)

    def plan_note(self, config: RunConfig) -> str:
        return f"x{config.attempts} attempts, {config.num_trials} trials"

    def invocation_fields(self) -> dict[str, Any]:
        return {}

    def manifest_fields(self, tasks: Sequence[ErmTask],
                        result: RunResult | None) -> dict[str, Any]:  # fmt: skip
        out: dict[str, Any] = {"datasets": {
            t.task_id: {"path": str(t.path), "derived_seed": t.meta.get("derived_seed"),
                        "hashes": t.meta.get("hashes"), "sizes": t.meta.get("sizes")}
            for t in tasks}}  # fmt: skip
        if result is not None:
            out["row_counts"] = {"attempt": len(result.attempt_rows),
                                 "best": len(result.best_rows),
                                 "summary": len(result.summary_rows),
                                 "new_attempts_this_invocation": result.new_attempts,
                                 "harness_errors": result.harness_errors}  # fmt: skip
        return out

    def start(self, store: RunStore, config: RunConfig, tasks: Sequence[ErmTask],
              console: Console) -> TrialDoneFn | None:  # fmt: skip
        return None

    def finish(self, store: RunStore, config: RunConfig, tasks: Sequence[ErmTask],
               result: RunResult) -> RunResult:  # fmt: skip
        store.append_rows(result.best_rows + result.summary_rows)
        store.write_csv(result.attempt_rows + result.best_rows + result.summary_rows, CSV_COLUMNS)
        return result

    def summarize(self, console: Console, config: RunConfig, outcome: RunResult) -> None:
        print_summary(console, outcome, config)


def print_summary(console: Console, result: RunResult, config: RunConfig) -> None:
    table = Table(title=console_text(f"eval erm: {config.model} ({config.run_id})"))
    for col in ("fn", "L", "trials", "attempts", "best val", "best test", "early stop",
                "transductive", "cost $"):
        table.add_column(col, justify="left" if col == "fn" else "right", no_wrap=True)

    def ms(row: dict[str, Any], metric: str) -> str:
        m, s = row.get(f"{metric}_mean"), row.get(f"{metric}_std")
        return "-" if m is None else f"{m:.3f}±{s:.3f}"

    outcome_lines = []
    for row in result.summary_rows:
        cost = row.get("estimated_cost")
        table.add_row(row["fn"], str(row["length"]), str(row["n_trials"]),
                      str(row["n_attempts"]), ms(row, "val_acc"), ms(row, "test_acc"),
                      f"{row['stopped_early']}/{row['n_trials']}",
                      str(row["transductive_attempts"]),
                      "-" if cost is None else f"{cost:.4f}")  # fmt: skip
        outcomes = " ".join(f"{k}={v}" for k, v in sorted(row["outcomes"].items()))
        outcome_lines.append(f"  {row['task_id']:<10} {outcomes}")
    wide = Console(width=max(console.width, 110), file=console.file)
    wide.print(table)
    console.print("attempt outcomes:")
    for line in outcome_lines:
        console.print(line, highlight=False)
